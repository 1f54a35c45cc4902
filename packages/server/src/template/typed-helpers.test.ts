/** @module Tests of the typed helpers (String, Int*, Float*, Date*, Boolean, Array, JSON) and missing-parameter errors. */
import { describe, expect, it } from 'vitest'
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

describe('Int32() (CONVENTIONS §3.6 examples)', () => {
  it.each([
    ['default when absent', 'SELECT {{ Int32(n, 10) }}', {}, 'SELECT 10'],
    ['value inlined after check', 'SELECT {{ Int32(n, 10) }}', { n: '7' }, 'SELECT 7'],
    ['renderTemplate TSDoc example', 'SELECT {{ Int32(limit, 10) }}', { limit: '5' }, 'SELECT 5'],
  ])('%s', (_name, src, args, expected) => {
    expect(sql(src, args)).toBe(expected)
  })
  it('rejects non-integers with a stable code', () => {
    expect(thrown(() => sql('SELECT {{ Int32(n) }}', { n: '7x' }))).toMatchObject({
      code: 'ERR_TEMPLATE_PARAM_TYPE',
      status: 400,
      message: "Template Syntax Error: Error validating parameter 'n' to type Int32",
      details: { param: 'n', expected: 'Int32' },
    })
  })
})

describe('integer helpers render bare, range-checked literals', () => {
  it.each([
    ['Int8', '-128', '(-128)'],
    ['Int8', '127', '127'],
    ['UInt8', '255', '255'],
    ['Int16', '-32768', '(-32768)'],
    ['UInt16', '65535', '65535'],
    ['Int32', '2147483647', '2147483647'],
    ['Int32', '+5', '5'],
    ['Int32', '007', '7'],
    ['UInt32', '4294967295', '4294967295'],
    ['Int64', '-9223372036854775808', '(-9223372036854775808)'],
    ['UInt64', '18446744073709551615', '18446744073709551615'],
    [
      'Int128',
      '170141183460469231731687303715884105727',
      '170141183460469231731687303715884105727',
    ],
    [
      'Int128',
      '-170141183460469231731687303715884105728',
      '(-170141183460469231731687303715884105728)',
    ],
    [
      'UInt128',
      '340282366920938463463374607431768211455',
      '340282366920938463463374607431768211455',
    ],
    [
      'Int256',
      '-57896044618658097711785492504343953926634992332820282019728792003956564819968',
      '(-57896044618658097711785492504343953926634992332820282019728792003956564819968)',
    ],
    [
      'UInt256',
      '115792089237316195423570985008687907853269984665640564039457584007913129639935',
      '115792089237316195423570985008687907853269984665640564039457584007913129639935',
    ],
    ['Int', '12', '12'],
    ['Integer', '-1', '(-1)'],
  ])('%s(%s) → %s', (type, value, expected) => {
    expect(sql(`{{${type}(x)}}`, { x: value })).toBe(expected)
  })
  it.each([
    ['Int8', '128'],
    ['Int8', '-129'],
    ['UInt8', '256'],
    ['UInt8', '-1'],
    ['Int32', '2147483648'],
    ['UInt32', '4294967296'],
    ['Int64', '9223372036854775808'],
    ['UInt64', '18446744073709551616'],
    ['Int', '2147483648'],
    ['Int32', '1.0'],
    ['Int32', '1e3'],
    ['Int32', ' 1'],
    ['Int32', '0x10'],
    ['Int32', 'True'],
    ['Int32', ''],
  ])('%s(%j) is rejected', (type, value) => {
    expect(thrown(() => sql(`{{${type}(x)}}`, { x: value }))).toMatchObject({
      code: 'ERR_TEMPLATE_PARAM_TYPE',
      details: { param: 'x', expected: type === 'Int' ? 'Int32' : type },
    })
  })
  it.each([
    ['integer', 5, '5'],
    ['negative', -5, '(-5)'],
    ['integral float', 5.0, '5'],
  ])('accepts a JSON %s from a POST body', (_name, value, expected) => {
    expect(sql('{{Int64(x)}}', { x: value })).toBe(expected)
  })
  it('rejects a JSON boolean or fractional number', () => {
    expect(thrown(() => sql('{{Int64(x)}}', { x: true }))).toMatchObject({
      code: 'ERR_TEMPLATE_PARAM_TYPE',
    })
    expect(thrown(() => sql('{{Int64(x)}}', { x: 1.5 }))).toMatchObject({
      code: 'ERR_TEMPLATE_PARAM_TYPE',
    })
  })
  it('a repeated GET key uses its first value', () => {
    expect(sql('{{Int32(x)}}', { x: ['3', '4'] })).toBe('3')
  })
  it('returns an int usable in arithmetic and comparisons', () => {
    expect(sql('{{ Int32(x) * 2 }} {% if Int32(x) > 2 %}big{% end %}', { x: '3' })).toBe('6 big')
  })
})

