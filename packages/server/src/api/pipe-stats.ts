/**
 * @module `tinybird.pipe_stats_rt`: one row per endpoint and SQL API request, with Tinybird's columns, so
 * Tinybird's monitoring guides and dashboards work. Rows are buffered and written in batches (at most one
 * second late, and on shutdown); a failed write is logged, never fails a request.
 */
import type { Logger } from 'pino'
import type { Engine } from '../engine/index.js'
import { serviceTable } from '../catalog/index.js'
import { RowBatchWriter, type RowBatchWriterOptions } from './row-writer.js'

/** One request's row (snake_case: it is written as JSONEachRow). */
export interface PipeStatsRow {
  /** Seconds since the epoch (see {@link dateTimeValue}). */
  start_datetime: number
  user_id: string
  request_id: string
  url: string
  pipe_id: string
  pipe_name: string
  status_code: number
  error: 0 | 1
  token: string
  token_name: string
  /** Seconds. */
  duration: number
  read_bytes: number
  read_rows: number
  billable: 0 | 1
  result_rows: number
  parameters: Record<string, string>
  method: string
  release: string
  user_agent: string | null
  resource_tags: string[]
  cpu_time: number
}

/** Rows of `tinybird.pipe_stats_rt` waiting to be written, flushed by size or time. */
export class PipeStatsWriter extends RowBatchWriter<PipeStatsRow> {
  /**
   * @param opts.flushIntervalMs - Longest a row waits, in milliseconds. Default 1_000.
   * @param opts.maxRows - Rows that trigger a flush. Default 1_000.
   */
  constructor(engine: Engine, database: string, log: Logger, opts: RowBatchWriterOptions = {}) {
    super(engine, `${database}.${serviceTable('pipe_stats_rt')}`, log, opts)
  }

  /** Queues a row. */
  record(row: PipeStatsRow): void {
    this.push(row)
  }
}

/** The result rows of a ClickHouse `JSON` body, read from its `"rows": N` line near the end. */
export function jsonResultRows(body: Uint8Array): number {
  const tail = Buffer.from(body.buffer, body.byteOffset, body.byteLength)
    .subarray(Math.max(0, body.byteLength - 4096))
    .toString('utf8')
  const m = /"rows":\s*(\d+)/.exec(tail)
  return m?.[1] === undefined ? 0 : Number(m[1])
}
