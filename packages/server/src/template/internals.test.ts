/** @module Tests of the TSDoc examples of the internal modules (values, operators, parsers, analysis…). */
import { describe, expect, it } from 'vitest'
import { analyze } from './analysis.js'
import { characters, iterate } from './builtins.js'
import { bind, given, type EvalContext } from './call-args.js'
import {
  epochMs,
  formatDate,
  formatDateTime,
  parseIsoDate,
  parseIsoDateTime,
  strptime,
} from './datetime.js'
import { Evaluator, tooLarge } from './evaluator.js'
import { tokenize } from './expr-lexer.js'
import { ExprParser } from './expr-parser.js'
import { getMethod } from './methods.js'
import { binaryOp, compareOp, contains, unaryOp } from './operators.js'
import { renderValue } from './render-value.js'
import {
  joinNames,
  LineIndex,
  paramMissingError,
  paramTypeError,
  syntaxError,
} from './template-errors.js'
import { splitChunks } from './template-lexer.js'
import { parseTemplate } from './template-parser.js'
import { convertArrayParam, declaredType } from './typed-helpers.js'
import {
  asNumber,
  asSequence,
  asText,
  dictKey,
  firstOfList,
  floatRepr,
  fromJsonValue,
  Placeholder,
  PyDict,
  PyList,
  PyRange,
  PyTuple,
  pyCompare,
  pyEquals,
  pyRepr,
  pyStr,
  SqlFragment,
  toJson,
  truthy,
  typeName,
} from './values.js'

const ctx: EvalContext = {
  testMode: false,
  settings: {},
  cacheTtlSeconds: undefined,
  tick: () => undefined,
  missingParams: (l) => [l],
}

describe('values.ts', () => {
  it.each([
    [typeName(1n), 'int'],
    [typeName(null), 'NoneType'],
    [typeName(new SqlFragment('`a`')), 'str'],
    [truthy(''), false],
    [truthy(new PyList([])), false],
    [truthy(new Placeholder('x')), true],
    [floatRepr(1), '1.0'],
    [floatRepr(1e16), '1e+16'],
    [floatRepr(0.00001), '1e-05'],
    [floatRepr(123.456), '123.456'],
    [floatRepr(-Infinity), '-inf'],
    [pyRepr(new PyList(['a', 1n])), "['a', 1]"],
    [pyRepr("it's"), `"it's"`],
    [pyRepr(new PyTuple([1n])), '(1,)'],
    [pyStr(null), 'None'],
    [pyStr(true), 'True'],
    [pyStr(2), '2.0'],
    [pyStr(new Placeholder('x')), '__no_value__'],
    [asNumber(true), 1n],
    [asNumber('1'), undefined],
    [asText(new SqlFragment('`a`')), '`a`'],
    [asText(1n), undefined],
    [asSequence(new PyTuple([1n])), [1n]],
    [asSequence('ab'), undefined],
    [pyEquals(1n, 1.0), true],
    [pyEquals('1', 1n), false],
    [pyCompare(1n, 2.5, '<'), -1],
    [pyCompare('b', 'a', '<'), 1],
    [dictKey(2.0), 2n],
    [dictKey('k'), 'k'],
    [toJson(new PyList([1n, 'a'])), [1, 'a']],
    [firstOfList(new PyList(['a', 'b'])), 'a'],
    [firstOfList(new PyList([])), null],
    [firstOfList('a'), 'a'],
  ])('example %#', (actual, expected) => {
    expect(actual).toEqual(expected)
  })
  it('fromJsonValue({ a: [1, 1.5, null] }) → PyDict { a: PyList [1n, 1.5, null] }', () => {
    expect(fromJsonValue({ a: [1, 1.5, null] })).toEqual(
      new PyDict(new Map([['a', new PyList([1n, 1.5, null])]])),
    )
  })
  it.each([
    [0.1, '0.1'],
    [-0, '-0.0'],
    [1e21, '1e+21'],
    [1.5e300, '1.5e+300'],
    [5e-324, '5e-324'],
    [0.0001, '0.0001'],
    [1234567890123456.8, '1234567890123456.8'],
    [9999999999999998, '9999999999999998.0'],
    [Number.NaN, 'nan'],
  ])('floatRepr(%d) → %s', (x, expected) => {
    expect(floatRepr(x)).toBe(expected)
  })
  it('pyRepr() escapes like Python', () => {
    expect(pyRepr('a\nb\\\'"')).toBe(`'a\\nb\\\\\\'"'`)
    expect(pyRepr(new PyDict(new Map([['k', null]])))).toBe("{'k': None}")
  })
})