describe('Float32() / Float64() render bare numbers in Python repr', () => {
  it.each([
    ['Float32', '1', '1.0'],
    ['Float32', '-1', '(-1.0)'],
    ['Float64', '1.5', '1.5'],
    ['Float64', '.5', '0.5'],
    ['Float64', '5.', '5.0'],
    ['Float64', '1e3', '1000.0'],
    ['Float64', '1.5E-7', '1.5e-07'],
    ['Float64', '12345678901234567890', '1.2345678901234567e+19'],
  ])('%s(%j) → %s', (type, value, expected) => {
    expect(sql(`{{${type}(x)}}`, { x: value })).toBe(expected)
  })
  it('accepts JSON numbers', () => {
    expect(sql('{{Float32(x)}}', { x: -1 })).toBe('(-1.0)')
    expect(sql('{{Float32(x)}}', { x: 0.25 })).toBe('0.25')
  })
  it.each(['inf', 'nan', 'NaN', '1e400', '1.2.3', '1,5', '', ' 1', '0x1p3'])(
    'rejects %j',
    (value) => {
      expect(thrown(() => sql('{{Float64(x)}}', { x: value }))).toMatchObject({
        code: 'ERR_TEMPLATE_PARAM_TYPE',
        details: { expected: 'Float64' },
      })
    },
  )
})

describe('Date(), DateTime(), DateTime64()', () => {
  it.each([
    ['Date', '2019-01-01', "'2019-01-01'"],
    ['Date', '2020-02-29', "'2020-02-29'"],
    ['DateTime', '2018-09-07 23:55:00', "'2018-09-07 23:55:00'"],
    ['DateTime', '2018-09-07T23:55:00', "'2018-09-07 23:55:00'"],
    ['DateTime', '2018-09-07T23:55:00Z', "'2018-09-07 23:55:00'"],
    ['DateTime', '2018-09-07T23:55:00.123456Z', "'2018-09-07 23:55:00'"],
    ['DateTime', '2018-09-07', "'2018-09-07 00:00:00'"],
    ['DateTime64', '2020-09-09 10:10:10', "'2020-09-09 10:10:10.000'"],
    ['DateTime64', '2020-09-09T10:10:10.5Z', "'2020-09-09 10:10:10.500'"],
    ['DateTime64', '2020-09-09 10:10:10.123456', "'2020-09-09 10:10:10.123456'"],
  ])('%s(%j) → %s', (type, value, expected) => {
    expect(sql(`{{${type}(x)}}`, { x: value })).toBe(expected)
  })
  it.each([
    ['Date', '2019-02-29'],
    ['Date', '2019-13-01'],
    ['Date', '2019-1-1'],
    ['Date', '2019-01-01 00:00:00'],
    ['Date', '0000-01-01'],
    ['DateTime', '2019-01-01 24:00:00'],
    ['DateTime', '2019-01-01 23:60:00'],
    ['DateTime', '2019-01-01 23:59:60'],
    ['DateTime', '2019-01-01 23:59'],
    ['DateTime', '2019-01-01T00:00:00+02:00'],
    ['DateTime', '2019-01-01Z'],
    ['DateTime', '2019-01-01 00:00:00.'],
    ['DateTime', 'now()'],
    ['DateTime64', '2019-01-01 00:00:00.1234567890'],
  ])('%s(%j) is rejected', (type, value) => {
    expect(thrown(() => sql(`{{${type}(x)}}`, { x: value }))).toMatchObject({
      code: 'ERR_TEMPLATE_PARAM_TYPE',
      details: { param: 'x', expected: type },
    })
  })
  it('uses the default when absent', () => {
    expect(sql("SELECT now() > {{DateTime64(variable, '2020-09-09 10:10:10.000')}}")).toBe(
      "SELECT now() > '2020-09-09 10:10:10.000'",
    )
  })
})

