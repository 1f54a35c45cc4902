/** @module Tests of if/for/set/while/break/continue and of the resource limits. */
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

describe('{% if %} / {% elif %} / {% else %}', () => {
  it.each([
    ['true branch', '{% if x %}A{% end %}', { x: '1' }, 'A'],
    ['missing parameter is falsy', '{% if x %}A{% end %}', {}, ''],
    ['else', '{% if x %}A{% else %}B{% end %}', {}, 'B'],
    ['elif chain', '{% if a %}1{% elif b %}2{% elif c %}3{% else %}4{% end %}', { c: 'y' }, '3'],
    [
      'defined and comparison',
      "{% if defined(a) and a == 'true' %}yes{% end %}",
      { a: 'true' },
      'yes',
    ],
    [
      'defined short-circuits',
      "{% if defined(a) and a == 'true' %}yes{% else %}no{% end %}",
      {},
      'no',
    ],
    [
      'not defined',
      '{% if not defined(test) %}error("This is an error"){% end %}',
      {},
      'error("This is an error")',
    ],
    [
      'typed condition',
      '{% if Int32(test, 1) %}SELECT 1{% else %} select 2 {% end %}',
      {},
      'SELECT 1',
    ],
    ['empty string is falsy', '{% if x %}A{% else %}B{% end %}', { x: '' }, 'B'],
    ['nested', '{% if a %}{% if b %}AB{% else %}A{% end %}{% end %}', { a: '1' }, 'A'],
    [
      'whitespace kept around blocks',
      'SELECT * FROM tracker {% if defined(start) %} {{DateTime(start)}} {% end %}',
      { start: '2019-08-01 00:00:00' },
      "SELECT * FROM tracker  '2019-08-01 00:00:00' ",
    ],
    [
      'builtins shadow-free: open is not defined',
      '{% if defined(open) %}ERROR{% else %}YEAH!{% end %}',
      {},
      'YEAH!',
    ],
  ])('%s', (_name, src, args, expected) => {
    expect(sql(src, args)).toBe(expected)
  })
})

describe('{% for %}', () => {
  it.each([
    ['over a list literal', '{% for v in [1, 2] %}<{{v}}>{% end %}', {}, '<1><2>'],
    [
      'over split_to_array',
      '{% for v in split_to_array(x) %}{{v}};{% end %}',
      { x: 'a, b' },
      "'a';'b';",
    ],
    ['over a repeated GET key', '{% for v in x %}{{v}};{% end %}', { x: ['a', 'b'] }, "'a';'b';"],
    [
      'over Array()',
      "{% for v in Array(ids, 'Int32') %}{{v + 1}},{% end %}",
      { ids: '1,2' },
      '2,3,',
    ],
    [
      'over a JSON POST list',
      "{% for kv in x %}{{kv['k']}}{% end %}",
      { x: [{ k: 'a' }, { k: 'b' }] },
      "'a''b'",
    ],
    [
      'tuple unpacking',
      '{% for i, v in enumerate(x) %}{{i}}={{v}} {% end %}',
      { x: ['a', 'b'] },
      "0='a' 1='b' ",
    ],
    ['nested unpacking', '{% for (a, (b, c)) in [(1, (2, 3))] %}{{a + b + c}}{% end %}', {}, '6'],
    [
      'enumerate_with_last',
      '{% for last, v in enumerate_with_last(split_to_array(x)) %}{{v}}{% if not last %},{% end %}{% end %}',
      { x: 'a,b,c' },
      "'a','b','c'",
    ],
    ['dict iterates keys', "{% for k in {'a': 1, 'b': 2} %}{{k}}{% end %}", {}, "'a''b'"],
    ['string iterates characters', "{% for c in 'ab' %}{{c}}{% end %}", {}, "'a''b'"],
    ['range', '{% for i in range(3) %}{{i}}{% end %}', {}, '012'],
    [
      'break',
      '{% for i in range(10) %}{% if i == 2 %}{% break %}{% end %}{{i}}{% end %}',
      {},
      '01',
    ],
    [
      'continue',
      '{% for i in range(4) %}{% if i % 2 %}{% continue %}{% end %}{{i}}{% end %}',
      {},
      '02',
    ],
    [
      'break only leaves the inner loop',
      '{% for a in [1, 2] %}{% for b in [1, 2] %}{% break %}{% end %}{{a}}{% end %}',
      {},
      '12',
    ],
    ['empty iterable', '{% for v in [] %}x{% end %}done', {}, 'done'],
    ['the loop variable is visible after the loop', '{% for v in [1, 2] %}{% end %}{{v}}', {}, '2'],
  ])('%s', (_name, src, args, expected) => {
    expect(sql(src, args)).toBe(expected)
  })
  it.each([
    [
      'unpacking too many',
      '{% for a, b in [(1, 2, 3)] %}{% end %}',
      'Template Syntax Error: too many values to unpack (expected 2), line 2',
    ],
    [
      'unpacking too few',
      '{% for a, b in [(1,)] %}{% end %}',
      'Template Syntax Error: not enough values to unpack (expected 2, got 1), line 2',
    ],
    [
      'not iterable',
      '{% for a in 5 %}{% end %}',
      "Template Syntax Error: 'int' object is not iterable, line 2",
    ],
  ])('%s', (_name, src, message) => {
    expect(thrown(() => sql(src))).toMatchObject({ code: 'ERR_TEMPLATE_SYNTAX', message })
  })
  it('a loop over a missing parameter reports it', () => {
    expect(thrown(() => sql('{% for v in items %}{{v}}{% end %}'))).toMatchObject({
      code: 'ERR_TEMPLATE_PARAM_MISSING',
      details: { params: ['items'] },
    })
  })
})

