/**
 * @module Unit tests for `.pipe` parsing: the seed file, templated, Classic, materialized, copy, sink and unindented
 * pipes, `endpointNode`, and each error with its line and column.
 */
import { describe, expect, it } from 'vitest'
import { ServerError } from '../errors.js'
import { endpointNode, isTemplatedSql, MATERIALIZED_TEMPLATE_MESSAGE, parsePipe } from './index.js'

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

/** tinybirdco/guide-nextjs-jwt-auth `tinybird/pipes/top_airlines.pipe`, verbatim (the seed). */
const SEED_TOP_AIRLINES =
  'TOKEN "top_airlines_read_static" READ\n\nNODE endpoint\nSQL >\n\n    SELECT\n        airline,\n        count() as bookings\n    FROM events\n    GROUP BY airline\n    ORDER BY bookings DESC\n    LIMIT 10\nTYPE endpoint\n\n'

/** tinybirdco/guide-tinybird-charts `tinybird/pipes/bookings_over_time_by_airline.pipe`, verbatim: templated, no TYPE. */
const CHARTS_BOOKINGS =
  'TOKEN "CHART_READ_TOKEN" READ\n\nNODE endpoint\nSQL >\n\n    %\n    SELECT toStartOfDay(timestamp) as time, airline, count() as bookings\n    FROM events\n    WHERE\n        airline == {{ String(airline, \'Fizz\', description="Airline to filter by", required=True) }}\n        AND timestamp > {{ Date(date_from, \'2024-01-01\', description="Date from", required=True) }}\n        AND timestamp < {{ Date(date_to, \'2024-06-10\', description="Date to", required=True) }}\n    GROUP BY time, airline\n    ORDER BY time ASC\n\n\n'

/** Classic style: VERSION, pipe and node descriptions (block and inline), TAGS, two nodes, TYPE ENDPOINT. */
const CLASSIC = lines(
  'VERSION 2',
  '# top pages',
  'DESCRIPTION >',
  '    Most visited pages.',
  '',
  '    Filter with `date_from`.',
  '',
  'TAGS "web, pages"',
  '',
  'NODE filtered',
  'DESCRIPTION only page hits',
  'SQL >',
  '    %',
  '    SELECT pathname FROM analytics_hits',
  "    WHERE action = 'page_hit'",
  '    {% if defined(date_from) %} AND timestamp >= {{ DateTime(date_from) }} {% end %}',
  '',
  'NODE endpoint',
  'SQL >',
  '    SELECT pathname, count() AS hits',
  '    FROM filtered',
  '',
  '    GROUP BY pathname',
  'TYPE ENDPOINT',
  '',
)

/** tinybirdco/web-analytics-starter-kit `tinybird/pipes/analytics_sessions.pipe` shape: materialized with ENGINE lines. */
const MATERIALIZED = lines(
  'NODE analytics_sessions_1',
  'DESCRIPTION >',
  '    Aggregate by session_id and calculate session metrics',
  '',
  'SQL >',
  '    select',
  '      client_id,',
  '      toDate(timestamp) as date,',
  '      session_id,',
  '      countState() as hits',
  '    from',
  '      analytics_hits',
  '    group by',
  '      client_id,',
  '      date,',
  '      session_id',
  '',
  'TYPE materialized',
  'DATASOURCE analytics_sessions_mv',
  'ENGINE "AggregatingMergeTree"',
  'ENGINE_SORTING_KEY "client_id, date, session_id"',
  'ENGINE_PARTITION_KEY "toYYYYMM(date)"',
  '',
)

/** Forward copy pipe (after web-analytics-starter-kit `copies/random_data_generator.pipe`). */
const COPY = lines(
  'DESCRIPTION >',
  '    Copy pipe that generates random events',
  '',
  'NODE generate_random_events',
  'SQL >',
  '    %',
  '    SELECT now() AS timestamp',
  '    FROM numbers({{ Int32(row_limit, 1000) }})',
  '',
  'TYPE COPY',
  'TARGET_DATASOURCE analytics_events',
  'COPY_SCHEDULE "*/10 * * * *"',
  'COPY_MODE replace',
)