describe('datetime.ts', () => {
  it('examples', () => {
    expect(parseIsoDate('2020-02-29')).toEqual({
      year: 2020,
      month: 2,
      day: 29,
      hour: 0,
      minute: 0,
      second: 0,
      fraction: '',
    })
    expect(parseIsoDate('2019-02-29')).toBeUndefined()
    expect(parseIsoDateTime('2018-09-07T23:55:00.5Z')).toEqual({
      year: 2018,
      month: 9,
      day: 7,
      hour: 23,
      minute: 55,
      second: 0,
      fraction: '5',
    })
    expect(formatDate(parseIsoDateTime('2018-09-07 23:55:00')!)).toBe('2018-09-07')
    expect(formatDateTime(parseIsoDateTime('2018-09-07T23:55:00Z')!)).toBe('2018-09-07 23:55:00')
    expect(formatDateTime(parseIsoDateTime('2018-09-07T23:55:00Z')!, true)).toBe(
      '2018-09-07 23:55:00.000',
    )
    expect(epochMs(parseIsoDate('1970-01-02')!)).toBe(86400000)
    expect(strptime('2019/01/04', '%Y/%m/%d')).toMatchObject({ year: 2019, month: 1, day: 4 })
    expect(strptime('x', '%Y')).toBeUndefined()
  })
  it('epochMs() handles years before 100', () => {
    expect(epochMs(parseIsoDate('0050-01-02')!) - epochMs(parseIsoDate('0050-01-01')!)).toBe(
      86400000,
    )
  })
})

describe('operators.ts and render-value.ts', () => {
  it.each([
    [binaryOp('//', -7n, 2n), -4n],
    [binaryOp('+', 'a', 'b'), 'ab'],
    [binaryOp('/', 4n, 2n), 2],
    [unaryOp('-', 1.5, truthy), -1.5],
    [unaryOp('not', '', truthy), true],
    [contains(new PyList([1n]), 1.0), true],
    [contains('abc', 'b'), true],
    [compareOp('not in', 'z', 'abc'), true],
    [compareOp('<=', 2n, 2.0), true],
    [renderValue(-5n), '(-5)'],
    [renderValue(new PyList(['a', 1n])), "['a',1]"],
    [renderValue(new PyDict(new Map([['k', 1.5]]))), "map('k',1.5)"],
  ])('example %#', (actual, expected) => {
    expect(actual).toEqual(expected)
  })
  it('binaryOp(/) of ints is a float', () => {
    expect(typeof binaryOp('/', 4n, 2n)).toBe('number')
  })
})

describe('template-errors.ts', () => {
  it('examples', () => {
    expect(new LineIndex('ab\ncd').positionAt(3)).toEqual({ line: 2, column: 1 })
    expect(syntaxError('Extra {% end %} block', { line: 2, column: 5 })).toMatchObject({
      code: 'ERR_TEMPLATE_SYNTAX',
      details: { line: 2, column: 5 },
    })
    expect(paramTypeError('n', 'Int32').message).toBe(
      "Template Syntax Error: Error validating parameter 'n' to type Int32",
    )
    expect(joinNames(['a', 'b', 'c'])).toBe('a, b and c')
    expect(joinNames(['a'])).toBe('a')
    expect(paramMissingError(['a', 'b']).message).toBe(
      'Template Syntax Error: Required parameter is not defined. Check the parameters a and b. Please provide a value or set a default value in the pipe code.',
    )
  })
  it('positionAt() at line starts and ends', () => {
    const lines = new LineIndex('a\n\nbc')
    expect(lines.positionAt(0)).toEqual({ line: 1, column: 1 })
    expect(lines.positionAt(1)).toEqual({ line: 1, column: 2 })
    expect(lines.positionAt(2)).toEqual({ line: 2, column: 1 })
    expect(lines.positionAt(4)).toEqual({ line: 3, column: 2 })
  })
})

