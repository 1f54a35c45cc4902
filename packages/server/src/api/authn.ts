/**
 * @module Authenticates a request: finds the token, verifies it as a static token or a JWT (admin token, named
 * catalog keys, configured keys, JWKS), and authorizes endpoint reads (scopes, fixed params, rate limits). Keeps the
 * per-server auth state: rate-limit buckets, the JWKS cache and the auth-failure counters.
 */
import { readFile } from 'node:fs/promises'
import type { Context } from 'hono'
import { decodeProtectedHeader } from 'jose'
import { ServerError, type ErrorCode } from '../errors.js'
import {
  extractToken,
  isAdmin,
  isJwtShaped,
  parseScope,
  pipeAccess,
  datasourceReadAccess,
  verifyJwtCached,
  verifyStaticToken,
  applyFixedParams,
  JwksSource,
  RateLimiter,
  type JwtPolicy,
  type Principal,
  type RevocationSubject,
  type Scope,
  type SigningKey,
  type StaticTokenRecord,
} from '../auth/index.js'
import type {
  PipeEntry,
  ReadPolicy,
  RevocationEntry,
  SigningKeyEntry,
  TokenEntry,
  Workspace,
} from '../catalog/index.js'
import { templateParams, type TemplateValue } from '../template/index.js'
import type { AppDeps, AppEnv, ServerConfig } from './context.js'

const parsedScopes = new WeakMap<TokenEntry, readonly Scope[]>()

function record(t: TokenEntry): StaticTokenRecord {
  let scopes = parsedScopes.get(t)
  if (scopes === undefined) {
    scopes = t.scopes.map((s) => parseScope(s))
    parsedScopes.set(t, scopes)
  }
  return { id: t.id, name: t.name, hash: t.hash, scopes }
}

/** Per-server auth state, created on first use. */
interface AuthState {
  /** When the catalog's auth parts were last re-read, in ms (the clock's). */
  lastSyncMs: number
  /** The catalog check in flight (ClickHouse store), shared by the requests that wait for it. */
  syncing: Promise<void> | undefined
  readonly limiter: RateLimiter
  readonly jwks: JwksSource | undefined
}

const states = new WeakMap<AppDeps, AuthState>()

function jwksSource(deps: AppDeps): JwksSource | undefined {
  const cfg = deps.config.auth.jwks
  if (cfg === undefined || (cfg.url === undefined && cfg.file === undefined)) return undefined
  const { url, file } = cfg
  const load = async (): Promise<{ body: string; cacheControl?: string | undefined }> => {
    if (file !== undefined) return { body: await readFile(file, 'utf8') }
    if (url === undefined) throw new Error('JWKS: no url')
    const res = await fetch(url, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(5_000),
    })
    if (!res.ok) throw new Error(`JWKS fetch answered ${res.status}`)
    return { body: await res.text(), cacheControl: res.headers.get('cache-control') ?? undefined }
  }
  return new JwksSource({
    load,
    clock: deps.clock,
    // A file has no Cache-Control: re-read it every cooldown so an edited file is picked up.
    cooldownMs: (cfg.cooldownSeconds ?? 30) * 1000,
    ...(file !== undefined ? { defaultMaxAgeMs: (cfg.cooldownSeconds ?? 30) * 1000 } : {}),
  })
}

function stateOf(deps: AppDeps): AuthState {
  let s = states.get(deps)
  if (s === undefined) {
    s = {
      lastSyncMs: deps.clock.nowMs(),
      syncing: undefined,
      limiter: new RateLimiter(deps.clock),
      jwks: jwksSource(deps),
    }
    states.set(deps, s)
  }
  return s
}

const failureCounts = new WeakMap<Workspace, Map<string, number>>()

function failuresOf(ws: Workspace): Map<string, number> {
  let f = failureCounts.get(ws)
  if (f === undefined) {
    f = new Map()
    failureCounts.set(ws, f)
  }
  return f
}

