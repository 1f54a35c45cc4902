/**
 * @module The time seam of `auth/`: every time-dependent check reads an injected {@link Clock}. Imports nothing;
 * {@link systemClock} is the one place in `auth/` that reads the wall clock.
 */

/** A source of the current time. Tests pass a fake; the server passes {@link systemClock}. */
export interface Clock {
  /** The current time, in milliseconds since the Unix epoch (UTC). May be fractional. */
  nowMs(): number
}

/**
 * The wall clock (`Date.now()`), in milliseconds since the Unix epoch. The only reader of real time in `auth/`;
 * every function that needs time takes a {@link Clock} instead of calling this directly.
 */
export const systemClock: Clock = Object.freeze({ nowMs: (): number => Date.now() })

/** The clock's time in seconds since the epoch (fractional), the unit of JWT `exp`/`nbf`/`iat` (RFC 7519 §2). */
export function nowSeconds(clock: Clock): number {
  return clock.nowMs() / 1000
}
