/**
 * @module The remote engine: a ClickHouse server or cluster over HTTP through `@clickhouse/client`. The SQL
 * Dunlin renders stays plain, escaped literals (no server-side query parameters), so the same statements
 * run on old servers (Debian's 18.16) and current ones.
 */
import { Readable } from 'node:stream'
import { createClient, type ClickHouseClient } from '@clickhouse/client'
import type {
  Engine,
  InsertFormat,
  InsertOptions,
  InsertResult,
  QueryOptions,
  QueryResult,
  Settings,
} from './engine.js'
import { readSettings, settingsClause } from './engine.js'
import { toServerError } from './errors.js'

/** Options of {@link openClickHouseEngine}. */
export interface ClickHouseEngineOptions {
  /** Server URL, e.g. `http://127.0.0.1:8123`; user and password may be in it. */
  url: string
  username?: string
  password?: string
  /** Per-request HTTP timeout, in milliseconds. Default 620_000 (longer than the longest command). */
  requestTimeoutMs?: number
  /** Strings removed from engine error messages (internal database names). */
  hide?: readonly string[]
  /**
   * Settings sent with every statement, e.g. cluster mode's `insert_distributed_sync: 1` (an acknowledged insert
   * is on its shards) and `distributed_product_mode: 'global'` (subqueries over `Distributed` tables).
   */
  settings?: Settings
}

/**
 * Settings Dunlin sends that older servers do not know, with the first major version that has them. They only
 * relax input parsing, so an older server runs the statement without them rather than failing on the name.
 */
const SETTINGS_SINCE: Readonly<Record<string, number>> = {
  input_format_json_read_objects_as_strings: 22,
  // Without it a mutation is asynchronous; callers that need it done wait for it (Workspace.deleteRows).
  mutations_sync: 20,
}

/** The empty database every statement runs in by default. */
export const SANDBOX_DATABASE = 'dunlin_sandbox'

/** clickhouse-js strips `Code: N.` and puts `code`/`type` on the error; rebuild the text our parser reads. */
function normalizeError(e: unknown): unknown {
  if (
    e instanceof Error &&
    'code' in e &&
    'type' in e &&
    typeof e.type === 'string' &&
    !e.message.startsWith('Code:')
  ) {
    return new Error(`Code: ${String(e.code)}. DB::Exception: ${e.message} (${e.type})`)
  }
  return e
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream)
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string))
  return Buffer.concat(chunks)
}

function summaryNumber(summary: Record<string, unknown> | undefined, key: string): number {
  const v = summary?.[key]
  return typeof v === 'string' || typeof v === 'number' ? Number(v) : 0
}

/**
 * Connects to a ClickHouse server and checks it answers.
 *
 * @throws {ServerError} `ERR_INTERNAL` when the server cannot be reached.
 */
