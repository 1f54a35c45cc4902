/**
 * @module The ingest buffer: accepted rows wait per table and are flushed in batches (by size, after at most
 * `flushIntervalMs`, at once for `wait=true`, as soon as the engine is idle once 1/32 of `flushBytes` (256 KiB by default)
 * is waiting, and at shutdown), so many small requests become few engine
 * inserts. A batch the engine refuses is split to find the bad rows, which go to quarantine; nothing
 * accepted is dropped silently. Imports the engine port and `../errors.js`.
 */
import type { Engine } from '../engine/index.js'
import { ServerError } from '../errors.js'
import { quarantineLines, type MappedRows } from './row-mapper.js'

/**
 * Share of `flushBytes` that is written at once when no write is in flight (group commit). 1/32 = 256 KiB by
 * default: below a typical 1 MB request, so a lone request or the tail of a bulk load does not wait out the flush
 * interval, and above what 1,000 events/s of trickle traffic gather between writes, so parts stay few.
 */
const IDLE_FLUSH_FRACTION = 32

/** What one append ended with. */
export interface AppendOutcome {
  readonly successfulRows: number
  readonly quarantinedRows: number
}

/** The API that queued rows: the Events API or the Data Sources API. */
export type IngestApi = 'events' | 'datasources'

/**
 * What one flush wrote for the rows one API queued in one table (a flush writing rows of both APIs reports
 * twice). `rows` were written to the table, `quarantinedRows` to `<table>_quarantine`; both are 0 for what a
 * failed write lost.
 */
export interface FlushReport {
  readonly database: string
  readonly table: string
  readonly api: IngestApi
  /** When the write started, in milliseconds since the epoch. */
  readonly startedMs: number
  /** How long the write took, in milliseconds. */
  readonly elapsedMs: number
  readonly rows: number
  readonly quarantinedRows: number
  /** Bytes of the NDJSON lines queued (quarantined lines excluded). */
  readonly bytes: number
  /** Undefined when the write succeeded; else what failed it. */
  readonly error: unknown
}

/** What a table's buffer holds now: rows and bytes queued or being written. */
export interface BufferDepth {
  readonly database: string
  readonly table: string
  readonly rows: number
  /** Bytes of the NDJSON lines. */
  readonly bytes: number
}

/** Options of {@link IngestService}. */
export interface IngestServiceOptions {
  /** Longest time a row waits in the buffer, in milliseconds. Default 1_000. */
  readonly flushIntervalMs: number
  /** Buffered size that triggers a flush, in bytes. Default 8 MiB. */
  readonly flushBytes: number
  /** Error sink for failures no caller waits for (202 writes). */
  readonly onError?: (err: unknown, table: string, rows: number) => void
  /**
   * Called after each flush, once per table and API, for metrics and `tinybird.datasources_ops_log`. Must not
   * throw (a throw is caught and ignored).
   */
  readonly onFlushed?: (report: FlushReport) => void
}

interface Segment {
  readonly lines: string[]
  readonly quarantine: string[]
  readonly importId: string
  readonly api: IngestApi
  readonly bytes: number
  rejected: number
  readonly done: { resolve: (o: AppendOutcome) => void; reject: (e: unknown) => void } | undefined
}

interface TableBuffer {
  readonly database: string
  readonly table: string
  segments: Segment[]
  bytes: number
  rows: number
  inflightBytes: number
  inflightRows: number
  timer: NodeJS.Timeout | undefined
  soon: boolean
  chain: Promise<void>
  /** Flushes queued or running, oldest first (for backpressure). */
  pending: Promise<void>[]
}

/** Settings of every ingest insert: lenient date parsing, extra JSON keys ignored. */
export const INSERT_SETTINGS = {
  input_format_skip_unknown_fields: 1,
  date_time_input_format: 'best_effort',
  input_format_json_read_objects_as_strings: 1,
  // One block per insert: a parse error then rejects the whole insert before anything is written.
  max_insert_block_size: 16_777_216,
} as const

/**
 * Buffers rows per table and writes them in batches.
 *
 * @see tinybird-compat.md §4.1 (`wait=true` answers after the flush)
 */
export class IngestService {
  readonly #engine: Engine
  readonly #opts: IngestServiceOptions
  readonly #buffers = new Map<string, TableBuffer>()
  #closed = false

  constructor(engine: Engine, opts: IngestServiceOptions) {
    this.#engine = engine
    this.#opts = opts
  }

