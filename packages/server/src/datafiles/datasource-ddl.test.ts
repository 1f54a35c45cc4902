/** @module Unit tests for the DDL text: column list, Tinybird's default sorting key, and CREATE TABLE per engine. */
import { describe, expect, it } from 'vitest'
import {
  columnsSql,
  datasourceDdl,
  defaultSortingKey,
  engineSql,
  parseDatasource,
  quoteIdent,
  type ColumnDef,
} from './index.js'

const lines = (...xs: string[]): string => xs.join('\n')
const ds = (...xs: string[]) => parseDatasource(lines(...xs), 'events.datasource')
const col = (name: string, type: string): ColumnDef => ({ name, type, line: 1 })

describe('columnsSql', () => {
  it('drops jsonpaths and keeps DEFAULT and CODEC, joined with ",\\n"', () => {
    const d = ds(
      'SCHEMA >',
      '    `ts` DateTime `json:$.ts` DEFAULT now(),',
      '    `tags` Array(String) `json:$.tags[:]` DEFAULT [] CODEC(ZSTD(1)),',
      '    `d` DEFAULT 42',
    )
    expect(columnsSql(d.columns)).toBe(
      '`ts` DateTime DEFAULT now(),\n`tags` Array(String) DEFAULT [] CODEC(ZSTD(1)),\n`d` DEFAULT 42',
    )
  })

  it('escapes backticks and backslashes in identifiers', () => {
    expect(quoteIdent('a`b\\c')).toBe('`a\\`b\\\\c`')
  })
})

describe('defaultSortingKey', () => {
  it.each([
    [
      'first Date/DateTime column',
      [col('id', 'UInt64'), col('name', 'String'), col('ts', "DateTime64(3, 'UTC')")],
      '`ts`',
    ],
    [
      'numeric before String',
      [col('name', 'String'), col('n', 'Int16'), col('x', 'Float64')],
      '`n`',
    ],
    [
      'String when nothing else',
      [col('m', 'Map(String, String)'), col('s', 'LowCardinality(String)')],
      '`s`',
    ],
    ['Nullable columns are skipped', [col('ts', 'Nullable(DateTime)'), col('s', 'String')], '`s`'],
    [
      'no candidate: tuple()',
      [col('m', 'Map(String, String)'), col('a', 'Array(String)')],
      'tuple()',
    ],
    ['Decimal is numeric', [col('s', 'String'), col('p', 'Decimal(10, 2)')], '`p`'],
  ])('%s', (_name, columns, key) => {
    expect(defaultSortingKey(columns)).toBe(key)
  })
})

