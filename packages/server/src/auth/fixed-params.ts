/**
 * @module Fixed params: the token's pinned pipe parameters merged over the caller's, Tinybird's `{**query, **fixed}`,
 * refusing empty pins. Pure; imports only `../errors.js`.
 */
import { ServerError } from '../errors.js'
import type { FixedParams } from './scopes.js'

function isScalar(v: unknown): v is string | number | boolean {
  return (
    typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))
  )
}

/**
 * True when `v` is a usable fixed-param value: a non-empty string, a finite number, a boolean, or a non-empty array
 * of those where no string element is empty.
 */
export function isUsableFixedValue(v: unknown): boolean {
  if (Array.isArray(v)) {
    return v.length > 0 && v.every((e: unknown) => isScalar(e) && e !== '')
  }
  return isScalar(v) && v !== ''
}

/**
 * Merges a token's fixed params over the request's parameters: fixed params **win** (`{ ...params, ...fixed }`), so a
 * caller can neither change nor remove them. Names are case-sensitive: a caller's `ORG_ID` does not touch a fixed
 * `org_id` (both are kept; the pipe template only reads the one it names).
 *
 * Shape: a new object of the same type as `params`; neither argument is modified.
 *
 * A fixed param whose value is `null`/`undefined`, `''`, an empty array, an array holding an empty string or a
 * non-scalar, or any other non-scalar is refused instead of being passed on: a template would treat it as
 * "not defined" and could drop the tenant filter, so tenant isolation must fail loudly, not silently.
 *
 * @param params - The caller's parameters (query string, plus JSON body for POST), already decoded.
 * @param fixed - The pipe's fixed params from {@link pipeAccess} (JWT `scopes[].fixed_params`, static dict scope).
 * @throws {ServerError} `ERR_AUTH_FIXED_PARAM` (403): a fixed param is empty or unusable; `details` = `{ param }`
 *   (the name only, never the value).
 * @see tinybird-compat.md §2.3 (Tinybird `APIPipeDataHandler.run_request`: `variables = {**variables, **fixed}`)
 * @example
 * ```ts
 * applyFixedParams({ org_id: 'evil', limit: '5' }, { org_id: 'acme' }) // → { org_id: 'acme', limit: '5' }
 * ```
 */
export function applyFixedParams<T extends Record<string, unknown>>(
  params: T,
  fixed: FixedParams,
): T {
  for (const name of Object.keys(fixed)) {
    if (!isUsableFixedValue(fixed[name])) {
      throw new ServerError(
        'ERR_AUTH_FIXED_PARAM',
        'a parameter fixed by the token is empty or invalid',
        {
          details: { param: name },
        },
      )
    }
  }
  // Spread defines own data properties, so a `__proto__` key on either side stays an ordinary key.
  return { ...params, ...fixed }
}