describe('Boolean() / bool()', () => {
  it.each([
    ['true', '1'],
    ['TRUE', '1'],
    ['True', '1'],
    ['1', '1'],
    ['false', '0'],
    ['FALSE', '0'],
    ['0', '0'],
    ['', '0'],
  ])('Boolean(%j) → %s', (value, expected) => {
    expect(sql('{{Boolean(x)}}', { x: value })).toBe(expected)
    expect(sql('{{bool(x)}}', { x: value })).toBe(expected)
  })
  it.each([
    [true, '1'],
    [false, '0'],
    [1, '1'],
    [0, '0'],
  ])('Boolean(JSON %j) → %s', (value, expected) => {
    expect(sql('{{Boolean(x)}}', { x: value })).toBe(expected)
  })
  it.each([
    ['{{Boolean(x)}}', '0'],
    ['{{Boolean(x, True)}}', '1'],
    ['{{Boolean(x, False)}}', '0'],
    ["{{Boolean(x, 'TRUE')}}", '1'],
    ["{{Boolean(x, default='FALSE')}}", '0'],
  ])('absent: %s → %s', (src, expected) => {
    expect(sql(src)).toBe(expected)
  })
  it.each(['yes', 'no', '2', 't', 'on'])('rejects %j', (value) => {
    expect(thrown(() => sql('{{Boolean(x)}}', { x: value }))).toMatchObject({
      code: 'ERR_TEMPLATE_PARAM_TYPE',
      details: { expected: 'Boolean' },
    })
  })
})

describe('String()', () => {
  it.each([
    ['value', "{{String(x, 'test')}}", { x: 'tt' }, "'tt'"],
    ['positional default', "{{String(x, 'test')}}", {}, "'test'"],
    ['keyword default', "{{String(x, default='d')}}", {}, "'d'"],
    [
      'double quotes are escaped',
      '{{String(x)}}',
      { x: 'action."test run"' },
      '\'action.\\"test run\\"\'',
    ],
    ['a JSON number becomes text', '{{String(x)}}', { x: 5 }, "'5'"],
    ['a repeated GET key uses the first value', '{{String(x)}}', { x: ['a', 'b'] }, "'a'"],
    [
      'docs kwargs are accepted',
      "{{String(x, 'd', description='desc', required=False, example='e', format='f')}}",
      {},
      "'d'",
    ],
    ['defined=False gives None', '{{ String(x, defined=False) is None }}', {}, '1'],
  ])('%s', (_name, src, args, expected) => {
    expect(sql(src, args)).toBe(expected)
  })
  it('rejects objects', () => {
    expect(thrown(() => sql('{{String(x)}}', { x: { a: 1 } }))).toMatchObject({
      code: 'ERR_TEMPLATE_PARAM_TYPE',
      details: { expected: 'String' },
    })
  })
  it('unknown keyword arguments are syntax errors', () => {
    expect(thrown(() => sql('{{String(x, foo=1)}}', { x: 'a' }))).toMatchObject({
      code: 'ERR_TEMPLATE_SYNTAX',
      message: "Template Syntax Error: String() got an unexpected keyword argument 'foo', line 2",
    })
  })
})

describe('enum=', () => {
  it('accepts a listed value', () => {
    expect(sql("{{String(x, enum=['a', 'b'])}}", { x: 'b' })).toBe("'b'")
    expect(sql('{{Int32(x, enum=[1, 2])}}', { x: '2' })).toBe('2')
  })
  it('rejects another value without echoing it', () => {
    const e = thrown(() => sql("{{String(x, enum=['a', 'b'])}}", { x: 'zzz' }))
    expect(e).toMatchObject({
      code: 'ERR_TEMPLATE_PARAM_TYPE',
      details: { param: 'x', expected: 'String', enum: ['a', 'b'] },
    })
    expect((e as Error).message).not.toContain('zzz')
  })
  it('does not apply to defaults', () => {
    expect(sql("{{String(x, 'c', enum=['a', 'b'])}}")).toBe("'c'")
  })
})

