/**
 * @module `createClient`: the browser-side (and Node, edge) client of Dunlin and Tinybird pipe endpoints, the
 * SQL API and the Events API, with the token lifecycle of `token/` and the retry rules of `./transport.js`.
 * Web APIs only. Imports `../clock.js`, `../errors.js`, `../token/index.js` and this folder.
 */
import { systemClock } from '../clock.js'
import type { Clock } from '../clock.js'
import { DunlinClientError } from '../errors.js'
import { createTokenManager, detectEnvironment } from '../token/index.js'
import type { TokenEnvironment, TokenRefreshedEvent, TokenSource } from '../token/index.js'
import { createEventQueue } from './events.js'
import type { EventsResult, EventsSender } from './events.js'
import { buildEventsRequest, buildReadRequest } from './params.js'
import type { QueryParams, TokenPlacement } from './params.js'
import { DEFAULT_RETRY_POLICY, send } from './transport.js'
import type { FetchLike, Transport } from './transport.js'

/**
 * Options of {@link createClient}.
 *
 * @example
 * ```ts
 * const options: ClientOptions = { host: 'https://api.tinybird.co', token: tokenFromEndpoint('/api/token'), maxRetries: 2 }
 * ```
 */
export interface ClientOptions {
  /** API host, e.g. `'https://api.tinybird.co'` or `'http://localhost:7181'`. A trailing `/` is ignored. */
  readonly host: string
  /**
   * The token: a string (used as is, never refreshed: a server-rendered long-lived token) or an async
   * provider called for the first token and for every refresh (e.g. {@link tokenFromEndpoint}).
   */
  readonly token: TokenSource
  /** `fetch` implementation. Default the global `fetch`. */
  readonly fetch?: FetchLike
  /** Time and timers. Default {@link systemClock}. */
  readonly clock?: Clock
  /** Uniform random in [0, 1) for backoff jitter. Default `Math.random`. */
  readonly random?: () => number
  /**
   * Refresh this many seconds before the token's `exp`. Default the larger of 30 s and 10% of its lifetime
   * (at most half the lifetime).
   */
  readonly refreshMarginSeconds?: number
  /** Retries per call after 429/503 answers and network errors. Default 3. The token retry is extra (one). */
  readonly maxRetries?: number
  /** Longest `Retry-After` the client waits, in seconds; a longer one is surfaced. Default 10. */
  readonly maxRetryAfterSeconds?: number
  /** Where the token travels. Default `'header'` (`Authorization: Bearer`, kept out of URLs and logs). */
  readonly tokenIn?: TokenPlacement
  /** Called each time a new token becomes current (this tab refreshed, or another tab shared one). */
  readonly onTokenRefreshed?: (event: TokenRefreshedEvent) => void
  /**
   * Share tokens with other tabs of this origin over `BroadcastChannel('dunlin-token:<host>')`, refreshing
   * under a Web Lock so only one tab calls the provider. A string adds a partition key
   * (`dunlin-token:<host>:<key>`), e.g. a user id. A tab only adopts a token granting exactly what its own
   * does (same workspace, name, scopes and fixed params). Default `true`; `false` shares nothing.
   */
  readonly broadcast?: boolean | string
  /** Largest Events API body, in bytes, before a batch is split. Default 8 MiB (Tinybird's limit is 10 MB). */
  readonly maxEventBatchBytes?: number
  /** Browser seams (locks, channel, visibility). Default {@link detectEnvironment}; override in tests. */
  readonly environment?: TokenEnvironment
}

/**
 * One column of a result: its name and ClickHouse type.
 *
 * @example
 * ```ts
 * result.meta // → [{ name: 'airline', type: 'String' }, { name: 'bookings', type: 'UInt64' }]
 * ```
 */
export interface ColumnMeta {
  name: string
  type: string
}

/**
 * Query statistics, as the server sends them.
 *
 * @example
 * ```ts
 * const latencyMs = result.statistics.elapsed * 1000
 * ```
 */
export interface QueryStatistics {
  /** Seconds the query took (float). */
  elapsed: number
  rows_read: number
  bytes_read: number
}

/**
 * A JSON query result, exactly as the server sends it (ClickHouse's `JSON` format, Tinybird's wire names).
 *
 * @example
 * ```ts
 * const { data, rows, statistics }: QueryResult<{ airline: string }> = await client.pipe('top_airlines')
 * ```
 */
