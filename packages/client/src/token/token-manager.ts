/**
 * @module The token lifecycle as a small state machine: one current token, at most one refresh in flight,
 * one proactive timer. Pure given its seams (`Clock`, `TokenEnvironment`, the token source); does no HTTP.
 * Imports `../clock.js`, `../errors.js`, `./decode.js` and `./environment.js`.
 *
 * States and transitions:
 *
 * ```text
 *            getToken / refresh                 provider resolves (accept)
 *   EMPTY ─────────────────────────▶ REFRESHING ─────────────────────────────▶ FRESH
 *     ▲                                 │   ▲                                    │ now ≥ refreshAt (timer, or a
 *     │ provider rejects (error goes    │   │ timer fires (visible tab) /        ▼ request sees it)
 *     └──── to every waiter) ◀──────────┘   └─ request after expiry /          STALE ──▶ now ≥ exp: EXPIRED
 *                                              request rejected by the server
 *   FRESH/STALE/EXPIRED ── a fresher token with the same identity arrives from another tab ──▶ FRESH
 *   any ── close() ──▶ CLOSED (timer, listeners and channel released; new calls rejected)
 * ```
 *
 * Rules: a refresh is single-flight (concurrent callers share one promise); a request that failed with an
 * older token than the current one gets the current one, no refresh; a refresh under a Web Lock first checks
 * whether another tab refreshed meanwhile; the timer does not run while the tab is hidden and catches up on
 * `visibilitychange`. A static string token is never refreshed.
 */
import { abortable } from '../clock.js'
import type { Clock } from '../clock.js'
import { DunlinClientError } from '../errors.js'
import { decodeExpiry, tokenIdentity } from './decode.js'
import type { ChannelLike, TokenEnvironment } from './environment.js'

/**
 * Where a token comes from: a fixed string (never refreshed) or an async provider (called to refresh).
 *
 * @example
 * ```ts
 * const fromServer: TokenSource = props.authToken
 * const onDemand: TokenSource = tokenFromEndpoint('/api/token')
 * ```
 */
export type TokenSource = string | (() => Promise<string>)

/**
 * Passed to `onTokenRefreshed` each time a new token becomes current.
 *
 * @example
 * ```ts
 * createClient({ host, token, onTokenRefreshed: (e) => console.log(e.source, e.expiresAtSeconds) })
 * ```
 */
export interface TokenRefreshedEvent {
  /** The new token. */
  readonly token: string
  /** Its `exp` in seconds since the epoch, if it has one. */
  readonly expiresAtSeconds: number | undefined
  /** `'provider'`: this tab called the provider; `'broadcast'`: another tab shared it. */
  readonly source: 'provider' | 'broadcast'
}

/**
 * Options of {@link createTokenManager}.
 *
 * @example
 * ```ts
 * createTokenManager({ source: provider, clock: systemClock, environment: detectEnvironment(), shareKey: host })
 * ```
 */
export interface TokenManagerOptions {
  /** The token or its provider. */
  readonly source: TokenSource
  /** Time and timers. */
  readonly clock: Clock
  /**
   * Refresh this many seconds before `exp`. Default the larger of 30 s and 10% of the token's lifetime.
   * Either way at most half the lifetime, so a 5-second token is refreshed after 2.5 s, not in a loop.
   */
  readonly refreshMarginSeconds?: number
  /** Name that tabs sharing tokens agree on (`dunlin-token:<shareKey>`); `undefined` shares nothing. */
  readonly shareKey?: string
  /** Browser seams; see {@link TokenEnvironment}. */
  readonly environment: TokenEnvironment
  /** Called whenever a new token becomes current. */
  readonly onTokenRefreshed?: (event: TokenRefreshedEvent) => void
}

/**
 * The token lifecycle; see the module doc for its states.
 *
 * @example
 * ```ts
 * const token = await tokens.getToken()
 * const next = await tokens.tokenAfterRejection(token) // after a 403 ERR_AUTH_TOKEN_EXPIRED
 * ```
 */
export interface TokenManager {
  /** `false` for a static string token. */
  readonly canRefresh: boolean
  /**
   * The token to send now. Fetches the first token; refreshes first when the current one has expired by the
   * clock; starts a background refresh when it is inside the refresh margin.
   */
  getToken(signal?: AbortSignal): Promise<string>
  /**
   * The server rejected `failedToken` as expired/invalid/missing: answer a newer token to retry with, or
   * `undefined` when there is none (static token, or the provider returned the same token again).
   */
  tokenAfterRejection(failedToken: string, signal?: AbortSignal): Promise<string | undefined>
  /** Stop the timer, listeners and channel; later calls reject with `ERR_CLIENT_CLOSED`. */
  close(): void
}

