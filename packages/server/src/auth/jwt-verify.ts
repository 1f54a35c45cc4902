/**
 * @module JWT verification with Tinybird's payload rules: jose does the signature (algorithm pinned per key), this
 * file checks the claims and builds a {@link Principal}. Pure given keys and a {@link Clock}; no I/O, no wall clock.
 */
import { compactVerify, decodeProtectedHeader, errors } from 'jose'
import type { CryptoKey, JWK, KeyInput } from 'jose'
import { ServerError } from '../errors.js'
import { nowSeconds, type Clock } from './clock.js'
import type { Principal } from './principal.js'
import type { FixedParams, Scope } from './scopes.js'

/** Signature algorithms a {@link SigningKey} may pin. `none` is never accepted. */
export type SigningAlgorithm = 'HS256' | 'RS256' | 'ES256' | 'EdDSA'

/**
 * One key JWTs may be verified with.
 *
 * - `kid`: matched against the token header's `kid`. Keys without `kid` are the workspace admin token (Tinybird's
 *   model) and any extra kid-less keys, tried for tokens without `kid`.
 * - `alg`: the only algorithm this key verifies. A token whose header `alg` differs never reaches this key, which is
 *   what rules out algorithm confusion (an HS256 token "signed" with an RSA public key's PEM, and so on).
 * - `secret`: HS256 only; the shared secret as a string, used as its UTF-8 bytes (Tinybird: the whole admin token
 *   `p.…` value).
 * - `publicKey`: RS256 / ES256 / EdDSA only; a public `CryptoKey` or a public JWK (no `d`, not `oct`).
 * - `status`: `active` (verifies; the one to sign new tokens with), `verify-only` (verifies; kept during a rotation
 *   overlap), `revoked` (a token it verifies is answered with `ERR_AUTH_TOKEN_REVOKED`).
 */
export interface SigningKey {
  kid?: string
  alg: SigningAlgorithm
  secret?: string
  publicKey?: CryptoKey | JWK
  status: 'active' | 'verify-only' | 'revoked'
}

/** The claims a revocation check sees: the JWT's `name` and, when present, its `jti` and header `kid`. */
export interface RevocationSubject {
  name: string
  jti?: string
  kid?: string
}

/**
 * How JWTs are verified for one workspace. Every addition to Tinybird's behaviour is off by default, so a Tinybird
 * client that never asks for it sees no difference.
 */
export interface JwtPolicy {
  /** The workspace id the `workspace_id` claim must equal. */
  workspaceId: string
  /**
   * Keys tried for verification. A token with a `kid` header uses only the keys with that `kid`; a token without
   * `kid` uses every key without `kid` (the workspace admin token, Tinybird's model). When no key has a `kid` at
   * all, a token's `kid` header is ignored (Tinybird parity: PyJWT ignores it). Must not be empty.
   */
  keys: readonly SigningKey[]
  /**
   * Clock tolerance, in seconds, for `exp`, `nbf` and a future `iat`. Default 0 (Tinybird parity).
   * @see RFC 7519 §4.1.4, §4.1.5
   */
  leewaySeconds?: number
  /**
   * Longest accepted lifetime, in seconds: `exp - (iat ?? now)` above it is `ERR_AUTH_TOKEN_INVALID` with reason
   * `'ttl'`. Default none (Tinybird has no cap).
   */
  maxTtlSeconds?: number
  /** When set, the `aud` claim (string or array) must contain it. Default: `aud` is ignored, as in Tinybird. */
  audience?: string
  /** When set, the `iss` claim must equal it. Default: `iss` is ignored, as in Tinybird. */
  issuer?: string
  /** Largest accepted token, in bytes. Default 8192. Checked before any decoding. */
  maxTokenBytes?: number
  /** Returns true when the token is revoked (by `name`, `jti` or `kid`); checked after every other rule passes. */
  isRevoked?: (claims: RevocationSubject) => boolean
}

