/**
 * @module Test double (not built, not exported): a {@link Clock} whose time moves only when a test says so.
 * Timers fire in due order; between timers the real event loop runs, so promise chains (and Web Crypto) settle.
 */
import type { Clock } from '../clock.js'

interface Timer {
  readonly at: number
  readonly seq: number
  readonly callback: () => void
}

/** Let real pending work (promise chains, crypto, message delivery) run: a few real macrotasks. */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) {
    await new Promise<void>((resolve) => {
      globalThis.setTimeout(resolve, 0)
    })
  }
}

/** A manual clock. Starts at 2026-01-01T00:00:00Z unless told otherwise. */
export class FakeClock implements Clock {
  #now: number
  #seq = 0
  readonly #timers = new Map<number, Timer>()
  #onTimer: (() => void) | undefined

  constructor(startMs: number = Date.UTC(2026, 0, 1)) {
    this.#now = startMs
  }

  nowMs(): number {
    return this.#now
  }

  nowSeconds(): number {
    return Math.floor(this.#now / 1000)
  }

  setTimeout(callback: () => void, delayMs: number): unknown {
    this.#seq += 1
    const id = this.#seq
    this.#timers.set(id, { at: this.#now + Math.max(0, delayMs), seq: id, callback })
    this.#onTimer?.()
    return id
  }

  clearTimeout(handle: unknown): void {
    if (typeof handle === 'number') this.#timers.delete(handle)
  }

  /** Due times of pending timers, ascending, in ms since the epoch. */
  pendingDueTimes(): number[] {
    return [...this.#timers.values()].map((t) => t.at).sort((a, b) => a - b)
  }

  /** Jump the time without firing anything (a laptop that slept: timers are late). */
  jump(ms: number): void {
    this.#now += ms
  }

  /** Move time forward by `ms`, firing every timer that comes due, in order, settling between them. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms
    await settle()
    for (;;) {
      const next = this.#earliest()
      if (next === undefined || next.at > target) break
      this.#timers.delete(next.seq)
      this.#now = Math.max(this.#now, next.at)
      next.callback()
      await settle()
    }
    this.#now = target
    await settle()
  }

  /**
   * Resolve once a timer due within `withinMs` from now is pending (waits on the real event loop). The
   * default bound skips the long proactive-refresh timer when a test waits for a retry delay.
   */
  async waitForTimer(withinMs = 60_000): Promise<void> {
    const ready = (): boolean => {
      const next = this.#earliest()
      return next !== undefined && next.at - this.#now <= withinMs
    }
    if (ready()) return
    await new Promise<void>((resolve) => {
      this.#onTimer = () => {
        if (!ready()) return
        this.#onTimer = undefined
        resolve()
      }
    })
  }

  /** Wait for a timer due within `withinMs`, move time to it and fire it. Returns its delay. */
  async runNextTimer(withinMs = 60_000): Promise<number> {
    await this.waitForTimer(withinMs)
    const next = this.#earliest()
    if (next === undefined) throw new Error('no timer')
    const delay = next.at - this.#now
    await this.advance(Math.max(0, delay))
    return delay
  }

  #earliest(): Timer | undefined {
    let best: Timer | undefined
    for (const t of this.#timers.values()) {
      if (best === undefined || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t
    }
    return best
  }
}