describe('parsePipe: real-world files', () => {
  it('parses the seed top_airlines.pipe', () => {
    const pipe = parsePipe(SEED_TOP_AIRLINES, 'tinybird/pipes/top_airlines.pipe')
    expect(pipe).toEqual({
      kind: 'pipe',
      name: 'top_airlines',
      file: 'tinybird/pipes/top_airlines.pipe',
      nodes: [
        {
          name: 'endpoint',
          sql: 'SELECT\n    airline,\n    count() as bookings\nFROM events\nGROUP BY airline\nORDER BY bookings DESC\nLIMIT 10',
          sqlLine: 6,
          type: 'endpoint',
        },
      ],
      tokens: [{ name: 'top_airlines_read_static', permission: 'READ' }],
      tags: [],
    })
    expect(endpointNode(pipe)?.name).toBe('endpoint')
  })

  it('parses a templated pipe without TYPE and serves its last node (Classic rule)', () => {
    const pipe = parsePipe(CHARTS_BOOKINGS, 'bookings_over_time_by_airline.pipe')
    const node = pipe.nodes[0]!
    expect(node.type).toBe('standard')
    expect(node.sqlLine).toBe(6)
    expect(node.sql.split('\n')[0]).toBe('%')
    expect(node.sql.split('\n')[4]).toBe(
      '    airline == {{ String(airline, \'Fizz\', description="Airline to filter by", required=True) }}',
    )
    expect(node.sql.endsWith('ORDER BY time ASC')).toBe(true)
    expect(isTemplatedSql(node.sql)).toBe(true)
    expect(endpointNode(pipe)).toBe(node)
  })

  it('parses the Classic style with descriptions, tags and two nodes', () => {
    const pipe = parsePipe(CLASSIC, 'top_pages.pipe')
    expect(pipe.description).toBe('Most visited pages.\n\nFilter with `date_from`.')
    expect(pipe.tags).toEqual(['web', 'pages'])
    expect(pipe.nodes.map((n) => [n.name, n.type, n.sqlLine, n.description])).toEqual([
      ['filtered', 'standard', 13, 'only page hits'],
      ['endpoint', 'endpoint', 20, undefined],
    ])
    expect(pipe.nodes[0]!.sql).toBe(
      lines(
        '%',
        'SELECT pathname FROM analytics_hits',
        "WHERE action = 'page_hit'",
        '{% if defined(date_from) %} AND timestamp >= {{ DateTime(date_from) }} {% end %}',
      ),
    )
    expect(pipe.nodes[1]!.sql).toBe(
      'SELECT pathname, count() AS hits\nFROM filtered\n\nGROUP BY pathname',
    )
    expect(endpointNode(pipe)?.name).toBe('endpoint')
  })

  it('parses a materialized node with its engine', () => {
    const pipe = parsePipe(MATERIALIZED, 'analytics_sessions.pipe')
    expect(pipe.nodes[0]).toMatchObject({
      name: 'analytics_sessions_1',
      description: 'Aggregate by session_id and calculate session metrics',
      type: 'materialized',
      datasource: 'analytics_sessions_mv',
      sqlLine: 6,
      engine: {
        type: 'AggregatingMergeTree',
        sortingKey: 'client_id, date, session_id',
        partitionKey: 'toYYYYMM(date)',
      },
    })
    expect(endpointNode(pipe)).toBeUndefined()
  })

  it('parses a copy pipe', () => {
    const pipe = parsePipe(COPY, 'random_data_generator.pipe')
    expect(pipe.description).toBe('Copy pipe that generates random events')
    expect(pipe.nodes[0]).toMatchObject({
      type: 'copy',
      targetDatasource: 'analytics_events',
      copySchedule: '*/10 * * * *',
      copyMode: 'replace',
    })
    expect(endpointNode(pipe)).toBeUndefined()
  })

  it('accepts unindented SQL (Tinybird CLI test `test_no_indentation_multiline_parse`)', () => {
    const pipe = parsePipe(
      lines(
        'VERSION 0',
        'NODE mat_node',
        'SQL >',
        'SELECT toDate(ts) as date,',
        'country,',
        'sum(sales) sum_sales',
        'FROM ds',
        '',
        'DATASOURCE "daily_sales_by_country"',
        'ENGINE "SummingMergeTree"',
        'ENGINE_PARTITION_KEY "toYYYYMM(date)"',
        'ENGINE_SORTING_KEY "(country, date)"',
        'ENGINE_SETTINGS "index_granularity=32"',
        'ENGINE_TTL "toDate(date) + INTERVAL 3 DAY"',
      ),
      'mat.pipe',
    )
    expect(pipe.nodes[0]).toEqual({
      name: 'mat_node',
      sql: 'SELECT toDate(ts) as date,\ncountry,\nsum(sales) sum_sales\nFROM ds',
      sqlLine: 4,
      type: 'materialized',
      datasource: 'daily_sales_by_country',
      engine: {
        type: 'SummingMergeTree',
        partitionKey: 'toYYYYMM(date)',
        sortingKey: '(country, date)',
        settings: 'index_granularity=32',
        ttl: 'toDate(date) + INTERVAL 3 DAY',
      },
    })
  })

  it('accepts a sink node and ignores its EXPORT_* settings; TYPE is case-insensitive', () => {
    const pipe = parsePipe(
      lines(
        'NODE export',
        'SQL >',
        '\tSELECT 1',
        'TYPE Sink',
        'EXPORT_CONNECTION_NAME "s3"',
        'EXPORT_SCHEDULE "0 * * * *"',
        'EXPORT_BUCKET_URI "s3://bucket/x"',
      ),
      'sink.pipe',
    )
    expect(pipe.nodes[0]).toMatchObject({ type: 'sink', sql: 'SELECT 1', sqlLine: 3 })
  })

  it('keeps blank lines and deeper indentation inside SQL, and `#` lines at column 0 are dropped', () => {
    const pipe = parsePipe(
      lines(
        'NODE n',
        'SQL >',
        '    SELECT',
        '',
        '        a',
        '# dropped',
        '    FROM t',
        '',
        '',
        'TYPE endpoint',
      ),
      'p.pipe',
    )
    expect(pipe.nodes[0]!.sql).toBe('SELECT\n\n    a\nFROM t')
  })
})

