/** @module Tests of the non-typed helpers, starting with the TSDoc examples of helpers.ts and typed-helpers.ts. */
import { describe, expect, it } from 'vitest'
import { CustomTemplateError } from '../errors.js'
import { renderTemplate, type TemplateArgs } from './index.js'

const thrown = (fn: () => unknown): unknown => {
  try {
    fn()
  } catch (e) {
    return e
  }
  throw new Error('did not throw')
}
const sql = (src: string, args: TemplateArgs = {}): string => renderTemplate(`%\n${src}`, args).sql

describe('TSDoc examples of the helpers (helpers.ts, typed-helpers.ts)', () => {
  it.each<[string, TemplateArgs, string]>([
    // column
    ['{{column(agg)}}', { agg: 'foo' }, '`foo`'],
    ['{{column(agg)}}', { agg: '"foo"' }, '`foo`'],
    ['{{column(agg)}}', { agg: 'json.a' }, '`json`.`a`'],
    ["{{column(agg, 'id')}}", {}, '`id`'],
    // columns
    ["{{columns(agg, 'a,b,c')}}", {}, '`a`,`b`,`c`'],
    ["{{columns(agg, 'a,b,c')}}", { agg: 'foo' }, '`foo`'],
    ["{{columns(cols, 'a', 'sum')}}", { cols: 'x, y' }, 'sum(`x`) as `x`,sum(`y`) as `y`'],
    // symbol
    ['{{symbol(foo)}}', { foo: 'table-name' }, '`table-name`'],
    ['{{symbol(foo)}}', { foo: '"table-name"' }, '`table-name`'],
    ['{{symbol(foo)}}', { foo: 'a`b' }, '`a\\`b`'],
    // table
    ['{{table(t)}}', { t: 'events' }, 'events'],
    ['{{table(t)}}', { t: 'db.events' }, 'db.events'],
    // sql_and
    ['{{sql_and(a=a, b=b)}}', { a: '1', b: '2' }, "a = '1' and b = '2'"],
    ['{{sql_and(a=a, b=b)}}', { b: '2' }, "b = '2'"],
    ['{{sql_and(a=Int(a, defined=False), b=Int(b, defined=False))}}', { b: '2' }, 'b = 2'],
    ['{{sql_and(a__in=Array(a), b=b)}}', { a: 'a,b,c', b: '2' }, "a in ['a','b','c'] and b = '2'"],
    [
      '{{sql_and(a__not_in=Array(a), b=b)}}',
      { a: 'a,b,c', b: '2' },
      "a not in ['a','b','c'] and b = '2'",
    ],
    ['{{sql_and(d__gte=Int32(d), d__lt=Int32(e))}}', { d: '1', e: '9' }, 'd >= 1 and d < 9'],
    // split_to_array
    ['{{split_to_array(x)}}', { x: 'a, b ,c' }, "['a','b','c']"],
    ["{{split_to_array(x, '', '|')}}", { x: 'a|b' }, "['a','b']"],
    ["{{split_to_array(x, 'd')}}", {}, "['d']"],
    // enumerate_with_last
    ['{{enumerate_with_last([1, 2])}}', {}, '[(0,1),(1,2)]'],
    [
      '{% for last, x in enumerate_with_last(split_to_array(v)) %}{{x}}{% if not last %},{% end %}{% end %}',
      { v: 'a,b' },
      "'a','b'",
    ],
    // date diffs
    ["{{day_diff('2019-01-02', '2019-02-01')}}", {}, '30'],
    ["{{date_diff_in_hours('2022-12-14 18:42:22', '2022-12-19 18:42:22')}}", {}, '120'],
    ["{{date_diff_in_seconds('2022-12-19 18:42:22', '2022-12-19 18:43:22')}}", {}, '60'],
    // sql_unescape
    ["{{sql_unescape(String(x), '%')}}", { x: 'testing%' }, "'testing%'"],
    ["{{sql_unescape(String(x), '\"')}}", { x: 'a"b' }, `'a"b'`],
    ['{{sql_unescape(String(x), "\'")}}', { x: "a'b" }, "'a\\'b'"],
    // noop, tb_secret, defined
    ["{{activate('analyzer')}}SELECT 1", {}, 'SELECT 1'],
    ["{{tb_secret('k', 'fallback')}}", {}, "'fallback'"],
    ['{% if defined(x) %}yes{% else %}no{% end %}', { x: '' }, 'yes'],
    ['{% if defined(x) %}yes{% else %}no{% end %}', {}, 'no'],
    // typed scalars
    ["{{String(x, 'test')}}", { x: 'tt' }, "'tt'"],
    ['{{Int8(x)}}', { x: '-128' }, '(-128)'],
    ['{{UInt64(x)}}', { x: '18446744073709551615' }, '18446744073709551615'],
    ['{{Float32(x)}}', { x: '1' }, '1.0'],
    ['{{Date(x)}}', { x: '2019-01-01' }, "'2019-01-01'"],
    ['{{DateTime(x)}}', { x: '2018-09-07T23:55:00Z' }, "'2018-09-07 23:55:00'"],
    ['{{DateTime64(x)}}', { x: '2020-09-09 10:10:10' }, "'2020-09-09 10:10:10.000'"],
    // Boolean
    ['{{Boolean(x)}}', { x: 'TRUE' }, '1'],
    ['{{Boolean(x)}}', { x: '0' }, '0'],
    ['{{Boolean(x)}}', {}, '0'],
    // Array
    ['{{Array(foo)}}', { foo: 'a,b,c,d' }, "['a','b','c','d']"],
    ["{{Array(foo, 'Int32')}}", { foo: '1,2,3,4' }, '[1,2,3,4]'],
    ["{{Array(foo, 'Int32', default='1,2')}}", {}, '[1,2]'],
    // JSON
    ["{% for kv in JSON(p) %}{{kv['dp']}},{% end %}", { p: '[{"dp":"Sales"}]' }, "'Sales',"],
  ])('%s with %j → %s', (src, args, expected) => {
    expect(sql(src, args)).toBe(expected)
  })
  it("{{max_threads(2)}}SELECT 1 → 'SELECT 1' with settings { max_threads: 2 }", () => {
    expect(renderTemplate('%\n{{max_threads(2)}}SELECT 1', {})).toMatchObject({
      sql: 'SELECT 1',
      settings: { max_threads: 2 },
    })
  })
  it("{{cache_ttl('5m')}}SELECT 1 → 'SELECT 1' with cacheTtlSeconds 300", () => {
    expect(renderTemplate("%\n{{cache_ttl('5m')}}SELECT 1", {})).toMatchObject({
      sql: 'SELECT 1',
      cacheTtlSeconds: 300,
    })
  })
  it("error('x is required') → throws ERR_TEMPLATE_ERROR", () => {
    expect(
      thrown(() => sql("{% if not defined(x) %}{{ error('x is required') }}{% end %}")),
    ).toMatchObject({
      code: 'ERR_TEMPLATE_ERROR',
      status: 400,
      message: 'x is required',
    })
  })
  it('custom_error(body, 404) → throws CustomTemplateError', () => {
    const e = thrown(() => sql("{{ custom_error({'error': 'nope'}, 404) }}"))
    expect(e).toBeInstanceOf(CustomTemplateError)
    expect(e).toMatchObject({ status: 404, body: { error: 'nope' } })
  })
})

