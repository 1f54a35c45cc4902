/**
 * @module Token API (`/v0/tokens`, Tinybird-compatible), plus Dunlin's signing keys (`/v0/keys`) and JWT revocation
 * (`/v0/revocations`). Every route takes a static token with `TOKENS` or `ADMIN`; keys and revocations need `ADMIN`.
 */
import type { Context, Hono } from 'hono'
import { SignJWT } from 'jose'
import { ServerError } from '../../errors.js'
import { hasScope, isAdmin, parseScope, type Principal } from '../../auth/index.js'
import type { SigningKeyEntry, TokenEntry, Workspace } from '../../catalog/index.js'
import { authenticate, countAuthFailure, requireAdmin } from '../authn.js'
import type { AppDeps, AppEnv } from '../context.js'

/** Longest accepted token name, in characters. */
const MAX_NAME = 256
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

function badParam(param: string, message: string): ServerError {
  return new ServerError('ERR_REQUEST_PARAM', message, { details: { param } })
}

function checkName(name: unknown): string {
  if (
    typeof name !== 'string' ||
    name.trim() === '' ||
    name.length > MAX_NAME ||
    CONTROL.test(name)
  )
    throw badParam('name', 'A token name is required: 1-256 characters, no control characters')
  return name
}

/** Tinybird's `@with_scope(TOKENS)`: the Token API needs `TOKENS` or `ADMIN`, and a static token. */
async function tokensCaller(c: Context<AppEnv>): Promise<Principal> {
  const p = await authenticate(c, { allowJwt: false })
  if (!isAdmin(p) && !hasScope(p, 'TOKENS')) {
    countAuthFailure(c.get('deps'), 'ERR_AUTH_SCOPE_DENIED')
    throw new ServerError('ERR_AUTH_SCOPE_DENIED', 'token needs scope TOKENS')
  }
  return p
}

async function adminCaller(c: Context<AppEnv>): Promise<Principal> {
  const p = await authenticate(c, { allowJwt: false })
  try {
    requireAdmin(p)
  } catch (e) {
    countAuthFailure(c.get('deps'), 'ERR_AUTH_SCOPE_DENIED')
    throw e
  }
  return p
}

const ADMIN_SCOPES = new Set(['ADMIN', 'ADMIN_USER'])

/** A non-admin `TOKENS` holder may not grant, see or change admin power: that would be an escalation. */
function guardEscalation(c: Context<AppEnv>, caller: Principal, scopes: readonly string[]): void {
  if (isAdmin(caller)) return
  if (scopes.some((s) => ADMIN_SCOPES.has(s.split(':')[0] ?? ''))) {
    countAuthFailure(c.get('deps'), 'ERR_AUTH_SCOPE_DENIED')
    throw new ServerError('ERR_AUTH_SCOPE_DENIED', 'token needs scope admin')
  }
}

/**
 * Tinybird's token JSON (`AccessToken.to_dict`): `{ id, token?, scopes: [{ type, resource?, filter? }], name,
 * description, origin: { type, resource_id? }, host }`. `token` is present only when `withValue`.
 */
function tokenJson(
  ws: Workspace,
  t: TokenEntry,
  value: string | undefined,
): Record<string, unknown> {
  const scopes = t.scopes.map((s) => {
    const parsed = parseScope(s)
    const out: Record<string, unknown> = { type: parsed.type }
    if (parsed.resource !== undefined) out['resource'] = parsed.resource
    if (parsed.type === 'DATASOURCES:READ' || parsed.type === 'PIPES:READ')
      out['filter'] = parsed.filter ?? ''
    return out
  })
  const origin: Record<string, unknown> = { type: t.origin.type }
  if (t.origin.resource !== undefined) origin['resource_id'] = t.origin.resource
  return {
    id: t.id,
    ...(value !== undefined ? { token: value } : {}),
    scopes,
    name: t.name,
    description: t.description ?? '',
    origin,
    host: null,
    created_at: t.createdAt,
    ...(ws.isWorkspaceAdminToken(t) ? { is_workspace_admin_token: true } : {}),
  }
}

/**
 * A token by name or id. Not by value: a token in the URL path would reach access logs and proxies.
 */
function findToken(ws: Workspace, key: string): TokenEntry {
  const t = ws.token(key)
  if (t === undefined) throw new ServerError('ERR_REQUEST_NOT_FOUND', 'Token not found')
  return t
}

