/**
 * @module Server side: sign a Tinybird-compatible JWT (`workspace_id`, `name`, `exp`, `scopes`, `limits`) with
 * `jose`. Runs in Node, edge runtimes and the browser (Web Crypto). Imports `jose`, `../errors.js`,
 * `../clock.js` and `./duration.js`; never `node:*`.
 */
import { SignJWT } from 'jose'
import type { CryptoKey, JWK, KeyObject } from 'jose'
import type { Clock } from '../clock.js'
import { DunlinClientError } from '../errors.js'
import { parseExpiresIn } from './duration.js'
import type { ExpiresIn } from './duration.js'

/**
 * A fixed parameter value: pinned into every query the token makes on that pipe.
 *
 * @example
 * ```ts
 * const tenant: FixedParamValue = 'acme'
 * ```
 */
export type FixedParamValue = string | number | boolean | readonly (string | number | boolean)[]

/**
 * Read one pipe endpoint. `fixedParams` pin template parameters (row-level security, multi-tenancy): the
 * server merges them over whatever the caller sends, so the caller cannot change or remove them.
 *
 * @see Tinybird docs, "JWTs" (`fixed_params`)
 *
 * @example
 * ```ts
 * const scope: PipesReadScope = { type: 'PIPES:READ', resource: 'top_airlines', fixedParams: { tenant_id: 'acme' } }
 * ```
 */
export interface PipesReadScope {
  readonly type: 'PIPES:READ'
  /** Pipe name or id, e.g. `'top_airlines'`. */
  readonly resource: string
  /** Parameter → value, serialized as `fixed_params`. Values may not be null or empty. */
  readonly fixedParams?: Readonly<Record<string, FixedParamValue>>
}

/**
 * Read one data source (Dunlin; Tinybird only honours `PIPES:READ` in JWTs). `filter` is a SQL condition the
 * server applies to every read, e.g. `"tenant_id = 'acme'"`.
 *
 * @example
 * ```ts
 * const scope: DatasourcesReadScope = { type: 'DATASOURCES:READ', resource: 'events', filter: "tenant_id = 'acme'" }
 * ```
 */
export interface DatasourcesReadScope {
  readonly type: 'DATASOURCES:READ'
  /** Data source name, e.g. `'events'`. */
  readonly resource: string
  /** SQL boolean expression over the data source's columns. Not empty when given. */
  readonly filter?: string
}

/**
 * One scope of a JWT.
 *
 * @example
 * ```ts
 * const scopes: JWTScope[] = [{ type: 'PIPES:READ', resource: 'top_airlines' }]
 * ```
 */
export type JWTScope = PipesReadScope | DatasourcesReadScope

/**
 * Per-token limits.
 *
 * @example
 * ```ts
 * await createJWT(key, { ...claims, limits: { rps: 10 } })
 * ```
 */
export interface JWTLimits {
  /** Requests per second this token (strictly: every token with this `name`) may make per pipe. */
  readonly rps?: number
}

/**
 * A signing key: the workspace admin token as a string (HS256, Tinybird's model), raw secret bytes, or any key
 * `jose` accepts (`CryptoKey`, Node `KeyObject`, JWK) together with `alg`.
 *
 * @example
 * ```ts
 * await createJWT(process.env.TINYBIRD_SIGNING_TOKEN!, claims) // HS256
 * await createJWT(privateKey, { ...claims, alg: 'ES256' })
 * ```
 */
export type SigningKey = string | Uint8Array | CryptoKey | KeyObject | JWK

/**
 * Options of {@link createJWT}.
 *
 * @example
 * ```ts
 * const options: CreateJWTOptions = { workspaceId, name: 'app', expiresIn: '10m', scopes: [{ type: 'PIPES:READ', resource: 'p' }] }
 * ```
 */
