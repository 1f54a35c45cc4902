/**
 * @module Token scopes: Tinybird's scope strings (`PIPES:READ:<pipe>[:<filter>]`, `ADMIN`, …), parsed into
 * {@link Scope} values and formatted back. Pure; imports only `../errors.js`.
 */
import { ServerError } from '../errors.js'

/**
 * Every scope type a Dunlin token can hold, spelled as in Tinybird's scope strings and Token API.
 * Tinybird's internal `AUTH` scope (UI only) and the legacy `READ:x` form are not accepted.
 *
 * @see tinybird-compat.md §1.3 (Tinybird `token_scope.py`, docs "Tokens" page)
 */
export type ScopeType =
  | 'ADMIN'
  | 'ADMIN_USER'
  | 'TOKENS'
  | 'DATASOURCES:CREATE'
  | 'DATASOURCES:APPEND'
  | 'DATASOURCES:READ'
  | 'DATASOURCES:DROP'
  | 'PIPES:CREATE'
  | 'PIPES:READ'
  | 'PIPES:DROP'

/**
 * Parameters a token pins for one pipe: param name → value. Names are case-sensitive. Values are JSON scalars or
 * flat arrays of them, exactly as they appear in a JWT's `scopes[].fixed_params`.
 *
 * @see tinybird-compat.md §2.3
 */
export type FixedParams = Readonly<
  Record<string, string | number | boolean | readonly (string | number | boolean)[]>
>

/**
 * One scope of a token.
 *
 * - `resource`: the pipe or data source name or id (for `ADMIN_USER`, the user id). Present exactly for the
 *   scope types that require one (see {@link scopeRequiresResource}). Never contains `:`.
 * - `filter`: a SQL boolean expression for row-level security (static tokens only, `DATASOURCES:READ` and
 *   `PIPES:READ` only). Absent when empty.
 * - `fixedParams`: pinned pipe parameters (`PIPES:READ` only; from a JWT's `fixed_params` or a static token's
 *   dict scope). Not representable in a scope string.
 */
export interface Scope {
  type: ScopeType
  resource?: string
  filter?: string
  fixedParams?: FixedParams
}

const WITH_RESOURCE: ReadonlySet<ScopeType> = new Set<ScopeType>([
  'ADMIN_USER',
  'DATASOURCES:APPEND',
  'DATASOURCES:READ',
  'DATASOURCES:DROP',
  'PIPES:READ',
  'PIPES:DROP',
])
const WITHOUT_RESOURCE: ReadonlySet<ScopeType> = new Set<ScopeType>([
  'ADMIN',
  'TOKENS',
  'DATASOURCES:CREATE',
  'PIPES:CREATE',
])
const WITH_FILTER: ReadonlySet<ScopeType> = new Set<ScopeType>(['DATASOURCES:READ', 'PIPES:READ'])

/** True for a string that is one of the {@link ScopeType} spellings (case-sensitive). */
export function isScopeType(text: string): text is ScopeType {
  return WITH_RESOURCE.has(text as ScopeType) || WITHOUT_RESOURCE.has(text as ScopeType)
}

/** True when `type` must carry a resource (`…:APPEND|READ|DROP`, `ADMIN_USER`); false for the workspace-wide ones. */
export function scopeRequiresResource(type: ScopeType): boolean {
  return WITH_RESOURCE.has(type)
}

/** True when `type` may carry a SQL filter or fixed params: `DATASOURCES:READ` and `PIPES:READ`. */
export function scopeAllowsFilter(type: ScopeType): boolean {
  return WITH_FILTER.has(type)
}

function badScope(message: string, details: Record<string, unknown> = {}): ServerError {
  return new ServerError('ERR_REQUEST_PARAM', message, { details: { param: 'scope', ...details } })
}