/**
 * Auth failures of a workspace counted by error code since the server started (for `/metrics`). Shape: code →
 * count. Counts every `ERR_AUTH_*` and `ERR_REQUEST_RATE_LIMITED` raised by {@link authenticate},
 * {@link authorizePipeRead} and the Token API's scope checks.
 */
export function authFailureCounts(ws: Workspace): ReadonlyMap<string, number> {
  return failuresOf(ws)
}

/** The server's JWKS source when one is configured (for tests and `/metrics`). */
export function jwksOf(deps: AppDeps): JwksSource | undefined {
  return stateOf(deps).jwks
}

function count(deps: AppDeps, e: unknown): void {
  if (!(e instanceof ServerError)) return
  if (!e.code.startsWith('ERR_AUTH_') && e.code !== 'ERR_REQUEST_RATE_LIMITED') return
  const f = failuresOf(deps.workspace)
  f.set(e.code, (f.get(e.code) ?? 0) + 1)
}

// Memos keyed by immutable catalog objects: the workspace replaces them on every change.
const adminSecrets = new WeakMap<TokenEntry, SigningKey>()
const catalogKeys = new WeakMap<readonly SigningKeyEntry[], readonly SigningKey[]>()
const configKeys = new WeakMap<ServerConfig['auth'], readonly SigningKey[]>()
const revocationSets = new WeakMap<readonly RevocationEntry[], Map<string, number>>()

function adminKey(ws: Workspace): SigningKey | undefined {
  const t = ws.tokens.find((x) => ws.isWorkspaceAdminToken(x))
  if (t === undefined) return undefined
  let k = adminSecrets.get(t)
  if (k === undefined) {
    k = Object.freeze({ alg: 'HS256', secret: ws.tokenValue(t), status: 'active' } as const)
    adminSecrets.set(t, k)
  }
  return k
}

function namedKeys(ws: Workspace): readonly SigningKey[] {
  const entries = ws.signingKeys
  let keys = catalogKeys.get(entries)
  if (keys === undefined) {
    keys = Object.freeze(
      entries.map((e) =>
        Object.freeze({
          kid: e.kid,
          alg: e.alg,
          secret: ws.signingKeySecret(e),
          status: e.status,
        }),
      ),
    )
    catalogKeys.set(entries, keys)
  }
  return keys
}

function configuredKeys(cfg: ServerConfig['auth']): readonly SigningKey[] {
  let keys = configKeys.get(cfg)
  if (keys === undefined) {
    keys = Object.freeze(
      cfg.signingKeys.map((k) => {
        const key: SigningKey = { kid: k.kid, alg: k.alg, status: k.status ?? 'active' }
        if (k.secret !== undefined) key.secret = k.secret
        if (k.publicKey !== undefined) key.publicKey = k.publicKey
        return Object.freeze(key)
      }),
    )
    configKeys.set(cfg, keys)
  }
  return keys
}

function revocationIndex(ws: Workspace): Map<string, number> {
  const entries = ws.revocations
  let idx = revocationSets.get(entries)
  if (idx === undefined) {
    idx = new Map(entries.map((r) => [`${r.type}\u0000${r.value}`, Date.parse(r.expiresAt)]))
    revocationSets.set(entries, idx)
  }
  return idx
}

/**
 * The JWT policy of this server right now: the admin token (kid-less, Tinybird), the catalog's named keys, the
 * configured keys and the JWKS keys; the configured claims rules; revocation from the catalog.
 */