interface Held {
  readonly token: string
  /** `exp` as written in the token, seconds. */
  readonly expSeconds: number | undefined
  /** When we consider it expired, ms; `undefined` = unknown (no exp, or it looked expired on arrival). */
  readonly expMs: number | undefined
  /** When to refresh proactively, ms. */
  readonly refreshAtMs: number | undefined
  readonly identity: string | undefined
}

interface TokenMessage {
  readonly type: 'dunlin-token'
  readonly v: 1
  readonly token: string
}

/**
 * Event-loop turns (macrotasks, a few milliseconds each) a tab that waited for the refresh lock looks for the
 * holder's broadcast before refreshing itself.
 */
const BROADCAST_WAIT_TURNS = 50

function isTokenMessage(value: unknown): value is TokenMessage {
  if (typeof value !== 'object' || value === null) return false
  const record = value as Record<string, unknown>
  return (
    record['type'] === 'dunlin-token' && record['v'] === 1 && typeof record['token'] === 'string'
  )
}

/** Longest delay a JS timer accepts (2^31 − 1 ms, ≈ 24.8 days); longer ones fire at once. */
const MAX_TIMER_MS = 2_147_483_647
const DEFAULT_MIN_MARGIN_MS = 30_000

/**
 * Create the token lifecycle state machine the client uses. Exposed for custom transports: a `fetch` wrapper
 * of your own can call `getToken()` before a request and `tokenAfterRejection()` after a 401/403.
 *
 * @param options - See {@link TokenManagerOptions}.
 * @returns A {@link TokenManager}.
 * @example
 * ```ts
 * const tokens = createTokenManager({ source: fetchToken, clock: systemClock, environment: detectEnvironment() })
 * const token = await tokens.getToken()
 * ```
 */
