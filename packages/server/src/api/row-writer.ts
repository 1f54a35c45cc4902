/**
 * @module A batching writer of one service data source table (`tinybird.*`): rows are queued and written as
 * JSONEachRow in batches, at most `flushIntervalMs` late and on shutdown. A failed write is logged and dropped,
 * never thrown at the request that queued the row. Imports only the engine port.
 */
import type { Logger } from 'pino'
import type { Engine } from '../engine/index.js'

/** Options of {@link RowBatchWriter}. */
export interface RowBatchWriterOptions {
  /** Longest a row waits, in milliseconds. Default 1_000. */
  readonly flushIntervalMs?: number
  /** Rows that trigger a flush. Default 1_000. */
  readonly maxRows?: number
}

/** Rows waiting to be written to `table`, flushed by count or time. */
export class RowBatchWriter<Row> {
  private rows: Row[] = []
  private timer: NodeJS.Timeout | undefined
  private flushing: Promise<void> = Promise.resolve()
  /** The engine rows are written to; subclasses may read the table through it. */
  protected readonly engine: Engine
  /** Qualified table, `database.table`. */
  protected readonly table: string
  private readonly log: Logger
  private readonly opts: RowBatchWriterOptions

  /**
   * @param table - Qualified table, `database.table` (names the engine accepts unquoted).
   * @param log - Where failed writes are reported, with the table and the number of rows lost.
   */
  constructor(engine: Engine, table: string, log: Logger, opts: RowBatchWriterOptions = {}) {
    this.engine = engine
    this.table = table
    this.log = log
    this.opts = opts
  }

  /** Queues a row. */
  protected push(row: Row): void {
    this.rows.push(row)
    if (this.rows.length >= (this.opts.maxRows ?? 1_000)) void this.flush()
    else this.timer ??= setTimeout(() => void this.flush(), this.opts.flushIntervalMs ?? 1_000)
  }

  /** Writes every queued row; resolves when they are in the engine (or the write failed and was logged). */
  flush(): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    const batch = this.rows
    this.rows = []
    if (batch.length === 0) return this.flushing
    this.flushing = this.flushing.then(async () => {
      try {
        await this.engine.insert(
          this.table,
          batch.map((r) => JSON.stringify(r)).join('\n'),
          'JSONEachRow',
        )
      } catch (e) {
        this.log.error(
          { err: e, rows: batch.length, table: this.table },
          'service table write failed',
        )
      }
    })
    return this.flushing
  }
}

/**
 * A `DateTime` value for a JSONEachRow row: whole seconds since the epoch, from milliseconds. ClickHouse reads a
 * number as that instant whatever the server's time zone, where a `YYYY-MM-DD hh:mm:ss` string would be read in
 * the server's zone (shifted by its offset from UTC). Read this way by 18.16 and later.
 */
export function dateTimeValue(ms: number): number {
  return Math.floor(ms / 1000)
}