  /**
   * Queues mapped rows for `database.table` (quarantine rows for `table_quarantine`).
   *
   * Shape: {@link AppendOutcome}. Without `wait` it resolves once the rows are buffered, with the counts
   * of parsing; with `wait` after the rows are written, with the final counts (rows the engine refused
   * were moved to quarantine). Resolves late when the table's buffer is over twice `flushBytes`
   * (backpressure).
   *
   * @param opts.api - The API the rows came through, passed on to `onFlushed`. Default `events`.
   * @throws {ServerError} `ERR_UNAVAILABLE` (503) after {@link IngestService.close}; with `wait`, the
   *   engine's error when the batch could not be written.
   */
  async append(
    database: string,
    table: string,
    mapped: MappedRows,
    importId: string,
    opts: { wait: boolean; api?: IngestApi },
  ): Promise<AppendOutcome> {
    if (this.#closed) throw new ServerError('ERR_UNAVAILABLE', 'The server is shutting down')
    const key = `${database}.${table}`
    let tb = this.#buffers.get(key)
    if (tb === undefined) {
      tb = {
        database,
        table,
        segments: [],
        bytes: 0,
        rows: 0,
        inflightBytes: 0,
        inflightRows: 0,
        timer: undefined,
        soon: false,
        chain: Promise.resolve(),
        pending: [],
      }
      this.#buffers.set(key, tb)
    }
    const counts = { successfulRows: mapped.good.length, quarantinedRows: mapped.quarantine.length }
    if (mapped.good.length === 0 && mapped.quarantine.length === 0) return counts
    let waiter: Promise<AppendOutcome> | undefined
    let done: Segment['done']
    if (opts.wait) {
      waiter = new Promise<AppendOutcome>((resolve, reject) => {
        done = { resolve, reject }
      })
    }
    tb.segments.push({
      lines: mapped.good,
      quarantine: quarantineLines(mapped.quarantine, importId),
      importId,
      api: opts.api ?? 'events',
      bytes: mapped.goodBytes,
      rejected: 0,
      done,
    })
    tb.bytes += mapped.goodBytes + 1
    tb.rows += mapped.good.length
    const buf = tb
    // Full buffer, or a sizeable one while the engine is idle (group commit): write now.
    if (
      tb.bytes >= this.#opts.flushBytes ||
      (tb.pending.length === 0 && tb.bytes >= this.#opts.flushBytes / IDLE_FLUSH_FRACTION)
    )
      this.#flush(tb)
    else if (opts.wait && !tb.soon) {
      tb.soon = true
      setImmediate(() => {
        this.#flush(buf)
      })
    } else {
      tb.timer ??= setTimeout(() => {
        this.#flush(buf)
      }, this.#opts.flushIntervalMs).unref()
    }
    if (waiter !== undefined) return waiter
    // Backpressure: wait for the oldest write only, so the engine always has the next batch queued.
    while (tb.inflightBytes > 2 * this.#opts.flushBytes && tb.pending[0] !== undefined)
      await tb.pending[0]
    return counts
  }

  /** Writes every buffered row now and waits for all writes in flight. */
  async flushAll(): Promise<void> {
    for (const tb of this.#buffers.values()) this.#flush(tb)
    await Promise.all([...this.#buffers.values()].map((tb) => tb.chain))
  }

  /** Stops accepting rows and drains the buffers (the shutdown hook). Idempotent. */
  async close(): Promise<void> {
    this.#closed = true
    await this.flushAll()
  }

  /** Forgets what is known about a table (after a drop). */
  forget(database: string, table: string): void {
    const key = `${database}.${table}`
    const tb = this.#buffers.get(key)
    if (tb?.segments.length === 0 && tb.pending.length === 0) this.#buffers.delete(key)
  }

  /** Rows and bytes each table's buffer holds now (queued or being written), for the buffer-depth gauges. */
  bufferDepths(): BufferDepth[] {
    return [...this.#buffers.values()].map((tb) => ({
      database: tb.database,
      table: tb.table,
      rows: tb.rows + tb.inflightRows,
      bytes: tb.bytes + tb.inflightBytes,
    }))
  }

  #flush(tb: TableBuffer): void {
    if (tb.timer !== undefined) clearTimeout(tb.timer)
    tb.timer = undefined
    tb.soon = false
    if (tb.segments.length === 0) return
    const segments = tb.segments
    const bytes = tb.bytes
    const rows = tb.rows
    tb.segments = []
    tb.bytes = 0
    tb.rows = 0
    tb.inflightBytes += bytes
    tb.inflightRows += rows
    const p: Promise<void> = tb.chain.then(async () => {
      try {
        await this.#write(tb.database, tb.table, segments)
      } finally {
        tb.inflightBytes -= bytes
        tb.inflightRows -= rows
        void tb.pending.splice(tb.pending.indexOf(p), 1)
        if (tb.pending.length === 0 && tb.bytes >= this.#opts.flushBytes / IDLE_FLUSH_FRACTION)
          this.#flush(tb)
      }
    })
    tb.pending.push(p)
    tb.chain = p
  }

  async #write(database: string, table: string, segments: Segment[]): Promise<void> {
    const startedMs = Date.now()
    const started = performance.now()
    let landed = false
    const report = (error: unknown): void => {
      const onFlushed = this.#opts.onFlushed
      if (onFlushed === undefined) return
      for (const api of new Set(segments.map((s) => s.api))) {
        const mine = segments.filter((s) => s.api === api)
        try {
          onFlushed({
            database,
            table,
            api,
            startedMs,
            elapsedMs: performance.now() - started,
            rows: landed ? mine.reduce((n, s) => n + s.lines.length - s.rejected, 0) : 0,
            quarantinedRows:
              error === undefined ? mine.reduce((n, s) => n + s.quarantine.length, 0) : 0,
            bytes: mine.reduce((n, s) => n + s.bytes, 0),
            error,
          })
        } catch {
          // A reporting bug must not fail the write.
        }
      }
    }
    try {
      const all = segments.flatMap((s) => s.lines)
      if (all.length > 0) {
        try {
          await this.#insert(database, table, all)
        } catch (e) {
          if (!isRowLevel(e)) throw e
          for (const s of segments) await this.#insertSplitting(database, table, s, s.lines)
        }
      }
      landed = true
      const q = segments.flatMap((s) => s.quarantine)
      if (q.length > 0) await this.#insertQuarantine(database, table, q)
      report(undefined)
      for (const s of segments) {
        s.done?.resolve({
          successfulRows: s.lines.length - s.rejected,
          quarantinedRows: s.quarantine.length,
        })
      }
    } catch (e) {
      report(e)
      const rows = segments.reduce((n, s) => n + s.lines.length, 0)
      let waited = false
      for (const s of segments) {
        if (s.done !== undefined) {
          waited = true
          s.done.reject(e)
        }
      }
      if (!waited || segments.some((s) => s.done === undefined))
        this.#opts.onError?.(e, table, rows)
    }
  }

  async #insert(database: string, table: string, lines: readonly string[]): Promise<void> {
    await this.#engine.insert(`${database}.${table}`, lines.join('\n') + '\n', 'JSONEachRow', {
      settings: INSERT_SETTINGS,
    })
  }

  /** Inserts `lines`, halving on row-level errors until the bad rows are alone; those go to quarantine. */
  async #insertSplitting(
    database: string,
    table: string,
    seg: Segment,
    lines: readonly string[],
  ): Promise<void> {
    try {
      await this.#insert(database, table, lines)
    } catch (e) {
      if (!isRowLevel(e)) throw e
      if (lines.length === 1) {
        seg.rejected += 1
        const line = lines[0] ?? ''
        seg.quarantine.push(
          ...quarantineLines(
            [
              {
                values: {},
                errorColumns: [],
                errors: [`the engine refused the row: ${(e as Error).message.slice(0, 300)}`],
                line,
              },
            ],
            seg.importId,
          ),
        )
        return
      }
      const mid = Math.ceil(lines.length / 2)
      await this.#insertSplitting(database, table, seg, lines.slice(0, mid))
      await this.#insertSplitting(database, table, seg, lines.slice(mid))
    }
  }