/**
 * The machine reason in `details.reason` of an `ERR_AUTH_TOKEN_INVALID` raised by the JWT verifier.
 *
 * - `size`: over `maxTokenBytes`. `malformed`: not a compact JWS, bad base64url/JSON, unsupported `crit`.
 * - `alg`: header `alg` is `none`, unsupported, or not the `alg` of any candidate key.
 * - `kid`: no key with the header's `kid` (or no kid-less key for a token without `kid`).
 * - `signature`: no candidate key verifies the signature.
 * - `claims`: a required claim is missing or has the wrong type, or a scope is not `PIPES:READ` on a resource;
 *   `details.claim` names the claim.
 * - `nbf` / `iat`: not yet valid. `workspace`: missing or foreign `workspace_id`. `ttl`: over `maxTtlSeconds`.
 * - `aud` / `iss`: required by the policy and not matched.
 */
export type JwtFailureReason =
  | 'size'
  | 'malformed'
  | 'alg'
  | 'kid'
  | 'signature'
  | 'claims'
  | 'nbf'
  | 'iat'
  | 'workspace'
  | 'ttl'
  | 'aud'
  | 'iss'

/** Default {@link JwtPolicy.maxTokenBytes}, in bytes. */
export const DEFAULT_MAX_JWT_BYTES = 8192
/** Longest accepted `name` claim, in UTF-16 code units. */
export const MAX_JWT_NAME_LENGTH = 256
/** Most `scopes` entries accepted in one JWT. */
export const MAX_JWT_SCOPES = 1000

const SUPPORTED_ALGS: ReadonlySet<string> = new Set<SigningAlgorithm>([
  'HS256',
  'RS256',
  'ES256',
  'EdDSA',
])
// The signature part may be empty so that `alg: none` tokens reach the algorithm check and are named as such.
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/
// C0 and C1 control characters, DEL, and unpaired surrogates: refused in names that reach logs and rate-limit keys.
const UNSAFE_TEXT =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

const PREFIX = 'invalid authentication token. '

/**
 * True when `segment` is the one canonical base64url spelling of its bytes (RFC 4648 §3.5): no length of 1 mod 4
 * and zero pad bits in the last character. Decoders ignore pad bits, so without this check the last character of
 * an HS256 signature has four spellings that verify alike, and an altered token would be accepted. The header and
 * payload are signed as written, so only the signature segment can be malleable.
 */
function isCanonicalBase64url(segment: string): boolean {
  return Buffer.from(segment, 'base64url').toString('base64url') === segment
}

function invalid(
  reason: JwtFailureReason,
  sentence: string,
  extra: Record<string, unknown> = {},
): ServerError {
  return new ServerError('ERR_AUTH_TOKEN_INVALID', PREFIX + sentence, {
    details: { reason, ...extra },
  })
}
function badClaim(claim: string, sentence: string): ServerError {
  return invalid('claims', sentence, { claim })
}
function notConfigured(sentence: string, kid: string | undefined): ServerError {
  return new ServerError('ERR_AUTH_NOT_CONFIGURED', sentence, {
    details: kid === undefined ? {} : { kid },
  })
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false
  const proto: unknown = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v)
}

/** The outcome of the signature stage, kept by the cache to re-check revocation on a hit. */
export interface VerifiedJwt {
  principal: Principal
  /** The policy key that verified the signature. */
  key: SigningKey
  /** The `nbf` claim in seconds, when present. */
  nbfSeconds?: number
}

