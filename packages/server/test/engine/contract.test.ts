import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, it } from 'vitest'
import { expect } from 'vitest'
import { openChdbEngine, openClickHouseEngine, type Engine } from '../../src/engine/index.js'
import { clusterLayout, mergeTreeParts, openClusterLayout } from '../../src/catalog/index.js'
import { engineContract } from '../contracts/engine.contract.js'
import {
  hasClickHouseServer,
  hasZooKeeper,
  startClickHouse,
  type TestClickHouse,
} from '../helpers/clickhouse.js'

engineContract('chdb (embedded)', () =>
  openChdbEngine({ dataDir: mkdtempSync(join(tmpdir(), 'dunlin-contract-')) }),
)

if (hasClickHouseServer) {
  let server: TestClickHouse | undefined
  afterAll(() => {
    server?.stop()
  })
  engineContract('ClickHouse server (HTTP)', () => {
    server = startClickHouse(28123)
    return openClickHouseEngine({ url: server.url })
  })
} else {
  describe('engine contract: ClickHouse server (HTTP)', () => {
    it.skip('needs Debian clickhouse-server (installed by .ci/run): not installed on this machine', () =>
      undefined)
  })
}

/** Cluster mode's engine settings: acknowledged inserts are on their shards; subqueries read whole tables. */
const CLUSTER_SETTINGS = { insert_distributed_sync: 1, distributed_product_mode: 'global' } as const

if (hasZooKeeper) {
  let cluster: TestClickHouse | undefined
  afterAll(() => {
    cluster?.stop()
  })
  const startCluster = (): TestClickHouse => {
    cluster ??= startClickHouse(28223, { zookeeper: true })
    return cluster
  }
  engineContract(
    'two-shard cluster (Distributed over local tables, ON CLUSTER DDL)',
    () => openClickHouseEngine({ url: startCluster().url, settings: CLUSTER_SETTINGS }),
    { layout: clusterLayout('dunlin', { replicated: false }) },
  )

  describe('cluster layouts on a real cluster', () => {
    let engine: Engine | undefined
    afterAll(async () => {
      await engine?.close()
    })

    it('spreads rows over both shards and reads them back whole through the Distributed table', async () => {
      const c = startCluster()
      engine = await openClickHouseEngine({ url: c.url, settings: CLUSTER_SETTINGS })
      const layout = await openClusterLayout(engine, 'dunlin')
      expect(layout.replicated).toBe(false)
      for (const sql of [
        ...layout.createDatabase('spread'),
        ...layout.createTable({
          database: 'spread',
          name: 't',
          parts: mergeTreeParts(['n UInt32'], ['ORDER BY n']),
        }),
      ])
        await engine.command(sql)
      const rows = Array.from({ length: 1000 }, (_, i) => JSON.stringify({ n: i })).join('\n')
      await engine.insert('spread.t', rows, 'JSONEachRow')
      const total = await engine.query('SELECT count() AS rows, sum(n) AS total FROM spread.t', {
        format: 'JSONEachRow',
      })
      expect(JSON.parse(total.text())).toEqual({ rows: 1000, total: 499_500 })
      const other = await openClickHouseEngine({ url: c.url2 })
      try {
        const here = await localCount(engine)
        const there = await localCount(other)
        // rand() sharding: both shards hold rows, and together all of them.
        expect(here).toBeGreaterThan(0)
        expect(there).toBeGreaterThan(0)
        expect(here + there).toBe(1000)
      } finally {
        await other.close()
      }
    })

    it('replicates with Replicated*MergeTree when the cluster has replicas', async () => {
      const c = startCluster()
      engine ??= await openClickHouseEngine({ url: c.url, settings: CLUSTER_SETTINGS })
      const layout = await openClusterLayout(engine, 'dunlin_repl')
      expect(layout.replicated).toBe(true)
      const statements = [
        ...layout.createDatabase('repl'),
        ...layout.createTable({
          database: 'repl',
          name: 't',
          parts: mergeTreeParts(['n UInt32'], ['ORDER BY n']),
        }),
      ]
      expect(statements.join('\n')).toContain('ReplicatedMergeTree(')
      for (const sql of statements) await engine.command(sql)
      await engine.insert('repl.t', '{"n":1}\n{"n":2}\n{"n":3}\n', 'JSONEachRow')
      const replica = await openClickHouseEngine({ url: c.url2 })
      try {
        await replica.command('SYSTEM SYNC REPLICA repl.t__local')
        const r = await replica.query('SELECT sum(n) AS s FROM repl.t__local', {
          format: 'JSONEachRow',
        })
        expect(JSON.parse(r.text())).toEqual({ s: 6 })
      } finally {
        await replica.close()
      }
    })
  })
} else {
  describe('engine contract: two-shard cluster', () => {
    it.skip('needs Debian clickhouse-server and zookeeper (installed by .ci/run): not installed on this machine', () =>
      undefined)
  })
}

async function localCount(engine: Engine): Promise<number> {
  const r = await engine.query('SELECT count() AS n FROM spread.t__local', {
    format: 'JSONEachRow',
  })
  return (JSON.parse(r.text()) as { n: number }).n
}
