/**
 * @module The catalog as a set of entries (a token, a data source, a pipe, …), so a store can save what one
 * process changed without overwriting what another changed meanwhile: entries merge one by one, and for one
 * entry the last write wins.
 */
import type { CatalogState } from './types.js'

/** What an entry is. `workspace` has the single key `''`; `materialization` maps a view name to its SQL hash. */
export type EntryKind =
  | 'workspace'
  | 'token'
  | 'datasource'
  | 'pipe'
  | 'chart'
  | 'signingKey'
  | 'revocation'
  | 'materialization'

/** One entry set (`value` defined) or deleted (`value` undefined). */
export interface CatalogChange {
  readonly kind: EntryKind
  readonly key: string
  readonly value: unknown
}

type ListKind = Exclude<EntryKind, 'workspace' | 'materialization'>
type ListField = 'tokens' | 'datasources' | 'pipes' | 'charts' | 'signingKeys' | 'revocations'

const LISTS: readonly { kind: ListKind; field: ListField; key: (e: never) => string }[] = [
  { kind: 'token', field: 'tokens', key: (e: { id: string }) => e.id },
  { kind: 'datasource', field: 'datasources', key: (e: { name: string }) => e.name },
  { kind: 'pipe', field: 'pipes', key: (e: { name: string }) => e.name },
  { kind: 'chart', field: 'charts', key: (e: { id: string }) => e.id },
  { kind: 'signingKey', field: 'signingKeys', key: (e: { kid: string }) => e.kid },
  {
    kind: 'revocation',
    field: 'revocations',
    key: (e: { type: string; value: string }) => `${e.type}:${e.value}`,
  },
]

/** Every entry of a state, in the order its lists hold them. */
export function catalogEntries(state: CatalogState): Map<string, CatalogChange> {
  const out = new Map<string, CatalogChange>()
  const put = (kind: EntryKind, key: string, value: unknown): void => {
    out.set(`${kind}\u0000${key}`, { kind, key, value })
  }
  put('workspace', '', state.workspace)
  for (const l of LISTS) {
    for (const e of (state[l.field] ?? []) as readonly never[]) put(l.kind, l.key(e), e)
  }
  for (const [k, v] of Object.entries(state.materializations ?? {})) put('materialization', k, v)
  return out
}

/**
 * The entries `next` sets or deletes compared with `prev` (all of `next` when `prev` is undefined). Entries are
 * compared by value (JSON), so an unchanged entry is never rewritten.
 */
export function diffCatalog(prev: CatalogState | undefined, next: CatalogState): CatalogChange[] {
  const before = prev === undefined ? new Map<string, CatalogChange>() : catalogEntries(prev)
  const after = catalogEntries(next)
  const changes: CatalogChange[] = []
  for (const [id, c] of after) {
    const b = before.get(id)
    if (b === undefined || JSON.stringify(b.value) !== JSON.stringify(c.value)) changes.push(c)
  }
  for (const [id, b] of before) {
    if (!after.has(id)) changes.push({ kind: b.kind, key: b.key, value: undefined })
  }
  return changes
}

/**
 * Applies changes to a state: set entries replace the entry with the same key in place (or are appended),
 * deleted ones are removed. `base` undefined starts from nothing; the result is undefined while no
 * `workspace` entry exists.
 */
export function applyChanges(
  base: CatalogState | undefined,
  changes: Iterable<CatalogChange>,
): CatalogState | undefined {
  const entries = base === undefined ? new Map<string, CatalogChange>() : catalogEntries(base)
  for (const c of changes) {
    const id = `${c.kind}\u0000${c.key}`
    // A Map keeps an existing key's position on set, so replaced entries stay in place.
    if (c.value === undefined) entries.delete(id)
    else entries.set(id, c)
  }
  return fromEntries(entries.values())
}

/** Builds a state from entries (in order); undefined without a `workspace` entry. */
export function fromEntries(entries: Iterable<CatalogChange>): CatalogState | undefined {
  let workspace: CatalogState['workspace'] | undefined
  const lists = new Map<ListKind, unknown[]>(LISTS.map((l) => [l.kind, []]))
  const materializations: Record<string, string> = {}
  for (const e of entries) {
    if (e.value === undefined) continue
    if (e.kind === 'workspace') workspace = e.value as CatalogState['workspace']
    else if (e.kind === 'materialization') {
      if (typeof e.value === 'string') materializations[e.key] = e.value
    } else lists.get(e.kind)?.push(e.value)
  }
  if (workspace === undefined) return undefined
  const list = <T>(kind: ListKind): T[] => (lists.get(kind) ?? []) as T[]
  return {
    version: 1,
    workspace,
    tokens: list('token'),
    datasources: list('datasource'),
    pipes: list('pipe'),
    charts: list('chart'),
    signingKeys: list('signingKey'),
    revocations: list('revocation'),
    materializations,
  }
}