/**
 * Verifies a JWT with jose and Tinybird's payload rules and returns the caller it names.
 *
 * Order: size → compact form → header (`alg`, `kid`) → candidate keys → signature (jose, `algorithms: [key.alg]`)
 * → `exp` → `nbf` → `iat` (only when the policy sets `leewaySeconds > 0` or `maxTtlSeconds`) → `workspace_id` → `name`
 * → `scopes` → `limits` → `aud` / `iss` (only when required) → max TTL → key status → `isRevoked`.
 *
 * Claims: `workspace_id` (string, equal to `policy.workspaceId`), `name` (non-empty string, at most
 * {@link MAX_JWT_NAME_LENGTH} code units, no control characters), `exp` (number, seconds; fractional accepted;
 * valid while `now < exp + leeway`), `scopes` (1 to {@link MAX_JWT_SCOPES} entries, **every** one
 * `{ type: 'PIPES:READ', resource: string, fixed_params?: object }`; `fixed_parameters` is accepted as an alias;
 * values are scalars or flat arrays of scalars), optional `limits: { rps?: number > 0 }`, optional `nbf` (valid when
 * `nbf <= now + leeway`). `jti` (string; a number is used as its decimal string) is passed to `isRevoked`.
 * Other claims are ignored.
 *
 * Shape: a frozen `{ kind: 'jwt', name, scopes, expSeconds, limits?, jti?, kid? }`.
 *
 * @param token - The JWT as sent (compact JWS, three base64url parts).
 * @param policy - Keys and rules for the workspace.
 * @param clock - Time source; `clock.nowMs()` is milliseconds, converted to seconds for the claims.
 * @throws {ServerError} `ERR_AUTH_TOKEN_EXPIRED` (403): `exp` passed (message
 *   `invalid authentication token. Signature has expired`; `details.reason` `'exp'`).
 * @throws {ServerError} `ERR_AUTH_TOKEN_INVALID` (403): any other failure; `details.reason` is a
 *   {@link JwtFailureReason}. Messages are fixed sentences and never contain the token, a key or a claim value.
 * @throws {ServerError} `ERR_AUTH_TOKEN_REVOKED` (403): the verifying key is `revoked` (`details.reason` `'key'`) or
 *   `policy.isRevoked` says so (`'revoked'`).
 * @throws {ServerError} `ERR_AUTH_NOT_CONFIGURED` (500): the policy has no keys, or a candidate key lacks its
 *   material (HS256 without `secret`, asymmetric without a public key).
 * @see tinybird-compat.md §2.1–§2.5 (Tinybird `JWTAccessToken.token_decode`, docs "JWT tokens")
 * @see RFC 7519 §4.1.4 (`exp`), §4.1.5 (`nbf`), §4.1.6 (`iat`); RFC 8725 §3.1 (algorithm pinning)
 */
export async function verifyJwt(
  token: string,
  policy: JwtPolicy,
  clock: Clock,
): Promise<Principal> {
  return (await verifyJwtDetailed(token, policy, clock)).principal
}

/**
 * {@link verifyJwt}, also returning the verifying key and `nbf`, for {@link JwtCache}. Same errors.
 *
 * @internal Exported for the cache; callers use {@link verifyJwt}.
 */
export async function verifyJwtDetailed(
  token: string,
  policy: JwtPolicy,
  clock: Clock,
): Promise<VerifiedJwt> {
  checkSize(token, policy)
  const { payloadBytes, key, kid } = await verifySignature(token, policy)
  const claims = parsePayload(payloadBytes)
  return checkClaims(claims, key, kid, policy, clock)
}

/**
 * Rejects a token over `policy.maxTokenBytes` before any decoding.
 *
 * @throws {ServerError} `ERR_AUTH_TOKEN_TOO_LARGE` (431), reason `'size'`.
 * @internal
 */
export function checkSize(token: string, policy: JwtPolicy): void {
  const max = policy.maxTokenBytes ?? DEFAULT_MAX_JWT_BYTES
  if (token.length > max || Buffer.byteLength(token, 'utf8') > max) {
    throw new ServerError(
      'ERR_AUTH_TOKEN_TOO_LARGE',
      `${PREFIX}Token too large (the limit is ${max} bytes)`,
      {
        details: { reason: 'size', maxBytes: max },
      },
    )
  }
}

