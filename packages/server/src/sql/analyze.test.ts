import { describe, expect, it } from 'vitest'
import { analyzeSql, replaceRanges } from './analyze.js'
import { SqlLexError, tokenize } from './tokenize.js'

const tableNames = (sql: string): string[] =>
  analyzeSql(sql).tables.map((t) => (t.database ? `${t.database}.${t.name}` : t.name))

describe('tokenize()', () => {
  it('round-trips the source text', () => {
    const sql = "SELECT 'a''b\\'c', `x``y`, \"q\" -- c\n/* b */ FROM t # h"
    expect(
      tokenize(sql)
        .map((t) => t.text)
        .join(''),
    ).toBe(sql)
  })
  it('unquotes identifiers', () => {
    expect(tokenize('`a``b`')[0]).toMatchObject({ kind: 'qident', value: 'a`b' })
  })
  it.each(["SELECT 'abc", 'SELECT `abc', 'SELECT /* x'])('rejects unterminated %s', (sql) => {
    expect(() => tokenize(sql)).toThrow(SqlLexError)
  })
})

describe('analyzeSql() table references', () => {
  it.each([
    ['simple', 'SELECT * FROM events', ['events']],
    ['qualified', 'SELECT * FROM db.events', ['db.events']],
    ['quoted', 'SELECT * FROM `events` AS e', ['events']],
    ['double-quoted', 'SELECT * FROM "my table"', ['my table']],
    ['comma list', 'SELECT * FROM a, b AS bb, c', ['a', 'b', 'c']],
    [
      'joins',
      'SELECT * FROM a ANY LEFT JOIN b ON a.x = b.x INNER JOIN c USING (y)',
      ['a', 'b', 'c'],
    ],
    ['array join is not a table', 'SELECT * FROM a ARRAY JOIN arr AS x LEFT ARRAY JOIN y', ['a']],
    [
      'subqueries',
      'SELECT * FROM (SELECT * FROM a WHERE x IN (SELECT y FROM b)) AS s, c',
      ['a', 'b', 'c'],
    ],
    ['IN table', 'SELECT * FROM a WHERE x GLOBAL IN b', ['a', 'b']],
    ['strings and comments hide nothing', "SELECT 'FROM x' /* FROM y */ FROM a -- FROM z", ['a']],
    ['extract is not a table', 'SELECT EXTRACT(YEAR FROM d) FROM a', ['a']],
    ['distinct from is not a table', 'SELECT a IS DISTINCT FROM b FROM t', ['t']],
    ['scalar subquery', 'SELECT (SELECT max(x) FROM m) FROM a', ['m', 'a']],
    ['union', 'SELECT 1 FROM a UNION ALL SELECT 2 FROM b', ['a', 'b']],
    ['final and sample', 'SELECT * FROM a FINAL SAMPLE 0.1 WHERE 1', ['a']],
  ])('%s', (_n, sql, names) => {
    expect(tableNames(sql)).toEqual(names)
  })

  it('reports table functions and scalar functions apart', () => {
    const a = analyzeSql(
      "SELECT count(), file('/etc/passwd') FROM numbers(10), url('http://x', CSV)",
    )
    expect(a.functions.filter((f) => f.inTablePosition).map((f) => f.name)).toEqual([
      'numbers',
      'url',
    ])
    expect(a.functions.filter((f) => !f.inTablePosition).map((f) => f.name)).toEqual([
      'count',
      'file',
    ])
  })
  it('collects CTE names, settings, qualifiers and a trailing FORMAT', () => {
    const a = analyzeSql(
      'WITH t AS (SELECT 1) SELECT x.y.z FROM t SETTINGS max_threads = 1, readonly = 0 FORMAT CSV;',
    )
    expect([...a.cteNames]).toEqual(['t'])
    expect(a.settings).toEqual(['max_threads', 'readonly'])
    expect(a.qualifiers).toContain('x')
    expect(a.format?.name).toBe('CSV')
    expect(a.statements).toBe(1)
  })
  it('counts statements', () => {
    expect(analyzeSql('SELECT 1; DROP TABLE x').statements).toBe(2)
    expect(analyzeSql('SELECT 1;').statements).toBe(1)
  })
  it('marks aliases so a rewrite can keep them', () => {
    const [a, b] = analyzeSql('SELECT * FROM a AS x JOIN b ON 1').tables
    expect(a?.hasAlias).toBe(true)
    expect(b?.hasAlias).toBe(false)
  })
})

describe('replaceRanges()', () => {
  it('rewrites every table reference', () => {
    const sql = 'SELECT * FROM a JOIN b ON a.k = b.k'
    const out = replaceRanges(
      sql,
      analyzeSql(sql).tables.map((t) => ({ start: t.start, end: t.end, text: `db.${t.name}` })),
    )
    expect(out).toBe('SELECT * FROM db.a JOIN db.b ON a.k = b.k')
  })
})
