/**
 * @module Unit tests for `.datasource` parsing: the seed file, Classic, Forward and Tinybird-internal styles, every
 * column form, and each error with its line and column.
 */
import { describe, expect, it } from 'vitest'
import { ServerError } from '../errors.js'
import { parseDatasource } from './index.js'

const lines = (...xs: string[]): string => xs.join('\n')

const thrown = (
  fn: () => unknown,
): { code: string; line: unknown; column: unknown; message: string } => {
  try {
    fn()
  } catch (e) {
    if (!(e instanceof ServerError)) throw e
    return {
      code: e.code,
      line: e.details?.['line'],
      column: e.details?.['column'],
      message: e.message,
    }
  }
  throw new Error('did not throw')
}

/**
 * The seed's `events.datasource`. guide-nextjs-jwt-auth's copy is not in the search index; this is the same
 * airline-bookings file from tinybirdco/guide-tinybird-charts (`tinybird/datasources/events.datasource`), verbatim.
 */
const SEED_EVENTS =
  '\nSCHEMA >\n    `age` Int16 `json:$.age`,\n    `airline` String `json:$.airline`,\n    `email` String `json:$.email`,\n    `extra_bags` Int16 `json:$.extra_bags`,\n    `flight_from` String `json:$.flight_from`,\n    `flight_to` String `json:$.flight_to`,\n    `meal_choice` String `json:$.meal_choice`,\n    `name` String `json:$.name`,\n    `passport_number` Int32 `json:$.passport_number`,\n    `priority_boarding` UInt8 `json:$.priority_boarding`,\n    `timestamp` String `json:$.timestamp`,\n    `transaction_id` String `json:$.transaction_id`\n\nENGINE "MergeTree"\nENGINE_SORTING_KEY "priority_boarding, timestamp, transaction_id"\n'

/** Classic style: VERSION, comments, quoted values, TAGS, connector lines Dunlin ignores. */
const CLASSIC = lines(
  'VERSION 0',
  "# Data Source created from Pipe 'analytics_sessions'",
  '',
  'DESCRIPTION >',
  '    Sessions, one row per session and day.',
  '',
  '    Built by the `analytics_sessions` pipe.',
  '',
  'TAGS "web, sessions"',
  '',
  'SCHEMA >',
  '    `date` Date,',
  '    `session_id` String,',
  '    `device` SimpleAggregateFunction(any, String),',
  '    `first_hit` SimpleAggregateFunction(min, DateTime),',
  '    `hits` AggregateFunction(count)',
  '',
  'ENGINE "AggregatingMergeTree"',
  'ENGINE_PARTITION_KEY "toYYYYMM(date)"',
  'ENGINE_SORTING_KEY "date, session_id"',
  '',
  'KAFKA_CONNECTION_NAME my_kafka',
  'KAFKA_TOPIC sessions',
  'IMPORT_SCHEDULE "@on-demand"',
  'SHARED_WITH >',
  '    other_workspace',
  '',
)

/** Forward style (after tinybirdco/web-analytics-starter-kit analytics_events): bare values, READ token, FORWARD_QUERY. */
const FORWARD = lines(
  'DESCRIPTION >',
  '    Analytics events landing data source',
  '',
  'TOKEN "tracker" APPEND',
  'TOKEN dashboard READ',
  '',
  'SCHEMA >',
  '    `timestamp` DateTime `json:$.timestamp`,',
  '    `session_id` Nullable(String) `json:$.session_id`,',
  '    `action` LowCardinality(String) `json:$.action`,',
  '    `payload` String `json:$.payload`,',
  "    `tenant_id` String `json:$.tenant_id` DEFAULT '',",
  '    `tags` Array(String) `json:$.tags[:]`',
  '',
  'ENGINE MergeTree',
  'ENGINE_PARTITION_KEY toYYYYMM(timestamp)',
  'ENGINE_SORTING_KEY tenant_id, timestamp',
  'ENGINE_TTL timestamp + toIntervalDay(60)',
  '',
  'FORWARD_QUERY >',
  '    SELECT timestamp, session_id, action, payload, tenant_id, [] AS tags',
  '    FROM analytics_events',
)

