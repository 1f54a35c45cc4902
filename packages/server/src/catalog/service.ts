/**
 * @module Service data sources (`tinybird.*`): Dunlin's own tables that Tinybird users query by Tinybird's
 * names. They live in the workspace database under `tinybird__<name>`.
 */
import type { DdlParts } from '../datafiles/index.js'
import { mergeTreeParts, singleNodeLayout } from './layout.js'

/** The service data sources Dunlin keeps, by their Tinybird name (`tinybird.<name>`). */
export const SERVICE_DATASOURCES = ['pipe_stats_rt', 'datasources_ops_log', 'jobs_log'] as const

/** The internal table of a service data source in the workspace database. */
export function serviceTable(name: (typeof SERVICE_DATASOURCES)[number]): string {
  return `tinybird__${name}`
}

const PIPE_STATS_COLUMNS = [
  'start_datetime DateTime',
  'user_id String',
  'request_id String',
  'url Nullable(String)',
  'pipe_id String',
  'pipe_name String',
  'status_code Int32',
  'error UInt8',
  'token String',
  'token_name String',
  'duration Float32',
  'read_bytes UInt64',
  'read_rows UInt64',
  'billable UInt8',
  'result_rows UInt64',
  'parameters Map(String, String)',
  'method LowCardinality(String)',
  'release String',
  'user_agent Nullable(String)',
  'resource_tags Array(String)',
  'cpu_time Float64',
]

/** The table parts of `pipe_stats_rt` (tinybird-compat.md §6.1), kept 7 days; needs `Map` (21.1+). */
export function pipeStatsParts(): DdlParts {
  return mergeTreeParts(PIPE_STATS_COLUMNS, [
    'PARTITION BY toDate(start_datetime)',
    'ORDER BY (pipe_name, start_datetime)',
    'TTL start_datetime + INTERVAL 7 DAY',
  ])
}

/** DDL of `pipe_stats_rt` on one node (see {@link pipeStatsParts}). */
export function pipeStatsDdl(database: string): string {
  return singleNodeLayout()
    .createTable({ database, name: serviceTable('pipe_stats_rt'), parts: pipeStatsParts() })
    .join(';\n')
}

/**
 * True when a ClickHouse `version` (e.g. `18.16.1`, `26.7.1.1`) has table `TTL` (19.6 and later); false when the
 * version does not parse.
 *
 * @see ClickHouse changelog 19.6 ("TTL for tables and columns"); /work/shared/CLICKHOUSE-SERVER-NOTES.md
 */
export function ttlSupported(version: string): boolean {
  const m = /^(\d+)\.(\d+)/.exec(version)
  if (m === null) return false
  const major = Number(m[1])
  const minor = Number(m[2])
  return major > 19 || (major === 19 && minor >= 6)
}

const OPS_LOG_COLUMNS = [
  'timestamp DateTime',
  'event_type String',
  'datasource_id String',
  'datasource_name String',
  'user_id String',
  'user_mail String',
  'result String',
  'elapsed_time Float32',
  'error Nullable(String)',
  'request_id String',
  'import_id Nullable(String)',
  'job_id Nullable(String)',
  'rows Nullable(UInt64)',
  'rows_quarantine Nullable(UInt64)',
  'blocks_ids Array(String)',
  'Options Nested(Names String, Values String)',
  'operation_id String',
  'read_rows UInt64',
  'read_bytes UInt64',
  'written_rows UInt64',
  'written_bytes UInt64',
  'written_rows_quarantine UInt64',
  'written_bytes_quarantine UInt64',
  'pipe_id String',
  'pipe_name String',
  'release String',
  'cpu_time Float32',
  'resource_tags Array(String)',
]

/**
 * The table parts of `datasources_ops_log` (tinybird-compat.md §6.2): one row per operation on a data source, kept 7 days.
 *
 * Portable: only types ClickHouse 18.16 has (no `Map`, `DateTime64` or `LowCardinality`; `Options` is a `Nested`
 * column, so it reads as `Options.Names` / `Options.Values` as in Tinybird). Table `TTL` needs 19.6+: pass
 * `ttl: false` for older servers, where rows are then kept until deleted by hand.
 *
 * @param opts.ttl - Add `TTL timestamp + INTERVAL 7 DAY`. Default true.
 * @see https://www.tinybird.co/docs/classic/monitoring/service-datasources (tinybird.datasources_ops_log)
 */
export function opsLogParts(opts: { ttl?: boolean } = {}): DdlParts {
  return mergeTreeParts(OPS_LOG_COLUMNS, [
    'PARTITION BY toYYYYMM(timestamp)',
    'ORDER BY (user_id, datasource_id, timestamp)',
    ...(opts.ttl === false ? [] : ['TTL timestamp + INTERVAL 7 DAY']),
  ])
}

/** DDL of `datasources_ops_log` on one node (see {@link opsLogParts}). */
export function opsLogDdl(database: string, opts: { ttl?: boolean } = {}): string {
  return singleNodeLayout()
    .createTable({ database, name: serviceTable('datasources_ops_log'), parts: opsLogParts(opts) })
    .join(';\n')
}

const JOBS_LOG_COLUMNS = [
  'job_id String',
  'job_type String',
  'workspace_id String',
  'pipe_id String',
  'pipe_name String',
  'created_at DateTime',
  'updated_at DateTime',
  'started_at DateTime',
  'status String',
  'error Nullable(String)',
  'job_metadata String',
]

/**
 * The table parts of `jobs_log`: one row per state change of a job (`working`, then `done` or `error`), with
 * Tinybird's columns; `job_metadata` is the job as `GET /v0/jobs/<id>` shows it, as JSON. Kept 7 days. Portable
 * to 18.16 like {@link opsLogParts}; pass `ttl: false` before 19.6.
 *
 * @param opts.ttl - Add `TTL created_at + INTERVAL 7 DAY`. Default true.
 * @see https://www.tinybird.co/docs/monitoring/jobs (tinybird.jobs_log)
 */
export function jobsLogParts(opts: { ttl?: boolean } = {}): DdlParts {
  return mergeTreeParts(JOBS_LOG_COLUMNS, [
    'PARTITION BY toYYYYMM(created_at)',
    'ORDER BY (workspace_id, created_at, job_id)',
    ...(opts.ttl === false ? [] : ['TTL created_at + INTERVAL 7 DAY']),
  ])
}
