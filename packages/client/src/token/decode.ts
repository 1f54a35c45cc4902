/**
 * @module Read a JWT's claims without verifying it (the browser never holds the key): `exp` for scheduling a
 * refresh, and the identity claims for deciding whether a token another tab shared is ours to adopt. Imports
 * nothing; Web APIs only (`atob`, `TextDecoder`).
 */

/**
 * The decoded claims of a JWT payload, unverified.
 *
 * @example
 * ```ts
 * const claims: UnverifiedClaims | undefined = decodeClaims(token)
 * ```
 */
export type UnverifiedClaims = Readonly<Record<string, unknown>>

function base64UrlDecode(part: string): string | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(part)) return undefined
  const base64 = part.replace(/-/g, '+').replace(/_/g, '/')
  const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4)
  try {
    const binary = atob(padded)
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0))
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    return undefined
  }
}

/**
 * Decode a JWT's payload without verifying the signature.
 *
 * @param token - A compact JWS (`header.payload.signature`).
 * @returns The payload object, or `undefined` when the token is not a JWT or its payload is not a JSON object.
 * @example
 * ```ts
 * decodeClaims(token)?.['workspace_id'] // → 'b2f4…'
 * ```
 */
export function decodeClaims(token: string): UnverifiedClaims | undefined {
  const parts = token.split('.')
  if (parts.length !== 3) return undefined
  const json = base64UrlDecode(parts[1] ?? '')
  if (json === undefined) return undefined
  try {
    const payload: unknown = JSON.parse(json)
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined
    return payload as UnverifiedClaims
  } catch {
    return undefined
  }
}

/**
 * Read a JWT's `exp` claim without verifying it: the moment the server will stop accepting the token.
 *
 * @param token - A compact JWT, e.g. from {@link createJWT}.
 * @returns `exp` in seconds since the Unix epoch, or `undefined` when the token is not a JWT, is malformed, or
 *   has no numeric `exp` (Tinybird static tokens have none).
 * @see RFC 7519 §4.1.4
 * @example
 * ```ts
 * import { decodeExpiry } from '@dunlin/client'
 *
 * const exp = decodeExpiry(token) // → 1767225600
 * const secondsLeft = exp === undefined ? Infinity : exp - Date.now() / 1000
 * ```
 */
export function decodeExpiry(token: string): number | undefined {
  const exp = decodeClaims(token)?.['exp']
  return typeof exp === 'number' && Number.isFinite(exp) ? exp : undefined
}

const TIME_CLAIMS = new Set(['exp', 'iat', 'nbf', 'jti'])

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>
    const keys = Object.keys(record).sort()
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(record[k])}`).join(',')}}`
  }
  return JSON.stringify(value)
}

/**
 * A canonical string of everything a JWT grants (workspace, name, scopes, fixed params, limits): its claims
 * minus `exp`, `iat`, `nbf` and `jti`, with keys sorted. Two tokens with the same identity grant the same
 * access, so a tab may adopt the other's fresher token; a tab never adopts a token for another tenant.
 *
 * @param token - A compact JWT.
 * @returns The identity string, or `undefined` for a token that does not decode (never shared).
 * @example
 * ```ts
 * tokenIdentity(a) === tokenIdentity(b) // same grants, possibly different expiry
 * ```
 */
export function tokenIdentity(token: string): string | undefined {
  const claims = decodeClaims(token)
  if (claims === undefined) return undefined
  const kept: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(claims)) {
    if (!TIME_CLAIMS.has(key)) kept[key] = value
  }
  return canonical(kept)
}
