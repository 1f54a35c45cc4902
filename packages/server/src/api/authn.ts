/** @module Authenticates a request: finds the token, verifies it as a static token or a JWT. */
import type { Context } from 'hono'
import { ServerError } from '../errors.js'
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
  type Principal,
  type Scope,
  type StaticTokenRecord,
} from '../auth/index.js'
import type { PipeEntry, ReadPolicy, TokenEntry } from '../catalog/index.js'
import type { TemplateValue } from '../template/index.js'
import type { AppEnv } from './context.js'

const parsedScopes = new WeakMap<TokenEntry, readonly Scope[]>()

function record(t: TokenEntry): StaticTokenRecord {
  let scopes = parsedScopes.get(t)
  if (scopes === undefined) {
    scopes = t.scopes.map((s) => parseScope(s))
    parsedScopes.set(t, scopes)
  }
  return { id: t.id, name: t.name, hash: t.hash, scopes }
}

/**
 * Verifies the request's token (`?token=` first, then `Authorization: Bearer`, Tinybird's order) and stores
 * the principal on the context.
 *
 * @param opts.allowJwt - Whether this API accepts JWTs (only pipe endpoints and charts do, as in Tinybird).
 * @throws {ServerError} `ERR_AUTH_TOKEN_MISSING`, `ERR_AUTH_TOKEN_INVALID`, `ERR_AUTH_TOKEN_EXPIRED`,
 *   `ERR_AUTH_TOKEN_REVOKED`, `ERR_AUTH_JWT_NOT_ALLOWED` (all 403, or 401 in 401 mode).
 * @see tinybird-compat.md §1.1, §2.5
 */
export async function authenticate(
  c: Context<AppEnv>,
  opts: { allowJwt: boolean; bodyToken?: string | undefined },
): Promise<Principal> {
  const deps = c.get('deps')
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
  let principal: Principal
  if (!isJwtShaped(token)) {
    principal = verifyStaticToken(token, (hash) => {
      const t = deps.workspace.tokenByHash(hash)
      return t === undefined ? undefined : record(t)
    })
  } else {
    if (!opts.allowJwt) {
      throw new ServerError(
        'ERR_AUTH_JWT_NOT_ALLOWED',
        'invalid authentication token. This API does not support JWT tokens; use a static token',
      )
    }
    const cfg = deps.config.auth
    principal = await verifyJwtCached(
      token,
      {
        workspaceId: deps.workspace.info.id,
        keys: [{ alg: 'HS256', secret: deps.workspace.adminToken(), status: 'active' }],
        leewaySeconds: cfg.leewaySeconds,
        ...(cfg.maxTtlSeconds !== undefined ? { maxTtlSeconds: cfg.maxTtlSeconds } : {}),
      },
      deps.clock,
      deps.jwtCache,
    )
  }
  c.set('principal', principal)
  return principal
}

/** The read policy of a principal, for composing and confining SQL. Fixed params are validated here. */
export function readPolicy(p: Principal): ReadPolicy {
  return {
    admin: isAdmin(p),
    datasource: (ds) => datasourceReadAccess(p, { id: ds.id, name: ds.name }),
    pipe: (pipe) => {
      const access = pipeAccess(p, { id: pipe.id, name: pipe.name })
      if (access === null) return null
      // applyFixedParams refuses null/empty values: tenant isolation must never silently fail.
      return { fixedParams: applyFixedParams({}, access.fixedParams) }
    },
  }
}

/**
 * Authorizes reading a pipe's endpoint and returns the template args with the token's fixed params
 * applied (fixed params win over what the caller sent).
 *
 * @throws {ServerError} `ERR_AUTH_SCOPE_DENIED` (403) without PIPES:READ on the pipe;
 *   `ERR_AUTH_FIXED_PARAM` (403) for an unusable fixed param.
 * @see tinybird-compat.md §2.3, §10 item 4
 */
export function authorizePipeRead(
  _c: Context<AppEnv>,
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
  return applyFixedParams(args, access.fixedParams)
}

/** Requires the ADMIN scope. @throws {ServerError} `ERR_AUTH_SCOPE_DENIED` (403). */
export function requireAdmin(p: Principal): void {
  if (!isAdmin(p)) throw new ServerError('ERR_AUTH_SCOPE_DENIED', 'token needs scope admin')
}