describe('missing parameters', () => {
  it('names every missing mandatory parameter (Tinybird wording)', () => {
    expect(
      thrown(() =>
        sql(
          "select * from table where str = {{String(test)}} and category = {{String(category, 'shirts')}} and color = {{ Int32(color)}}",
        ),
      ),
    ).toMatchObject({
      code: 'ERR_TEMPLATE_PARAM_MISSING',
      status: 400,
      message:
        'Template Syntax Error: Required parameter is not defined. Check the parameters test and color. Please provide a value or set a default value in the pipe code.',
      details: { params: ['test', 'color'] },
    })
  })
  it('lists only the parameters that are actually missing', () => {
    expect(
      thrown(() => sql('{{String(a)}} {{String(b)}} {{String(c)}}', { b: 'x' })),
    ).toMatchObject({ details: { params: ['a', 'c'] } })
  })
  it('does not list parameters guarded by defined()', () => {
    expect(thrown(() => sql('{% if defined(a) %}{{Int32(a)}}{% end %}{{Int32(b)}}'))).toMatchObject(
      { details: { params: ['b'] } },
    )
  })
  it('three names are joined with commas and "and"', () => {
    expect(thrown(() => sql('{{Int8(a)}}{{Int8(b)}}{{Int8(c)}}'))).toMatchObject({
      message:
        'Template Syntax Error: Required parameter is not defined. Check the parameters a, b and c. Please provide a value or set a default value in the pipe code.',
    })
  })
  it.each(['Int32', 'Float64', 'Date', 'DateTime', 'DateTime64', 'String'])(
    '%s(x, defined=False) is None when absent',
    (type) => {
      expect(sql(`{{ ${type}(x, defined=False) is None }}`)).toBe('1')
    },
  )
  it('null in a POST body counts as absent', () => {
    expect(sql("{{String(x, 'd')}}", { x: null })).toBe("'d'")
  })
})

describe('Array()', () => {
  it.each([
    ['strings by default', '{{Array(foo)}}', { foo: 'a,b,c,d' }, "['a','b','c','d']"],
    ['Int32', "{{Array(foo, 'Int32')}}", { foo: '1,2,3,4' }, '[1,2,3,4]'],
    ['Float32', "{{Array(foo, 'Float32')}}", { foo: '1,2.5' }, '[1.0,2.5]'],
    ['UInt64 from a JSON list', "{{Array(foo, 'UInt64')}}", { foo: [1, '2'] }, '[1,2]'],
    [
      'Date',
      "{{Array(foo, 'Date')}}",
      { foo: '2020-01-01,2020-01-02' },
      "['2020-01-01','2020-01-02']",
    ],
    [
      'DateTime',
      "{{Array(foo, 'DateTime')}}",
      { foo: '2020-01-01T00:00:00Z' },
      "['2020-01-01 00:00:00']",
    ],
    ['Boolean', "{{Array(foo, 'Boolean')}}", { foo: 'true,0' }, '[1,0]'],
    ['repeated GET key', "{{Array(foo, 'String')}}", { foo: ['a,b', 'c'] }, "['a,b','c']"],
    ['elements are not trimmed', '{{Array(foo)}}', { foo: 'a, b' }, "['a',' b']"],
    ['positional default', "{{Array(click_selector, 'String', 'pre,pro')}}", {}, "['pre','pro']"],
    [
      'value over default',
      "{{Array(click_selector, 'String', 'pre,pro')}}",
      { click_selector: 'hi,hello' },
      "['hi','hello']",
    ],
    ['empty default', "{{Array(click_selector, 'String', '')}}", {}, "['']"],
    ['keyword default', "{{Array(x, 'Int16', default='1')}}", {}, '[1]'],
    ['empty JSON list', "{{Array(x, 'Int32')}}", { x: [] }, '[]'],
    ['defined=False', "{{ Array(x, 'Int16', defined=False) is None }}", {}, '1'],
    [
      'in a WHERE clause',
      "WHERE color in {{Array(colors, 'black')}}",
      { colors: 'red,blue' },
      "WHERE color in ['red','blue']",
    ],
    [
      'unknown type names are treated as String',
      "{{Array(x, 'LowCardinality(String)')}}",
      { x: 'a' },
      "['a']",
    ],
    ['Column elements are identifiers', "{{Array(x, 'Column')}}", { x: 'a,b`c' }, '[`a`,`b\\`c`]'],
    ['len() counts elements', "{{ len(Array(x, 'Int32')) }}", { x: '5,6,7' }, '3'],
    ['in tests membership', "{{ 6 in Array(x, 'Int32') }}", { x: '5,6,7' }, '1'],
    ['indexing', "{{ Array(x, 'Int32')[-1] }}", { x: '5,6,7' }, '7'],
  ])('%s', (_name, src, args, expected) => {
    expect(sql(src, args)).toBe(expected)
  })
  it('reports the failing element index, not its value', () => {
    const e = thrown(() =>
      sql("SELECT {{ Array(embedding, 'Float32') }}", { embedding: '1,2,3,4, null' }),
    )
    expect(e).toMatchObject({
      code: 'ERR_TEMPLATE_PARAM_TYPE',
      message:
        "Template Syntax Error: Error validating parameter 'embedding' to type Array(Float32)",
      details: { param: 'embedding', expected: 'Array(Float32)', index: 4 },
    })
  })
  it('an empty string is not an Int32 array', () => {
    expect(thrown(() => sql("SELECT {{ Array(embedding, 'Int32', '') }}"))).toMatchObject({
      code: 'ERR_TEMPLATE_PARAM_TYPE',
      details: { index: 0 },
    })
  })
  it('missing without default is a missing parameter', () => {
    expect(thrown(() => sql("{{Array(ids, 'Int32')}}"))).toMatchObject({
      code: 'ERR_TEMPLATE_PARAM_MISSING',
      details: { params: ['ids'] },
    })
  })
  it('enum applies to every element', () => {
    expect(sql("{{Array(x, enum=['a', 'b'])}}", { x: 'a,b' })).toBe("['a','b']")
    expect(thrown(() => sql("{{Array(x, enum=['a', 'b'])}}", { x: 'a,c' }))).toMatchObject({
      code: 'ERR_TEMPLATE_PARAM_TYPE',
    })
  })
  it('rejects objects', () => {
    expect(thrown(() => sql('{{Array(x)}}', { x: { a: 1 } }))).toMatchObject({
      code: 'ERR_TEMPLATE_PARAM_TYPE',
      details: { expected: 'Array(String)' },
    })
  })
})

