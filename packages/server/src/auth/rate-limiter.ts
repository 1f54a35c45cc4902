/**
 * @module An in-memory GCRA rate limiter with redis-cell's `CL.THROTTLE` semantics, the algorithm Tinybird uses for
 * `limits.rps` and per-endpoint `max_rps`. Pure given a {@link Clock}; state is a bounded in-process map.
 */
import type { Clock } from './clock.js'

/**
 * The outcome of one {@link RateLimiter.check}, ready for Tinybird's headers.
 *
 * - `allowed`: the request may proceed (it has been counted).
 * - `limit`: `X-RateLimit-Limit`, requests allowed in an instant from an idle bucket: `burst + 1`.
 * - `remaining`: `X-RateLimit-Remaining`, requests still allowed right now.
 * - `resetSeconds`: `X-RateLimit-Reset`, whole seconds until the bucket is full again, redis-cell's value + 1.
 * - `retryAfterSeconds`: `Retry-After` and the `retry after N seconds` text when limited, redis-cell's value + 1
 *   (at least 1); 0 when allowed.
 */
export interface RateLimitResult {
  allowed: boolean
  limit: number
  remaining: number
  resetSeconds: number
  retryAfterSeconds: number
}

/** Default {@link RateLimiter} key bound. */
export const DEFAULT_RATE_LIMIT_MAX_KEYS = 100_000

/**
 * Generic cell rate algorithm, one bucket per key, period 1 s.
 *
 * For `rps` requests per second and `burst` (default `rps`, Tinybird's JWT limit; Tinybird's per-endpoint
 * `max_rps` uses 0): the emission interval is `1000 / rps` ms, the tolerance is `interval × (burst + 1)`, and a
 * request is allowed when the bucket's theoretical arrival time, advanced by one interval, is within the tolerance
 * of now. So an idle bucket admits `burst + 1` requests at once, then one every `1000 / rps` ms.
 *
 * State is kept for at most `maxKeys` keys (default {@link DEFAULT_RATE_LIMIT_MAX_KEYS}); past it the least recently
 * used key is forgotten, which only ever resets that key's bucket to full. Per process: several Dunlin processes
 * each count their own requests.
 *
 * @see tinybird-compat.md §2.4 (Tinybird `_check_jwt_rps_limit`: `count_per_period=rps, period=1, max_burst=rps`)
 * @see redis-cell `CL.THROTTLE` (brandur/redis-cell), and its `throttled` crate's GCRA
 */
export class RateLimiter {
  readonly #clock: Clock
  readonly #maxKeys: number
  /** key → theoretical arrival time, in ms since the epoch. Map order is recency order. */
  readonly #tat = new Map<string, number>()

  /**
   * @param clock - Time source, in milliseconds.
   * @param opts.maxKeys - Most keys tracked, a positive integer. Default 100_000.
   * @throws {TypeError} `maxKeys` is not a positive integer.
   */
  constructor(clock: Clock, opts: { maxKeys?: number } = {}) {
    const maxKeys = opts.maxKeys ?? DEFAULT_RATE_LIMIT_MAX_KEYS
    if (!Number.isInteger(maxKeys) || maxKeys < 1)
      throw new TypeError('RateLimiter: maxKeys must be a positive integer')
    this.#clock = clock
    this.#maxKeys = maxKeys
  }

  /** Number of keys currently tracked. */
  get size(): number {
    return this.#tat.size
  }

  /**
   * Counts one request against `key` and says whether it is allowed.
   *
   * Shape: {@link RateLimitResult}. A limited request is not counted.
   *
   * @param key - The bucket, e.g. `jwt_endpoint_qps_limits_<workspace>_<pipe>_<jwt name>`.
   * @param rps - Requests per second, a finite number > 0 (fractions allowed: 0.5 = one per 2 s).
   * @param burst - Extra requests allowed in an instant, a finite number >= 0. Default `rps`.
   * @throws {TypeError} `rps` or `burst` is out of range.
   * @see tinybird-compat.md §2.4
   */
  check(key: string, rps: number, burst: number = rps): RateLimitResult {
    if (!Number.isFinite(rps) || rps <= 0)
      throw new TypeError('RateLimiter.check: rps must be a finite number > 0')
    if (!Number.isFinite(burst) || burst < 0)
      throw new TypeError('RateLimiter.check: burst must be a finite number >= 0')
    const now = this.#clock.nowMs()
    const interval = 1000 / rps
    const tolerance = interval * (burst + 1)
    const limit = Math.floor(burst) + 1

    const stored = this.#tat.get(key)
    const tat = stored !== undefined && stored > now ? stored : now
    const newTat = tat + interval
    const allowAt = newTat - tolerance
    const diff = now - allowAt

    let allowed: boolean
    let ttl: number
    let retryAfterMs = -1
    if (diff < 0) {
      allowed = false
      if (interval <= tolerance) retryAfterMs = -diff
      ttl = tat - now
    } else {
      allowed = true
      ttl = newTat - now
      this.#tat.delete(key)
      if (this.#tat.size >= this.#maxKeys) this.#evict(now)
      this.#tat.set(key, newTat)
    }
    const next = tolerance - ttl
    const remaining = next > -interval ? Math.max(0, Math.trunc(next / interval + 1e-9)) : 0
    return {
      allowed,
      limit,
      remaining,
      // redis-cell reports whole seconds, truncated; Tinybird adds 1 to both.
      resetSeconds: Math.trunc(ttl / 1000) + 1,
      retryAfterSeconds: allowed ? 0 : Math.trunc(Math.max(retryAfterMs, 0) / 1000) + 1,
    }
  }

  #evict(now: number): void {
    // Oldest first: drop entries until there is room, then keep sweeping while the oldest ones are already full
    // buckets (arrival time passed), which forgets nothing. Each entry is deleted at most once, so this is amortised O(1).
    for (const [k, t] of this.#tat) {
      if (this.#tat.size < this.#maxKeys && t > now) return
      this.#tat.delete(k)
    }
  }
}