describe('datasourceDdl', () => {
  it('writes the seed events table with its sorting key', () => {
    const d = parseDatasource(
      lines(
        'SCHEMA >',
        '    `airline` String `json:$.airline`,',
        '    `priority_boarding` UInt8 `json:$.priority_boarding`,',
        '    `timestamp` String `json:$.timestamp`,',
        '    `transaction_id` String `json:$.transaction_id`',
        '',
        'ENGINE "MergeTree"',
        'ENGINE_SORTING_KEY "priority_boarding, timestamp, transaction_id"',
      ),
      'events.datasource',
    )
    expect(datasourceDdl(d, 'ws_main')).toBe(
      lines(
        'CREATE TABLE IF NOT EXISTS `ws_main`.`events`',
        '(',
        '    `airline` String,',
        '    `priority_boarding` UInt8,',
        '    `timestamp` String,',
        '    `transaction_id` String',
        ')',
        'ENGINE = MergeTree()',
        'ORDER BY (priority_boarding, timestamp, transaction_id)',
      ),
    )
  })

  it('writes every MergeTree clause, indexes, and honours ifNotExists/tableName', () => {
    const d = ds(
      'SCHEMA >',
      '    `start_datetime` DateTime,',
      '    `user_id` String,',
      "    `release` String DEFAULT '' CODEC(ZSTD(1))",
      'INDEXES >',
      '    user_idx user_id TYPE bloom_filter(0.001) GRANULARITY 4',
      'ENGINE MergeTree',
      'ENGINE_PARTITION_KEY toDate(start_datetime)',
      'ENGINE_SORTING_KEY user_id, start_datetime',
      'ENGINE_PRIMARY_KEY user_id',
      'ENGINE_SAMPLING_KEY start_datetime',
      'ENGINE_TTL toDate(start_datetime) + INTERVAL 7 DAY',
      'ENGINE_SETTINGS ttl_only_drop_parts = 1',
    )
    expect(datasourceDdl(d, 'db', { ifNotExists: false, tableName: 'events_staging' })).toBe(
      lines(
        'CREATE TABLE `db`.`events_staging`',
        '(',
        '    `start_datetime` DateTime,',
        '    `user_id` String,',
        "    `release` String DEFAULT '' CODEC(ZSTD(1)),",
        '    INDEX `user_idx` user_id TYPE bloom_filter(0.001) GRANULARITY 4',
        ')',
        'ENGINE = MergeTree()',
        'PARTITION BY toDate(start_datetime)',
        'ORDER BY (user_id, start_datetime)',
        'PRIMARY KEY user_id',
        'SAMPLE BY start_datetime',
        'TTL toDate(start_datetime) + INTERVAL 7 DAY',
        'SETTINGS ttl_only_drop_parts = 1',
      ),
    )
  })

  it('uses the default sorting key when ENGINE_SORTING_KEY is absent', () => {
    const d = ds('SCHEMA >', '    `name` String,', '    `ts` DateTime')
    expect(datasourceDdl(d, 'db').split('\n').slice(-2)).toEqual([
      'ENGINE = MergeTree()',
      'ORDER BY `ts`',
    ])
    const none = ds('SCHEMA >', '    `m` Map(String, String)')
    expect(datasourceDdl(none, 'db').split('\n').at(-1)).toBe('ORDER BY tuple()')
  })

  it.each([
    ['ReplacingMergeTree', ['ENGINE_VER v', 'ENGINE_IS_DELETED d'], 'ReplacingMergeTree(v, d)'],
    ['ReplacingMergeTree', [], 'ReplacingMergeTree()'],
    ['SummingMergeTree', ['ENGINE_SUMMING_COLUMNS "a, b"'], 'SummingMergeTree((a, b))'],
    ['SummingMergeTree', ['ENGINE_SUMMING_COLUMNS a'], 'SummingMergeTree(a)'],
    ['AggregatingMergeTree', [], 'AggregatingMergeTree()'],
    ['CollapsingMergeTree', ['ENGINE_SIGN s'], 'CollapsingMergeTree(s)'],
    [
      'VersionedCollapsingMergeTree',
      ['ENGINE_SIGN s', 'ENGINE_VERSION v'],
      'VersionedCollapsingMergeTree(s, v)',
    ],
    ['ReplicatedReplacingMergeTree', ['ENGINE_VER v'], 'ReplacingMergeTree(v)'],
    ['"ReplacingMergeTree(v)"', [], 'ReplacingMergeTree(v)'],
    [
      'Join',
      ['ENGINE_JOIN_STRICTNESS ANY', 'ENGINE_JOIN_TYPE LEFT', 'ENGINE_KEY_COLUMNS k'],
      'Join(ANY, LEFT, k)',
    ],
    ['Null', [], 'Null'],
  ])('ENGINE %s → %s', (engine, extra, expected) => {
    const d = ds(
      'SCHEMA >',
      '    k String, v UInt64, d UInt8, s Int8, a UInt64, b UInt64',
      `ENGINE ${engine}`,
      ...extra,
    )
    expect(engineSql(d.engine)).toBe(expected)
    expect(datasourceDdl(d, 'db')).toContain(`\nENGINE = ${expected}`)
  })

  it('writes a Null engine table with no keys, TTL or indexes', () => {
    const d = ds(
      'SCHEMA >',
      '    `a` String `json:$.a`',
      'INDEXES >',
      '    idx a TYPE set(10) GRANULARITY 1',
      'ENGINE Null',
      'ENGINE_SORTING_KEY a',
    )
    expect(datasourceDdl(d, 'db')).toBe(
      lines(
        'CREATE TABLE IF NOT EXISTS `db`.`events`',
        '(',
        '    `a` String',
        ')',
        'ENGINE = Null',
      ),
    )
  })

  it('writes a Join table with its settings and no ORDER BY', () => {
    const d = ds(
      'SCHEMA >',
      '    k UInt64, v String',
      'ENGINE Join',
      'ENGINE_JOIN_STRICTNESS ANY',
      'ENGINE_JOIN_TYPE LEFT',
      'ENGINE_KEY_COLUMNS k',
      'ENGINE_SETTINGS join_use_nulls = 1',
    )
    expect(datasourceDdl(d, 'db').split('\n').slice(-2)).toEqual([
      'ENGINE = Join(ANY, LEFT, k)',
      'SETTINGS join_use_nulls = 1',
    ])
  })

  it('keeps an already-parenthesised sorting key as written', () => {
    const d = ds('SCHEMA >', '    a String, b String', 'ENGINE_SORTING_KEY "(a, b)"')
    expect(datasourceDdl(d, 'db').split('\n').at(-1)).toBe('ORDER BY (a, b)')
  })
})