export interface QueryResult<Row> {
  data: Row[]
  meta: ColumnMeta[]
  rows: number
  /** Present when the query had a `LIMIT`. */
  rows_before_limit_at_least?: number
  statistics: QueryStatistics
}

/**
 * Options of {@link DunlinClient.pipe}.
 *
 * @example
 * ```ts
 * await client.pipe('top_airlines', { limit: 10 }, { signal: AbortSignal.timeout(5000) })
 * ```
 */
export interface PipeOptions {
  /** Output format. Only `'json'` (typed rows) is supported. Default `'json'`. */
  readonly format?: 'json'
  /** Abort the call (also stops retries and waits). */
  readonly signal?: AbortSignal
  /** Force GET or POST. Default GET, or POST with a JSON body when the URL would exceed 2,048 characters. */
  readonly method?: 'GET' | 'POST'
}

/**
 * Options of {@link DunlinClient.sql}.
 *
 * @example
 * ```ts
 * await client.sql('% SELECT {{ Int32(n, 1) }} AS n', { params: { n: 5 } })
 * ```
 */
export interface SqlOptions {
  /** Abort the call. */
  readonly signal?: AbortSignal
  /** Template parameters for a templated query (one starting with `%`). */
  readonly params?: QueryParams
  /** Force GET or POST. Default automatic, as for pipes. */
  readonly method?: 'GET' | 'POST'
}

/**
 * The client returned by {@link createClient}.
 *
 * @example
 * ```ts
 * const client: DunlinClient = createClient({ host, token })
 * const { data } = await client.pipe('top_airlines')
 * ```
 */
export interface DunlinClient {
  /**
   * Query a pipe endpoint: `GET /v0/pipes/<name>.json?<params>`.
   *
   * @throws {DunlinApiError} the server's error (e.g. 404 `ERR_REQUEST_NOT_FOUND`, 403 `ERR_AUTH_SCOPE_DENIED`).
   * @throws {DunlinClientError} `ERR_CLIENT_TOKEN_REFRESH`, `ERR_CLIENT_NETWORK`, `ERR_CLIENT_RESPONSE`.
   */
  pipe<Row = Record<string, unknown>>(
    name: string,
    params?: QueryParams,
    options?: PipeOptions,
  ): Promise<QueryResult<Row>>
  /**
   * Run SQL through the SQL API: `GET /v0/sql?q=<query>`. SQL without `FORMAT` (JSON is implied).
   * Tinybird accepts static tokens only here.
   */
  sql<Row = Record<string, unknown>>(query: string, options?: SqlOptions): Promise<QueryResult<Row>>
  /** A sender for the Events API of data source `datasource`. */
  events<Row extends object = Record<string, unknown>>(datasource: string): EventsSender<Row>
  /** The current token, refreshed first if needed (for iframes, charts, your own `fetch`). */
  getToken(options?: { signal?: AbortSignal }): Promise<string>
  /** Stop the refresh timer, listeners and the cross-tab channel. Calls in flight finish; new ones reject. */
  close(): void
}

function normalizeHost(host: string): string {
  return host.replace(/\/+$/, '')
}

async function readJson(res: Response): Promise<unknown> {
  try {
    return (await res.json()) as unknown
  } catch (error) {
    throw new DunlinClientError(
      'ERR_CLIENT_RESPONSE',
      'The server answered with a body that is not JSON',
      {
        cause: error,
      },
    )
  }
}

function asQueryResult<Row>(body: unknown): QueryResult<Row> {
  if (
    typeof body !== 'object' ||
    body === null ||
    !Array.isArray((body as { data?: unknown }).data)
  ) {
    throw new DunlinClientError('ERR_CLIENT_RESPONSE', 'The server answered without a data array')
  }
  return body as QueryResult<Row>
}