async function verifySignature(
  token: string,
  policy: JwtPolicy,
): Promise<{ payloadBytes: Uint8Array; key: SigningKey; kid: string | undefined }> {
  if (!COMPACT_JWS.test(token)) throw invalid('malformed', 'Malformed token')
  let header: Record<string, unknown>
  try {
    header = decodeProtectedHeader(token)
  } catch {
    throw invalid('malformed', 'Malformed token')
  }
  const alg = header['alg']
  if (typeof alg !== 'string' || !SUPPORTED_ALGS.has(alg)) {
    throw invalid('alg', 'Algorithm not allowed')
  }
  const rawKid = header['kid']
  if (rawKid !== undefined && typeof rawKid !== 'string')
    throw invalid('kid', 'Unknown signing key')
  const kid = rawKid
  if (policy.keys.length === 0) throw notConfigured('no JWT signing key is configured', undefined)

  // With no kid configured anywhere (Tinybird's model: the admin token only), a token's kid is ignored, as PyJWT
  // ignores it; once any key has a kid, a token's kid selects exactly the keys with that kid.
  const kidsInUse = policy.keys.some((k) => k.kid !== undefined)
  const byKid = policy.keys.filter((k) => k.kid === (kidsInUse ? kid : undefined))
  if (byKid.length === 0) throw invalid('kid', 'Unknown signing key')
  const candidates = byKid.filter((k) => k.alg === alg)
  if (candidates.length === 0) throw invalid('alg', 'Algorithm not allowed')
  // Usable keys first, so a token signed by a live key is never reported as revoked because a revoked key shares
  // its kid (or lack of one).
  candidates.sort((a, b) => Number(a.status === 'revoked') - Number(b.status === 'revoked'))

  // Refused as a bad signature, like any other altered signature, so the reason does not depend on which bits of
  // the last character an alteration happened to touch.
  if (!isCanonicalBase64url(token.slice(token.lastIndexOf('.') + 1))) {
    throw invalid('signature', 'Signature verification failed')
  }
  for (const key of candidates) {
    const material = keyMaterial(key)
    try {
      const result = await compactVerify(token, material, { algorithms: [key.alg] })
      return { payloadBytes: result.payload, key, kid }
    } catch (e) {
      if (e instanceof errors.JWSSignatureVerificationFailed) continue
      if (e instanceof errors.JOSEAlgNotAllowed) throw invalid('alg', 'Algorithm not allowed')
      // The alg was checked above, so "not supported" here is an unrecognised `crit` extension (RFC 7515 §4.1.11).
      if (e instanceof errors.JOSEError) throw invalid('malformed', 'Malformed token')
      if (e instanceof TypeError) {
        // jose refuses a key whose type does not fit the algorithm: a configuration error, not the caller's.
        throw notConfigured('a JWT signing key does not fit its algorithm', key.kid)
      }
      throw e
    }
  }
  throw invalid('signature', 'Signature verification failed')
}

const encoder = new TextEncoder()

function isJwk(k: CryptoKey | JWK): k is JWK {
  return typeof (k as { kty?: unknown }).kty === 'string'
}

function keyMaterial(key: SigningKey): KeyInput {
  if (key.alg === 'HS256') {
    if (typeof key.secret !== 'string' || key.secret === '' || key.publicKey !== undefined) {
      throw notConfigured('an HS256 JWT key needs a secret and no public key', key.kid)
    }
    return encoder.encode(key.secret)
  }
  const pk = key.publicKey
  if (key.secret !== undefined || pk === undefined) {
    throw notConfigured('an asymmetric JWT key needs a public key and no secret', key.kid)
  }
  if (isJwk(pk)) {
    if (pk.kty === 'oct' || pk.d !== undefined) {
      throw notConfigured('an asymmetric JWT key must be a public JWK', key.kid)
    }
    return pk
  }
  if (pk.type !== 'public')
    throw notConfigured('an asymmetric JWT key must be a public key', key.kid)
  return pk
}

const decoder = new TextDecoder('utf-8', { fatal: true })

function parsePayload(bytes: Uint8Array): Record<string, unknown> {
  let parsed: unknown
  try {
    parsed = JSON.parse(decoder.decode(bytes))
  } catch {
    throw invalid('malformed', 'Malformed token')
  }
  if (!isPlainObject(parsed)) throw invalid('malformed', 'Malformed token')
  return parsed
}

function checkLeeway(policy: JwtPolicy): number {
  const leeway = policy.leewaySeconds ?? 0
  if (!Number.isFinite(leeway) || leeway < 0)
    throw new TypeError('JwtPolicy.leewaySeconds must be a finite number >= 0')
  return leeway
}

/**
 * Checks `exp` (and `nbf`) against the clock; shared with the cache's hit path.
 *
 * @throws {ServerError} `ERR_AUTH_TOKEN_EXPIRED` (403) when `now >= exp + leeway`.
 * @throws {ServerError} `ERR_AUTH_TOKEN_INVALID` (403), reason `'nbf'`, when `nbf > now + leeway`.
 * @internal
 */
