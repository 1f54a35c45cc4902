/**
 * @module Service data sources (`tinybird.*`): Dunlin's own tables that Tinybird users query by Tinybird's
 * names. They live in the workspace database under `tinybird__<name>`.
 */
import { escapeIdentifier } from '../template/index.js'

/** The service data sources Dunlin keeps, by their Tinybird name (`tinybird.<name>`). */
export const SERVICE_DATASOURCES = ['pipe_stats_rt'] as const

/** The internal table of a service data source in the workspace database. */
export function serviceTable(name: (typeof SERVICE_DATASOURCES)[number]): string {
  return `tinybird__${name}`
}

/** DDL of `pipe_stats_rt` (tinybird-compat.md §6.1), kept 7 days. */
export function pipeStatsDdl(database: string): string {
  return `CREATE TABLE IF NOT EXISTS ${escapeIdentifier(database)}.${escapeIdentifier(serviceTable('pipe_stats_rt'))} (
  start_datetime DateTime,
  user_id String,
  request_id String,
  url Nullable(String),
  pipe_id String,
  pipe_name String,
  status_code Int32,
  error UInt8,
  token String,
  token_name String,
  duration Float32,
  read_bytes UInt64,
  read_rows UInt64,
  billable UInt8,
  result_rows UInt64,
  parameters Map(String, String),
  method LowCardinality(String),
  release String,
  user_agent Nullable(String),
  resource_tags Array(String),
  cpu_time Float64
) ENGINE = MergeTree
PARTITION BY toDate(start_datetime)
ORDER BY (pipe_name, start_datetime)
TTL start_datetime + INTERVAL 7 DAY`
}
