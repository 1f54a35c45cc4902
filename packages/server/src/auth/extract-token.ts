/**
 * @module Where a request's token comes from: `?token=` first, then `Authorization: Bearer <t>`, with Tinybird's
 * exact header rule. Pure; imports nothing.
 */

/**
 * Picks the request's token the way Tinybird does.
 *
 * 1. The `token` query argument wins when present and non-empty.
 * 2. Otherwise the `Authorization` header counts **only** when splitting it on single spaces gives exactly two parts
 *    and the first is exactly `Bearer` (case-sensitive). `bearer x`, `Bearer  x` (two spaces), `Token x` and
 *    `Bearer x y` are all "no token".
 *
 * Shape: the token string as sent (not trimmed, not decoded further), or `undefined` when there is none.
 * An empty `?token=` is treated as absent and the header is consulted (inferred from Tinybird's truthiness test).
 *
 * @param query - The request's parsed query arguments (and form-encoded body arguments, which Tornado merges).
 * @param authorizationHeader - The raw `Authorization` header value, if any.
 * @see tinybird-compat.md §1.1 (Tinybird `__get_token_from_params_or_header`)
 * @example
 * ```ts
 * extractToken({ token: 'p.abc' }, 'Bearer xyz') // → 'p.abc'
 * extractToken({}, 'Bearer xyz')                 // → 'xyz'
 * extractToken({}, 'bearer xyz')                 // → undefined
 * ```
 */
export function extractToken(
  query: { token?: string | undefined },
  authorizationHeader: string | undefined,
): string | undefined {
  const fromQuery = query.token
  if (typeof fromQuery === 'string' && fromQuery !== '') return fromQuery
  if (authorizationHeader === undefined) return undefined
  const parts = authorizationHeader.split(' ')
  if (parts.length !== 2 || parts[0] !== 'Bearer') return undefined
  const token = parts[1]
  return token === undefined || token === '' ? undefined : token
}

/**
 * True when a token must be verified as a JWT: anything **not** starting with `p.` (Tinybird's `is_jwt_token`).
 * Static tokens always start with `p.`.
 *
 * @see tinybird-compat.md §1.2 (Tinybird `tokens.py is_jwt_token`)
 */
export function isJwtShaped(token: string): boolean {
  return !token.startsWith('p.')
}