export function checkTimes(
  expSeconds: number,
  nbfSeconds: number | undefined,
  policy: JwtPolicy,
  clock: Clock,
): void {
  const leeway = checkLeeway(policy)
  const now = nowSeconds(clock)
  if (expSeconds <= now - leeway) {
    throw new ServerError('ERR_AUTH_TOKEN_EXPIRED', `${PREFIX}Signature has expired`, {
      details: { reason: 'exp' },
    })
  }
  if (nbfSeconds !== undefined && nbfSeconds > now + leeway) {
    throw invalid('nbf', 'The token is not yet valid (nbf)')
  }
}

/**
 * Checks the verifying key's status and the policy's revocation hook; shared with the cache's hit path.
 *
 * @throws {ServerError} `ERR_AUTH_TOKEN_REVOKED` (403), reason `'key'` or `'revoked'`.
 * @internal
 */
export function checkRevocation(principal: Principal, key: SigningKey, policy: JwtPolicy): void {
  if (key.status === 'revoked') {
    throw new ServerError('ERR_AUTH_TOKEN_REVOKED', `${PREFIX}Token has been revoked`, {
      details: { reason: 'key' },
    })
  }
  if (policy.isRevoked !== undefined && principal.kind === 'jwt') {
    const subject: RevocationSubject = { name: principal.name }
    if (principal.jti !== undefined) subject.jti = principal.jti
    if (principal.kid !== undefined) subject.kid = principal.kid
    if (policy.isRevoked(subject)) {
      throw new ServerError('ERR_AUTH_TOKEN_REVOKED', `${PREFIX}Token has been revoked`, {
        details: { reason: 'revoked' },
      })
    }
  }
}

function checkClaims(
  claims: Record<string, unknown>,
  key: SigningKey,
  kid: string | undefined,
  policy: JwtPolicy,
  clock: Clock,
): VerifiedJwt {
  const leeway = checkLeeway(policy)
  const now = nowSeconds(clock)

  // exp: required, a number of seconds (RFC 7519 §4.1.4 NumericDate; fractional allowed, strings are not).
  const exp = claims['exp']
  if (exp === undefined) throw badClaim('exp', 'Token is missing the "exp" claim')
  if (!isFiniteNumber(exp)) throw badClaim('exp', 'Expiration Time claim (exp) must be a number')
  const nbf = claims['nbf']
  if (nbf !== undefined && !isFiniteNumber(nbf))
    throw badClaim('nbf', 'Not Before claim (nbf) must be a number')
  checkTimes(exp, nbf, policy, clock)

  // iat: ignored (Tinybird sets verify_iat False) unless the policy opted into a leeway > 0 or a max TTL.
  const checkIat = leeway > 0 || policy.maxTtlSeconds !== undefined
  const iatRaw = claims['iat']
  let iat: number | undefined
  if (checkIat && iatRaw !== undefined) {
    if (!isFiniteNumber(iatRaw)) throw badClaim('iat', 'Issued At claim (iat) must be a number')
    if (iatRaw > now + leeway) throw invalid('iat', 'The token is not yet valid (iat)')
    iat = iatRaw
  }

  const workspaceId = claims['workspace_id']
  if (typeof workspaceId !== 'string' || workspaceId === '') {
    throw invalid('workspace', 'Workspace ID missing in JWT token')
  }
  if (workspaceId !== policy.workspaceId) throw invalid('workspace', 'Workspace not found')

  const name = claims['name']
  if (typeof name !== 'string') throw badClaim('name', 'Token is missing the "name" claim')
  if (name === '' || name.length > MAX_JWT_NAME_LENGTH || UNSAFE_TEXT.test(name)) {
    throw badClaim('name', 'Invalid "name" claim')
  }

  const scopes = parseJwtScopes(claims['scopes'])
  const limits = parseLimits(claims['limits'])

  if (policy.audience !== undefined) {
    const aud = claims['aud']
    const ok = aud === policy.audience || (Array.isArray(aud) && aud.includes(policy.audience))
    if (!ok) throw invalid('aud', 'Invalid audience')
  }
  if (policy.issuer !== undefined && claims['iss'] !== policy.issuer)
    throw invalid('iss', 'Invalid issuer')

  if (policy.maxTtlSeconds !== undefined) {
    const from = iat ?? now
    if (exp - from > policy.maxTtlSeconds)
      throw invalid('ttl', 'Token lifetime exceeds the allowed maximum')
  }

  const jtiRaw = claims['jti']
  const jti =
    typeof jtiRaw === 'string' ? jtiRaw : isFiniteNumber(jtiRaw) ? String(jtiRaw) : undefined

  const principal: Extract<Principal, { kind: 'jwt' }> = {
    kind: 'jwt',
    name,
    scopes,
    expSeconds: exp,
  }
  if (limits !== undefined) principal.limits = Object.freeze(limits)
  if (jti !== undefined) principal.jti = jti
  if (kid !== undefined) principal.kid = kid
  Object.freeze(principal)

  checkRevocation(principal, key, policy)
  const out: VerifiedJwt = { principal, key }
  if (nbf !== undefined) out.nbfSeconds = nbf
  return out
}

