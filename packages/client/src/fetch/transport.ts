/**
 * @module The request pipeline every call goes through: take a token, send, and on failure decide between
 * one token refresh + retry (401/403 with an expired/invalid/missing token, or a bare 401/403), a wait and
 * retry (429, or 503 with `Retry-After`), a backoff and retry (network `TypeError`), or surfacing a typed
 * error. Imports `../clock.js`, `../errors.js`, `../token/index.js` (types) and `./params.js` (types).
 */
import { abortReason, sleep } from '../clock.js'
import type { Clock } from '../clock.js'
import { DunlinClientError, apiErrorFromResponse } from '../errors.js'
import type { DunlinApiError } from '../errors.js'
import type { TokenManager } from '../token/index.js'
import type { BuiltRequest } from './params.js'

/**
 * The `fetch` the client calls: the global one, or a test double / instrumented wrapper.
 *
 * @example
 * ```ts
 * createClient({ host, token, fetch: (input, init) => globalThis.fetch(input, { ...init, keepalive: true }) })
 * ```
 */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>

/**
 * Retry bounds.
 *
 * @example
 * ```ts
 * const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, maxRetries: 5 }
 * ```
 */
export interface RetryPolicy {
  /** Retries after 429/503 answers and network errors, per call (the token retry is separate). */
  readonly maxRetries: number
  /** Longest `Retry-After` the client waits, in seconds; a longer one is surfaced at once. */
  readonly maxRetryAfterSeconds: number
  /** First backoff ceiling, in milliseconds; doubles per attempt. */
  readonly baseDelayMs: number
  /** Backoff ceiling, in milliseconds. */
  readonly maxDelayMs: number
}

/**
 * Default retry bounds: 3 retries, `Retry-After` up to 10 s, backoff 250 ms doubling up to 8 s.
 *
 * @example
 * ```ts
 * DEFAULT_RETRY_POLICY.maxRetryAfterSeconds // → 10
 * ```
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 3,
  maxRetryAfterSeconds: 10,
  baseDelayMs: 250,
  maxDelayMs: 8000,
}

/**
 * What the pipeline needs from the client.
 *
 * @example
 * ```ts
 * const transport: Transport = { fetch, clock: systemClock, tokens, retry: DEFAULT_RETRY_POLICY, random: Math.random }
 * ```
 */
export interface Transport {
  readonly fetch: FetchLike
  readonly clock: Clock
  readonly tokens: TokenManager
  readonly retry: RetryPolicy
  /** Uniform random number in [0, 1), for backoff jitter. */
  readonly random: () => number
}

/**
 * One logical call.
 *
 * @example
 * ```ts
 * await send(transport, { build: (token) => buildReadRequest(url, {}, token, 'header'), retryNetworkErrors: true })
 * ```
 */
export interface Call {
  /** Build the request for a token (rebuilt per attempt: the token may change). */
  readonly build: (token: string) => BuiltRequest
  readonly signal?: AbortSignal | undefined
  /**
   * Retry when `fetch` throws. `false` for the Events API: a request that died in flight may have been
   * written, and a retry would duplicate its rows.
   */
  readonly retryNetworkErrors: boolean
}

const REFRESHABLE_CODES = new Set([
  'ERR_AUTH_TOKEN_EXPIRED',
  'ERR_AUTH_TOKEN_INVALID',
  'ERR_AUTH_TOKEN_MISSING',
])

// Tinybird sends no code; these texts are its scope/handler refusals, which a new token cannot fix.
const TINYBIRD_NOT_A_TOKEN_PROBLEM =
  /doesn't have access to this resource|token needs scope|does not support JWT tokens|does not have DATASOURCES:/i

/**
 * Whether a new token could fix this answer: 401/403 with `ERR_AUTH_TOKEN_EXPIRED`, `_INVALID` or `_MISSING`,
 * or with no code at all (Tinybird, older servers) unless the text says it is about scopes. Never
 * `ERR_AUTH_SCOPE_DENIED`, `ERR_AUTH_JWT_NOT_ALLOWED` or `ERR_AUTH_TOKEN_REVOKED`.
 *
 * @param error - The server's answer.
 * @returns `true` when one refresh and retry is worth it.
 * @example
 * ```ts
 * isRefreshable(new DunlinApiError(403, 'expired', 'ERR_AUTH_TOKEN_EXPIRED')) // → true
 * isRefreshable(new DunlinApiError(403, 'denied', 'ERR_AUTH_SCOPE_DENIED')) // → false
 * ```
 */