export function createTokenManager(options: TokenManagerOptions): TokenManager {
  const { source, clock, environment } = options
  if (typeof source === 'string') return staticTokenManager(source)
  const provider = source

  let held: Held | undefined
  let inflight: Promise<string> | undefined
  let timer: unknown
  let timerSet = false
  let closed = false
  let channel: ChannelLike | undefined
  let unsubscribeVisibility: (() => void) | undefined
  const lockName = options.shareKey === undefined ? undefined : `dunlin-token:${options.shareKey}`

  const isHidden = (): boolean => environment.visibility?.isHidden() ?? false

  function marginMs(lifetimeMs: number): number {
    const wanted =
      options.refreshMarginSeconds !== undefined
        ? options.refreshMarginSeconds * 1000
        : Math.max(DEFAULT_MIN_MARGIN_MS, lifetimeMs * 0.1)
    return Math.min(Math.max(0, wanted), lifetimeMs / 2)
  }

  function clearTimer(): void {
    if (timerSet) clock.clearTimeout(timer)
    timerSet = false
  }

  function schedule(): void {
    clearTimer()
    if (closed || held?.refreshAtMs === undefined || isHidden()) return
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, held.refreshAtMs - clock.nowMs()))
    timer = clock.setTimeout(onTimer, delay)
    timerSet = true
  }

  function onTimer(): void {
    timerSet = false
    if (closed || held?.refreshAtMs === undefined || isHidden()) return
    if (clock.nowMs() < held.refreshAtMs) {
      schedule() // a clamped long delay, or a clock that moved: not due yet
      return
    }
    refreshInBackground(held.token)
  }

  function onVisibilityChange(): void {
    if (closed) return
    if (isHidden()) {
      clearTimer()
      return
    }
    if (held?.refreshAtMs !== undefined && clock.nowMs() >= held.refreshAtMs) {
      refreshInBackground(held.token)
    } else {
      schedule()
    }
  }

  function isStale(h: Held): boolean {
    return h.refreshAtMs !== undefined && clock.nowMs() >= h.refreshAtMs
  }

  function isExpired(h: Held): boolean {
    return h.expMs !== undefined && clock.nowMs() >= h.expMs
  }

  function accept(token: string, from: TokenRefreshedEvent['source']): void {
    const nowMs = clock.nowMs()
    const expSeconds = decodeExpiry(token)
    let expMs = expSeconds === undefined ? undefined : expSeconds * 1000
    // A token that looks expired the moment it arrives means our clock disagrees with the issuer's: trust it
    // until the server says otherwise, rather than refreshing in a loop.
    if (expMs !== undefined && expMs <= nowMs) expMs = undefined
    const refreshAtMs = expMs === undefined ? undefined : expMs - marginMs(expMs - nowMs)
    held = { token, expSeconds, expMs, refreshAtMs, identity: tokenIdentity(token) }
    schedule()
    options.onTokenRefreshed?.({ token, expiresAtSeconds: expSeconds, source: from })
  }

  async function callProvider(): Promise<string> {
    let token: unknown
    try {
      token = await provider()
    } catch (error) {
      if (error instanceof DunlinClientError && error.code === 'ERR_CLIENT_TOKEN_REFRESH')
        throw error
      throw new DunlinClientError('ERR_CLIENT_TOKEN_REFRESH', 'The token provider failed', {
        cause: error,
      })
    }
    if (typeof token !== 'string' || token === '') {
      throw new DunlinClientError(
        'ERR_CLIENT_TOKEN_REFRESH',
        'The token provider returned no token',
      )
    }
    return token
  }

  async function runRefresh(stale: string | undefined): Promise<string> {
    const requestedAtMs = clock.nowMs()
    const work = async (): Promise<string> => {
      if (stale !== undefined && environment.locks !== undefined && channel !== undefined) {
        // Waiting for the lock may have meant waiting for another tab's refresh: let its broadcast land,
        // then use that token instead of refreshing again. A busy machine can deliver the broadcast several
        // event-loop turns after the lock is released, so after a contended lock, keep looking for a while.
        const turns = clock.nowMs() - requestedAtMs > 1 ? BROADCAST_WAIT_TURNS : 1
        for (let i = 0; i < turns; i += 1) {
          await (environment.yieldToEvents ?? yieldMacrotask)()
          if (held !== undefined && held.token !== stale && !isStale(held)) return held.token
        }
      }
      const token = await callProvider()
      accept(token, 'provider')
      channel?.post({ type: 'dunlin-token', v: 1, token } satisfies TokenMessage)
      return token
    }
    // The first token of a tab is fetched without the lock: there is nothing to share yet.
    if (stale !== undefined && lockName !== undefined && environment.locks !== undefined) {
      return environment.locks.request(lockName, work)
    }
    return work()
  }

  /** Single flight: every caller during a refresh shares its promise. */
  function refresh(stale: string | undefined): Promise<string> {
    if (stale !== undefined && held !== undefined && held.token !== stale && !isExpired(held)) {
      return Promise.resolve(held.token) // a newer token already replaced the one that failed
    }
    if (inflight === undefined) {
      const run = runRefresh(stale)
      inflight = run
      const clear = (): void => {
        if (inflight === run) inflight = undefined
      }
      run.then(clear, clear)
    }
    return inflight
  }

  function refreshInBackground(stale: string): void {
    // A failed proactive refresh is not reported: the next request refreshes at expiry, or on rejection.
    refresh(stale).catch(() => undefined)
  }

  function onMessage(message: unknown): void {
    if (closed || !isTokenMessage(message) || held === undefined) return
    const identity = tokenIdentity(message.token)
    if (identity === undefined || identity !== held.identity) return // never adopt another tenant's token
    const exp = decodeExpiry(message.token)
    if (exp === undefined || (held.expSeconds !== undefined && exp <= held.expSeconds)) return
    accept(message.token, 'broadcast')
  }

  if (lockName !== undefined && environment.openChannel !== undefined) {
    channel = environment.openChannel(lockName)
    channel.subscribe(onMessage)
  }
  unsubscribeVisibility = environment.visibility?.subscribe(onVisibilityChange)

  return {
    canRefresh: true,
    getToken: (signal) => {
      if (closed) return Promise.reject(closedError())
      const h = held
      if (h === undefined) return abortable(refresh(undefined), signal)
      if (isExpired(h)) return abortable(refresh(h.token), signal)
      if (isStale(h)) refreshInBackground(h.token)
      return Promise.resolve(h.token)
    },
    tokenAfterRejection: async (failedToken, signal) => {
      const next = await abortable(refresh(failedToken), signal)
      return next === failedToken ? undefined : next
    },
    close: () => {
      if (closed) return
      closed = true
      clearTimer()
      unsubscribeVisibility?.()
      unsubscribeVisibility = undefined
      channel?.close()
      channel = undefined
    },
  }
}

function staticTokenManager(token: string): TokenManager {
  let closed = false
  return {
    canRefresh: false,
    getToken: () => (closed ? Promise.reject(closedError()) : Promise.resolve(token)),
    tokenAfterRejection: () => Promise.resolve(undefined),
    close: () => {
      closed = true
    },
  }
}

function closedError(): DunlinClientError {
  return new DunlinClientError('ERR_CLIENT_CLOSED', 'The client is closed')
}

function yieldMacrotask(): Promise<void> {
  return new Promise((resolve) => {
    globalThis.setTimeout(resolve, 0)
  })
}