describe('JSON()', () => {
  it.each([
    [
      'a JSON string parameter',
      "{% for kv in JSON(payload) %} OR department = {{kv['dp']}}{% end %}",
      { payload: '[{"dp":"Design"},{"dp":"Marketing"}]' },
      " OR department = 'Design' OR department = 'Marketing'",
    ],
    ['a POST object', "{{ JSON(p)['a'] }}", { p: { a: 1 } }, '1'],
    ['absent gives {}', '{% for kv in JSON(payload) %}x{% end %}done', {}, 'done'],
    [
      'string default',
      `{% for kv in JSON(payload, '[{"dp":"Sales"}]') %}{{kv['dp']}}{% end %}`,
      {},
      "'Sales'",
    ],
    [
      'get() on items',
      '{% for item in JSON(filters, \'[{"operand":"test"}]\') %} {{item.get(\'operand\')}} {% end %}',
      {},
      " 'test' ",
    ],
    [
      'printing a dict',
      '{{ JSON(p) }}',
      { p: '{"a": [1, 2.5, null, true]}' },
      "map('a',[1,2.5,NULL,1])",
    ],
  ])('%s', (_name, src, args, expected) => {
    expect(sql(src, args)).toBe(expected)
  })
  it.each(["{'a': 1}", '', '[1,', 'undefined'])('rejects %j without echoing it', (value) => {
    expect(thrown(() => sql('{{ JSON(p) }}', { p: value }))).toMatchObject({
      code: 'ERR_TEMPLATE_PARAM_TYPE',
      details: { param: 'p', expected: 'JSON' },
    })
  })
  it('an empty string default is invalid JSON', () => {
    expect(thrown(() => sql("{% for kv in JSON(payload, '') %}{% end %}"))).toMatchObject({
      code: 'ERR_TEMPLATE_PARAM_TYPE',
    })
  })
  it('get() returning None cannot be printed', () => {
    expect(
      thrown(() =>
        sql("{% for item in JSON(filters, '[{}]') %} {{item.get('operand')}} {% end %}"),
      ),
    ).toMatchObject({
      code: 'ERR_TEMPLATE_SYNTAX',
      message: `Template Syntax Error: expression "item.get('operand')" evaluated to null`,
    })
  })
  it('get() on a string explains itself', () => {
    expect(
      thrown(() =>
        sql(`{% for item in JSON(filters, '["test"]') %} {{item.get('operator')}} {% end %}`),
      ),
    ).toMatchObject({
      message:
        "Template Syntax Error: 'str' object has no attribute 'get'. Make sure you're using an object/dictionary where trying to use .get(), line 2",
    })
  })
})