describe('{% set %}', () => {
  it.each([
    ['simple', "{% set a = 'x' %}{{a}}", {}, "'x'"],
    [
      'from a parameter',
      '{% set n = Int32(limit, 10) + 1 %}LIMIT {{n}}',
      { limit: '4' },
      'LIMIT 5',
    ],
    [
      'a set variable shadows a parameter afterwards',
      '{% set limit = Int32(limit, 10) %}{{limit}}',
      { limit: '3' },
      '3',
    ],
    [
      'augmented +=',
      '{% set s = 0 %}{% for i in range(4) %}{% set s += i %}{% end %}{{s}}',
      {},
      '6',
    ],
    ['augmented -=', '{% set s = 10 %}{% set s -= 4 %}{{s}}', {}, '6'],
    ['tuple targets', "{% set a, b = 1, 'x' %}{{b}}{{a}}", {}, "'x'1"],
    [
      'join of a list parameter',
      "{% if defined(test) %}{% set csv = ','.join(test) %}{{Array(test, 'String')}} {{csv}}{% end %}",
      { test: '1,2' },
      "['1','2'] '1,2'",
    ],
    [
      'join of a repeated key',
      "{% set csv = ','.join(test) %}{{csv}}{{ Array(test) }}",
      { test: ['1', '2'] },
      "'1,2'['1','2']",
    ],
    [
      'sum of an Int32 array parameter',
      "{% set t = sum(test) %}{{Array(test, 'Int32')}} {{t}}",
      { test: '1,2' },
      '[1,2] 3',
    ],
    [
      'a set inside a branch is visible after it',
      '{% if 1 %}{% set a = 1 %}{% end %}{{a}}',
      {},
      '1',
    ],
  ])('%s', (_name, src, args, expected) => {
    expect(sql(src, args)).toBe(expected)
  })
})

describe('{% while %}', () => {
  it('runs while the condition holds', () => {
    expect(sql('{% set i = 0 %}{% while i < 3 %}{{i}}{% set i += 1 %}{% end %}')).toBe('012')
  })
  it('break leaves it', () => {
    expect(sql('{% while 1 %}x{% break %}{% end %}')).toBe('x')
  })
})

describe('resource limits', () => {
  it.each([
    ['a huge range', '{% for i in range(1000000) %}{% end %}'],
    ['an endless while', '{% while True %}{% end %}'],
    [
      'nested loops share one budget',
      '{% for a in range(1000) %}{% for b in range(1000) %}{% end %}{% end %}',
    ],
    ['builtins walking a huge range', '{{ sum(range(10000000)) }}'],
    [
      'string growth',
      "{% set s = 'x' %}{% for i in range(40) %}{% set s = s + s %}{% end %}{{ len(s) }}",
    ],
  ])('%s stops with ERR_TEMPLATE_SYNTAX', (_name, src) => {
    expect(thrown(() => sql(src))).toMatchObject({ code: 'ERR_TEMPLATE_SYNTAX', status: 400 })
  })
  it('100_000 iterations are allowed', () => {
    expect(sql('{% for i in range(99999) %}{% end %}ok')).toBe('ok')
  })
  it('the loop budget error names the limit', () => {
    expect(thrown(() => sql('{% for i in range(100001) %}{% end %}'))).toMatchObject({
      message: 'Template Syntax Error: the template exceeded 100000 loop iterations',
      details: { line: 2, column: 1 },
    })
  })
  it('rendered SQL over maxSqlBytes fails with ERR_REQUEST_TOO_LARGE (bytes, not characters)', () => {
    expect(
      thrown(() =>
        renderTemplate('%\n{% for i in range(100) %}xxxxxxxxxx{% end %}', {}, { maxSqlBytes: 999 }),
      ),
    ).toMatchObject({
      code: 'ERR_REQUEST_TOO_LARGE',
      status: 413,
      details: { maxSqlBytes: 999 },
    })
    expect(renderTemplate('%\n{{x}}', { x: 'é'.repeat(4) }, { maxSqlBytes: 10 }).sql).toBe("'éééé'")
    expect(
      thrown(() => renderTemplate('%\n{{x}}', { x: 'é'.repeat(5) }, { maxSqlBytes: 10 })),
    ).toMatchObject({ code: 'ERR_REQUEST_TOO_LARGE' })
    expect(thrown(() => renderTemplate('SELECT 1', {}, { maxSqlBytes: 5 }))).toMatchObject({
      code: 'ERR_REQUEST_TOO_LARGE',
    })
  })
  it('values nested too deeply are refused', () => {
    let deep: unknown = 'x'
    for (let i = 0; i < 200; i++) deep = [deep]
    expect(thrown(() => sql('{{x}}', { x: deep as string[] }))).toMatchObject({
      code: 'ERR_TEMPLATE_PARAM_TYPE',
      details: { param: 'x' },
    })
    expect(
      thrown(() =>
        sql('{% set l = 1 %}{% for i in range(300) %}{% set l = [l] %}{% end %}{{ l }}'),
      ),
    ).toMatchObject({ code: 'ERR_TEMPLATE_SYNTAX' })
  })
})

describe('pathological templates', () => {
  it('a very long operator chain is rendered or refused, never crashes', () => {
    const long = `%\n{{ ${Array.from({ length: 200_000 }, () => '1').join(' + ')} }}`
    const e = (() => {
      try {
        return renderTemplate(long, {}).sql
      } catch (err) {
        return err
      }
    })()
    if (typeof e === 'string') expect(e).toBe('200000')
    else expect(e).toMatchObject({ code: 'ERR_TEMPLATE_SYNTAX' })
  })
})