/**
 * Create a client for Dunlin (or Tinybird: only `host` differs). The token is taken from `token` (a string, or
 * an async provider), refreshed before it expires (paused while the tab is hidden), refreshed and retried once
 * when the server rejects it as expired/invalid, shared across tabs, and never refreshed twice for the same
 * failure. 429 answers wait `Retry-After` (up to 10 s) and retry; network errors back off with jitter.
 *
 * @param options - See {@link ClientOptions}.
 * @returns A {@link DunlinClient}.
 * @see Tinybird docs, "Consume APIs in a Next.js frontend with JWTs" (the loop this replaces)
 * @example
 * ```ts
 * import { createClient, tokenFromEndpoint } from '@dunlin/client'
 *
 * const client = createClient({
 *   host: process.env.NEXT_PUBLIC_TINYBIRD_HOST!,
 *   token: tokenFromEndpoint('/api/dunlin-token'),
 * })
 * const { data, statistics } = await client.pipe<{ airline: string; bookings: number }>('top_airlines', { limit: 10 })
 * console.log(data[0]?.airline, statistics.elapsed)
 * await client.events('page_views').send({ path: location.pathname, ts: new Date().toISOString() })
 * ```
 */
export function createClient(options: ClientOptions): DunlinClient {
  const host = normalizeHost(options.host)
  const clock = options.clock ?? systemClock
  const placement: TokenPlacement = options.tokenIn ?? 'header'
  const broadcast = options.broadcast ?? true
  const shareKey =
    broadcast === false ? undefined : broadcast === true ? host : `${host}:${broadcast}`
  const tokens = createTokenManager({
    source: options.token,
    clock,
    environment: options.environment ?? detectEnvironment(),
    ...(shareKey === undefined ? {} : { shareKey }),
    ...(options.refreshMarginSeconds === undefined
      ? {}
      : { refreshMarginSeconds: options.refreshMarginSeconds }),
    ...(options.onTokenRefreshed === undefined
      ? {}
      : { onTokenRefreshed: options.onTokenRefreshed }),
  })
  const transport: Transport = {
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    clock,
    tokens,
    random: options.random ?? Math.random,
    retry: {
      ...DEFAULT_RETRY_POLICY,
      ...(options.maxRetries === undefined ? {} : { maxRetries: options.maxRetries }),
      ...(options.maxRetryAfterSeconds === undefined
        ? {}
        : { maxRetryAfterSeconds: options.maxRetryAfterSeconds }),
    },
  }

  const events = createEventQueue(
    async (datasource, wait, ndjson) => {
      const res = await send(transport, {
        build: (token) =>
          buildEventsRequest(`${host}/v0/events`, datasource, wait, ndjson, token, placement),
        retryNetworkErrors: false,
      })
      const body = await readJson(res)
      const record = (typeof body === 'object' && body !== null ? body : {}) as Record<
        string,
        unknown
      >
      const count = (v: unknown): number => (typeof v === 'number' ? v : 0)
      const result: EventsResult = {
        successful_rows: count(record['successful_rows']),
        quarantined_rows: count(record['quarantined_rows']),
      }
      return result
    },
    options.maxEventBatchBytes ?? 8 * 1024 * 1024,
  )

  return {
    pipe: async <Row>(name: string, params: QueryParams = {}, pipeOptions: PipeOptions = {}) => {
      const url = `${host}/v0/pipes/${encodeURIComponent(name)}.${pipeOptions.format ?? 'json'}`
      const res = await send(transport, {
        build: (token) => buildReadRequest(url, params, token, placement, pipeOptions.method),
        signal: pipeOptions.signal,
        retryNetworkErrors: true,
      })
      return asQueryResult<Row>(await readJson(res))
    },
    sql: async <Row>(query: string, sqlOptions: SqlOptions = {}) => {
      const params: QueryParams = { ...sqlOptions.params, q: query }
      const res = await send(transport, {
        build: (token) =>
          buildReadRequest(`${host}/v0/sql`, params, token, placement, sqlOptions.method),
        signal: sqlOptions.signal,
        retryNetworkErrors: true,
      })
      return asQueryResult<Row>(await readJson(res))
    },
    events: <Row extends object>(datasource: string): EventsSender<Row> => ({
      send: (rows, sendOptions = {}) =>
        events.enqueue(
          datasource,
          sendOptions.wait ?? false,
          Array.isArray(rows) ? (rows as readonly Row[]) : [rows],
        ),
    }),
    getToken: (getOptions = {}) => tokens.getToken(getOptions.signal),
    close: () => {
      tokens.close()
    },
  }
}
