/**
 * @module A per-key token bucket over bytes (the Events API's MB/s limit per data source). Pure given a clock.
 */

/** Milliseconds since the epoch. */
export interface MsClock {
  nowMs(): number
}

/**
 * Token bucket: each key refills at `bytesPerSecond` up to a capacity of one second's worth (or one maximum
 * request, whichever is larger), and a request takes its size out of it.
 *
 * @see tinybird-compat.md §4.1 ("Up to 20 MB per second per data source")
 */
export class ByteBudget {
  readonly #clock: MsClock
  readonly #buckets = new Map<string, { tokens: number; atMs: number }>()

  constructor(clock: MsClock) {
    this.#clock = clock
  }

  /**
   * Takes `bytes` from `key`'s bucket.
   *
   * Shape: `{ allowed, retryAfterSeconds }`; `retryAfterSeconds` (whole seconds, at least 1) is set when
   * refused, and a refused request takes nothing.
   *
   * @param bytesPerSecond - Refill rate, in bytes per second (> 0).
   * @param capacityBytes - Bucket size, in bytes. Default `bytesPerSecond`.
   */
  take(
    key: string,
    bytes: number,
    bytesPerSecond: number,
    capacityBytes = bytesPerSecond,
  ): { allowed: boolean; retryAfterSeconds: number } {
    const now = this.#clock.nowMs()
    const cap = Math.max(capacityBytes, bytesPerSecond)
    const b = this.#buckets.get(key) ?? { tokens: cap, atMs: now }
    b.tokens = Math.min(cap, b.tokens + ((now - b.atMs) / 1000) * bytesPerSecond)
    b.atMs = now
    this.#buckets.delete(key)
    this.#buckets.set(key, b)
    if (this.#buckets.size > 10_000) {
      const oldest = this.#buckets.keys().next().value
      if (oldest !== undefined) this.#buckets.delete(oldest)
    }
    if (b.tokens >= bytes) {
      b.tokens -= bytes
      return { allowed: true, retryAfterSeconds: 0 }
    }
    const wait = (Math.min(bytes, cap) - b.tokens) / bytesPerSecond
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(wait)) }
  }
}