describe('column() / columns() / symbol() / table()', () => {
  it.each([
    [
      'column: missing without default',
      '{{column(agg)}}',
      "Template Syntax Error: Missing column() default value, use `column(column_name, 'default_column_name')`",
    ],
    [
      'columns: missing without default',
      '{{columns(agg)}}',
      "Template Syntax Error: Missing columns() default value, use `columns(column_names, 'default_column_name')`",
    ],
  ])('%s', (_name, src, message) => {
    expect(thrown(() => sql(src))).toMatchObject({
      code: 'ERR_TEMPLATE_PARAM_MISSING',
      message,
      details: { params: ['agg'] },
    })
  })
  it.each([
    ["{{columns('a,b,c')}}", {}, '`a`,`b`,`c`'],
    ["{{columns(c, 'a')}}", { c: ['x', 'y.z'] }, '`x`,`y`.`z`'],
    ["{{column(c, 'a')}}", { c: ['x', 'y'] }, '`x`'],
    ['{{symbol(s)}}', { s: 'a.b' }, '`a.b`'],
    ['{{column(c)}}', { c: 'a\\b' }, '`a\\\\b`'],
    ['{{column(c)}}', { c: 'a\nb' }, '`a\\nb`'],
    ['{{table(t)}}', { t: '"events"' }, 'events'],
  ])('%s with %j → %s', (src, args, expected) => {
    expect(sql(src, args)).toBe(expected)
  })
  it.each([
    ["{{columns(c, 'a')}}", { c: 'a,,b' }],
    ["{{columns(c, 'a')}}", { c: 'a,' }],
    ['{{column(c)}}', { c: 5 }],
    ['{{table(t)}}', { t: 'a-b' }],
    ['{{table(t)}}', { t: '1abc' }],
  ])('%s with %j is rejected', (src, args) => {
    expect(thrown(() => sql(src, args))).toMatchObject({ code: 'ERR_TEMPLATE_PARAM_TYPE' })
  })
  it('columns() refuses a non-identifier fn', () => {
    expect(thrown(() => sql("{{columns(c, 'a', 'sum) --')}}"))).toMatchObject({
      code: 'ERR_TEMPLATE_SYNTAX',
    })
  })
  it('symbol()/table() of a missing parameter', () => {
    expect(thrown(() => sql('{{symbol(s)}}'))).toMatchObject({
      code: 'ERR_TEMPLATE_PARAM_MISSING',
      details: { params: ['s'] },
    })
    expect(thrown(() => sql('{{table(t)}}'))).toMatchObject({
      code: 'ERR_TEMPLATE_PARAM_MISSING',
      details: { params: ['t'] },
    })
  })
})