describe('parsePipe: errors name what was expected, with line and column', () => {
  const sql = (name: string, ...extra: string[]): string[] => [
    `NODE ${name}`,
    'SQL >',
    '    SELECT 1',
    ...extra,
  ]
  it.each([
    [
      'SQL before NODE',
      lines('SQL >', '    SELECT 1'),
      'ERR_DATAFILE_SYNTAX',
      1,
      1,
      /`SQL` must follow a `NODE name` line/,
    ],
    [
      'no nodes',
      lines('DESCRIPTION >', '    nothing'),
      'ERR_DATAFILE_SYNTAX',
      1,
      1,
      /at least one node; expected `NODE name` followed by `SQL >`/,
    ],
    [
      'node without SQL',
      lines('NODE a', 'TYPE endpoint'),
      'ERR_DATAFILE_SYNTAX',
      1,
      1,
      /Node `a` has no SQL; expected `SQL >` followed by an indented block/,
    ],
    [
      'SQL on one line',
      lines('NODE a', 'SQL SELECT 1'),
      'ERR_DATAFILE_SYNTAX',
      2,
      1,
      /Expected `SQL >` followed by an indented block in node `a`/,
    ],
    [
      'empty SQL block',
      lines('NODE a', 'SQL >', '', 'TYPE endpoint'),
      'ERR_DATAFILE_SYNTAX',
      2,
      1,
      /Expected `SQL >` followed by an indented block/,
    ],
    [
      'unknown keyword',
      lines(...sql('a'), 'TYPO endpoint'),
      'ERR_DATAFILE_SYNTAX',
      4,
      1,
      /Unknown keyword `TYPO` in a .pipe file; expected one of NODE, SQL, TYPE/,
    ],
    [
      'unknown TYPE',
      lines(...sql('a', 'TYPE api')),
      'ERR_DATAFILE_SYNTAX',
      4,
      6,
      /Unknown node TYPE `api` in node `a`; expected one of endpoint, materialized, copy, sink/,
    ],
    [
      'two endpoint nodes',
      lines(...sql('a', 'TYPE endpoint'), ...sql('b', 'TYPE endpoint')),
      'ERR_DATAFILE_INVALID',
      8,
      1,
      /^There is more than one endpoint node\. Pipes can only have one output \(nodes `a` and `b`\)\.$/,
    ],
    [
      'endpoint and materialized',
      lines(...sql('a', 'TYPE endpoint'), ...sql('b', 'TYPE materialized', 'DATASOURCE mv')),
      'ERR_DATAFILE_INVALID',
      8,
      1,
      /Pipes can only have one output: node `a` is TYPE endpoint and node `b` is TYPE materialized/,
    ],
    [
      'materialized without DATASOURCE',
      lines(...sql('a', 'TYPE materialized')),
      'ERR_DATAFILE_INVALID',
      4,
      1,
      /Node `a` is TYPE materialized but has no `DATASOURCE name`/,
    ],
    [
      'templated materialized node',
      lines('NODE m', 'SQL >', '    %', '    SELECT {{ x }}', 'TYPE materialized', 'DATASOURCE mv'),
      'ERR_DATAFILE_INVALID',
      3,
      1,
      /^Materialized nodes don't support templates\. .*\(node `m`\)$/,
    ],
    [
      'copy without TARGET_DATASOURCE',
      lines(...sql('c', 'TYPE copy')),
      'ERR_DATAFILE_INVALID',
      4,
      1,
      /Node `c` is TYPE copy but has no `TARGET_DATASOURCE name`/,
    ],
    [
      'bad COPY_MODE',
      lines(...sql('c', 'TYPE copy', 'TARGET_DATASOURCE t', 'COPY_MODE upsert')),
      'ERR_DATAFILE_SYNTAX',
      6,
      11,
      /Invalid COPY_MODE `upsert`.*expected append or replace/,
    ],
    [
      'COPY_SCHEDULE on an endpoint',
      lines(...sql('c', 'TYPE endpoint', 'COPY_SCHEDULE @on-demand')),
      'ERR_DATAFILE_INVALID',
      5,
      1,
      /`COPY_SCHEDULE` in node `c` only applies to TYPE copy nodes/,
    ],
    [
      'ENGINE on an endpoint',
      lines(...sql('e', 'TYPE endpoint', 'ENGINE MergeTree')),
      'ERR_DATAFILE_INVALID',
      5,
      1,
      /`ENGINE` in node `e` only applies to TYPE materialized nodes/,
    ],
    [
      'duplicate node',
      lines(...sql('a'), ...sql('a')),
      'ERR_DATAFILE_INVALID',
      4,
      1,
      /Duplicate node `a` \(first defined on line 1\)/,
    ],
    [
      'invalid node name',
      lines(...sql('my-node')),
      'ERR_DATAFILE_INVALID',
      1,
      6,
      /Invalid node name `my-node` after NODE; names must match/,
    ],
    [
      'NODE with two names',
      lines('NODE a b', 'SQL >', '    SELECT 1'),
      'ERR_DATAFILE_SYNTAX',
      1,
      8,
      /Expected exactly one value after `NODE`/,
    ],
    [
      'invalid DATASOURCE name',
      lines(...sql('m', 'TYPE materialized', 'DATASOURCE "bad name"')),
      'ERR_DATAFILE_INVALID',
      5,
      12,
      /Invalid data source name `bad name`/,
    ],
    [
      'APPEND token in a pipe',
      lines('TOKEN "t" APPEND', ...sql('a')),
      'ERR_DATAFILE_INVALID',
      1,
      11,
      /Token permission APPEND does not apply here; expected READ/,
    ],
    [
      'SQL twice in a node',
      lines(...sql('a'), 'SQL >', '    SELECT 2'),
      'ERR_DATAFILE_SYNTAX',
      4,
      1,
      /`SQL` appears twice in node `a` \(first on line 2\)/,
    ],
    [
      'pipe DESCRIPTION twice',
      lines('DESCRIPTION a', 'DESCRIPTION b', ...sql('a')),
      'ERR_DATAFILE_SYNTAX',
      2,
      1,
      /`DESCRIPTION` appears twice/,
    ],
    [
      'unresolved INCLUDE',
      lines('INCLUDE "../includes/x.incl"', ...sql('a')),
      'ERR_DATAFILE_SYNTAX',
      1,
      1,
      /INCLUDE is resolved when reading a project folder/,
    ],
  ])('%s', (_name, text, code, line, column, message) => {
    const e = thrown(() => parsePipe(text, 'p.pipe'))
    expect(e).toMatchObject({ code, line, column })
    expect(e.message).toMatch(message)
  })

  it('rejects an invalid pipe name (the file name)', () => {
    expect(
      thrown(() => parsePipe(lines('NODE a', 'SQL >', '    SELECT 1'), 'top-pages.pipe')),
    ).toMatchObject({
      code: 'ERR_DATAFILE_INVALID',
      line: 1,
      column: 1,
    })
  })

  it("reuses Tinybird's sentence for templated materialized nodes", () => {
    expect(MATERIALIZED_TEMPLATE_MESSAGE).toBe(
      "Materialized nodes don't support templates. Please remove any `{% ... %}` template code or the `%` mark from this pipe node.",
    )
  })
})

describe('endpointNode', () => {
  it.each([
    ['explicit endpoint wins', ['standard', 'endpoint', 'standard'], 1],
    ['no TYPE anywhere: the last node', ['standard', 'standard'], 1],
    ['materialized pipe: none', ['standard', 'materialized'], undefined],
    ['copy pipe: none', ['copy'], undefined],
  ] as const)('%s', (_name, types, index) => {
    const nodes = types.map((type, k) => ({ name: `n${k}`, sql: 'SELECT 1', sqlLine: 1, type }))
    const pipe = { kind: 'pipe' as const, name: 'p', file: 'p.pipe', nodes, tokens: [], tags: [] }
    expect(endpointNode(pipe)).toBe(index === undefined ? undefined : nodes[index])
  })
})
