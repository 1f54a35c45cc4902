/**
 * @module A bounded cache of verified JWTs, so a browser polling an endpoint does not pay a signature check per
 * request. Hits still re-check expiry, the key and revocation. Pure given a {@link Clock}; `node:crypto` for hashing.
 */
import { createHash } from 'node:crypto'
import type { Clock } from './clock.js'
import {
  checkRevocation,
  checkSize,
  checkTimes,
  verifyJwtDetailed,
  type JwtPolicy,
  type SigningKey,
} from './jwt-verify.js'
import type { Principal } from './principal.js'

interface Entry {
  principal: Extract<Principal, { kind: 'jwt' }>
  key: SigningKey
  nbfSeconds: number | undefined
  workspaceId: string
  settings: string
}

const stores = new WeakMap<JwtCache, Map<string, Entry>>()

function storeOf(cache: JwtCache): Map<string, Entry> {
  const store = stores.get(cache)
  if (store === undefined) throw new TypeError('JwtCache: not constructed')
  return store
}

/** The policy settings a cached verdict depends on, besides keys (checked by identity) and time (re-checked). */
function settingsOf(policy: JwtPolicy): string {
  return JSON.stringify([
    policy.leewaySeconds ?? null,
    policy.maxTtlSeconds ?? null,
    policy.audience ?? null,
    policy.issuer ?? null,
    policy.maxTokenBytes ?? null,
  ])
}

const JWK_PUBLIC_MEMBERS = ['kty', 'crv', 'x', 'y', 'n', 'e'] as const

function samePublicKey(a: SigningKey['publicKey'], b: SigningKey['publicKey']): boolean {
  if (a === b) return true
  if (a === undefined || b === undefined || !('kty' in a) || !('kty' in b)) return false
  return JWK_PUBLIC_MEMBERS.every((m) => a[m] === b[m])
}

/**
 * True when two keys verify the same signatures: same `kid`, `alg` and material (the same secret string; the same
 * `CryptoKey` object or a JWK with the same public members). `status` is not compared: it is read from the policy.
 * Servers may build their `JwtPolicy` per request, so identity of the key objects cannot be required.
 */
function sameKey(a: SigningKey, b: SigningKey): boolean {
  return (
    a.kid === b.kid &&
    a.alg === b.alg &&
    a.secret === b.secret &&
    samePublicKey(a.publicKey, b.publicKey)
  )
}

/**
 * A least-recently-used cache of verified JWT principals, keyed by the SHA-256 of the token string (so the cache
 * holds no bearer tokens and lookups leak nothing about them through timing). Only successful verifications are
 * stored; an entry lives until its `exp` passes or it is evicted.
 *
 * @see {@link verifyJwtCached}
 */
export class JwtCache {
  /** Most entries kept; the least recently used is evicted past it. 0 disables caching. */
  readonly maxEntries: number

  /**
   * @param opts.maxEntries - Most entries kept, a non-negative integer (e.g. 10_000).
   * @throws {TypeError} `maxEntries` is not a non-negative integer.
   */
  constructor(opts: { maxEntries: number }) {
    if (!Number.isInteger(opts.maxEntries) || opts.maxEntries < 0) {
      throw new TypeError('JwtCache: maxEntries must be a non-negative integer')
    }
    this.maxEntries = opts.maxEntries
    stores.set(this, new Map())
  }

  /** Number of cached entries (expired ones included until they are next looked up or evicted). */
  get size(): number {
    return storeOf(this).size
  }

  /** Drops every entry, e.g. after a key rotation or a revocation-list change. */
  clear(): void {
    storeOf(this).clear()
  }
}

/**
 * {@link verifyJwt} with a cache in front.
 *
 * A hit is used only when the policy has the same `workspaceId` and settings (leeway, max TTL, audience, issuer, max
 * size) as when it was cached and still lists a key with the same `kid`, `alg` and material as the one that verified
 * it (the policy may be rebuilt per request); otherwise the token is verified afresh, so rotating or refreshing the
 * admin token takes effect at once. On every hit `exp`/`nbf` are re-checked against `clock`, the `status` of the
 * policy's key is re-read and `policy.isRevoked` is asked again, so expiry and revocation take effect immediately.
 *
 * Shape and errors: as {@link verifyJwt}.
 *
 * @throws {ServerError} `ERR_AUTH_TOKEN_EXPIRED` (403), `ERR_AUTH_TOKEN_INVALID` (403), `ERR_AUTH_TOKEN_REVOKED`
 *   (403), `ERR_AUTH_NOT_CONFIGURED` (500): see {@link verifyJwt}.
 * @see RFC 7519 §4.1.4
 */
export async function verifyJwtCached(
  token: string,
  policy: JwtPolicy,
  clock: Clock,
  cache: JwtCache,
): Promise<Principal> {
  checkSize(token, policy)
  const store = storeOf(cache)
  const id = createHash('sha256').update(token, 'utf8').digest('base64url')
  const settings = settingsOf(policy)
  const hit = store.get(id)
  if (hit !== undefined) {
    const current =
      hit.workspaceId === policy.workspaceId && hit.settings === settings
        ? policy.keys.find((k) => sameKey(k, hit.key))
        : undefined
    if (current !== undefined) {
      try {
        checkTimes(hit.principal.expSeconds, hit.nbfSeconds, policy, clock)
      } catch (e) {
        store.delete(id)
        throw e
      }
      checkRevocation(hit.principal, current, policy)
      store.delete(id)
      store.set(id, hit)
      return hit.principal
    }
    store.delete(id)
  }

  const verified = await verifyJwtDetailed(token, policy, clock)
  const principal = verified.principal
  if (cache.maxEntries > 0 && principal.kind === 'jwt') {
    while (store.size >= cache.maxEntries) {
      const oldest = store.keys().next()
      if (oldest.done === true) break
      store.delete(oldest.value)
    }
    store.set(id, {
      principal,
      key: verified.key,
      nbfSeconds: verified.nbfSeconds,
      workspaceId: policy.workspaceId,
      settings,
    })
  }
  return principal
}