export async function openClickHouseEngine(opts: ClickHouseEngineOptions): Promise<Engine> {
  // Unqualified names that reach the server (e.g. a CTE name used out of its scope in user SQL) resolve in
  // this empty database, never in the server's `default`, which other applications may use.
  const bootstrap = createClient({
    url: opts.url,
    ...(opts.username !== undefined ? { username: opts.username } : {}),
    ...(opts.password !== undefined ? { password: opts.password } : {}),
  })
  try {
    await bootstrap.command({ query: `CREATE DATABASE IF NOT EXISTS ${SANDBOX_DATABASE}` })
  } catch (e) {
    await bootstrap.close()
    throw toServerError(normalizeError(e), opts.hide ?? [])
  }
  await bootstrap.close()
  const client: ClickHouseClient = createClient({
    url: opts.url,
    database: SANDBOX_DATABASE,
    ...(opts.username !== undefined ? { username: opts.username } : {}),
    ...(opts.password !== undefined ? { password: opts.password } : {}),
    request_timeout: opts.requestTimeoutMs ?? 620_000,
    // Progress headers keep long statements' connections alive through proxies.
    clickhouse_settings: {
      wait_end_of_query: 1,
      send_progress_in_http_headers: 1,
      http_headers_progress_interval_ms: '10000',
    },
  })
  const hide = opts.hide ?? []
  const fail = (e: unknown): never => {
    throw toServerError(normalizeError(e), hide)
  }
  let version = ''
  try {
    const r = await client.exec({ query: 'SELECT version() FORMAT TSV' })
    version = (await readAll(r.stream)).toString('utf8').trim()
  } catch (e) {
    await client.close()
    fail(e)
  }
  const major = Number(version.split('.')[0])
  const base: Settings = {
    // 18.x gates LowCardinality behind a flag (later versions enable it and ignore the setting).
    ...(major < 19 ? { allow_experimental_low_cardinality_type: 1 } : {}),
    ...opts.settings,
  }
  const known = (settings: Settings | undefined): Settings => {
    if (settings === undefined) return {}
    return Object.fromEntries(
      Object.entries(settings).filter(([k]) => (SETTINGS_SINCE[k] ?? 0) <= major),
    )
  }
  let closed = false

  const run = async (sql: string, format: string, httpSettings: Settings): Promise<QueryResult> => {
    const started = performance.now()
    try {
      const r = await client.exec({
        query: `${sql} FORMAT ${format}`,
        clickhouse_settings: { ...base, ...httpSettings },
      })
      const body = await readAll(r.stream)
      const summary = r.summary as Record<string, unknown> | undefined
      return {
        body,
        elapsedSeconds:
          summary?.['elapsed_ns'] !== undefined
            ? summaryNumber(summary, 'elapsed_ns') / 1e9
            : (performance.now() - started) / 1000,
        rowsRead: summaryNumber(summary, 'read_rows'),
        bytesRead: summaryNumber(summary, 'read_bytes'),
        text: () => body.toString('utf8'),
        json: () => JSON.parse(body.toString('utf8')) as unknown,
      }
    } catch (e) {
      return fail(e)
    }
  }

  return {
    kind: 'clickhouse',
    // Common table expressions (`WITH x AS (SELECT …)`) arrived in 20.x.
    capabilities: {
      ctes: major >= 21,
      version,
      dropSync: major >= 20,
      mapType: major >= 21,
      lowCardinality: major >= 19,
      distributedRewrite: major >= 21,
    },
    query(sql: string, qo: QueryOptions = {}): Promise<QueryResult> {
      const { readonly, ...settings } = readSettings(qo)
      if (major < 20) {
        // 18.x takes whole seconds only.
        settings['max_execution_time'] = Math.max(
          1,
          Math.ceil(Number(settings['max_execution_time'])),
        )
      }
      // Limits and output flags go as HTTP settings (18.x ignores result limits set in a SETTINGS clause);
      // read-only mode goes in the statement. 18.x refuses any nested SETTINGS under readonly=1, so old servers
      // get readonly=2 (no writes, no DDL; settings that user SQL may change are allow-listed upstream).
      const mode: Settings = readonly === undefined ? {} : { readonly: major < 20 ? 2 : 1 }
      return run(`SELECT * FROM (\n${sql}\n)${settingsClause(mode)}`, qo.format ?? 'JSON', settings)
    },
    async command(
      sql: string,
      co: { timeoutMs?: number; settings?: Settings } = {},
    ): Promise<void> {
      try {
        await client.command({
          query: sql,
          clickhouse_settings: {
            ...base,
            max_execution_time: Math.ceil((co.timeoutMs ?? 600_000) / 1000),
            ...known(co.settings),
          },
        })
      } catch (e) {
        fail(e)
      }
    },
    async insert(
      table: string,
      body: Uint8Array | string,
      format: InsertFormat,
      io: InsertOptions = {},
    ): Promise<InsertResult> {
      const cols =
        io.columns && io.columns.length > 0
          ? ` (${io.columns.map((c) => `\`${c.replace(/`/g, '``')}\``).join(', ')})`
          : ''
      try {
        const r = await client.exec({
          query: `INSERT INTO ${table}${cols} FORMAT ${format}`,
          values: Readable.from([
            typeof body === 'string'
              ? Buffer.from(body)
              : Buffer.from(body.buffer, body.byteOffset, body.byteLength),
          ]),
          clickhouse_settings: { ...base, ...known(io.settings) },
        })
        await readAll(r.stream)
        return {
          rowsWritten: summaryNumber(
            r.summary as Record<string, unknown> | undefined,
            'written_rows',
          ),
        }
      } catch (e) {
        return fail(e)
      }
    },
    async close(): Promise<void> {
      if (closed) return
      closed = true
      await client.close()
    },
  }
}