/** Tinybird's internal style (equivalent of `pipe_stats_rt.datasource`): INDEXES, TTL, SETTINGS, unquoted values. */
const INTERNAL = lines(
  'TOKEN "pipe_stats_rt (Data Source append)" APPEND',
  '',
  'SCHEMA >',
  '    `start_datetime` DateTime,',
  '    `user_id` String,',
  '    `pipe_id` String,',
  '    `pipe_name` String,',
  '    `duration` Float32,',
  '    `url` Nullable(String),',
  '    `error` UInt8,',
  '    `parameters` Map(String, String),',
  "    `release` String DEFAULT ''",
  '',
  'INDEXES >',
  '    pipe_name_idx pipe_name TYPE bloom_filter(0.001) GRANULARITY 4',
  '    INDEX parameters_values_idx mapValues(parameters) TYPE bloom_filter(0.01) GRANULARITY 1',
  '',
  'ENGINE MergeTree',
  'ENGINE_PARTITION_KEY toDate(start_datetime)',
  'ENGINE_SETTINGS ttl_only_drop_parts = 1',
  'ENGINE_SORTING_KEY user_id, pipe_id, start_datetime',
  'ENGINE_TTL toDate(start_datetime) + INTERVAL 7 DAY',
)

describe('parseDatasource: real-world files', () => {
  it('parses the seed events.datasource', () => {
    const ds = parseDatasource(SEED_EVENTS, 'tinybird/datasources/events.datasource')
    expect(ds.name).toBe('events')
    expect(ds.file).toBe('tinybird/datasources/events.datasource')
    expect(ds.columns).toHaveLength(12)
    expect(ds.columns[0]).toEqual({ name: 'age', type: 'Int16', jsonPath: '$.age', line: 3 })
    expect(ds.columns[11]).toEqual({
      name: 'transaction_id',
      type: 'String',
      jsonPath: '$.transaction_id',
      line: 14,
    })
    expect(ds.engine).toEqual({
      type: 'MergeTree',
      sortingKey: 'priority_boarding, timestamp, transaction_id',
    })
    expect(ds).toMatchObject({ indexes: [], tokens: [], tags: [] })
    expect(ds.description).toBeUndefined()
  })

  it('parses the Classic style and ignores connector settings', () => {
    const ds = parseDatasource(CLASSIC, 'analytics_sessions_mv.datasource')
    expect(ds.name).toBe('analytics_sessions_mv')
    expect(ds.description).toBe(
      'Sessions, one row per session and day.\n\nBuilt by the `analytics_sessions` pipe.',
    )
    expect(ds.tags).toEqual(['web', 'sessions'])
    expect(ds.columns.map((c) => [c.name, c.type, c.line])).toEqual([
      ['date', 'Date', 12],
      ['session_id', 'String', 13],
      ['device', 'SimpleAggregateFunction(any, String)', 14],
      ['first_hit', 'SimpleAggregateFunction(min, DateTime)', 15],
      ['hits', 'AggregateFunction(count)', 16],
    ])
    expect(ds.engine).toEqual({
      type: 'AggregatingMergeTree',
      partitionKey: 'toYYYYMM(date)',
      sortingKey: 'date, session_id',
    })
  })

  it('parses the Forward style', () => {
    const ds = parseDatasource(FORWARD, 'datasources/analytics_events.datasource')
    expect(ds.description).toBe('Analytics events landing data source')
    expect(ds.tokens).toEqual([
      { name: 'tracker', permission: 'APPEND' },
      { name: 'dashboard', permission: 'READ' },
    ])
    expect(ds.columns[4]).toEqual({
      name: 'tenant_id',
      type: 'String',
      jsonPath: '$.tenant_id',
      defaultExpr: "''",
      line: 12,
    })
    expect(ds.columns[5]).toEqual({
      name: 'tags',
      type: 'Array(String)',
      jsonPath: '$.tags[:]',
      line: 13,
    })
    expect(ds.engine).toEqual({
      type: 'MergeTree',
      partitionKey: 'toYYYYMM(timestamp)',
      sortingKey: 'tenant_id, timestamp',
      ttl: 'timestamp + toIntervalDay(60)',
    })
    expect(ds.forwardQuery).toBe(
      'SELECT timestamp, session_id, action, payload, tenant_id, [] AS tags\nFROM analytics_events',
    )
  })

  it('parses the internal style with INDEXES, ENGINE_TTL and ENGINE_SETTINGS', () => {
    const ds = parseDatasource(INTERNAL, 'pipe_stats_rt.datasource')
    expect(ds.tokens).toEqual([
      { name: 'pipe_stats_rt (Data Source append)', permission: 'APPEND' },
    ])
    expect(ds.columns).toHaveLength(9)
    expect(ds.columns[8]).toEqual({ name: 'release', type: 'String', defaultExpr: "''", line: 12 })
    expect(ds.indexes).toEqual([
      { name: 'pipe_name_idx', expr: 'pipe_name', type: 'bloom_filter(0.001)', granularity: 4 },
      {
        name: 'parameters_values_idx',
        expr: 'mapValues(parameters)',
        type: 'bloom_filter(0.01)',
        granularity: 1,
      },
    ])
    expect(ds.engine).toEqual({
      type: 'MergeTree',
      partitionKey: 'toDate(start_datetime)',
      settings: 'ttl_only_drop_parts = 1',
      sortingKey: 'user_id, pipe_id, start_datetime',
      ttl: 'toDate(start_datetime) + INTERVAL 7 DAY',
    })
  })
})

