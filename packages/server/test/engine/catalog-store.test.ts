/**
 * The shared catalog (`ClickHouseCatalogStore`) on a real two-node cluster, one store per node as two Dunlin
 * processes would have: what one saves the other loads, concurrent saves of different entries merge, and the
 * log compacts itself in merges without changing what a load returns.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ClickHouseCatalogStore } from '../../src/catalog/clickhouse-store.js'
import type { CatalogState, TokenEntry } from '../../src/catalog/index.js'
import { openClickHouseEngine, type Engine } from '../../src/engine/index.js'
import { hasZooKeeper, startClickHouse, type TestClickHouse } from '../helpers/clickhouse.js'

const token = (name: string, description = ''): TokenEntry => ({
  id: `id_${name}`,
  name,
  hash: `hash_${name}`,
  sealed: `v1.sealed.${name}`,
  scopes: [`PIPES:READ:${name}`],
  description,
  origin: { type: 'api' },
  createdAt: '2026-11-23T00:00:00.000Z',
})

const base: CatalogState = {
  version: 1,
  workspace: {
    id: '3f6b8c2e-1d4a-4b7e-9a0c-5e2f7d1b8a90',
    name: 'dunlin',
    database: 'dunlin_3f6b8c2e1d4a4b7e',
    createdAt: '2026-11-23T00:00:00.000Z',
  },
  tokens: [token('admin')],
  datasources: [],
  pipes: [],
}

const names = (s: CatalogState | undefined): string[] => (s?.tokens ?? []).map((t) => t.name).sort()

/** Loads through `store` until `ok` holds: the other node's rows arrive by replication, a moment later. */
async function eventually(
  store: ClickHouseCatalogStore,
  ok: (s: CatalogState | undefined) => boolean,
): Promise<CatalogState | undefined> {
  let s: CatalogState | undefined
  for (let i = 0; i < 100; i++) {
    s = await store.load()
    if (ok(s)) return s
    await new Promise((r) => setTimeout(r, 100))
  }
  return s
}

describe.skipIf(!hasZooKeeper)('ClickHouseCatalogStore on a two-node cluster', () => {
  let ch: TestClickHouse
  let e1: Engine
  let e2: Engine
  let a: ClickHouseCatalogStore
  let b: ClickHouseCatalogStore

  beforeAll(async () => {
    ch = startClickHouse(28823, { zookeeper: true })
    e1 = await openClickHouseEngine({ url: ch.url })
    e2 = await openClickHouseEngine({ url: ch.url2 })
    a = await ClickHouseCatalogStore.open({ engine: e1, cluster: 'dunlin' })
    b = await ClickHouseCatalogStore.open({ engine: e2, cluster: 'dunlin' })
  })
  afterAll(async () => {
    await e1.close()
    await e2.close()
    ch.stop()
  })

  it('creates a self-compacting, replicated log on every node', async () => {
    for (const e of [e1, e2]) {
      const r = await e.query(
        "SELECT engine FROM system.tables WHERE database = 'dunlin_catalog' AND name = 'catalog'",
        { format: 'JSONEachRow' },
      )
      expect(JSON.parse(r.text())).toEqual({ engine: 'ReplicatedReplacingMergeTree' })
    }
  })

  it('loads on one node what was saved on the other; a first save never overwrites a catalog', async () => {
    expect(await a.load()).toBeUndefined()
    const saved = await a.save(undefined, base)
    expect(saved).toMatchObject(base)
    expect(await eventually(b, (s) => s !== undefined)).toEqual(saved)
    // Another process starting fresh gets the existing catalog back, not its own.
    const other = { ...base, workspace: { ...base.workspace, id: 'another' } }
    expect((await b.save(undefined, other)).workspace.id).toBe(base.workspace.id)
  })

  it('merges saves of different entries made at once on both nodes', async () => {
    const prev = (await a.load())!
    await Promise.all([
      a.save(prev, { ...prev, tokens: [...prev.tokens, token('from_a')] }),
      b.save(prev, { ...prev, tokens: [...prev.tokens, token('from_b')] }),
    ])
    const want = ['admin', 'from_a', 'from_b']
    expect(names(await eventually(a, (s) => names(s).length === 3))).toEqual(want)
    expect(names(await eventually(b, (s) => names(s).length === 3))).toEqual(want)
  })

  it('compacts an entry saved many times to its newest row, and a deleted one to a tombstone', async () => {
    let state = (await a.load())!
    for (let i = 1; i <= 25; i++) {
      const tokens = state.tokens.map((t) => (t.name === 'from_a' ? token('from_a', `v${i}`) : t))
      state = await a.save(state, { ...state, tokens })
    }
    state = await a.save(state, {
      ...state,
      tokens: state.tokens.filter((t) => t.name !== 'from_b'),
    })
    const rows = async (): Promise<Record<string, number>> => {
      const r = await e1.query(
        "SELECT key, count() AS n FROM dunlin_catalog.catalog WHERE kind = 'token' GROUP BY key",
        { format: 'JSONEachRow' },
      )
      const out: Record<string, number> = {}
      for (const line of r.text().trim().split('\n')) {
        const { key, n } = JSON.parse(line) as { key: string; n: string | number }
        out[key] = Number(n)
      }
      return out
    }
    expect(Object.values(await rows()).some((n) => n > 1)).toBe(true)
    const before = await a.load()
    // On a replicated table the merge is queued through ZooKeeper and may wait for parts still being fetched
    // from the other node: ask again until it has run (a few seconds at most).
    let compacted = false
    for (let i = 0; i < 50 && !compacted; i++) {
      await e1.command('OPTIMIZE TABLE dunlin_catalog.catalog FINAL')
      compacted = Object.values(await rows()).every((n) => n === 1)
      if (!compacted) await new Promise((r) => setTimeout(r, 200))
    }
    expect(compacted).toBe(true)
    const after = await a.load()
    expect(after).toEqual(before)
    expect(names(after)).toEqual(['admin', 'from_a'])
    expect(after?.tokens.find((t) => t.name === 'from_a')?.description).toBe('v25')
  })

  it('changes its version with every save, so other processes notice', async () => {
    const v1 = await a.version()
    const s = (await a.load())!
    await a.save(s, { ...s, tokens: [...s.tokens, token('later')] })
    expect(await a.version()).not.toBe(v1)
    expect(names(await eventually(b, (x) => names(x).includes('later')))).toContain('later')
  })
})
