/** @module Injection suite: every way a request value reaches the SQL either round-trips through a test-only ClickHouse literal decoder or is rejected with a stable code; fast-check properties on escapeString(). */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { escapeIdentifier, escapeString, renderTemplate } from './index.js'

/**
 * Test-only decoder of a ClickHouse quoted string or backquoted identifier starting at `sql[start]`, following
 * ClickHouse's `parseComplexEscapeSequence`: `\xHH`, `\N` (empty), the single-letter escapes, a doubled quote,
 * and any other escaped character kept *with* its backslash unless it is one of `\ ' " \` / =` or a control char.
 */
function readQuoted(sql: string, start: number): { value: string; end: number } {
  const quote = sql[start]
  if (quote !== "'" && quote !== '`') throw new Error(`no literal at ${start}`)
  const named: Record<string, string> = {
    b: '\b',
    f: '\f',
    n: '\n',
    r: '\r',
    t: '\t',
    '0': '\0',
    a: '\x07',
    v: '\v',
    e: '\x1b',
  }
  let out = ''
  let i = start + 1
  for (;;) {
    const ch = sql[i]
    if (ch === undefined) throw new Error('unterminated literal')
    if (ch === quote) {
      if (sql[i + 1] === quote) {
        out += quote
        i += 2
        continue
      }
      return { value: out, end: i + 1 }
    }
    if (ch !== '\\') {
      out += ch
      i++
      continue
    }
    const next = sql[i + 1]
    if (next === undefined) throw new Error('unterminated literal')
    if (next === 'x') {
      out += String.fromCharCode(parseInt(sql.slice(i + 2, i + 4), 16))
      i += 4
      continue
    }
    if (next === 'N') {
      i += 2
      continue
    }
    const decoded = named[next] ?? next
    const keepsBackslash =
      !['\\', "'", '"', '`', '/', '='].includes(decoded) &&
      decoded.charCodeAt(0) >= 0x20 &&
      decoded.charCodeAt(0) !== 0x7f
    out += (keepsBackslash ? '\\' : '') + decoded
    i += 2
  }
}

/** Asserts `sql` is exactly `prefix` + one string literal + `suffix`, and returns the literal's value. */
function singleLiteral(sql: string, prefix: string, suffix: string): string {
  expect(sql.startsWith(prefix)).toBe(true)
  const { value, end } = readQuoted(sql, prefix.length)
  expect(sql.slice(end)).toBe(suffix)
  return value
}

/** Parses `[lit,lit,…]` starting at `start`; returns the values and the end offset. */
function readArray(sql: string, start: number): { values: string[]; end: number } {
  expect(sql[start]).toBe('[')
  const values: string[] = []
  let i = start + 1
  if (sql[i] === ']') return { values, end: i + 1 }
  for (;;) {
    const { value, end } = readQuoted(sql, i)
    values.push(value)
    if (sql[end] === ']') return { values, end: end + 1 }
    expect(sql[end]).toBe(',')
    i = end + 1
  }
}

const thrown = (fn: () => unknown): unknown => {
  try {
    fn()
  } catch (e) {
    return e
  }
  throw new Error('did not throw')
}

const NASTY = [
  "'",
  "''",
  '\\',
  "\\'",
  "'; DROP TABLE x; --",
  "x' OR '1'='1",
  '/* */',
  '*/ SELECT 1 /*',
  ';',
  '-- comment',
  '#',
  '`',
  '"',
  '"; DROP TABLE x; --',
  '\\x27',
  '\\N',
  "\\\\'",
  'emoji 😀👍🏽',
  '\u202Eevil\u202C',
  'שלום עולם',
  '\0',
  'a\0b',
  'a\nb\r\nc',
  '\t\b\f\v',
  '\x1a\x1b\x7f',
  '\u0085\u2028\u2029',
  '{{x}}',
  '{% end %}',
  '%',
  '100%_',
  '',
]

describe('test-only ClickHouse literal decoder', () => {
  it.each([
    ["'a\\'b'", "a'b"],
    ["'a''b'", "a'b"],
    ["'\\x41'", 'A'],
    ["'\\%'", '\\%'],
    ["'\\n'", '\n'],
  ])('decodes %s', (lit, value) => {
    expect(readQuoted(lit, 0)).toEqual({ value, end: lit.length })
  })
})