export function jwtPolicy(deps: AppDeps): JwtPolicy {
  const ws = deps.workspace
  const cfg = deps.config.auth
  const admin = adminKey(ws)
  const jwks = stateOf(deps).jwks
  const keys: SigningKey[] = [
    ...(admin !== undefined ? [admin] : []),
    ...namedKeys(ws),
    ...configuredKeys(cfg),
    ...(jwks?.keys() ?? []),
  ]
  const revoked = revocationIndex(ws)
  const policy: JwtPolicy = {
    workspaceId: ws.info.id,
    keys,
    leewaySeconds: cfg.leewaySeconds,
    maxTokenBytes: cfg.maxTokenBytes,
  }
  if (cfg.maxTtlSeconds !== undefined) policy.maxTtlSeconds = cfg.maxTtlSeconds
  if (cfg.audience !== undefined) policy.audience = cfg.audience
  if (cfg.issuer !== undefined) policy.issuer = cfg.issuer
  if (revoked.size > 0) {
    const now = deps.clock.nowMs()
    const hit = (k: string): boolean => (revoked.get(k) ?? Number.NEGATIVE_INFINITY) > now
    policy.isRevoked = (s: RevocationSubject): boolean =>
      hit(`name\u0000${s.name}`) || (s.jti !== undefined && hit(`jti\u0000${s.jti}`))
  }
  return policy
}

/** The header `kid` of a compact JWS, without verifying anything; undefined when absent or unreadable. */
function headerKid(token: string): string | undefined {
  try {
    const kid = decodeProtectedHeader(token).kid
    return typeof kid === 'string' ? kid : undefined
  } catch {
    return undefined
  }
}

/**
 * Verifies the request's token (`?token=` first, then `Authorization: Bearer`, Tinybird's order) and stores
 * the principal on the context (app.ts logs its `name` and kind, never the token).
 *
 * JWTs are verified against the admin token (kid-less, Tinybird), the catalog's named HS256 keys and the configured
 * keys (by `kid`), and the JWKS (by `kid`; an unknown `kid` triggers a refetch, at most once per cooldown).
 *
 * @param opts.allowJwt - Whether this API accepts JWTs (only pipe endpoints and charts do, as in Tinybird).
 * @throws {ServerError} `ERR_AUTH_TOKEN_MISSING`, `ERR_AUTH_TOKEN_INVALID`, `ERR_AUTH_TOKEN_EXPIRED`,
 *   `ERR_AUTH_TOKEN_REVOKED`, `ERR_AUTH_JWT_NOT_ALLOWED` (all 403, or 401 in 401 mode);
 *   `ERR_AUTH_NOT_CONFIGURED` (500) when no key can verify JWTs.
 * @see tinybird-compat.md §1.1, §2.5; RFC 6750 §2; RFC 7515 §4.1.4 (`kid`); RFC 7517 §5 (JWKS)
 */
export async function authenticate(
  c: Context<AppEnv>,
  opts: { allowJwt: boolean; bodyToken?: string | undefined },
): Promise<Principal> {
  const deps = c.get('deps')
  try {
    await syncIfDue(deps)
    const principal = await authenticateInner(c, deps, opts)
    c.set('principal', principal)
    return principal
  } catch (e) {
    count(deps, e)
    throw e
  }
}

async function authenticateInner(
  c: Context<AppEnv>,
  deps: AppDeps,
  opts: { allowJwt: boolean; bodyToken?: string | undefined },
): Promise<Principal> {
  const token = extractToken(
    { token: c.req.query('token') ?? opts.bodyToken },
    c.req.header('authorization'),
  )
  if (token === undefined || token === '') {
    throw new ServerError(
      'ERR_AUTH_TOKEN_MISSING',
      'invalid authentication token. No token provided: pass ?token= or an Authorization: Bearer header',
    )
  }
  if (!isJwtShaped(token)) {
    return verifyStaticToken(token, (hash) => {
      const t = deps.workspace.tokenByHash(hash)
      return t === undefined ? undefined : record(t)
    })
  }
  if (!opts.allowJwt) {
    throw new ServerError(
      'ERR_AUTH_JWT_NOT_ALLOWED',
      'invalid authentication token. This API does not support JWT tokens; use a static token',
    )
  }
  const jwks = stateOf(deps).jwks
  if (jwks !== undefined && token.length <= deps.config.auth.maxTokenBytes) {
    await jwks.refresh(headerKid(token))
  }
  return verifyJwtCached(token, jwtPolicy(deps), deps.clock, deps.jwtCache)
}