/** Reads a JSON or form body into a plain object (empty for no body). */
async function readBody(c: Context<AppEnv>): Promise<Record<string, unknown>> {
  const max = c.get('config').limits.maxBodyBytes
  const raw = await c.req.text()
  if (Buffer.byteLength(raw) > max)
    throw new ServerError('ERR_REQUEST_TOO_LARGE', `The request body is larger than ${max} bytes`)
  if (raw.trim() === '') return {}
  const type = (c.req.header('content-type') ?? '').toLowerCase()
  if (type.includes('application/x-www-form-urlencoded')) {
    const out: Record<string, unknown> = {}
    const form = new URLSearchParams(raw)
    for (const k of new Set(form.keys())) {
      const all = form.getAll(k)
      out[k] = k === 'scope' ? all : all[0]
    }
    return out
  }
  let body: unknown
  try {
    body = JSON.parse(raw)
  } catch {
    throw new ServerError('ERR_REQUEST_BODY', 'The request body is not valid JSON')
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new ServerError('ERR_REQUEST_BODY', 'The request body must be a JSON object')
  return body as Record<string, unknown>
}

/** Scope strings from `?scope=` (repeatable) and a body `scope`/`scopes` array, each validated. */
function scopeStrings(c: Context<AppEnv>, body: Record<string, unknown>): string[] | undefined {
  const fromQuery = c.req.queries('scope') ?? []
  const raw = body['scopes'] ?? body['scope']
  const fromBody: unknown[] =
    raw === undefined ? [] : Array.isArray(raw) ? (raw as unknown[]) : [raw]
  if (fromQuery.length === 0 && fromBody.length === 0) return undefined
  const out: string[] = []
  for (const s of [...fromQuery, ...fromBody]) {
    if (typeof s !== 'string')
      throw badParam('scope', 'Scopes must be strings such as PIPES:READ:my_pipe')
    parseScope(s)
    out.push(s)
  }
  return [...new Set(out)]
}

function signingKeyJson(k: SigningKeyEntry): Record<string, unknown> {
  return {
    kid: k.kid,
    alg: k.alg,
    status: k.status,
    created_at: k.createdAt,
    updated_at: k.updatedAt,
  }
}

/**
 * Mints a JWT (Tinybird's `POST /v0/tokens?expiration_time=<unix>`, what `@tinybirdco/sdk` `createJWT` calls).
 * Signs with the active named key given as `kid`, else the newest `active` named key (header `kid`) when there is
 * one, else with the admin token (Tinybird).
 *
 * Body: `{ name, scopes: [{ type: 'PIPES:READ', resource, fixed_params? }], limits?: { rps } }`.
 * Shape: `{ token, name, exp, scopes, limits? }` (Tinybird's `to_json`; the SDK reads `token`).
 *
 * @throws {ServerError} `ERR_REQUEST_PARAM` (400) for a bad `expiration_time` (not a future integer of seconds, or
 *   past `auth.maxTtlSeconds`), name, scope or limits.
 */
async function mintJwt(
  c: Context<AppEnv>,
  deps: AppDeps,
  expirationRaw: string,
): Promise<Response> {
  const exp = Number(expirationRaw)
  const now = Math.floor(deps.clock.nowMs() / 1000)
  if (!Number.isInteger(exp) || exp <= now)
    throw badParam('expiration_time', 'expiration_time must be a future Unix time in seconds')
  const maxTtl = deps.config.auth.maxTtlSeconds
  if (maxTtl !== undefined && exp - now > maxTtl)
    throw badParam(
      'expiration_time',
      `expiration_time is past the server's maximum token lifetime (${maxTtl} s)`,
    )
  const body = await readBody(c)
  const name = checkName(body['name'] ?? c.req.query('name'))
  const rawScopes = body['scopes']
  if (!Array.isArray(rawScopes) || rawScopes.length === 0)
    throw badParam('scopes', 'A JWT needs a non-empty scopes array')
  const scopes: Record<string, unknown>[] = []
  for (const s of rawScopes as unknown[]) {
    if (typeof s !== 'object' || s === null) throw badParam('scopes', 'Invalid scope')
    const { type, resource } = s as { type?: unknown; resource?: unknown }
    const fixed =
      (s as { fixed_params?: unknown }).fixed_params ??
      (s as { fixed_parameters?: unknown }).fixed_parameters
    if (type !== 'PIPES:READ')
      throw badParam('scopes', 'Only PIPES:READ scopes are allowed in JWT tokens')
    if (typeof resource !== 'string' || deps.workspace.pipe(resource) === undefined)
      throw badParam('scopes', 'A JWT scope must name an existing pipe')
    if (
      fixed !== undefined &&
      (typeof fixed !== 'object' || fixed === null || Array.isArray(fixed))
    )
      throw badParam('scopes', 'fixed_params must be an object')
    scopes.push({ type, resource, ...(fixed !== undefined ? { fixed_params: fixed } : {}) })
  }
  const limitsRaw = body['limits']
  let limits: { rps: number } | undefined
  if (limitsRaw !== undefined && limitsRaw !== null) {
    const rps = (limitsRaw as { rps?: unknown }).rps
    if (typeof rps !== 'number' || !Number.isFinite(rps) || rps <= 0)
      throw badParam('limits', 'limits.rps must be a number > 0')
    limits = { rps }
  }
  const payload = {
    workspace_id: deps.workspace.info.id,
    name,
    scopes,
    ...(limits !== undefined ? { limits } : {}),
  }
  // Dunlin: `kid` (query or body) asks for a specific active key; without it, the newest active key.
  const wantedKid =
    c.req.query('kid') ?? (typeof body['kid'] === 'string' ? body['kid'] : undefined)
  const activeKeys = deps.workspace.signingKeys.filter((k) => k.status === 'active')
  const active =
    wantedKid === undefined ? activeKeys.at(-1) : activeKeys.find((k) => k.kid === wantedKid)
  if (wantedKid !== undefined && active === undefined)
    throw badParam('kid', 'kid must name an active signing key (see GET /v0/keys)')
  const header = { alg: 'HS256', typ: 'JWT', ...(active !== undefined ? { kid: active.kid } : {}) }
  const secret =
    active !== undefined ? deps.workspace.signingKeySecret(active) : deps.workspace.adminToken()
  const token = await new SignJWT(payload)
    .setProtectedHeader(header)
    .setExpirationTime(exp)
    .sign(new TextEncoder().encode(secret))
  return c.json({ token, name, exp, scopes, ...(limits !== undefined ? { limits } : {}) })
}

/** Registers the Token API, `/v0/keys` and `/v0/revocations`. */
export function tokenRoutes(app: Hono<AppEnv>): void {
  // `@tinybirdco/sdk` calls `/v0/tokens/` with a trailing slash; Hono routes are strict, so both are registered.
  const listTokens = async (c: Context<AppEnv>): Promise<Response> => {
    const caller = await tokensCaller(c)
    const ws = c.get('deps').workspace
    const admin = isAdmin(caller)
    return c.json({
      tokens: ws.tokens.map((t) => tokenJson(ws, t, admin ? ws.tokenValue(t) : undefined)),
    })
  }
  app.get('/v0/tokens', listTokens)
  app.get('/v0/tokens/', listTokens)

  app.get('/v0/tokens/:token', async (c) => {
    const caller = await tokensCaller(c)
    const ws = c.get('deps').workspace
    const t = findToken(ws, c.req.param('token'))
    return c.json(tokenJson(ws, t, isAdmin(caller) ? ws.tokenValue(t) : undefined))
  })

  const createToken = async (c: Context<AppEnv>): Promise<Response> => {
    const caller = await tokensCaller(c)
    const deps = c.get('deps')
    const expiration = c.req.query('expiration_time')
    if (expiration !== undefined) return mintJwt(c, deps, expiration)
    const body = await readBody(c)
    const name = checkName(c.req.query('name') ?? body['name'])
    const scopes = scopeStrings(c, body) ?? []
    guardEscalation(c, caller, scopes)
    if (deps.workspace.token(name) !== undefined)
      throw new ServerError('ERR_REQUEST_CONFLICT', 'A token with that name already exists')
    const description = c.req.query('description') ?? body['description']
    const { entry, value } = await deps.workspace.upsertToken(name, scopes, 'api', {
      ...(typeof description === 'string' ? { description } : {}),
    })
    return c.json(tokenJson(deps.workspace, entry, value))
  }
  app.post('/v0/tokens', createToken)
  app.post('/v0/tokens/', createToken)

  app.put('/v0/tokens/:token', async (c) => {
    const caller = await tokensCaller(c)
    const ws = c.get('deps').workspace
    const prev = findToken(ws, c.req.param('token'))
    guardEscalation(c, caller, prev.scopes)
    const body = await readBody(c)
    const scopes = scopeStrings(c, body)
    if (scopes !== undefined) guardEscalation(c, caller, scopes)
    const newName = c.req.query('name') ?? body['name']
    const description = c.req.query('description') ?? body['description']
    const entry = await ws.updateToken(prev.id, {
      ...(newName !== undefined ? { name: checkName(newName) } : {}),
      ...(scopes !== undefined ? { scopes } : {}),
      ...(typeof description === 'string' ? { description } : {}),
    })
    return c.json(tokenJson(ws, entry, isAdmin(caller) ? ws.tokenValue(entry) : undefined))
  })

  app.delete('/v0/tokens/:token', async (c) => {
    const caller = await tokensCaller(c)
    const ws = c.get('deps').workspace
    const prev = findToken(ws, c.req.param('token'))
    guardEscalation(c, caller, prev.scopes)
    await ws.deleteToken(prev.id)
    return c.body(null, 204)
  })

  app.post('/v0/tokens/:token/refresh', async (c) => {
    const caller = await tokensCaller(c)
    const deps = c.get('deps')
    const prev = findToken(deps.workspace, c.req.param('token'))
    guardEscalation(c, caller, prev.scopes)
    const { entry, value } = await deps.workspace.refreshToken(prev.id)
    deps.jwtCache.clear()
    return c.json(tokenJson(deps.workspace, entry, value))
  })

  // Dunlin: named HS256 signing keys (JWT header `kid`). Admin only.
  app.get('/v0/keys', async (c) => {
    await adminCaller(c)
    return c.json({ keys: c.get('deps').workspace.signingKeys.map(signingKeyJson) })
  })

  app.post('/v0/keys', async (c) => {
    await adminCaller(c)
    const deps = c.get('deps')
    const body = await readBody(c)
    const kid = c.req.query('kid') ?? body['kid']
    if (typeof kid !== 'string') throw badParam('kid', 'kid is required')
    const rotate = c.req.query('rotate') === 'true' || body['rotate'] === true
    const statusRaw = c.req.query('status') ?? body['status'] ?? 'active'
    if (statusRaw !== 'active' && statusRaw !== 'verify-only')
      throw badParam('status', 'status must be active or verify-only')
    const { entry, secret } = await deps.workspace.addSigningKey(kid, { rotate, status: statusRaw })
    deps.jwtCache.clear()
    return c.json({ ...signingKeyJson(entry), secret })
  })

  app.put('/v0/keys/:kid', async (c) => {
    await adminCaller(c)
    const deps = c.get('deps')
    const body = await readBody(c)
    const status = c.req.query('status') ?? body['status']
    if (status !== 'active' && status !== 'verify-only' && status !== 'revoked')
      throw badParam('status', 'status must be active, verify-only or revoked')
    const entry = await deps.workspace.setSigningKeyStatus(c.req.param('kid'), status)
    deps.jwtCache.clear()
    return c.json(signingKeyJson(entry))
  })

  // Dunlin: JWT revocation by `name` or `jti`. Admin only.
  app.get('/v0/revocations', async (c) => {
    await adminCaller(c)
    const ws = c.get('deps').workspace
    return c.json({
      revocations: ws.revocations.map((r) => ({
        type: r.type,
        value: r.value,
        expires_at: r.expiresAt,
        created_at: r.createdAt,
      })),
    })
  })

  app.post('/v0/revocations', async (c) => {
    await adminCaller(c)
    const deps = c.get('deps')
    const body = await readBody(c)
    const type = c.req.query('type') ?? body['type']
    const value = c.req.query('value') ?? body['value']
    if (type !== 'name' && type !== 'jti') throw badParam('type', 'type must be name or jti')
    if (typeof value !== 'string' || value === '') throw badParam('value', 'value is required')
    const untilRaw = c.req.query('expires_at') ?? body['expires_at']
    const cfg = deps.config.auth
    const nowMs = deps.clock.nowMs()
    let untilMs: number
    if (untilRaw !== undefined) {
      const s = Number(untilRaw)
      if (!Number.isFinite(s))
        throw badParam('expires_at', 'expires_at must be a Unix time in seconds')
      untilMs = s * 1000
    } else {
      // Until every token that could carry it has expired: max TTL + leeway, else a year.
      untilMs = nowMs + ((cfg.maxTtlSeconds ?? 365 * 86_400) + cfg.leewaySeconds) * 1000
    }
    const entry = await deps.workspace.revoke(type, value, untilMs)
    deps.jwtCache.clear()
    return c.json({ type: entry.type, value: entry.value, expires_at: entry.expiresAt })
  })

  app.delete('/v0/revocations', async (c) => {
    await adminCaller(c)
    const deps = c.get('deps')
    const type = c.req.query('type')
    const value = c.req.query('value')
    if ((type !== 'name' && type !== 'jti') || value === undefined)
      throw badParam('type', 'type (name or jti) and value are required')
    if (!(await deps.workspace.unrevoke(type, value)))
      throw new ServerError('ERR_REQUEST_NOT_FOUND', 'Revocation not found')
    return c.body(null, 204)
  })
}