export interface CreateJWTOptions {
  /** Workspace id (UUID), the `workspace_id` claim. Not empty. */
  readonly workspaceId: string
  /** Token name, the `name` claim: shown in `pipe_stats_rt.token_name` and the rate-limit bucket key. */
  readonly name: string
  /** Lifetime: seconds, or `'30s' | '10m' | '1h' | '1d'`. Required: a token without `exp` is refused. */
  readonly expiresIn: ExpiresIn
  /** What the token may read. At least one. */
  readonly scopes: readonly JWTScope[]
  /** Optional limits, serialized as `limits`. */
  readonly limits?: JWTLimits
  /** Key id, put in the protected header as `kid` (for key rotation). */
  readonly kid?: string
  /** JWS algorithm. Default `'HS256'`. Use e.g. `'RS256'` or `'EdDSA'` with an asymmetric key. */
  readonly alg?: string
  /** Time source for `exp`. Default {@link systemClock}. */
  readonly clock?: Pick<Clock, 'nowMs'>
}

/**
 * The JWT payload on the wire, in Tinybird's names.
 *
 * @example
 * ```ts
 * const payload: JWTPayloadWire = buildJWTPayload(options, Date.now())
 * ```
 */
export interface JWTPayloadWire {
  workspace_id: string
  name: string
  /** Seconds since the Unix epoch. */
  exp: number
  scopes: (
    | { type: 'PIPES:READ'; resource: string; fixed_params?: Record<string, FixedParamValue> }
    | { type: 'DATASOURCES:READ'; resource: string; filter?: string }
  )[]
  limits?: { rps: number }
}

function isEmptyValue(value: unknown): boolean {
  if (value === null || value === undefined || value === '') return true
  if (typeof value === 'number') return !Number.isFinite(value)
  if (Array.isArray(value)) return value.length === 0 || value.some(isEmptyValue)
  return false
}

function requireText(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new DunlinClientError('ERR_JWT_CLAIM', `${what} must be a non-empty string`)
  }
  return value
}

function scopeToWire(scope: JWTScope): JWTPayloadWire['scopes'][number] {
  const kind: unknown = scope.type
  const resource: unknown = scope.resource
  if (typeof resource !== 'string' || resource.trim() === '') {
    throw new DunlinClientError('ERR_JWT_SCOPES', 'every scope needs a non-empty resource')
  }
  if (kind === 'PIPES:READ') {
    const pipes = scope as PipesReadScope
    if (pipes.fixedParams === undefined) return { type: 'PIPES:READ', resource }
    const fixed: unknown = pipes.fixedParams
    if (typeof fixed !== 'object' || fixed === null || Object.keys(fixed).length === 0) {
      throw new DunlinClientError(
        'ERR_JWT_FIXED_PARAM',
        'fixedParams must be a non-empty object; leave it out for no fixed params',
      )
    }
    const out: Record<string, FixedParamValue> = {}
    for (const [param, value] of Object.entries(fixed as Record<string, unknown>)) {
      if (isEmptyValue(value)) {
        throw new DunlinClientError(
          'ERR_JWT_FIXED_PARAM',
          `fixed param "${param}" is null or empty: the token would not be restricted`,
        )
      }
      out[param] = value as FixedParamValue
    }
    return { type: 'PIPES:READ', resource, fixed_params: out }
  }
  if (kind === 'DATASOURCES:READ') {
    const ds = scope as DatasourcesReadScope
    if (ds.filter === undefined) return { type: 'DATASOURCES:READ', resource }
    const filter: unknown = ds.filter
    if (typeof filter !== 'string' || filter.trim() === '') {
      throw new DunlinClientError(
        'ERR_JWT_FIXED_PARAM',
        'a DATASOURCES:READ filter may not be empty',
      )
    }
    return { type: 'DATASOURCES:READ', resource, filter }
  }
  throw new DunlinClientError('ERR_JWT_SCOPES', 'scope type must be PIPES:READ or DATASOURCES:READ')
}

/**
 * Build and validate the JWT payload {@link createJWT} signs, in Tinybird's wire names.
 *
 * @param options - See {@link CreateJWTOptions}.
 * @param nowMs - Current time in milliseconds since the epoch.
 * @returns `{ workspace_id, name, exp, scopes: [{ type, resource, fixed_params? | filter? }], limits? }`.
 * @throws {DunlinClientError} the same codes as {@link createJWT}.
 * @example
 * ```ts
 * buildJWTPayload({ workspaceId: 'ws', name: 'n', expiresIn: 60, scopes: [{ type: 'PIPES:READ', resource: 'p' }] }, 0)
 * // → { workspace_id: 'ws', name: 'n', exp: 60, scopes: [{ type: 'PIPES:READ', resource: 'p' }] }
 * ```
 */
