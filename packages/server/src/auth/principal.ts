/**
 * @module A verified caller ({@link Principal}) and the access decisions made from its scopes: admin, pipe read,
 * data source read, append. Pure; imports only sibling types.
 */
import type { FixedParams, Scope, ScopeType } from './scopes.js'

/**
 * A verified caller.
 *
 * - `static`: a stored token. `tokenId` is its catalog id; `name` its display name.
 * - `jwt`: a verified JWT. `name` is the `name` claim (the `pipe_stats_rt.token_name` and the rate-limit bucket
 *   key); `expSeconds` is `exp` in seconds since the epoch (may be fractional); `limits.rps` is requests per
 *   second; `jti` and `kid` are present when the token carries them. Its scopes are all `PIPES:READ`.
 *
 * Principals returned by this module are frozen.
 */
export type Principal =
  | { kind: 'static'; tokenId: string; name: string; scopes: readonly Scope[] }
  | {
      kind: 'jwt'
      name: string
      scopes: readonly Scope[]
      expSeconds: number
      limits?: { rps: number }
      jti?: string
      kid?: string
    }

/**
 * True when the principal may do everything: it holds `ADMIN` or `ADMIN_USER` (Tinybird's `is_admin()`).
 * A JWT is never admin.
 *
 * @see tinybird-compat.md §1.3
 */
export function isAdmin(p: Principal): boolean {
  return p.scopes.some((s) => s.type === 'ADMIN' || s.type === 'ADMIN_USER')
}

/**
 * True when the principal holds a scope of exactly this type, on any resource. Literal: `ADMIN` does not imply other
 * types here; handlers that accept admins too check `isAdmin(p) || hasScope(p, …)` (Tinybird's `@with_scope` rule).
 *
 * @see tinybird-compat.md §1.3, §1.4 ("token needs scope …")
 */
export function hasScope(p: Principal, type: ScopeType): boolean {
  return p.scopes.some((s) => s.type === type)
}

const EMPTY_FIXED: FixedParams = Object.freeze({})

/**
 * Decides read access to a pipe's endpoint.
 *
 * Granted by `PIPES:READ` whose resource is the pipe's name or id; `ADMIN`, `ADMIN_USER` and `PIPES:CREATE` read
 * every pipe. When several `PIPES:READ` scopes name the pipe, the last one wins (Tinybird builds its per-pipe dict
 * in scope order). A matching `PIPES:READ` scope's fixed params and filter apply even to an admin token.
 *
 * Shape: `{ fixedParams, filter? }` — `fixedParams` is `{}` when the scope pins none — or `null` when denied
 * (the caller answers 403 `ERR_AUTH_SCOPE_DENIED`, "The token you have provided doesn't have access to this resource").
 *
 * @see tinybird-compat.md §1.3, §2.3 (Tinybird `get_fixed_params`, `get_filters`)
 */
export function pipeAccess(
  p: Principal,
  pipe: { id: string; name: string },
): { fixedParams: FixedParams; filter?: string } | null {
  let match: Scope | undefined
  for (const s of p.scopes) {
    if (s.type === 'PIPES:READ' && (s.resource === pipe.name || s.resource === pipe.id)) match = s
  }
  if (match !== undefined) {
    const out: { fixedParams: FixedParams; filter?: string } = {
      fixedParams: match.fixedParams ?? EMPTY_FIXED,
    }
    if (match.filter !== undefined && match.filter !== '') out.filter = match.filter
    return out
  }
  if (isAdmin(p) || hasScope(p, 'PIPES:CREATE')) return { fixedParams: EMPTY_FIXED }
  return null
}

const QUARANTINE_SUFFIX = '_quarantine'

/**
 * Decides read access to a data source (Query API, `pipeline=`, pipes reading it).
 *
 * Granted by `DATASOURCES:READ` on the data source's name or id; `DATASOURCES:READ:<ds>` also grants
 * `<ds>_quarantine` (with the same filter, so a row filter never silently disappears). `ADMIN`/`ADMIN_USER` read
 * everything unfiltered unless a matching `DATASOURCES:READ` scope carries a filter. Last matching scope wins.
 *
 * Shape: `{ filter? }` — `filter` is the scope's SQL row filter, to be applied as
 * `(SELECT * FROM t WHERE <filter>)` — or `null` when denied.
 *
 * @see tinybird-compat.md §1.3 ("Also gives read for the quarantine Data Source"), §2.3, §4.2
 */
export function datasourceReadAccess(
  p: Principal,
  ds: { id: string; name: string },
): { filter?: string } | null {
  const base = ds.name.endsWith(QUARANTINE_SUFFIX)
    ? ds.name.slice(0, -QUARANTINE_SUFFIX.length)
    : undefined
  let match: Scope | undefined
  for (const s of p.scopes) {
    if (s.type !== 'DATASOURCES:READ' || s.resource === undefined) continue
    if (
      s.resource === ds.name ||
      s.resource === ds.id ||
      (base !== undefined && base !== '' && s.resource === base)
    ) {
      match = s
    }
  }
  if (match !== undefined) {
    return match.filter !== undefined && match.filter !== '' ? { filter: match.filter } : {}
  }
  return isAdmin(p) ? {} : null
}

/**
 * True when the principal may append rows to the data source named `dsName` (Events API, Data Sources API
 * `mode=append`): `ADMIN`, `ADMIN_USER`, `DATASOURCES:CREATE` ("DS management", any data source) or
 * `DATASOURCES:APPEND:<dsName>`. Always false for a JWT.
 *
 * @see tinybird-compat.md §1.3 (Tinybird `may_append_ds`), §10 item 12
 */
export function canAppend(p: Principal, dsName: string): boolean {
  if (isAdmin(p) || hasScope(p, 'DATASOURCES:CREATE')) return true
  return p.scopes.some((s) => s.type === 'DATASOURCES:APPEND' && s.resource === dsName)
}