describe('parseDatasource: column syntax', () => {
  it.each([
    ['bare name', 'a String', { name: 'a', type: 'String' }],
    [
      'DateTime64 with timezone',
      "ts DateTime64(3, 'UTC')",
      { name: 'ts', type: "DateTime64(3, 'UTC')" },
    ],
    [
      'nested tuple',
      '`t` Array(Tuple(a String, b Nullable(Int32)))',
      { name: 't', type: 'Array(Tuple(a String, b Nullable(Int32)))' },
    ],
    ['LowCardinality', '`c` LowCardinality(String)', { type: 'LowCardinality(String)' }],
    [
      'AggregateFunction',
      'u AggregateFunction(uniq, String)',
      { type: 'AggregateFunction(uniq, String)' },
    ],
    [
      'SimpleAggregateFunction',
      's SimpleAggregateFunction(sum, UInt64)',
      { type: 'SimpleAggregateFunction(sum, UInt64)' },
    ],
    [
      'Enum with commas in strings',
      "e Enum8('a' = 1, 'b,c' = 2)",
      { type: "Enum8('a' = 1, 'b,c' = 2)" },
    ],
    ['Map of arrays', 'm Map(String, Array(String))', { type: 'Map(String, Array(String))' }],
    ['array jsonpath', 'tags Array(String) `json:$.tags[:]`', { jsonPath: '$.tags[:]' }],
    ['jsonpath holding --', 'x String `json:$.aa--bb`', { jsonPath: '$.aa--bb' }],
    ['nested jsonpath', 'x String `json:$.a.b.c`', { jsonPath: '$.a.b.c' }],
    [
      'DEFAULT with commas inside parens',
      "x String DEFAULT if(length(y) > 1, 'a,b', 'c')",
      { defaultExpr: "if(length(y) > 1, 'a,b', 'c')" },
    ],
    [
      'DEFAULT before the jsonpath',
      "x String DEFAULT 'n/a' `json:$.x`",
      { defaultExpr: "'n/a'", jsonPath: '$.x' },
    ],
    [
      'DEFAULT with a lambda',
      'i Array(String) `json:$.i` DEFAULT arrayMap(k -> lower(k), mapKeys(m))',
      { defaultExpr: 'arrayMap(k -> lower(k), mapKeys(m))' },
    ],
    ['escaped quote in DEFAULT', "x String DEFAULT 'it\\'s'", { defaultExpr: "'it\\'s'" }],
    ['CODEC list', 'v Float64 CODEC(Delta(4), ZSTD(1))', { codec: 'Delta(4), ZSTD(1)' }],
    [
      'jsonpath, DEFAULT and CODEC together',
      'x UInt64 `json:$.x` DEFAULT 0 CODEC(T64)',
      { type: 'UInt64', jsonPath: '$.x', defaultExpr: '0', codec: 'T64' },
    ],
    ['DEFAULT without a type', 'd DEFAULT 42', { name: 'd', type: '', defaultExpr: '42' }],
    ['trailing comment', 'a String -- the a column', { name: 'a', type: 'String' }],
    ['trailing comma', 'a String,', { name: 'a', type: 'String' }],
  ])('%s', (_name, column, expected) => {
    const ds = parseDatasource(lines('SCHEMA >', `    ${column}`), 'x.datasource')
    expect(ds.columns).toHaveLength(1)
    expect(ds.columns[0]).toMatchObject({ ...expected, line: 2 })
  })

  it('accepts a column spread over several lines, tabs, blank lines and comments inside the block', () => {
    const ds = parseDatasource(
      lines(
        'SCHEMA >',
        '\t`s` String',
        '\t\t`json:$.s`',
        "\t\tDEFAULT 'x',",
        '',
        '# a comment at column 0 is dropped',
        '\t-- an SQL comment line',
        '\t`n` UInt32 `json:$.n`',
        'ENGINE "MergeTree"',
      ),
      'x.datasource',
    )
    expect(ds.columns).toEqual([
      { name: 's', type: 'String', jsonPath: '$.s', defaultExpr: "'x'", line: 2 },
      { name: 'n', type: 'UInt32', jsonPath: '$.n', line: 8 },
    ])
  })

  it('accepts a whole schema on one line and an unindented block', () => {
    expect(
      parseDatasource(lines('SCHEMA >', '    a Int8, b String'), 'x.datasource').columns,
    ).toHaveLength(2)
    const ds = parseDatasource(
      lines('SCHEMA >', 'a Int8,', 'b String', '', 'ENGINE MergeTree'),
      'x.datasource',
    )
    expect(ds.columns.map((c) => c.name)).toEqual(['a', 'b'])
  })

  it('reads engine values quoted, bare, case-insensitive, inline params and `>` blocks', () => {
    const ds = parseDatasource(
      lines(
        'SCHEMA >',
        '    id String, v UInt64, d UInt8',
        'engine "replacingmergetree"',
        'ENGINE_VER v',
        "ENGINE_IS_DELETED 'd'",
        'ENGINE_SORTING_KEY >',
        '    id,',
        '    v',
        'ENGINE_SHARDING_KEY id # a trailing comment',
        'ENGINE_PRIMARY_KEY ""',
      ),
      'x.datasource',
    )
    expect(ds.engine).toEqual({
      type: 'ReplacingMergeTree',
      ver: 'v',
      isDeleted: 'd',
      sortingKey: 'id,\nv',
      shardingKey: 'id',
    })
    const inline = parseDatasource(
      lines('SCHEMA >', '    a UInt8', 'ENGINE "ReplacingMergeTree(a)"'),
      'x.datasource',
    )
    expect(inline.engine).toEqual({ type: 'ReplacingMergeTree', params: 'a' })
  })

  it.each([
    ['SummingMergeTree', ['ENGINE_SUMMING_COLUMNS "a, b"'], { summingColumns: 'a, b' }],
    ['CollapsingMergeTree', ['ENGINE_SIGN s'], { sign: 's' }],
    [
      'VersionedCollapsingMergeTree',
      ['ENGINE_SIGN s', 'ENGINE_VERSION v'],
      { sign: 's', version: 'v' },
    ],
    ['Null', [], {}],
    [
      'Join',
      ['ENGINE_JOIN_STRICTNESS ANY', 'ENGINE_JOIN_TYPE LEFT', 'ENGINE_KEY_COLUMNS k'],
      { joinStrictness: 'ANY' },
    ],
    ['ReplicatedAggregatingMergeTree', [], {}],
  ])('accepts ENGINE %s', (engine, extra, expected) => {
    const ds = parseDatasource(
      lines(
        'SCHEMA >',
        '    k String, a UInt64, b UInt64, s Int8, v UInt32',
        `ENGINE ${engine}`,
        ...extra,
      ),
      'x.datasource',
    )
    expect(ds.engine).toMatchObject({ type: engine, ...expected })
  })

  it('accepts keywords written with leading spaces outside blocks, and CRLF line ends', () => {
    const ds = parseDatasource(
      '  TAGS "x", \'y\'\r\nSCHEMA >\r\n    a String\r\n\r\n',
      'x.datasource',
    )
    expect(ds.columns).toEqual([{ name: 'a', type: 'String', line: 3 }])
    expect(ds.tags).toEqual(['x', 'y'])
  })
})