  async #insertQuarantine(
    database: string,
    table: string,
    lines: readonly string[],
  ): Promise<void> {
    const q = `${table}_quarantine`
    await this.#engine.insert(`${database}.${q}`, lines.join('\n') + '\n', 'JSONEachRow', {
      settings: { input_format_skip_unknown_fields: 1 },
    })
  }
}

/** Input-parsing failures: raised before anything is written, so the batch can be split and retried. */
const PARSE_ERRORS =
  /^(CANNOT_(PARSE|READ)_\w+|INCORRECT_DATA|VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE|ATTEMPT_TO_READ_AFTER_EOF|CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN|ARGUMENT_OUT_OF_BOUND|TOO_LARGE_STRING_SIZE|UNKNOWN_ELEMENT_IN_ENUM|ILLEGAL_COLUMN|TYPE_MISMATCH)$/

/**
 * True for an engine error about the data of some row (a parse failure), which is raised before any row of
 * the insert is written (one block: see `max_insert_block_size`); a materialized-view or storage failure is
 * not, and retrying it could write source rows twice.
 */
function isRowLevel(e: unknown): boolean {
  if (!(e instanceof ServerError) || e.code !== 'ERR_ENGINE_QUERY_INVALID') return false
  const type = e.details?.['engineType']
  return typeof type === 'string' && PARSE_ERRORS.test(type)
}
