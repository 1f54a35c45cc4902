/**
 * @module Time seam: the client reads time and schedules timers only through {@link Clock}, so tests drive
 * it with a fake clock instead of freezing global time. Imports nothing.
 */

/**
 * The clock the client uses for token expiry, the proactive refresh timer and retry waits.
 *
 * @example
 * ```ts
 * const clock: Clock = {
 *   nowMs: () => Date.now(),
 *   setTimeout: (fn, ms) => setTimeout(fn, ms),
 *   clearTimeout: (handle) => { clearTimeout(handle as number) },
 * }
 * ```
 */
export interface Clock {
  /** Current time in milliseconds since the Unix epoch. */
  nowMs(): number
  /** Run `callback` once after `delayMs` milliseconds; returns a handle for {@link Clock.clearTimeout}. */
  setTimeout(callback: () => void, delayMs: number): unknown
  /** Cancel a timer; a handle that already fired or was cleared is ignored. */
  clearTimeout(handle: unknown): void
}

interface Unrefable {
  unref?: () => void
}

/**
 * The real clock: `Date.now()` and the global timers. Timers are `unref`'d where the runtime supports it
 * (Node), so a pending proactive refresh never keeps a script alive.
 *
 * @example
 * ```ts
 * createClient({ host, token, clock: systemClock }) // the default
 * ```
 */
export const systemClock: Clock = {
  nowMs: () => Date.now(),
  setTimeout: (callback, delayMs) => {
    const handle: unknown = globalThis.setTimeout(callback, delayMs)
    if (typeof handle === 'object' && handle !== null) (handle as Unrefable).unref?.()
    return handle
  },
  clearTimeout: (handle) => {
    globalThis.clearTimeout(handle as number | undefined)
  },
}

/**
 * Wait `delayMs` on `clock`, or reject with the signal's reason as soon as `signal` aborts.
 *
 * @param clock - The clock to wait on.
 * @param delayMs - Milliseconds; 0 or less still yields once through the clock.
 * @param signal - Optional abort signal.
 * @returns A promise that resolves after the delay.
 * @example
 * ```ts
 * await sleep(systemClock, 250, controller.signal)
 * ```
 */
export function sleep(clock: Clock, delayMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(abortReason(signal))
      return
    }
    const onAbort = (): void => {
      clock.clearTimeout(handle)
      reject(abortReason(signal))
    }
    const handle = clock.setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      },
      Math.max(0, delayMs),
    )
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * Race a promise against an abort signal: rejects with the signal's reason when it aborts first. The
 * underlying promise keeps running (it may be shared, e.g. a token refresh other requests wait on).
 *
 * @param promise - The work to wait for.
 * @param signal - Optional abort signal.
 * @returns The promise's value.
 * @example
 * ```ts
 * const token = await abortable(refreshing, signal)
 * ```
 */
export function abortable<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (signal === undefined) return promise
  if (signal.aborted) return Promise.reject(abortReason(signal))
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      reject(abortReason(signal))
    }
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error instanceof Error ? error : new Error(String(error)))
      },
    )
  })
}

/**
 * The error an aborted signal stands for: its `reason`, or a `DOMException` named `AbortError`.
 *
 * @param signal - An aborted signal (or undefined).
 * @returns The error to reject with.
 * @example
 * ```ts
 * if (signal.aborted) throw abortReason(signal)
 * ```
 */
export function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason
  if (reason instanceof Error) return reason
  return new DOMException('This operation was aborted', 'AbortError')
}
