/** @module Tests of templateParams(), usedParams and reserved parameter names. */
import { describe, expect, it } from 'vitest'
import { renderTemplate, templateParams, type TemplateParam } from './index.js'

const thrown = (fn: () => unknown): unknown => {
  try {
    fn()
  } catch (e) {
    return e
  }
  throw new Error('did not throw')
}
const params = (src: string): TemplateParam[] => templateParams(`%\n${src}`)

describe('templateParams()', () => {
  it('TSDoc examples', () => {
    expect(templateParams("%\nSELECT {{Int32(limit, 10, description='Rows')}}")).toEqual([
      { name: 'limit', type: 'Int32', default: 10, required: false, description: 'Rows' },
    ])
    expect(
      templateParams('%\n{% if defined(country) %}WHERE c = {{String(country)}}{% end %}'),
    ).toEqual([{ name: 'country', type: 'String', required: false }])
  })
  it.each<[string, string, TemplateParam[]]>([
    ['untemplated', '', []],
    [
      'Float32 default',
      'WHERE d = {{Float32(with_value, 0.0)}}',
      [{ name: 'with_value', type: 'Float32', default: 0, required: false }],
    ],
    [
      'negative default',
      'WHERE d = {{Float32(with_value, -0.1)}}',
      [{ name: 'with_value', type: 'Float32', default: -0.1, required: false }],
    ],
    [
      'two params',
      "{{String(d, 'test_1')}} {{Int8(v, 3)}}",
      [
        { name: 'd', type: 'String', default: 'test_1', required: false },
        { name: 'v', type: 'Int8', default: 3, required: false },
      ],
    ],
    [
      'typed inside an if',
      'select 1 {% if defined(n) %} where n = {{UInt64(n)}} {% end %}',
      [{ name: 'n', type: 'UInt64', required: false }],
    ],
    [
      'defined() only',
      'select 1 {% if defined(a) and defined(b) %} where 1 {% end %}',
      [
        { name: 'a', type: 'String', required: false },
        { name: 'b', type: 'String', required: false },
      ],
    ],
    ['bare', 'select {{cod}}', [{ name: 'cod', type: 'String', required: false }]],
    [
      'Array with type and defined=False',
      "select {{Array(s, 'Int16', defined=False)}}",
      [{ name: 's', type: 'Array(Int16)', required: false }],
    ],
    [
      'Array without type',
      'select {{Array(s)}}',
      [{ name: 's', type: 'Array(String)', required: false }],
    ],
    [
      'Array positional default',
      "select {{Array(s, 'Int16', '1,2')}}",
      [{ name: 's', type: 'Array(Int16)', default: '1,2', required: false }],
    ],
    [
      'Array keyword default',
      "select {{Array(s, 'Int16', default='1')}}",
      [{ name: 's', type: 'Array(Int16)', default: '1', required: false }],
    ],
    [
      'docs keywords',
      "{{String(d, 'x', description='test', required=True)}} {{Int8(v, 3, format='number', example='1')}}",
      [
        { name: 'd', type: 'String', default: 'x', required: true, description: 'test' },
        { name: 'v', type: 'Int8', default: 3, required: false, format: 'number', example: '1' },
      ],
    ],
    [
      'enum',
      "{{String(c, enum=['a', 'b'])}}",
      [{ name: 'c', type: 'String', required: false, enum: ['a', 'b'] }],
    ],
    [
      'keyword default',
      "{{String(d, default='x', description='t')}}",
      [{ name: 'd', type: 'String', default: 'x', required: false, description: 't' }],
    ],
    [
      'DateTime64 default',
      "{{DateTime64(ts, '2020-09-09 10:10:10.000')}}",
      [{ name: 'ts', type: 'DateTime64', default: '2020-09-09 10:10:10.000', required: false }],
    ],
    [
      'huge int default becomes a string',
      '{{Int64(s, 9223372036854775807)}}',
      [{ name: 's', type: 'Int64', default: '9223372036854775807', required: false }],
    ],
    [
      'Int / Integer / bool aliases',
      '{{Int(a)}}{{Integer(b)}}{{bool(c)}}',
      [
        { name: 'a', type: 'Int32', required: false },
        { name: 'b', type: 'Int32', required: false },
        { name: 'c', type: 'Boolean', required: false },
      ],
    ],
    [
      'JSON',
      "{{JSON(data, '{}')}}",
      [{ name: 'data', type: 'JSON', default: '{}', required: false }],
    ],
    [
      'first typed use wins',
      "{{Int32(dup, 1)}} {{String(dup, 'last')}}",
      [{ name: 'dup', type: 'Int32', default: 1, required: false }],
    ],
    [
      'a typed use upgrades an earlier untyped one',
      '{% if defined(y) and x > 0 %}{{UInt64(x)}}{% end %}',
      [
        { name: 'y', type: 'String', required: false },
        { name: 'x', type: 'UInt64', required: false },
      ],
    ],
    [
      'function arguments',
      'select {{split_to_array(test)}} {{column(c)}} {{day_diff(a, b)}}',
      [
        { name: 'test', type: 'String', required: false },
        { name: 'c', type: 'String', required: false },
        { name: 'a', type: 'String', required: false },
        { name: 'b', type: 'String', required: false },
      ],
    ],
    [
      'helper and builtin names are not parameters',
      '{{ len(x) }} {{ columns }}',
      [{ name: 'x', type: 'String', required: false }],
    ],
    [
      'for targets are locals',
      '{% for item in items %}{{Int32(item, 0)}}{% end %}',
      [{ name: 'items', type: 'String', required: false }],
    ],
    [
      'set targets are locals',
      '{% set a = Int32(x, 0) %}{{a}}',
      [{ name: 'x', type: 'Int32', default: 0, required: false }],
    ],
    [
      'a parameter re-assigned from itself stays a parameter',
      '{% set limit = Int32(limit, 10) %}{{limit}}',
      [{ name: 'limit', type: 'Int32', default: 10, required: false }],
    ],
    ['method calls', "{{ x.split(',') }}", [{ name: 'x', type: 'String', required: false }]],
    [
      'while tests',
      '{% while more %}{% break %}{% end %}',
      [{ name: 'more', type: 'String', required: false }],
    ],
    [
      'elif tests',
      '{% if a %}1{% elif defined(y) %}{{UInt64(x)}}{% end %}',
      [
        { name: 'a', type: 'String', required: false },
        { name: 'y', type: 'String', required: false },
        { name: 'x', type: 'UInt64', required: false },
      ],
    ],
  ])('%s', (_name, src, expected) => {
    expect(src === '' ? templateParams('SELECT {{x}}') : params(src)).toEqual(expected)
  })
  it('throws the syntax error of a broken template', () => {
    expect(thrown(() => params('{% if x %}'))).toMatchObject({ code: 'ERR_TEMPLATE_SYNTAX' })
  })
  it('returns copies (the parse cache cannot be mutated)', () => {
    const src = "%\n{{String(c, enum=['a'])}}"
    const first = templateParams(src)
    first[0]?.enum?.push('mutated')
    if (first[0]) first[0].type = 'mutated'
    expect(templateParams(src)).toEqual([
      { name: 'c', type: 'String', required: false, enum: ['a'] },
    ])
  })
})

