/**
 * @module `tinybird.datasources_ops_log`: one row per operation on a data source (create, Data Sources API
 * appends and replaces, Events API flushes as `append-hfi`, truncate, delete_data, drop, populate, copy), with
 * Tinybird's columns, so Tinybird's ingestion-monitoring queries work. Rows are written in batches like
 * `pipe_stats_rt`; a failed write is logged and never fails the operation. No field ever holds a token.
 */
import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import { serviceTable } from '../catalog/index.js'
import type { Engine } from '../engine/index.js'
import { ServerError } from '../errors.js'
import { dateTimeValue, RowBatchWriter, type RowBatchWriterOptions } from './row-writer.js'

/**
 * The operations Dunlin records, by Tinybird's `event_type`: `append` is a Data Sources API append (body,
 * multipart or `url=`), `append-hfi` one flush of the Events API buffer of a data source, `delete_data` a
 * `/delete` job, `delete` a dropped data source, `populateview` the populate of a materialized node, `copy` a copy
 * pipe run.
 *
 * @see tinybird-compat.md §6.2
 */
export type OpsLogEventType =
  | 'create'
  | 'append'
  | 'append-hfi'
  | 'replace'
  | 'truncate'
  | 'delete_data'
  | 'delete'
  | 'populateview'
  | 'copy'

/** One operation, as the routes describe it (camelCase; {@link opsLogRow} turns it into the row). */
export interface OpsLogOperation {
  readonly eventType: OpsLogEventType
  readonly datasource: { readonly id: string; readonly name: string }
  /** When the operation started, in milliseconds since the epoch. */
  readonly startedMs: number
  /** How long it took, in milliseconds. */
  readonly elapsedMs: number
  /** The error a client saw (a fixed sentence, never a token); undefined when the operation succeeded. */
  readonly error?: string | undefined
  /** The HTTP request's id (`X-Request-ID`); `''` for Events API flushes and scheduled copies (Tinybird). */
  readonly requestId?: string
  readonly importId?: string | undefined
  readonly jobId?: string | undefined
  /** Rows written to the data source; null when not meaningful (truncate, drop). Default null. */
  readonly rows?: number | null
  /** Rows written to `<ds>_quarantine`; null when not meaningful. Default null. */
  readonly rowsQuarantine?: number | null
  /** `Options.Names`/`Options.Values`, e.g. `{ mode: 'append', format: 'csv' }`. Never a token. Default none. */
  readonly options?: Readonly<Record<string, string>>
  readonly pipe?: { readonly id: string; readonly name: string } | undefined
  /** Default: the job id, else the import id, else a fresh UUID. */
  readonly operationId?: string
}

/** One row of `datasources_ops_log` (snake_case: it is written as JSONEachRow; `Options` is Nested). */
export interface OpsLogRow {
  /** Seconds since the epoch. */
  timestamp: number
  event_type: OpsLogEventType
  datasource_id: string
  datasource_name: string
  user_id: string
  user_mail: string
  result: 'ok' | 'error'
  /** Seconds. */
  elapsed_time: number
  error: string | null
  request_id: string
  import_id: string | null
  job_id: string | null
  rows: number | null
  rows_quarantine: number | null
  blocks_ids: string[]
  'Options.Names': string[]
  'Options.Values': string[]
  operation_id: string
  read_rows: number
  read_bytes: number
  written_rows: number
  written_bytes: number
  written_rows_quarantine: number
  written_bytes_quarantine: number
  pipe_id: string
  pipe_name: string
  release: string
  cpu_time: number
  resource_tags: string[]
}

/**
 * The row of one operation in workspace `userId`. `written_rows` mirrors `rows` and `written_rows_quarantine`
 * mirrors `rows_quarantine` (0 when null); bytes, `read_*` and `cpu_time` are 0 (not measured); `blocks_ids`,
 * `user_mail`, `release` and `resource_tags` are empty.
 *
 * @see tinybird-compat.md §6.2 (columns); Tinybird sets `rows` of appends to the rows written to the landing
 *   data source and `rows_quarantine` to those written to quarantine.
 */
