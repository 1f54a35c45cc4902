import { describe, expect, it } from 'vitest'
import { datasourceDdlParts, type DatasourceFile } from '../datafiles/index.js'
import { clusterLayout, mergeTreeParts, singleNodeLayout } from './layout.js'

const events: DatasourceFile = {
  name: 'events',
  columns: [
    { name: 'ts', type: 'DateTime', line: 1 },
    { name: 'airline', type: 'LowCardinality(String)', codec: 'ZSTD(1)', line: 2 },
  ],
  indexes: [],
  engine: {
    type: 'ReplacingMergeTree',
    ver: 'ts',
    sortingKey: 'airline, ts',
    shardingKey: 'cityHash64(airline)',
  },
  tokens: [],
} as unknown as DatasourceFile

const spec = { database: 'db', name: 'events', parts: datasourceDdlParts(events) }

describe('singleNodeLayout', () => {
  it('creates one table under the data source name', () => {
    const [ddl, ...rest] = singleNodeLayout().createTable(spec)
    expect(rest).toEqual([])
    expect(ddl).toContain('CREATE TABLE IF NOT EXISTS `db`.`events`')
    expect(ddl).toContain('ENGINE = ReplacingMergeTree(ts)')
    expect(ddl).toContain('ORDER BY (airline, ts)')
  })
})

describe('clusterLayout', () => {
  const layout = clusterLayout('c1', { replicated: true, pathSuffix: () => 'abcd' })

  it('creates a local table on every shard and a Distributed table over it, sharded by the datafile key', () => {
    const [local, dist] = layout.createTable(spec)
    expect(local).toContain('CREATE TABLE IF NOT EXISTS `db`.`events__local` ON CLUSTER `c1`')
    expect(local).toContain(
      "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/db/events__local/abcd', '{replica}', ts)",
    )
    expect(local).toContain('CODEC(ZSTD(1))')
    expect(dist).toContain('CREATE TABLE IF NOT EXISTS `db`.`events` ON CLUSTER `c1`')
    expect(dist).toContain('ENGINE = Distributed(`c1`, `db`, `events__local`, cityHash64(airline))')
    // A Distributed table declares plain columns: no codecs.
    expect(dist).not.toContain('CODEC')
  })

  it('shards by rand() without ENGINE_SHARDING_KEY and stays unreplicated when asked', () => {
    const plain = clusterLayout('c1', { replicated: false })
    const [local, dist] = plain.createTable({
      database: 'db',
      name: 'q',
      parts: mergeTreeParts(['`x` String'], ['ORDER BY x']),
    })
    expect(local).toContain('ENGINE = MergeTree')
    expect(local).not.toContain('Replicated')
    expect(dist).toContain('Distributed(`c1`, `db`, `q__local`, rand())')
  })

  it('changes, empties and deletes through the local tables, on the whole cluster', () => {
    expect(layout.addColumn('db', 'events', '`n` UInt8')).toEqual([
      'ALTER TABLE `db`.`events__local` ON CLUSTER `c1` ADD COLUMN `n` UInt8',
      'ALTER TABLE `db`.`events` ON CLUSTER `c1` ADD COLUMN `n` UInt8',
    ])
    expect(layout.truncate('db', 'events')).toEqual([
      'TRUNCATE TABLE IF EXISTS `db`.`events__local` ON CLUSTER `c1`',
    ])
    expect(layout.deleteWhere('db', 'events', 'x = 1')).toEqual([
      'ALTER TABLE `db`.`events__local` ON CLUSTER `c1` DELETE WHERE (x = 1)',
    ])
    expect(layout.dropTable('db', 'events', false)).toEqual([
      'DROP TABLE IF EXISTS `db`.`events` ON CLUSTER `c1`',
      'DROP TABLE IF EXISTS `db`.`events__local` ON CLUSTER `c1`',
    ])
  })

  it('creates materialized views per shard, into the local target', () => {
    expect(layout.createMaterializedView('db', 'p__n__mv', 'agg', 'SELECT 1')).toEqual([
      'CREATE MATERIALIZED VIEW `db`.`p__n__mv` ON CLUSTER `c1` TO `db`.`agg__local` AS SELECT 1',
    ])
  })
})

describe('datasourceDdlParts', () => {
  it('declares plain types for servers without LowCardinality', () => {
    const parts = datasourceDdlParts(events, { lowCardinality: false })
    expect(parts.body).toContain('`airline` String CODEC(ZSTD(1))')
  })
})
