/**
 * @module Static tokens: `p.` + 32 random bytes, stored only as a SHA-256 hash, verified by hash lookup plus a
 * constant-time compare. Uses `node:crypto` only; no I/O (the caller passes a lookup over its store).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { ServerError } from '../errors.js'
import type { Principal } from './principal.js'
import type { Scope } from './scopes.js'

/** Longest static token accepted for hashing, in bytes (UTF-8). Longer input is rejected before any work. */
export const MAX_STATIC_TOKEN_BYTES = 8192

/**
 * Mints a new static token.
 *
 * Shape: `'p.' + base64url(32 random bytes)`, 45 ASCII characters. The `p.` prefix is what Tinybird's SDKs, CLI and
 * users' `.env` files expect; the rest is opaque (Dunlin does not use Tinybird's signed-payload format, which
 * clients never parse). Show it once; persist only {@link hashToken} of it.
 *
 * @see tinybird-compat.md §1.2
 */
export function generateStaticToken(): string {
  return `p.${randomBytes(32).toString('base64url')}`
}

/**
 * Hashes a token for storage and lookup.
 *
 * Shape: lowercase hex SHA-256 of the token's UTF-8 bytes, 64 characters. A fast unsalted hash is right here: the
 * input carries 256 bits of entropy, so it cannot be brute-forced, and lookup must be by exact hash.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

/**
 * One stored static token, as the catalog keeps it.
 *
 * - `id`: the token's stable id (Token API `id`).
 * - `name`: its display name (Token API `name`, `pipe_stats_rt.token_name`).
 * - `hash`: {@link hashToken} of the token, 64 lowercase hex characters.
 * - `scopes`: its scopes, already parsed.
 */
export interface StaticTokenRecord {
  id: string
  name: string
  hash: string
  scopes: readonly Scope[]
}

const HEX_SHA256 = /^[0-9a-f]{64}$/

/**
 * Verifies a static token: hashes it, asks the caller's store for the record with that hash, and confirms the match
 * with a constant-time compare of the two digests.
 *
 * Shape: `{ kind: 'static', tokenId, name, scopes }`. Revocation and refresh work by removing the record, as in
 * Tinybird (a token no longer in the workspace's list is invalid).
 *
 * @param token - The token as sent; must start with `p.`.
 * @param lookupByHash - Returns the record whose `hash` equals the argument, or `undefined`.
 * @throws {ServerError} `ERR_AUTH_TOKEN_TOO_LARGE` (431): longer than {@link MAX_STATIC_TOKEN_BYTES}.
 * @throws {ServerError} `ERR_AUTH_TOKEN_INVALID` (403): not `p.`-prefixed (`details.reason` `'malformed'`) or
 *   unknown (`'unknown'`).
 * @see tinybird-compat.md §1.2, §1.4 ("Static token … no longer in the workspace")
 */
export function verifyStaticToken(
  token: string,
  lookupByHash: (hash: string) => StaticTokenRecord | undefined,
): Principal {
  if (
    token.length > MAX_STATIC_TOKEN_BYTES ||
    Buffer.byteLength(token, 'utf8') > MAX_STATIC_TOKEN_BYTES
  ) {
    throw new ServerError(
      'ERR_AUTH_TOKEN_TOO_LARGE',
      `invalid authentication token. Token too large (the limit is ${MAX_STATIC_TOKEN_BYTES} bytes)`,
      { details: { reason: 'size', maxBytes: MAX_STATIC_TOKEN_BYTES } },
    )
  }
  if (!token.startsWith('p.') || token.length <= 2) {
    throw invalidStatic('malformed', 'Invalid token format')
  }
  const hash = hashToken(token)
  const record = lookupByHash(hash)
  if (record === undefined || !HEX_SHA256.test(record.hash)) {
    throw invalidStatic('unknown', 'Token not found')
  }
  if (!timingSafeEqual(Buffer.from(record.hash, 'hex'), Buffer.from(hash, 'hex'))) {
    throw invalidStatic('unknown', 'Token not found')
  }
  return Object.freeze({
    kind: 'static',
    tokenId: record.id,
    name: record.name,
    scopes: Object.freeze([...record.scopes]),
  })
}

function invalidStatic(reason: string, sentence: string): ServerError {
  return new ServerError('ERR_AUTH_TOKEN_INVALID', `invalid authentication token. ${sentence}`, {
    details: { reason },
  })
}