export function opsLogRow(userId: string, op: OpsLogOperation): OpsLogRow {
  const rows = op.rows ?? null
  const rowsQuarantine = op.rowsQuarantine ?? null
  const options = Object.entries(op.options ?? {})
  return {
    timestamp: dateTimeValue(op.startedMs),
    event_type: op.eventType,
    datasource_id: op.datasource.id,
    datasource_name: op.datasource.name,
    user_id: userId,
    user_mail: '',
    result: op.error === undefined ? 'ok' : 'error',
    elapsed_time: Math.max(0, op.elapsedMs) / 1000,
    error: op.error ?? null,
    request_id: op.requestId ?? '',
    import_id: op.importId ?? null,
    job_id: op.jobId ?? null,
    rows,
    rows_quarantine: rowsQuarantine,
    blocks_ids: [],
    'Options.Names': options.map(([k]) => k),
    'Options.Values': options.map(([, v]) => v),
    operation_id: op.operationId ?? op.jobId ?? op.importId ?? randomUUID(),
    read_rows: 0,
    read_bytes: 0,
    written_rows: rows ?? 0,
    written_bytes: 0,
    written_rows_quarantine: rowsQuarantine ?? 0,
    written_bytes_quarantine: 0,
    pipe_id: op.pipe?.id ?? '',
    pipe_name: op.pipe?.name ?? '',
    release: '',
    cpu_time: 0,
    resource_tags: [],
  }
}

/**
 * The `error` text of a failed operation: a `ServerError`'s message (what the client was told), else
 * `fallback`, so no unexpected exception text (which could hold a URL's credentials) is stored.
 */
export function opsLogError(e: unknown, fallback = 'Internal error'): string {
  return e instanceof ServerError ? e.message : fallback
}

/**
 * An import URL as `Options` records it: scheme, host, port and path, without user info, query or fragment (a
 * pre-signed URL's signature is a credential).
 */
export function opsLogSourceUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`
}

/** Rows of `tinybird.datasources_ops_log` waiting to be written, flushed by size or time. */
export class OpsLogWriter extends RowBatchWriter<OpsLogRow> {
  private readonly userId: string

  /**
   * @param userId - The workspace id (Tinybird's `user_id`).
   * @param opts.flushIntervalMs - Longest a row waits, in milliseconds. Default 1_000.
   * @param opts.maxRows - Rows that trigger a flush. Default 1_000.
   */
  constructor(
    engine: Engine,
    database: string,
    userId: string,
    log: Logger,
    opts: RowBatchWriterOptions = {},
  ) {
    super(engine, `${database}.${serviceTable('datasources_ops_log')}`, log, opts)
    this.userId = userId
  }

  /** Queues the row of one operation. */
  record(op: OpsLogOperation): void {
    this.push(opsLogRow(this.userId, op))
  }
}

/** What {@link logOperation} takes: the operation without its timing and error, which it measures. */
export type OpsLogStart = Omit<OpsLogOperation, 'startedMs' | 'elapsedMs' | 'error'>

/**
 * Runs `work` and records it in `log` (when there is one): ok with `outcome(result)` merged over `op`, or
 * error with {@link opsLogError}'s text (`fallback` for unexpected errors) and `op` as given. The result or
 * error of `work` passes through unchanged.
 */
export async function logOperation<T>(
  log: OpsLogWriter | undefined,
  op: OpsLogStart,
  work: () => Promise<T>,
  outcome: (result: T) => Partial<OpsLogStart> = () => ({}),
  fallback?: string,
): Promise<T> {
  const startedMs = Date.now()
  const started = performance.now()
  try {
    const result = await work()
    log?.record({ ...op, ...outcome(result), startedMs, elapsedMs: performance.now() - started })
    return result
  } catch (e) {
    log?.record({
      ...op,
      startedMs,
      elapsedMs: performance.now() - started,
      error: opsLogError(e, fallback),
    })
    throw e
  }
}