describe('sql_and()', () => {
  it.each([
    ['no conditions at all', '{{sql_and(a=a)}}', {}, ''],
    ['numbers print bare', '{{sql_and(a=Int32(a))}}', { a: '-1' }, 'a = (-1)'],
    [
      'lists print as arrays',
      '{{sql_and(a__in=split_to_array(a))}}',
      { a: "x,y'" },
      "a in ['x','y\\'']",
    ],
    ['positional arguments are ignored', "{{sql_and('ignored', a=1)}}", {}, 'a = 1'],
  ])('%s', (_name, src, args, expected) => {
    expect(sql(src, args)).toBe(expected)
  })
  it('an unknown operator is refused', () => {
    expect(thrown(() => sql('{{sql_and(a__like=a)}}', { a: 'x' }))).toMatchObject({
      code: 'ERR_TEMPLATE_SYNTAX',
      message: 'Template Syntax Error: operand like not supported, line 2',
    })
  })
})

describe('split_to_array() / enumerate_with_last()', () => {
  it.each([
    ["{{split_to_array('')}}", {}, "['']"],
    ['{{split_to_array(x)}}', { x: ['a ', ' b'] }, "['a','b']"],
    [
      "{% for v in split_to_array(attr, 'amount_net') %}{{symbol(v + '_intermediate')}}{% end %}",
      {},
      '`amount_net_intermediate`',
    ],
    ["{{ enumerate_with_last('ab') }}", {}, "[(0,'a'),(1,'b')]"],
    ['{{ enumerate_with_last([]) }}', {}, '[]'],
  ])('%s with %j → %s', (src, args, expected) => {
    expect(sql(src, args)).toBe(expected)
  })
  it('split_to_array() refuses an empty separator', () => {
    expect(thrown(() => sql("{{split_to_array(x, '', '')}}", { x: 'a' }))).toMatchObject({
      code: 'ERR_TEMPLATE_SYNTAX',
    })
  })
})

