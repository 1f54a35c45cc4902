import { describe, expect, it } from 'vitest'
import { applyChanges, diffCatalog } from './changes.js'
import type { CatalogState, TokenEntry } from './types.js'

const token = (id: string, scopes: string[] = ['ADMIN']): TokenEntry => ({
  id,
  name: `token_${id}`,
  hash: `h${id}`,
  sealed: `s${id}`,
  scopes,
  origin: { type: 'api' },
  createdAt: '2026-01-01T00:00:00.000Z',
})

const base: CatalogState = {
  version: 1,
  workspace: {
    id: 'w',
    name: 'dunlin',
    database: 'dunlin_w',
    createdAt: '2026-01-01T00:00:00.000Z',
  },
  tokens: [token('a'), token('b')],
  datasources: [],
  pipes: [],
  charts: [],
  signingKeys: [],
  revocations: [],
  materializations: { mv: 'hash1' },
}

describe('diffCatalog', () => {
  it('lists only the entries that changed, and deletions without a value', () => {
    const next: CatalogState = {
      ...base,
      tokens: [token('a', ['PIPES:READ:x']), token('c')],
      materializations: {},
    }
    expect(diffCatalog(base, next)).toEqual([
      { kind: 'token', key: 'a', value: token('a', ['PIPES:READ:x']) },
      { kind: 'token', key: 'c', value: token('c') },
      { kind: 'token', key: 'b', value: undefined },
      { kind: 'materialization', key: 'mv', value: undefined },
    ])
  })

  it('is empty for an unchanged catalog', () => {
    expect(diffCatalog(base, structuredClone(base))).toEqual([])
  })
})

describe('applyChanges', () => {
  it("keeps another process's concurrent change to another entry", () => {
    // Process 1 revokes a JWT name while process 2 deleted token b: both survive the merge.
    const theirs: CatalogState = { ...base, tokens: [token('a')] }
    const mine: CatalogState = {
      ...base,
      revocations: [
        { type: 'name', value: 'jwt1', expiresAt: '2027-01-01T00:00:00.000Z', createdAt: 'x' },
      ],
    }
    const merged = applyChanges(theirs, diffCatalog(base, mine))
    expect(merged?.tokens.map((t) => t.id)).toEqual(['a'])
    expect(merged?.revocations?.map((r) => r.value)).toEqual(['jwt1'])
  })

  it('replaces an entry in place and lets the last write win for the same entry', () => {
    const first = applyChanges(base, [{ kind: 'token', key: 'a', value: token('a', ['one']) }])
    const second = applyChanges(first, [{ kind: 'token', key: 'a', value: token('a', ['two']) }])
    expect(second?.tokens.map((t) => [t.id, t.scopes])).toEqual([
      ['a', ['two']],
      ['b', ['ADMIN']],
    ])
  })

  it('builds nothing until a workspace entry exists', () => {
    expect(applyChanges(undefined, [{ kind: 'token', key: 'a', value: token('a') }])).toBe(
      undefined,
    )
    expect(applyChanges(undefined, diffCatalog(undefined, base))).toEqual(base)
  })
})
