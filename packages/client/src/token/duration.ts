/**
 * @module Token lifetimes: `expiresIn` as seconds or a short duration string (`'30s' | '10m' | '1h' | '1d'`),
 * as Portive's `createAuthToken` takes it. Imports only `../errors.js`.
 */
import { DunlinClientError } from '../errors.js'

/**
 * A token lifetime: seconds as a number, or a string `<n>s`, `<n>m` (minutes), `<n>h` or `<n>d` with a
 * positive integer `n`.
 *
 * @example
 * ```ts
 * const ttl: ExpiresIn = '10m' // or 600
 * ```
 */
export type ExpiresIn = number | `${number}${'s' | 'm' | 'h' | 'd'}`

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const

/**
 * Convert an {@link ExpiresIn} to seconds.
 *
 * @param expiresIn - Seconds (finite, > 0) or `'<n>s' | '<n>m' | '<n>h' | '<n>d'`.
 * @returns The lifetime in seconds, > 0.
 * @throws {DunlinClientError} `ERR_JWT_EXPIRY`: missing, not positive, or not in one of the forms above.
 * @example
 * ```ts
 * parseExpiresIn('10m') // → 600
 * parseExpiresIn(30) // → 30
 * ```
 */
export function parseExpiresIn(expiresIn: ExpiresIn | undefined): number {
  if (typeof expiresIn === 'number') {
    if (Number.isFinite(expiresIn) && expiresIn > 0) return expiresIn
    throw new DunlinClientError('ERR_JWT_EXPIRY', 'expiresIn must be a positive number of seconds')
  }
  if (typeof expiresIn === 'string') {
    const match = /^(\d+)(s|m|h|d)$/.exec(expiresIn.trim())
    if (match !== null) {
      const amount = Number(match[1])
      const unit = match[2] as keyof typeof UNIT_SECONDS
      if (amount > 0) return amount * UNIT_SECONDS[unit]
    }
    throw new DunlinClientError(
      'ERR_JWT_EXPIRY',
      "expiresIn must be a positive duration such as '30s', '10m', '1h' or '1d'",
    )
  }
  throw new DunlinClientError(
    'ERR_JWT_EXPIRY',
    'expiresIn is required: a token without exp never expires',
  )
}
