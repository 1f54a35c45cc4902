/** @module Tests of Tinybird test mode (placeholders, no-op errors). */
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
const preview = (src: string, args: TemplateArgs = {}): string =>
  renderTemplate(`%\n${src}`, args, { testMode: true }).sql

describe('test mode: missing parameters become placeholders', () => {
  it.each([
    [
      'bare',
      'SELECT * FROM query_log__dev where a = {{test}}',
      "SELECT * FROM query_log__dev where a = '__no_value__'",
    ],
    ['String', 'SELECT {{String(foo)}}', "SELECT '__no_value__'"],
    ['String with default', "SELECT {{String(foo, 'test')}}", "SELECT 'test'"],
    ['String of an expression', "SELECT {{String(foo + 'abcd')}}", "SELECT '__no_value__'"],
    ['Int', 'SELECT * from test limit {{Int(limit)}}', 'SELECT * from test limit 0'],
    ['Int32 with default', 'select {{Int32(foo, 1)}}', 'select 1'],
    ['UInt64', '{{UInt64(x)}}', '0'],
    [
      'Float32',
      'select * from table where f = {{Float32(foo)}}',
      'select * from table where f = 0.0',
    ],
    ['Date', 'SELECT c FROM where a > {{Date(start)}}', "SELECT c FROM where a > '2019-01-01'"],
    [
      'DateTime',
      'SELECT c FROM where a > {{DateTime(start)}}',
      "SELECT c FROM where a > '2019-01-01 00:00:00'",
    ],
    ['DateTime64', '{{DateTime64(start)}}', "'2019-01-01 00:00:00.000'"],
    ['Boolean', '{{Boolean(b)}}', '0'],
    ['Boolean with default', '{{Boolean(b, True)}}', '1'],
    ['Array Int32', "SELECT {{Array(foo, 'Int32')}}", 'SELECT [0,0]'],
    ['Array Float64', "SELECT {{Array(foo, 'Float64')}}", 'SELECT [0.0,0.0]'],
    ['Array String', 'SELECT {{Array(foo)}}', "SELECT ['']"],
    ['Array with empty default', "SELECT {{Array(click_selector, 'String', '')}}", "SELECT ['']"],
    ['Array with default', "SELECT {{Array(x, 'Int8', '3,4')}}", 'SELECT [3,4]'],
    ['JSON', '{% for kv in JSON(p) %}x{% end %}ok', 'ok'],
    ['symbol', 'SELECT {{symbol(attr)}} from test', 'SELECT `placeholder` from test'],
    ['table', 'SELECT * FROM {{table(t)}}', 'SELECT * FROM placeholder'],
    ['column with default', "SELECT {{column(c, 'id')}}", 'SELECT `id`'],
    ['defined() is false', '{% if defined(x) %}yes{% else %}no{% end %}', 'no'],
    [
      'for iterates three placeholders',
      '{% for v in test %}SELECT {{v}} {% end %}',
      "SELECT '__no_value__' SELECT '__no_value__' SELECT '__no_value__' ",
    ],
    ['indexing a placeholder', '{{ x[0] }}', "'__no_value__'"],
    [
      'splitting a placeholder',
      "{% for p in x.split(',') %}{{p}}{% end %}",
      "'__no_value__''__no_value__'",
    ],
    ['startswith on a placeholder', "{{ x.startswith('a') }}", '0'],
    ['placeholder arithmetic', "{{ x + 'a' }}", "'__no_value__'"],
    ['placeholder equality', "{{ x == 'a' }}", '0'],
    ['error() is a no-op', "{{ error('boom') }}ok", 'ok'],
    ['custom_error() is a no-op', "{{ custom_error({'e': 1}, 404) }}ok", 'ok'],
    ['split_to_array uses its default', "{{ split_to_array(x, 'a,b') }}", "['a','b']"],
    ['len() of a placeholder', '{{ len(x) }}', '3'],
  ])('%s', (_name, src, expected) => {
    expect(preview(src)).toBe(expected)
  })
  it('sent parameters are still used', () => {
    expect(preview('{{String(a)}} {{Int32(b)}}', { a: 'x' })).toBe("'x' 0")
  })
  it('sent parameters are still validated', () => {
    expect(thrown(() => preview('{{Int32(b)}}', { b: 'x' }))).toMatchObject({
      code: 'ERR_TEMPLATE_PARAM_TYPE',
    })
  })
  it('ordering a placeholder explains how to fix it', () => {
    expect(thrown(() => preview('{% if x > 1 %}{% end %}'))).toMatchObject({
      code: 'ERR_TEMPLATE_SYNTAX',
      message:
        "Template Syntax Error: '>' not supported between instances of 'Placeholder' and 'int'. If you are using a dynamic parameter, you need to wrap it around a valid Data Type (e.g. Int8(placeholder)), line 2",
    })
  })
  it('calling a missing name is still refused', () => {
    expect(thrown(() => preview('{% if whatever(passenger_count) %}{% end %}'))).toMatchObject({
      code: 'ERR_TEMPLATE_SYNTAX',
      message: "Template Syntax Error: 'whatever' is not a valid function, line 2",
    })
  })
  it('column() without default still fails', () => {
    expect(thrown(() => preview('{{column(c)}}'))).toMatchObject({
      code: 'ERR_TEMPLATE_PARAM_MISSING',
    })
  })
})
