/**
 * @module The remote engine: a ClickHouse server or cluster over HTTP through `@clickhouse/client`. The SQL
 * Dunlin renders stays plain, escaped literals (no server-side query parameters), so the same statements
 * run on old servers (Debian's 18.16) and current ones.
 */
import { Readable } from 'node:stream'
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client'
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
import { connectionFailureReason, toServerError } from './errors.js'
import { ServerError } from '../errors.js'

/** Options of {@link openClickHouseEngine}. */
export interface ClickHouseEngineOptions {
  /** Server URL, e.g. `http://127.0.0.1:8123` or `https://host:8443`; user and password may be in it. */
  url: string
  /** ClickHouse user; overrides one in `url`. */
  username?: string
  /** The user's password; overrides one in `url`. */
  password?: string
  /**
   * TLS for an `https://` URL beyond the system's CAs: `caCert` (PEM) to trust a private CA, plus `cert` and
   * `key` (PEM) for mutual TLS.
   */
  tls?: { readonly caCert: Buffer; readonly cert?: Buffer; readonly key?: Buffer }
  /** The empty database every statement runs in by default. Default {@link SANDBOX_DATABASE}. */
  sandboxDatabase?: string
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
 * Connects to a ClickHouse server, creates the sandbox database and reads the server's version. The client's own
 * logging is off: failures reach the caller as {@link ServerError}s, logged once by the server.
 *
 * @throws {ServerError} `ERR_ENGINE_UNREACHABLE` when the server cannot be reached or used (connection refused,
 *   TLS failure, wrong password, no right to create the sandbox); the message gives the server's origin (never
 *   its credentials) and the reason.
 */
export async function openClickHouseEngine(opts: ClickHouseEngineOptions): Promise<Engine> {
  // Unqualified names that reach the server (e.g. a CTE name used out of its scope in user SQL) resolve in
  // this empty database, never in the server's `default`, which other applications may use.
  const sandbox = opts.sandboxDatabase ?? SANDBOX_DATABASE
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(sandbox))
    throw new TypeError(`openClickHouseEngine: sandboxDatabase '${sandbox}' is not a plain name`)
  const connection = {
    url: opts.url,
    log: { level: ClickHouseLogLevel.OFF },
    ...(opts.username !== undefined ? { username: opts.username } : {}),
    ...(opts.password !== undefined ? { password: opts.password } : {}),
    ...(opts.tls !== undefined
      ? {
          tls:
            opts.tls.cert !== undefined && opts.tls.key !== undefined
              ? { ca_cert: opts.tls.caCert, cert: opts.tls.cert, key: opts.tls.key }
              : { ca_cert: opts.tls.caCert },
        }
      : {}),
  }
  const bootstrap = createClient(connection)
  try {
    await bootstrap.command({ query: `CREATE DATABASE IF NOT EXISTS \`${sandbox}\`` })
  } catch (e) {
    await bootstrap.close()
    const where = new URL(opts.url)
    throw new ServerError(
      'ERR_ENGINE_UNREACHABLE',
      `Cannot use the ClickHouse server at ${where.protocol}//${where.host}: ${connectionFailureReason(normalizeError(e))}`,
      { cause: e },
    )
  }
  await bootstrap.close()
  const client: ClickHouseClient = createClient({
    ...connection,
    database: sandbox,
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