function parseJwtScopes(raw: unknown): readonly Scope[] {
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > MAX_JWT_SCOPES) {
    throw badClaim('scopes', 'The "scopes" claim must be a non-empty array')
  }
  const out: Scope[] = []
  for (const item of raw as unknown[]) {
    if (!isPlainObject(item)) throw badClaim('scopes', 'Invalid scope in JWT')
    if (item['type'] !== 'PIPES:READ')
      throw badClaim('scopes', 'Only PIPES:READ scopes are allowed in JWT tokens')
    const resource = item['resource']
    if (
      typeof resource !== 'string' ||
      resource === '' ||
      resource.includes(':') ||
      UNSAFE_TEXT.test(resource)
    ) {
      throw badClaim('scopes', 'Invalid scope resource in JWT')
    }
    const fp = item['fixed_params']
    const alias = item['fixed_parameters']
    if (fp !== undefined && alias !== undefined)
      throw badClaim('scopes', 'Invalid fixed params in JWT')
    const fixedRaw = fp !== undefined ? fp : alias
    const scope: Scope = { type: 'PIPES:READ', resource }
    if (fixedRaw !== undefined) scope.fixedParams = parseFixedParams(fixedRaw)
    out.push(Object.freeze(scope))
  }
  return Object.freeze(out)
}

function isParamScalar(v: unknown): v is string | number | boolean {
  return typeof v === 'string' || typeof v === 'boolean' || isFiniteNumber(v)
}

/**
 * Validates a JWT scope's `fixed_params` object. Values must be scalars or flat arrays of scalars; `null`, nested
 * objects and nested arrays make the token invalid (they cannot be a pipe parameter). Empty strings and arrays pass
 * here and are refused by `applyFixedParams` for the pipe that would use them.
 */
function parseFixedParams(raw: unknown): FixedParams {
  if (!isPlainObject(raw)) throw badClaim('scopes', 'Invalid fixed params in JWT')
  const entries: [string, string | number | boolean | readonly (string | number | boolean)[]][] = []
  for (const [k, v] of Object.entries(raw)) {
    if (k === '' || UNSAFE_TEXT.test(k)) throw badClaim('scopes', 'Invalid fixed params in JWT')
    if (isParamScalar(v)) {
      entries.push([k, v])
    } else if (Array.isArray(v) && (v as unknown[]).every(isParamScalar)) {
      entries.push([k, Object.freeze([...(v as (string | number | boolean)[])])])
    } else {
      throw badClaim('scopes', 'Invalid fixed params in JWT')
    }
  }
  // fromEntries defines own data properties: a "__proto__" key stays a plain key.
  return Object.freeze(Object.fromEntries(entries))
}

function parseLimits(raw: unknown): { rps: number } | undefined {
  if (raw === undefined) return undefined
  if (!isPlainObject(raw)) throw badClaim('limits', 'Invalid "limits" claim')
  const rps = raw['rps']
  if (rps === undefined) return undefined
  if (!isFiniteNumber(rps) || rps <= 0) throw badClaim('limits', 'Invalid "limits" claim')
  return { rps }
}