/**
 * Adopts catalog changes made by another process sharing the store (a revocation, a deleted token, a retired
 * key, a new pipe). With a store whose version is cheap (the file store: one `stat`), that is checked on every
 * request, so a revocation applies on the very next request; otherwise (the ClickHouse store) a request that
 * starts more than `auth.syncIntervalMs` after the last check waits for one, so no request runs on a catalog
 * older than that. Concurrent requests share one check. A failed read is logged and ignored.
 * `syncIntervalMs: 0` turns syncing off.
 */
async function syncIfDue(deps: AppDeps): Promise<void> {
  const every = deps.config.auth.syncIntervalMs
  if (every <= 0) return
  const s = stateOf(deps)
  const now = deps.clock.nowMs()
  const sync = async (): Promise<void> => {
    try {
      if (await deps.workspace.syncFromStore()) deps.jwtCache.clear()
    } catch (e) {
      deps.log.warn({ err: e instanceof Error ? e.message : 'unknown' }, 'catalog sync failed')
    }
  }
  if (deps.workspace.storeVersionIsCheap) {
    await sync()
    return
  }
  if (s.syncing !== undefined) {
    await s.syncing
    return
  }
  if (now - s.lastSyncMs < every) return
  s.lastSyncMs = now
  s.syncing = sync().finally(() => {
    s.syncing = undefined
  })
  await s.syncing
}

/**
 * The read policy of a principal, for composing and confining SQL. Fixed params are validated here. Service data
 * sources (`tinybird.*`) are readable with ADMIN or PIPES:CREATE.
 *
 * @see tinybird-compat.md §3.6 (`allow_direct_access_to_service_datasources_replacements`)
 */
export function readPolicy(p: Principal): ReadPolicy {
  return {
    admin: isAdmin(p),
    serviceDataSources: isAdmin(p) || p.scopes.some((s) => s.type === 'PIPES:CREATE'),
    datasource: (ds) => datasourceReadAccess(p, { id: ds.id, name: ds.name }),
    pipe: (pipe) => {
      const access = pipeAccess(p, { id: pipe.id, name: pipe.name })
      if (access === null) return null
      // applyFixedParams refuses null/empty values: tenant isolation must never silently fail.
      return { fixedParams: applyFixedParams({}, access.fixedParams) }
    },
  }
}

const pipeParamNames = new WeakMap<PipeEntry, ReadonlySet<string>>()

/**
 * Every parameter name the pipe's templates use, including those of the pipes its nodes read (by name).
 */
function paramsUsedBy(ws: Workspace, pipe: PipeEntry, seen = new Set<string>()): Set<string> {
  const memo = pipeParamNames.get(pipe)
  if (memo !== undefined) return new Set(memo)
  seen.add(pipe.name)
  const out = new Set<string>()
  for (const node of pipe.def.nodes) {
    for (const p of templateParams(node.sql)) out.add(p.name)
    for (const other of ws.pipes) {
      if (seen.has(other.name)) continue
      if (new RegExp(`\\b${other.name.replace(/[^A-Za-z0-9_]/g, '')}\\b`).test(node.sql)) {
        for (const n of paramsUsedBy(ws, other, seen)) out.add(n)
      }
    }
  }
  pipeParamNames.set(pipe, out)
  return out
}