describe('parseDatasource: errors name what was expected, with line and column', () => {
  it.each([
    [
      'unknown keyword',
      lines('FOO bar', 'SCHEMA >', '    a Int32'),
      'ERR_DATAFILE_SYNTAX',
      1,
      1,
      /Unknown keyword `FOO`.*expected one of DESCRIPTION, SCHEMA/,
    ],
    [
      'unknown keyword after an indented block',
      lines('SCHEMA >', '    a Int32', 'ENGNE "MergeTree"'),
      'ERR_DATAFILE_SYNTAX',
      3,
      1,
      /Unknown keyword `ENGNE`/,
    ],
    ['missing SCHEMA', 'ENGINE "MergeTree"', 'ERR_DATAFILE_SYNTAX', 1, 1, /Missing `SCHEMA >`/],
    [
      'SCHEMA on one line',
      'SCHEMA a Int32',
      'ERR_DATAFILE_SYNTAX',
      1,
      1,
      /Expected `SCHEMA >` followed by an indented block/,
    ],
    [
      'empty SCHEMA',
      lines('SCHEMA >', '', 'ENGINE MergeTree'),
      'ERR_DATAFILE_INVALID',
      1,
      1,
      /SCHEMA is empty/,
    ],
    [
      'SCHEMA twice',
      lines('SCHEMA >', '    a Int32', 'SCHEMA >', '    b Int32'),
      'ERR_DATAFILE_SYNTAX',
      3,
      1,
      /`SCHEMA` appears twice/,
    ],
    [
      'duplicate column',
      lines('SCHEMA >', '    a Int32,', '    `a` String'),
      'ERR_DATAFILE_INVALID',
      3,
      5,
      /Duplicate column `a` \(first defined on line 2\)/,
    ],
    [
      'unclosed parenthesis',
      lines('SCHEMA >', '    a Array(String'),
      'ERR_DATAFILE_SYNTAX',
      2,
      12,
      /Expected a closing `\)`/,
    ],
    [
      'missing comma between lines',
      lines('SCHEMA >', '    a Int32', '    b String'),
      'ERR_DATAFILE_SYNTAX',
      3,
      5,
      /Expected `,` after column `a`, before `b`/,
    ],
    [
      'unexpected word',
      lines('SCHEMA >', '    a Int32 PRIMARY'),
      'ERR_DATAFILE_SYNTAX',
      2,
      13,
      /Unexpected `PRIMARY` after column `a`; expected `,`, DEFAULT/,
    ],
    [
      'MATERIALIZED column',
      lines('SCHEMA >', '    a Int32 MATERIALIZED 1'),
      'ERR_DATAFILE_SYNTAX',
      2,
      13,
      /MATERIALIZED columns are not supported/,
    ],
    [
      'NOT NULL',
      lines('SCHEMA >', '    a Int32 NOT NULL'),
      'ERR_DATAFILE_SYNTAX',
      2,
      13,
      /NOT NULL .*not nullable by default/,
    ],
    [
      'DEFAULT without value',
      lines('SCHEMA >', '    a Int32 DEFAULT,', '    b Int32'),
      'ERR_DATAFILE_SYNTAX',
      2,
      13,
      /Missing the expression after DEFAULT/,
    ],
    [
      'column without type',
      lines('SCHEMA >', '    a,', '    b Int32'),
      'ERR_DATAFILE_SYNTAX',
      2,
      5,
      /Column `a` needs a type or a DEFAULT/,
    ],
    [
      'jsonpath without $',
      lines('SCHEMA >', '    a Int32 `json:a.b`'),
      'ERR_DATAFILE_SYNTAX',
      2,
      13,
      /jsonpath starting with `\$`/,
    ],
    [
      'unclosed backtick',
      lines('SCHEMA >', '    `a Int32'),
      'ERR_DATAFILE_SYNTAX',
      2,
      7,
      /closing backtick/,
    ],
    [
      'invalid bare column name',
      lines('SCHEMA >', '    a-b Int32'),
      'ERR_DATAFILE_SYNTAX',
      2,
      6,
      /invalid character `-`; use backticks/,
    ],
    [
      'CODEC without parens',
      lines('SCHEMA >', '    a Int32 CODEC ZSTD'),
      'ERR_DATAFILE_SYNTAX',
      2,
      19,
      /Expected `\(` after CODEC/,
    ],
    [
      'stray indented line',
      lines('SCHEMA >', '    a Int32', 'ENGINE MergeTree', '    oops'),
      'ERR_DATAFILE_SYNTAX',
      4,
      5,
      /Unexpected indented line/,
    ],
    [
      'text after >',
      lines('SCHEMA > a Int32'),
      'ERR_DATAFILE_SYNTAX',
      1,
      10,
      /Unexpected text after `SCHEMA >`/,
    ],
    [
      'unknown engine',
      lines('SCHEMA >', '    a Int32', 'ENGINE "FastTree"'),
      'ERR_DATAFILE_INVALID',
      3,
      8,
      /Unknown engine `FastTree`; expected one of MergeTree/,
    ],
    [
      'setting for another engine',
      lines('SCHEMA >', '    a Int32', 'ENGINE MergeTree', 'ENGINE_VER a'),
      'ERR_DATAFILE_INVALID',
      4,
      1,
      /`ENGINE_VER` does not apply to engine MergeTree; it is for ReplacingMergeTree/,
    ],
    [
      'Collapsing without sign',
      lines('SCHEMA >', '    a Int32', 'ENGINE CollapsingMergeTree'),
      'ERR_DATAFILE_INVALID',
      3,
      1,
      /needs `ENGINE_SIGN`/,
    ],
    [
      'IS_DELETED without VER',
      lines('SCHEMA >', '    a Int32', 'ENGINE ReplacingMergeTree', 'ENGINE_IS_DELETED a'),
      'ERR_DATAFILE_INVALID',
      4,
      1,
      /needs `ENGINE_VER`/,
    ],
    [
      'ENGINE twice',
      lines('SCHEMA >', '    a Int32', 'ENGINE MergeTree', 'ENGINE MergeTree'),
      'ERR_DATAFILE_SYNTAX',
      4,
      1,
      /`ENGINE` appears twice/,
    ],
    [
      'bad token permission',
      lines('TOKEN "t" WRITE', 'SCHEMA >', '    a Int32'),
      'ERR_DATAFILE_SYNTAX',
      1,
      11,
      /Invalid token permission `WRITE`; expected READ or APPEND/,
    ],
    [
      'token without permission',
      lines('TOKEN "t"', 'SCHEMA >', '    a Int32'),
      'ERR_DATAFILE_SYNTAX',
      1,
      1,
      /TOKEN takes a name and a permission/,
    ],
    [
      'unterminated quote',
      lines('TOKEN "t READ', 'SCHEMA >', '    a Int32'),
      'ERR_DATAFILE_SYNTAX',
      1,
      7,
      /closing "/,
    ],
    [
      'bad VERSION',
      lines('VERSION x', 'SCHEMA >', '    a Int32'),
      'ERR_DATAFILE_SYNTAX',
      1,
      9,
      /non-negative integer after VERSION/,
    ],
    [
      'bad index line',
      lines('SCHEMA >', '    a Int32', 'INDEXES >', '    idx a bloom_filter'),
      'ERR_DATAFILE_SYNTAX',
      4,
      5,
      /expected `name expr TYPE type GRANULARITY n`/,
    ],
    [
      'unresolved INCLUDE',
      lines('INCLUDE "x.incl"', 'SCHEMA >', '    a Int32'),
      'ERR_DATAFILE_SYNTAX',
      1,
      1,
      /INCLUDE is resolved when reading a project folder/,
    ],
  ])('%s', (_name, text, code, line, column, message) => {
    const e = thrown(() => parseDatasource(text, 'x.datasource'))
    expect(e).toMatchObject({ code, line, column })
    expect(e.message).toMatch(message)
  })

  it('rejects an invalid data source name (the file name)', () => {
    expect(
      thrown(() => parseDatasource(lines('SCHEMA >', '    a Int32'), 'ds/my-events.datasource')),
    ).toMatchObject({
      code: 'ERR_DATAFILE_INVALID',
      line: 1,
      column: 1,
      message: expect.stringContaining('Invalid data source name `my-events`') as unknown,
    })
  })

  it('puts file, line and column in details, with status 400', () => {
    try {
      parseDatasource('BAD', 'a/b.datasource')
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(ServerError)
      expect(e).toMatchObject({
        status: 400,
        details: { file: 'a/b.datasource', line: 1, column: 1 },
      })
    }
  })
})