describe('error() / custom_error()', () => {
  it('error() ignores its code argument', () => {
    expect(thrown(() => sql("{{ error('bad', 500) }}"))).toMatchObject({
      code: 'ERR_TEMPLATE_ERROR',
      status: 400,
      message: 'bad',
    })
  })
  it.each([
    ["{{ custom_error('plain text') }}", 400, 'plain text'],
    ["{{ custom_error({'a': [1, 'b']}, code=418) }}", 418, { a: [1, 'b'] }],
    ["{{ custom_error('x', 200) }}", 400, 'x'],
  ])('%s', (src, status, body) => {
    const e = thrown(() => sql(src))
    expect(e).toBeInstanceOf(CustomTemplateError)
    expect(e).toMatchObject({ status, body })
  })
  it('is a no-op when not reached', () => {
    expect(sql("{% if 0 %}{{ error('x') }}{% end %}ok")).toBe('ok')
  })
})

describe('settings, cache and no-op helpers', () => {
  it.each([
    ['{{max_threads(x)}}', { x: '4' }, { max_threads: 4 }],
    ['{{max_threads(0)}}', {}, {}],
    ["{{max_threads('lots')}}", {}, {}],
    ['{{max_threads(x)}}', { x: '1\nDROP TABLE x' }, {}],
  ])('%s with %j → settings %j', (src, args, settings) => {
    const r = renderTemplate(`%\n${src}`, args)
    expect(r.sql).toBe('')
    expect(r.settings).toEqual(settings)
  })
  it.each([
    ['5s', 5],
    ['1m', 60],
    ['30m', 1800],
    ['1h', 3600],
  ])('cache_ttl(%s) → %i seconds', (ttl, seconds) => {
    expect(renderTemplate(`%\n{{cache_ttl('${ttl}')}}`, {}).cacheTtlSeconds).toBe(seconds)
  })
  it('cache_ttl() refuses other values', () => {
    expect(thrown(() => sql("{{cache_ttl('2m')}}"))).toMatchObject({
      code: 'ERR_TEMPLATE_SYNTAX',
      message:
        "Template Syntax Error: Invalid TTL cache expression, valid expressions are ('5s', '1m', '5m', '30m', '1h'), line 2",
    })
  })
  it('no cache_ttl() leaves cacheTtlSeconds unset', () => {
    expect(renderTemplate('%\nSELECT 1', {})).not.toHaveProperty('cacheTtlSeconds')
  })
  it.each([
    "{{backend_hint('x')}}",
    "{{disable('analyzer')}}",
    "{{activate('parallel_replicas')}}",
    '{{backend_hint(None)}}',
  ])('%s prints nothing', (src) => {
    expect(sql(src)).toBe('')
  })
  it('tb_secret()/tb_var() without default are refused', () => {
    for (const fn of ['tb_secret', 'tb_var']) {
      expect(thrown(() => sql(`{{${fn}('test')}}`, { test: '1234' }))).toMatchObject({
        code: 'ERR_TEMPLATE_SYNTAX',
        message: 'Template Syntax Error: secrets are not supported, line 2',
      })
    }
  })
  it("tb_secret('x', '') returns the empty default", () => {
    expect(sql("{{tb_secret('test', '')}}")).toBe("''")
  })
})

describe('custom_error() bodies', () => {
  it('keeps a __proto__ key as data', () => {
    const e = thrown(() =>
      sql('{{ custom_error(JSON(p)) }}', { p: '{"__proto__": {"x": 1}, "a": 2}' }),
    ) as CustomTemplateError
    expect(Object.keys(e.body as object)).toEqual(['__proto__', 'a'])
    expect(JSON.stringify(e.body)).toBe('{"__proto__":{"x":1},"a":2}')
  })
})
