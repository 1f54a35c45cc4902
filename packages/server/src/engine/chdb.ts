/**
 * @module The embedded engine: ClickHouse in-process through chdb. The only file that imports `chdb`.
 * Every request-path call is async (`queryAsync`, `insert`), so the event loop stays free during a query.
 */
import { mkdirSync } from 'node:fs'
import { Session } from 'chdb'
import type {
  Engine,
  InsertFormat,
  InsertOptions,
  InsertResult,
  QueryOptions,
  QueryResult,
} from './engine.js'
import { readSettings, settingsClause } from './engine.js'
import { toServerError } from './errors.js'

/** Options of {@link openChdbEngine}. */
export interface ChdbEngineOptions {
  /** Directory for the engine's files; created when missing. One process owns a data dir. */
  dataDir: string
  /** Strings removed from engine error messages (internal database names). */
  hide?: readonly string[]
}

/** Extra time, in milliseconds, the client-side backstop waits beyond `max_execution_time`. */
const BACKSTOP_MS = 5_000

/**
 * Opens the embedded engine on `dataDir`. chdb allows one data directory per process: opening a second
 * one before closing the first throws.
 *
 * @throws {ServerError} `ERR_INTERNAL` when the engine cannot start (e.g. another dir is open).
 */
export async function openChdbEngine(opts: ChdbEngineOptions): Promise<Engine> {
  mkdirSync(opts.dataDir, { recursive: true })
  let session: Session
  try {
    session = new Session(opts.dataDir, {
      // UTC regardless of the host's zone, so day boundaries (toDate, toStartOfDay) do not move between
      // machines; 64-bit integers as JSON numbers, as Tinybird renders them.
      connectionArgs: [
        '--async_load_databases=0',
        '--session_timezone=UTC',
        '--output_format_json_quote_64bit_integers=0',
      ],
    })
  } catch (e) {
    throw toServerError(e)
  }
  const hide = opts.hide ?? []
  const versionRow = (
    await session.queryAsync('SELECT version() AS v', { format: 'JSONEachRow' })
  ).text()
  const version = (JSON.parse(versionRow) as { v: string }).v
  let closed = false
  // chdb runs one statement at a time per session anyway. Queueing here lets a failed statement be followed,
  // before anything else runs, by a throwaway read: measured on chdb 3.4, a statement that fails after its
  // output began (e.g. TOO_MANY_ROWS_OR_BYTES) leaves that partial output to be prepended to the *next*
  // statement's result, which would corrupt an unrelated request's body.
  let queue: Promise<unknown> = Promise.resolve()
  const serialized = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(async () => {
      try {
        return await fn()
      } catch (e) {
        await session.queryAsync('SELECT 1', { format: 'JSON' }).catch(() => undefined)
        throw e
      }
    })
    queue = next.catch(() => undefined)
    return next
  }

  const run = async (sql: string, format: string, timeoutMs: number): Promise<QueryResult> => {
    try {
      const r = await serialized(() =>
        session.queryAsync(sql, { format, timeout: timeoutMs + BACKSTOP_MS }),
      )
      const body = r.bytes()
      return {
        body,
        elapsedSeconds: r.elapsed,
        rowsRead: r.rowsRead,
        bytesRead: r.bytesRead,
        text: () => Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'),
        json: () =>
          JSON.parse(
            Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'),
          ) as unknown,
      }
    } catch (e) {
      throw toServerError(e, hide)
    }
  }

  return {
    kind: 'chdb',
    capabilities: {
      ctes: true,
      version,
      dropSync: true,
      mapType: true,
      lowCardinality: true,
      distributedRewrite: true,
    },
    query(sql: string, qo: QueryOptions = {}): Promise<QueryResult> {
      const settings = readSettings(qo)
      // Settings go on a wrapping SELECT so that a SETTINGS clause inside `sql` stays valid.
      const wrapped = `SELECT * FROM (\n${sql}\n)${settingsClause(settings)}`
      return run(wrapped, qo.format ?? 'JSON', qo.timeoutMs ?? 10_000)
    },
    async command(
      sql: string,
      co: { timeoutMs?: number; settings?: Record<string, string | number | boolean> } = {},
    ): Promise<void> {
      const timeoutMs = co.timeoutMs ?? 600_000
      await run(
        `${sql}${settingsClause({ max_execution_time: timeoutMs / 1000, ...co.settings })}`,
        'TSV',
        timeoutMs,
      )
    },
    async insert(
      table: string,
      body: Uint8Array | string,
      format: InsertFormat,
      io: InsertOptions = {},
    ): Promise<InsertResult> {
      try {
        if (format === 'Parquet') {
          // chdb's raw insert takes text formats only; Parquet goes through INSERT … SELECT over a temp file.
          throw new TypeError('Parquet inserts go through insertFromFile')
        }
        const summary = await serialized(() =>
          session.insert({
            table,
            values:
              typeof body === 'string'
                ? body
                : Buffer.from(body.buffer, body.byteOffset, body.byteLength),
            format,
            ...(io.columns ? { columns: io.columns } : {}),
            ...(io.settings ? { settings: { ...io.settings } } : {}),
          }),
        )
        return { rowsWritten: summary.rowsWritten }
      } catch (e) {
        throw toServerError(e, hide)
      }
    },
    close(): Promise<void> {
      if (!closed) {
        closed = true
        session.close()
      }
      return Promise.resolve()
    },
  }
}