/**
 * Parses one scope string with Tinybird's rules.
 *
 * Split on `:`. When the first part is `DATASOURCES` or `PIPES`, the type is the first two parts joined; otherwise
 * it is the first part. The next part is the resource, and **everything after it, re-joined with `:`, is the SQL
 * filter**: `DATASOURCES:READ:ds:col > 'a:b'` → `{ type: 'DATASOURCES:READ', resource: 'ds', filter: "col > 'a:b'" }`.
 * An empty filter (`PIPES:READ:p:`) counts as none. Matching is case-sensitive.
 *
 * Shape: a {@link Scope} without `fixedParams`.
 *
 * @param text - A scope string as written in a datafile `TOKEN` line, the CLI or the Token API.
 * @throws {ServerError} `ERR_REQUEST_PARAM` (400): unknown type (`details.reason` `'unknown'`); a resource-taking
 *   type without one — message `scope 'X' requires a resource` (`'resource'`); a resource on a workspace-wide type
 *   (`'resource'`); a filter on a type other than `DATASOURCES:READ`/`PIPES:READ` — message
 *   `filters can't only be applied to READ scope`, Tinybird's sentence verbatim (`'filter'`).
 * @see tinybird-compat.md §1.3 (Tinybird `AccessToken.parse` and its doctests)
 * @example
 * ```ts
 * parseScope('PIPES:READ:top_pages') // → { type: 'PIPES:READ', resource: 'top_pages' }
 * parseScope('ADMIN')                // → { type: 'ADMIN' }
 * ```
 */
export function parseScope(text: string): Scope {
  const parts = text.split(':')
  const head = parts[0] ?? ''
  const grouped = head === 'DATASOURCES' || head === 'PIPES'
  const typeText = grouped ? `${head}:${parts[1] ?? ''}` : head
  const rest = parts.slice(grouped ? 2 : 1)
  if (!isScopeType(typeText)) {
    throw badScope('unknown scope', { reason: 'unknown' })
  }
  const resource = rest[0]
  const filter = rest.length > 1 ? rest.slice(1).join(':') : ''
  if (WITH_RESOURCE.has(typeText)) {
    if (resource === undefined || resource === '') {
      throw badScope(`scope '${typeText}' requires a resource`, { reason: 'resource' })
    }
  } else if (rest.length > 0) {
    throw badScope(`scope '${typeText}' does not take a resource`, { reason: 'resource' })
  }
  if (filter !== '' && !WITH_FILTER.has(typeText)) {
    throw badScope("filters can't only be applied to READ scope", { reason: 'filter' })
  }
  const scope: Scope = { type: typeText }
  if (resource !== undefined) scope.resource = resource
  if (filter !== '') scope.filter = filter
  return scope
}

/**
 * Formats a scope back into Tinybird's string form: `TYPE[:resource[:filter]]`. `fixedParams` has no string form
 * and is dropped. `parseScope(formatScope(s))` gives back `s` without `fixedParams`.
 *
 * @throws {TypeError} the scope is not well formed: a missing or extra resource, a resource that is empty or
 *   contains `:`, or a filter on a type that takes none (a bug in the caller: valid scopes come from
 *   {@link parseScope} or the JWT verifier).
 * @see tinybird-compat.md §1.3
 * @example
 * ```ts
 * formatScope({ type: 'DATASOURCES:READ', resource: 'events', filter: 'org = 1' }) // → 'DATASOURCES:READ:events:org = 1'
 * ```
 */
export function formatScope(scope: Scope): string {
  const needsResource = WITH_RESOURCE.has(scope.type)
  if (!isScopeType(scope.type)) throw new TypeError('formatScope: unknown scope type')
  if (needsResource !== (scope.resource !== undefined)) {
    throw new TypeError(
      `formatScope: scope '${scope.type}' ${needsResource ? 'requires' : 'does not take'} a resource`,
    )
  }
  if (scope.resource !== undefined && (scope.resource === '' || scope.resource.includes(':'))) {
    throw new TypeError('formatScope: a resource must be non-empty and must not contain ":"')
  }
  const filter = scope.filter ?? ''
  if (filter !== '' && !WITH_FILTER.has(scope.type)) {
    throw new TypeError(`formatScope: scope '${scope.type}' takes no filter`)
  }
  let out: string = scope.type
  if (scope.resource !== undefined) out += `:${scope.resource}`
  if (filter !== '') out += `:${filter}`
  return out
}