export function isRefreshable(error: DunlinApiError): boolean {
  if (error.status !== 401 && error.status !== 403) return false
  if (error.code === undefined) return !TINYBIRD_NOT_A_TOKEN_PROBLEM.test(error.message)
  return REFRESHABLE_CODES.has(error.code)
}

/**
 * Full-jitter exponential backoff: a uniform delay in `[0, min(maxDelayMs, baseDelayMs · 2^attempt))`.
 *
 * @param attempt - 0 for the first retry.
 * @param policy - Base and ceiling.
 * @param random - Uniform in [0, 1).
 * @returns Milliseconds to wait.
 * @see AWS Architecture Blog, "Exponential Backoff And Jitter" (full jitter)
 * @example
 * ```ts
 * backoffDelayMs(2, DEFAULT_RETRY_POLICY, () => 0.5) // → 500
 * ```
 */
export function backoffDelayMs(attempt: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt)
  return Math.floor(Math.min(Math.max(random(), 0), 1) * ceiling)
}

/**
 * Send one call with the token lifecycle and the retry rules applied; resolves with the first 2xx response.
 *
 * @param transport - Seams and bounds.
 * @param call - The call.
 * @returns The successful response (body unread).
 * @throws {DunlinApiError} the server's error when no rule applies or the retries are spent.
 * @throws {DunlinClientError} `ERR_CLIENT_TOKEN_REFRESH` when a needed refresh fails; `ERR_CLIENT_NETWORK` when
 *   `fetch` keeps throwing; `ERR_CLIENT_CLOSED` after `close()`.
 * @throws the signal's reason when `call.signal` aborts.
 * @example
 * ```ts
 * const res = await send(transport, { build: (t) => buildReadRequest(url, {}, t, 'header'), retryNetworkErrors: true })
 * ```
 */
export async function send(transport: Transport, call: Call): Promise<Response> {
  const { tokens, clock, retry, signal } = { ...transport, signal: call.signal }
  let token = await tokens.getToken(signal)
  let tokenRetried = false
  let transientRetries = 0

  for (;;) {
    if (isAborted(signal)) throw abortReason(signal)
    const { url, init } = call.build(token)
    let res: Response
    try {
      res = await transport.fetch(url, signal === undefined ? init : { ...init, signal })
    } catch (error) {
      if (isAborted(signal)) throw abortReason(signal)
      if (!(error instanceof TypeError)) throw error
      if (!call.retryNetworkErrors || transientRetries >= retry.maxRetries) {
        throw new DunlinClientError('ERR_CLIENT_NETWORK', 'The network request failed', {
          cause: error,
        })
      }
      await sleep(clock, backoffDelayMs(transientRetries, retry, transport.random), signal)
      transientRetries += 1
      continue
    }
    if (res.ok) return res

    const error = await apiErrorFromResponse(res, [token], clock.nowMs())
    if (isRefreshable(error) && !tokenRetried && tokens.canRefresh) {
      tokenRetried = true
      const next = await tokens.tokenAfterRejection(token, signal)
      if (next !== undefined) {
        token = next
        continue
      }
      throw error
    }
    if (isTransient(error) && transientRetries < retry.maxRetries) {
      const retryAfter = error.retryAfterSeconds
      if (retryAfter !== undefined && retryAfter > retry.maxRetryAfterSeconds) throw error
      const waitMs =
        retryAfter === undefined
          ? backoffDelayMs(transientRetries, retry, transport.random)
          : retryAfter * 1000
      await sleep(clock, waitMs, signal)
      transientRetries += 1
      continue
    }
    throw error
  }
}

// A function, not an inline check: TypeScript would keep the narrowing across the `await`s in between.
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true
}

function isTransient(error: DunlinApiError): boolean {
  return error.status === 429 || (error.status === 503 && error.retryAfterSeconds !== undefined)
}