describe('escapeString() properties (fast-check)', () => {
  it('round-trips every Unicode string through the ClickHouse decoder', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const lit = escapeString(s)
        expect(readQuoted(lit, 0)).toEqual({ value: s, end: lit.length })
      }),
      { numRuns: 2000 },
    )
  })
  it('never leaves a raw quote, backslash or ASCII control character inside the literal', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        const inner = escapeString(s).slice(1, -1)
        // Every quote/backslash inside is part of an escape pair: strip the pairs and none remain.
        // eslint-disable-next-line no-control-regex
        expect(/['\\\x00-\x1f\x7f]/.test(inner.replace(/\\(x[0-9A-F]{2}|.)/g, ''))).toBe(false)
      }),
      { numRuns: 2000 },
    )
  })
  it('is injective (different values, different literals)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        fc.pre(a !== b)
        expect(escapeString(a)).not.toBe(escapeString(b))
      }),
    )
  })
  it('keeps a value that closes the literal inside one literal when embedded in SQL', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary-ascii' }), (s) => {
        const sql = `SELECT ${escapeString(s)} AS v`
        expect(singleLiteral(sql, 'SELECT ', ' AS v')).toBe(s)
      }),
      { numRuns: 2000 },
    )
  })
  it('escapeIdentifier() round-trips through the backquote decoder', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const id = escapeIdentifier(s)
        expect(readQuoted(id, 0)).toEqual({ value: s, end: id.length })
      }),
      { numRuns: 1000 },
    )
  })
})

describe('injection: bare {{x}} and String(x)', () => {
  it.each(NASTY)('bare {{x}} keeps %j in one literal', (value) => {
    const { sql } = renderTemplate('%\nSELECT {{x}} AS v', { x: value })
    expect(singleLiteral(sql, 'SELECT ', ' AS v')).toBe(value)
  })
  it.each(NASTY)('String(x) keeps %j in one literal', (value) => {
    const { sql } = renderTemplate('%\nSELECT * FROM t WHERE a = {{String(x)}} AND tenant = 1', {
      x: value,
    })
    expect(singleLiteral(sql, 'SELECT * FROM t WHERE a = ', ' AND tenant = 1')).toBe(value)
  })
  it.each(NASTY)('String(x, default) with a POST value %j', (value) => {
    const { sql } = renderTemplate("%\nSELECT {{String(x, 'd')}}", { x: value })
    expect(singleLiteral(sql, 'SELECT ', '')).toBe(value)
  })
  it('property: any string through {{x}} and String(x) round-trips', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (value) => {
        const { sql } = renderTemplate('%\nSELECT {{x}}, {{String(x)}} --', { x: value })
        const first = readQuoted(sql, 'SELECT '.length)
        expect(first.value).toBe(value)
        expect(sql.slice(first.end, first.end + 2)).toBe(', ')
        const second = readQuoted(sql, first.end + 2)
        expect(second.value).toBe(value)
        expect(sql.slice(second.end)).toBe(' --')
      }),
      { numRuns: 1000 },
    )
  })
  it('a 1 MB value round-trips when it fits the limit', () => {
    const value = `${"'\\".repeat(1000)}${'x'.repeat(1_000_000)}`
    const { sql } = renderTemplate(
      '%\nSELECT {{String(x)}}',
      { x: value },
      { maxSqlBytes: 4_000_000 },
    )
    expect(singleLiteral(sql, 'SELECT ', '')).toBe(value)
  })
  it('a 1 MB value is rejected with a stable code when it does not fit', () => {
    const value = "'".repeat(1_000_000)
    expect(thrown(() => renderTemplate('%\nSELECT {{x}}', { x: value }))).toMatchObject({
      code: 'ERR_REQUEST_TOO_LARGE',
      status: 413,
    })
  })
})

