/** @module Unit tests for the GCRA rate limiter (redis-cell `CL.THROTTLE` semantics) with an injected clock. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { nowSeconds, systemClock, type Clock } from './clock.js'
import { RateLimiter } from './rate-limiter.js'

class FakeClock implements Clock {
  ms = 1_700_000_000_000
  nowMs(): number {
    return this.ms
  }
  advanceMs(ms: number): void {
    this.ms += ms
  }
}

describe('RateLimiter', () => {
  it('admits burst + 1 at once from an idle bucket (burst defaults to rps), then limits', () => {
    const clock = new FakeClock()
    const rl = new RateLimiter(clock)
    const results = Array.from({ length: 4 }, () => rl.check('k', 2))
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, false])
    expect(results.map((r) => r.remaining)).toEqual([2, 1, 0, 0])
    expect(results.every((r) => r.limit === 3)).toBe(true)
  })

  it("reports redis-cell's retry/reset + 1, as Tinybird's headers do", () => {
    const clock = new FakeClock()
    const rl = new RateLimiter(clock)
    const first = rl.check('k', 2)
    expect(first).toEqual({
      allowed: true,
      limit: 3,
      remaining: 2,
      resetSeconds: 1,
      retryAfterSeconds: 0,
    })
    rl.check('k', 2)
    rl.check('k', 2)
    const limited = rl.check('k', 2)
    // tolerance 1500 ms, next slot in 500 ms: redis-cell says retry 0 s, reset 1 s; Tinybird adds 1 to both.
    expect(limited).toEqual({
      allowed: false,
      limit: 3,
      remaining: 0,
      resetSeconds: 2,
      retryAfterSeconds: 1,
    })
  })

  it('refills one request per 1000 / rps ms, and a limited request is not counted', () => {
    const clock = new FakeClock()
    const rl = new RateLimiter(clock)
    for (let i = 0; i < 3; i++) rl.check('k', 2)
    for (let i = 0; i < 5; i++) expect(rl.check('k', 2).allowed).toBe(false)
    clock.advanceMs(499)
    expect(rl.check('k', 2).allowed).toBe(false)
    clock.advanceMs(1)
    expect(rl.check('k', 2).allowed).toBe(true)
    expect(rl.check('k', 2).allowed).toBe(false)
    clock.advanceMs(10_000)
    expect(rl.check('k', 2)).toMatchObject({ allowed: true, remaining: 2 })
  })

  it('keeps keys apart (Tinybird: workspace + pipe + JWT name)', () => {
    const rl = new RateLimiter(new FakeClock())
    expect(rl.check('a', 1).allowed).toBe(true)
    expect(rl.check('a', 1).allowed).toBe(true)
    expect(rl.check('a', 1).allowed).toBe(false)
    expect(rl.check('b', 1).allowed).toBe(true)
  })

  it('burst 0 (per-endpoint max_rps) admits one per interval', () => {
    const clock = new FakeClock()
    const rl = new RateLimiter(clock)
    expect(rl.check('e', 10, 0)).toMatchObject({ allowed: true, limit: 1, remaining: 0 })
    expect(rl.check('e', 10, 0).allowed).toBe(false)
    clock.advanceMs(100)
    expect(rl.check('e', 10, 0).allowed).toBe(true)
  })

  it('supports fractional rps (0.5 = one every 2 s)', () => {
    const clock = new FakeClock()
    const rl = new RateLimiter(clock)
    expect(rl.check('f', 0.5, 0).allowed).toBe(true)
    clock.advanceMs(1999)
    const r = rl.check('f', 0.5, 0)
    expect(r.allowed).toBe(false)
    expect(r.retryAfterSeconds).toBe(1)
    clock.advanceMs(1)
    expect(rl.check('f', 0.5, 0).allowed).toBe(true)
  })

  it('survives the clock going backwards without granting extra requests', () => {
    const clock = new FakeClock()
    const rl = new RateLimiter(clock)
    for (let i = 0; i < 2; i++) rl.check('k', 1)
    clock.advanceMs(-5000)
    expect(rl.check('k', 1).allowed).toBe(false)
  })

  it('bounds its memory with maxKeys, forgetting the least recently used key first', () => {
    const clock = new FakeClock()
    const rl = new RateLimiter(clock, { maxKeys: 3 })
    for (const k of ['a', 'b', 'c', 'd', 'e']) rl.check(k, 1, 0)
    expect(rl.size).toBeLessThanOrEqual(3)
    // 'e' is still tracked: it is limited.
    expect(rl.check('e', 1, 0).allowed).toBe(false)
    // After every bucket refilled, an insert sweeps the full ones away.
    clock.advanceMs(5000)
    rl.check('z', 1, 0)
    expect(rl.size).toBe(1)
  })

  it('rejects nonsense arguments', () => {
    const rl = new RateLimiter(new FakeClock())
    expect(() => rl.check('k', 0)).toThrow(TypeError)
    expect(() => rl.check('k', -1)).toThrow(TypeError)
    expect(() => rl.check('k', Number.NaN)).toThrow(TypeError)
    expect(() => rl.check('k', Number.POSITIVE_INFINITY)).toThrow(TypeError)
    expect(() => rl.check('k', 1, -1)).toThrow(TypeError)
    expect(() => new RateLimiter(new FakeClock(), { maxKeys: 0 })).toThrow(TypeError)
  })

  it('never admits more than burst + 1 + elapsed × rps (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 0, max: 50 }),
        fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 200 }),
        (rps, burst, gaps) => {
          const clock = new FakeClock()
          const rl = new RateLimiter(clock)
          const start = clock.ms
          let allowed = 0
          for (const gap of gaps) {
            clock.advanceMs(gap)
            const r = rl.check('k', rps, burst)
            if (r.allowed) allowed++
            expect(r.remaining).toBeGreaterThanOrEqual(0)
            expect(r.remaining).toBeLessThanOrEqual(r.limit)
            const bound = burst + 1 + Math.floor(((clock.ms - start) * rps) / 1000 + 1e-9)
            expect(allowed).toBeLessThanOrEqual(bound)
          }
        },
      ),
      { numRuns: 300 },
    )
  })
})

describe('systemClock', () => {
  it('reads wall time in milliseconds and is frozen', () => {
    const ms = systemClock.nowMs()
    expect(Number.isFinite(ms)).toBe(true)
    expect(ms).toBeGreaterThan(1_600_000_000_000)
    expect(Object.isFrozen(systemClock)).toBe(true)
    expect(nowSeconds({ nowMs: () => 1500 })).toBe(1.5)
  })
})