/**
 * Authorizes reading a pipe's endpoint and returns the template args with the token's fixed params
 * applied (fixed params win over what the caller sent). For a JWT with `limits.rps`, counts the request in
 * Tinybird's bucket (workspace + pipe + JWT `name`, plus the `auth.rateLimitParam` fixed param when configured) and
 * sets `X-RateLimit-Limit/Remaining/Reset` (seconds).
 *
 * @throws {ServerError} `ERR_AUTH_SCOPE_DENIED` (403) without PIPES:READ on the pipe;
 *   `ERR_AUTH_FIXED_PARAM` (403) for an unusable fixed param, or (with `auth.strictFixedParams`, the default) one
 *   the pipe's templates do not use; `ERR_REQUEST_RATE_LIMITED` (429, `Retry-After` in seconds) over `limits.rps`.
 * @see tinybird-compat.md §2.3, §2.4, §10 item 4
 */
export function authorizePipeRead(
  c: Context<AppEnv>,
  principal: Principal,
  pipe: PipeEntry,
  args: Record<string, TemplateValue>,
): Record<string, TemplateValue> {
  const deps = c.get('deps')
  try {
    return authorizePipeReadInner(c, deps, principal, pipe, args)
  } catch (e) {
    count(deps, e)
    throw e
  }
}

function authorizePipeReadInner(
  c: Context<AppEnv>,
  deps: AppDeps,
  principal: Principal,
  pipe: PipeEntry,
  args: Record<string, TemplateValue>,
): Record<string, TemplateValue> {
  const access = pipeAccess(principal, { id: pipe.id, name: pipe.name })
  if (access === null) {
    throw new ServerError(
      'ERR_AUTH_SCOPE_DENIED',
      "The token you have provided doesn't have access to this resource",
    )
  }
  const cfg = deps.config.auth
  const fixedNames = Object.keys(access.fixedParams)
  if (cfg.strictFixedParams && fixedNames.length > 0) {
    const used = paramsUsedBy(deps.workspace, pipe)
    const unused = fixedNames.find((n) => !used.has(n))
    if (unused !== undefined) {
      throw new ServerError(
        'ERR_AUTH_FIXED_PARAM',
        'The token fixes a parameter this pipe does not use, so it would not filter anything',
        { details: { param: unused } },
      )
    }
  }
  const merged = applyFixedParams(args, access.fixedParams)
  if (principal.kind === 'jwt' && principal.limits !== undefined) {
    rateLimit(c, deps, principal.name, principal.limits.rps, pipe, access.fixedParams)
  }
  return merged
}

function rateLimit(
  c: Context<AppEnv>,
  deps: AppDeps,
  name: string,
  rps: number,
  pipe: PipeEntry,
  fixed: Readonly<Record<string, unknown>>,
): void {
  const param = deps.config.auth.rateLimitParam
  let key = `jwt_endpoint_qps_limits_${deps.workspace.info.id}_${pipe.name}_${name}`
  if (param !== undefined && Object.hasOwn(fixed, param)) {
    key += `\u0000${JSON.stringify(fixed[param])}`
  }
  const r = stateOf(deps).limiter.check(key, rps)
  c.header('X-RateLimit-Limit', String(r.limit))
  c.header('X-RateLimit-Remaining', String(r.remaining))
  c.header('X-RateLimit-Reset', String(r.resetSeconds))
  if (!r.allowed) {
    c.header('Retry-After', String(r.retryAfterSeconds))
    throw new ServerError(
      'ERR_REQUEST_RATE_LIMITED',
      `Too many requests: retry after ${r.retryAfterSeconds} seconds`,
      { details: { retryAfterSeconds: r.retryAfterSeconds } },
    )
  }
}

/** Requires the ADMIN scope. @throws {ServerError} `ERR_AUTH_SCOPE_DENIED` (403). */
export function requireAdmin(p: Principal): void {
  if (!isAdmin(p)) throw new ServerError('ERR_AUTH_SCOPE_DENIED', 'token needs scope admin')
}

/** Counts an auth failure raised outside this module (e.g. the Token API's scope check). */
export function countAuthFailure(deps: AppDeps, code: ErrorCode): void {
  const f = failuresOf(deps.workspace)
  f.set(code, (f.get(code) ?? 0) + 1)
}