export function buildJWTPayload(options: CreateJWTOptions, nowMs: number): JWTPayloadWire {
  const workspaceId = requireText(options.workspaceId, 'workspaceId')
  const name = requireText(options.name, 'name')
  const lifetimeSeconds = parseExpiresIn(options.expiresIn)
  const exp = Math.floor(nowMs / 1000 + lifetimeSeconds)
  if (exp <= Math.floor(nowMs / 1000)) {
    throw new DunlinClientError('ERR_JWT_EXPIRY', 'expiresIn must be at least one second')
  }
  const scopes: unknown = options.scopes
  if (!Array.isArray(scopes) || scopes.length === 0) {
    throw new DunlinClientError('ERR_JWT_SCOPES', 'a JWT needs at least one scope')
  }
  const payload: JWTPayloadWire = {
    workspace_id: workspaceId,
    name,
    exp,
    scopes: (scopes as JWTScope[]).map(scopeToWire),
  }
  if (options.limits?.rps !== undefined) {
    const rps = options.limits.rps
    if (!Number.isInteger(rps) || rps <= 0) {
      throw new DunlinClientError('ERR_JWT_CLAIM', 'limits.rps must be a positive integer')
    }
    payload.limits = { rps }
  }
  return payload
}

/**
 * Sign a short-lived JWT for calling pipe endpoints from a browser, in the format Tinybird and Dunlin verify:
 * `{ workspace_id, name, exp, scopes: [{ type, resource, fixed_params? }], limits? }`. Run it on your server:
 * the signing key (by default the workspace admin token) must never reach the browser.
 *
 * Refuses to sign what would be unsafe or useless: a token without expiry, with no scope, or with a fixed
 * param that is null or empty (a tenant id that came out `undefined` would silently widen the token).
 * No `iat` is written (Tinybird ignores it, and a signer clock ahead of the server would make it fail).
 *
 * @param signingKey - The workspace admin token (HS256), raw secret bytes, or a `jose` key with `alg`.
 * @param options - See {@link CreateJWTOptions}.
 * @returns The compact JWT.
 * @throws {DunlinClientError} `ERR_JWT_EXPIRY`: `expiresIn` missing, ≤ 0 or malformed.
 * @throws {DunlinClientError} `ERR_JWT_SCOPES`: no scope, unknown scope type, empty resource.
 * @throws {DunlinClientError} `ERR_JWT_FIXED_PARAM`: a null/empty fixed param, `{}` fixed params, empty filter.
 * @throws {DunlinClientError} `ERR_JWT_CLAIM`: empty `name` or `workspaceId`, bad `limits.rps`.
 * @throws {DunlinClientError} `ERR_JWT_KEY`: empty string key.
 * @see Tinybird docs, "JWTs" (payload table); Portive `createAuthToken` (`expiresIn` strings)
 * @example
 * ```ts
 * import { createJWT } from '@dunlin/client'
 *
 * const token = await createJWT(process.env.TINYBIRD_SIGNING_TOKEN!, {
 *   workspaceId: process.env.TINYBIRD_WORKSPACE!,
 *   name: 'dashboard',
 *   expiresIn: '10m',
 *   scopes: [{ type: 'PIPES:READ', resource: 'top_airlines', fixedParams: { tenant_id: user.tenantId } }],
 *   limits: { rps: 10 },
 * })
 * ```
 */
export async function createJWT(
  signingKey: SigningKey,
  options: CreateJWTOptions,
): Promise<string> {
  const nowMs = (options.clock ?? { nowMs: () => Date.now() }).nowMs()
  const payload = buildJWTPayload(options, nowMs)
  let key: Exclude<SigningKey, string>
  if (typeof signingKey === 'string') {
    if (signingKey === '') throw new DunlinClientError('ERR_JWT_KEY', 'the signing key is empty')
    key = new TextEncoder().encode(signingKey)
  } else {
    key = signingKey
  }
  const header: { alg: string; typ: 'JWT'; kid?: string } = {
    alg: options.alg ?? 'HS256',
    typ: 'JWT',
  }
  if (options.kid !== undefined) header.kid = options.kid
  return new SignJWT({ ...payload }).setProtectedHeader(header).sign(key)
}