describe('injection: typed scalar helpers reject every non-conforming value', () => {
  const helpers = [
    'Int8',
    'Int16',
    'Int32',
    'Int64',
    'Int128',
    'Int256',
    'UInt8',
    'UInt16',
    'UInt32',
    'UInt64',
    'UInt128',
    'UInt256',
    'Int',
    'Integer',
    'Float32',
    'Float64',
    'Date',
    'DateTime',
    'DateTime64',
    'Boolean',
  ]
  const bad = NASTY.filter((v) => v !== '' && v !== '\0').concat([
    '1; DROP TABLE x',
    '1 OR 1=1',
    '1)--',
    "2019-01-01'",
    '2019-01-01 00:00:00; --',
    'true--',
    'x'.repeat(1_000_000),
  ])
  it.each(helpers)('%s(x)', (helper) => {
    for (const value of bad) {
      const e = thrown(() => renderTemplate(`%\nSELECT {{${helper}(x)}}`, { x: value }))
      expect(e).toMatchObject({
        code: 'ERR_TEMPLATE_PARAM_TYPE',
        status: 400,
        details: { param: 'x' },
      })
      // The message never echoes the rejected value.
      if (value.length > 3) expect((e as Error).message).not.toContain(value)
    }
  })
  it('an empty string is only accepted by Boolean (as false) and String', () => {
    expect(renderTemplate('%\n{{Boolean(x)}}', { x: '' }).sql).toBe('0')
    expect(thrown(() => renderTemplate('%\n{{Int32(x)}}', { x: '' }))).toMatchObject({
      code: 'ERR_TEMPLATE_PARAM_TYPE',
    })
  })
  it('property: Int64 output is digits only, or a rejection', () => {
    fc.assert(
      fc.property(fc.string(), (value) => {
        try {
          const { sql } = renderTemplate('%\n{{Int64(x)}}', { x: value })
          expect(sql).toMatch(/^(?:\d+|\(-\d+\))$/)
        } catch (e) {
          expect(e).toMatchObject({ code: 'ERR_TEMPLATE_PARAM_TYPE' })
        }
      }),
    )
  })
  it('property: DateTime output is one normalized literal, or a rejection', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        ),
        (value) => {
          try {
            const { sql } = renderTemplate('%\n{{DateTime(x)}}', { x: value })
            expect(sql).toMatch(/^'\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}'$/)
          } catch (e) {
            expect(e).toMatchObject({ code: 'ERR_TEMPLATE_PARAM_TYPE' })
          }
        },
      ),
    )
  })
})

describe('injection: Array()', () => {
  it.each(NASTY.filter((v) => !v.includes(',')))('Array(x) keeps %j as one element', (value) => {
    const { sql } = renderTemplate('%\nSELECT {{Array(x)}} AS v', { x: value })
    const { values, end } = readArray(sql, 'SELECT '.length)
    expect(values).toEqual([value])
    expect(sql.slice(end)).toBe(' AS v')
  })
  it('property: a list of arbitrary strings (repeated GET key / POST) round-trips', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary' }), { maxLength: 8 }), (list) => {
        const { sql } = renderTemplate("%\nSELECT {{Array(x, 'String')}} AS v", { x: list })
        const { values, end } = readArray(sql, 'SELECT '.length)
        expect(values).toEqual(list)
        expect(sql.slice(end)).toBe(' AS v')
      }),
    )
  })
  it.each(['Int32', 'UInt64', 'Float64', 'Date', 'DateTime', 'Boolean'])(
    "Array(x, '%s') rejects injection",
    (type) => {
      for (const value of ["1'; DROP TABLE x; --", '1]) OR (1', '1,2)--']) {
        expect(
          thrown(() => renderTemplate(`%\nSELECT {{Array(x, '${type}')}}`, { x: value })),
        ).toMatchObject({
          code: 'ERR_TEMPLATE_PARAM_TYPE',
          details: { param: 'x', expected: `Array(${type})` },
        })
      }
    },
  )
})