describe('usedParams', () => {
  it.each([
    ['first-use order, no duplicates', '{{b}} {{a}} {{b}}', { a: '1', b: '2' }, ['b', 'a']],
    [
      'missing parameters that were looked up count',
      '{% if defined(x) %}{{y}}{% end %}{{String(z, 1)}}',
      {},
      ['x', 'z'],
    ],
    [
      'only branches that ran',
      '{% if a %}{{b}}{% else %}{{c}}{% end %}',
      { a: '1', b: '2' },
      ['a', 'b'],
    ],
    ['locals and helpers are not parameters', '{% set s = 1 %}{{ s }}{{ len([1]) }}', {}, []],
  ])('%s', (_name, src, args, expected) => {
    expect(renderTemplate(`%\n${src}`, args).usedParams).toEqual(expected)
  })
})

describe('reserved names', () => {
  it.each([
    ["SELECT {{String(format, 'test')}}", 'format', 2],
    ['SELECT {{format}}', 'format', 2],
    ["SELECT {{String(q, 'test')}}", 'q', 2],
    ['SELECT 1\n{% set q = 1 %}', 'q', 3],
    ['{% for format in [1] %}{% end %}', 'format', 2],
  ])('%s is refused', (src, name, line) => {
    expect(thrown(() => renderTemplate(`%\n${src}`, { [name]: 'tt' }))).toMatchObject({
      code: 'ERR_TEMPLATE_RESERVED_NAME',
      status: 400,
      message: `"${name}" can not be used as a variable name, line ${line}`,
      details: { name, line },
    })
  })
  it('format as a keyword argument or a string is fine', () => {
    expect(renderTemplate("%\n{{String(x, 'a', format='f')}} 'format'", {}).sql).toBe(
      "'a' 'format'",
    )
  })
  it('other reserved names produce a warning', () => {
    expect(
      renderTemplate('%\nselect * from table where str = {{pipeline}} and {{String(token, 1)}}', {
        pipeline: 'test',
      }),
    ).toEqual({
      sql: "select * from table where str = 'test' and '1'",
      usedParams: ['pipeline', 'token'],
      settings: {},
      warnings: [
        'The parameter name "pipeline" is a reserved word. Please, choose another name or the pipe will not work as expected.',
        'The parameter name "token" is a reserved word. Please, choose another name or the pipe will not work as expected.',
      ],
    })
  })
  it('id is an ordinary parameter', () => {
    expect(renderTemplate('%\n{{Int32(id)}}', { id: '3' })).toMatchObject({
      sql: '3',
      warnings: [],
    })
  })
})