describe('lexers, parsers and analysis', () => {
  it('splitChunks() example', () => {
    const src = 'a{{b}}{%c%}{#d#}'
    expect(splitChunks(src, 0, new LineIndex(src))).toEqual([
      { kind: 'text', text: 'a', start: 0 },
      { kind: 'expr', code: 'b', start: 1, codeStart: 3 },
      { kind: 'block', code: 'c', start: 6, codeStart: 8 },
    ])
  })
  it('parseTemplate() example', () => {
    const src = '{% if x %}A{% end %}'
    expect(parseTemplate(src, 0, new LineIndex(src))).toMatchObject([
      {
        type: 'if',
        branches: [{ test: { type: 'name', name: 'x' }, body: [{ type: 'text', text: 'A' }] }],
      },
    ])
  })
  it('tokenize() example', () => {
    expect(tokenize("a + 'b'", 0, 7, new LineIndex("a + 'b'")).map((t) => t.kind)).toEqual([
      'name',
      'op',
      'string',
      'eof',
    ])
  })
  it('ExprParser example', () => {
    expect(new ExprParser('1 + 2', 0, 5, new LineIndex('1 + 2')).parseExpression()).toMatchObject({
      type: 'binary',
      op: '+',
      left: { type: 'const', value: 1n },
      right: { type: 'const', value: 2n },
    })
  })
  it('analyze() example', () => {
    const src = '{{Int32(a, 1)}}{{b}}'
    expect(analyze(parseTemplate(src, 0, new LineIndex(src)))).toEqual({
      params: [
        { name: 'a', type: 'Int32', default: 1, required: false },
        { name: 'b', type: 'String', required: false },
      ],
      mandatory: ['b'],
      forbidden: undefined,
      reserved: [],
      arrayTypes: new Map(),
    })
  })
  it('Evaluator example', () => {
    const source = '%\n{{x}}'
    const lines = new LineIndex(source)
    const body = parseTemplate(source, 2, lines)
    const evaluator = new Evaluator({
      source,
      lines,
      analysis: analyze(body),
      args: { x: '1' },
      testMode: false,
      maxSqlBytes: 1_048_576,
    })
    expect(evaluator.run(body)).toBe("'1'")
  })
  it('tooLarge() example', () => {
    expect(tooLarge(10)).toMatchObject({
      code: 'ERR_REQUEST_TOO_LARGE',
      status: 413,
      details: { maxSqlBytes: 10 },
    })
  })
})

describe('helpers plumbing', () => {
  it('typed-helpers.ts examples', () => {
    expect(convertArrayParam('1,2', 'Int32')).toEqual(new PyList([1n, 2n]))
    expect(convertArrayParam('1,x', 'Int32')).toBeUndefined()
    expect(declaredType('Int', undefined)).toBe('Int32')
    expect(declaredType('Array', 'Int8')).toBe('Array(Int8)')
    expect(declaredType('column', undefined)).toBeUndefined()
  })
  it('call-args.ts examples', () => {
    expect(
      bind('f', { args: [1n], kwargs: new Map([['b', 2n]]), labels: ['x'] }, ['a', 'b']).values,
    ).toEqual(
      new Map([
        ['a', 1n],
        ['b', 2n],
      ]),
    )
    expect(bind('f', { args: [1n], kwargs: new Map(), labels: ['x'] }, ['a']).label('a')).toBe('x')
    expect(
      given(bind('f', { args: [null], kwargs: new Map(), labels: [] }, ['a']), 'a'),
    ).toBeUndefined()
  })
  it('bind() rejects bad calls', () => {
    expect(() => bind('f', { args: [1n, 2n], kwargs: new Map(), labels: [] }, ['a'])).toThrow(
      'f() takes at most 1 arguments (2 given)',
    )
    expect(() =>
      bind('f', { args: [1n], kwargs: new Map([['a', 2n]]), labels: [] }, ['a']),
    ).toThrow("f() got multiple values for argument 'a'")
  })
  it('builtins.ts examples', () => {
    expect(characters('a😀')).toEqual(['a', '😀'])
    expect(iterate(new PyRange(0n, 3n, 1n), ctx)).toEqual([0n, 1n, 2n])
    expect(iterate(new Placeholder('x'), ctx)).toEqual([
      new Placeholder('x'),
      new Placeholder('x'),
      new Placeholder('x'),
    ])
  })
  it('methods.ts example', () => {
    expect(
      getMethod('a,b', 'split', ctx).call({ args: [','], kwargs: new Map(), labels: [] }),
    ).toEqual(new PyList(['a', 'b']))
  })
})