describe('injection: identifiers, sql_and, split_to_array, JSON, sql_unescape', () => {
  it.each(NASTY.filter((v) => v !== '' && !v.includes('.')))(
    'symbol(x) keeps %j in one identifier',
    (value) => {
      const { sql } = renderTemplate('%\nSELECT {{symbol(x)}} FROM t', { x: value })
      const { value: id, end } = readQuoted(sql, 'SELECT '.length)
      expect(id).toBe(value.replace(/"/g, ''))
      expect(sql.slice(end)).toBe(' FROM t')
    },
  )
  it.each(NASTY.filter((v) => v !== '' && !v.includes('.')))(
    "column(x, 'a') keeps %j in one identifier",
    (value) => {
      const { sql } = renderTemplate("%\nSELECT {{column(x, 'a')}} FROM t", { x: value })
      const { value: id, end } = readQuoted(sql, 'SELECT '.length)
      expect(id).toBe(value.replace(/"/g, ''))
      expect(sql.slice(end)).toBe(' FROM t')
    },
  )
  it('columns(x) keeps each name in its own identifier', () => {
    const { sql } = renderTemplate("%\nSELECT {{columns(x, 'a')}} FROM t", {
      x: 'a`, (SELECT 1) AS `b, c\\',
    })
    expect(sql).toBe('SELECT `a\\``,`(SELECT 1) AS \\`b`,`c\\\\` FROM t')
  })
  it.each(['t; DROP TABLE x', 't UNION ALL SELECT * FROM secrets', 't--', 't`', "t'", 'a.b.c'])(
    'table(x) rejects %j',
    (value) => {
      expect(
        thrown(() => renderTemplate('%\nSELECT * FROM {{table(x)}}', { x: value })),
      ).toMatchObject({
        code: 'ERR_TEMPLATE_PARAM_TYPE',
      })
    },
  )
  it.each(NASTY)('sql_and(a=x) keeps %j in one literal', (value) => {
    const { sql } = renderTemplate('%\nWHERE {{sql_and(a=x)}} AND tenant = 1', { x: value })
    expect(singleLiteral(sql, 'WHERE a = ', ' AND tenant = 1')).toBe(value)
  })
  it.each(NASTY.filter((v) => !v.includes(',')))(
    'split_to_array(x) keeps %j in one element',
    (value) => {
      const { sql } = renderTemplate('%\nSELECT {{split_to_array(x)}}', { x: value })
      expect(readArray(sql, 'SELECT '.length).values).toEqual([value.trim()])
    },
  )
  it.each(NASTY)('a JSON string value %j stays one literal', (value) => {
    const { sql } = renderTemplate("%\n{% for v in JSON(x) %}SELECT {{v['k']}};{% end %}", {
      x: JSON.stringify([{ k: value }]),
    })
    expect(singleLiteral(sql, 'SELECT ', ';')).toBe(value)
  })
  it.each(NASTY)("sql_unescape(String(x), '\"') keeps %j in one literal", (value) => {
    const { sql } = renderTemplate(
      "%\nWHERE a LIKE {{sql_unescape(String(x), '\"')}} AND tenant = 1",
      { x: value },
    )
    expect(singleLiteral(sql, 'WHERE a LIKE ', ' AND tenant = 1')).toBe(value)
  })
  it.each(["'", '\\', '\n'])(
    'sql_unescape(x, %j) refuses to unescape a dangerous character',
    (what) => {
      const { sql } = renderTemplate(
        `%\nSELECT {{sql_unescape(String(x), ${JSON.stringify(what)})}}`,
        { x: "a'b\\c\nd" },
      )
      expect(singleLiteral(sql, 'SELECT ', '')).toBe("a'b\\c\nd")
    },
  )
  it('a negative number can never start a SQL comment', () => {
    expect(renderTemplate('%\nSELECT 1 -{{Int32(x)}} AND 1', { x: '-1' }).sql).toBe(
      'SELECT 1 -(-1) AND 1',
    )
    expect(renderTemplate('%\nSELECT 1 -{{x}} AND 1', { x: -1.5 }).sql).toBe(
      'SELECT 1 -(-1.5) AND 1',
    )
  })
  it('parameter values are data, never template code', () => {
    expect(renderTemplate('%\nSELECT {{x}}', { x: "{{ error('x') }}" }).sql).toBe(
      "SELECT '{{ error(\\'x\\') }}'",
    )
  })
})
