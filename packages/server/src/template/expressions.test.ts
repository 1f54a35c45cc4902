/** @module Tests of the Python expression subset: printing, operators, indexing, methods and builtins. */
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
/** Renders `{{ expr }}` alone. */
const out = (expr: string, args: TemplateArgs = {}): string =>
  renderTemplate(`%\n{{ ${expr} }}`, args).sql

describe('printing values', () => {
  it.each([
    ['string', "'abc'", "'abc'"],
    ['double-quoted string', '"it\'s"', "'it\\'s'"],
    ['adjacent strings concatenate', '\'a\' "b"', "'ab'"],
    ['triple-quoted string', "'''a\nb'''", "'a\\nb'"],
    ['string escapes', "'\\x41\\u00e9\\t\\101'", "'Aé\\tA'"],
    ['raw string', "r'\\d+'", "'\\\\d+'"],
    ['int', '42', '42'],
    ['big int', '123456789012345678901234567890', '123456789012345678901234567890'],
    ['hex int', '0xff', '255'],
    ['underscored int', '1_000', '1000'],
    ['float', '1.5', '1.5'],
    ['integral float', '2.0', '2.0'],
    ['float exponent', '1e16', '1e+16'],
    ['small float', '0.00001', '1e-05'],
    ['negative int', '-5', '(-5)'],
    ['negative float', '-0.5', '(-0.5)'],
    ['True', 'True', '1'],
    ['False', 'False', '0'],
    ['list', "[1, 'a', None, True]", "[1,'a',NULL,1]"],
    ['nested list', '[[1, 2], []]', '[[1,2],[]]'],
    ['tuple', "(1, 'a')", "(1,'a')"],
    ['one-element tuple', '(1,)', 'tuple(1)'],
    ['top-level tuple', "1, 'a'", "(1,'a')"],
    ['empty tuple', '()', 'tuple()'],
    ['dict', "{'a': 1, 'b': [2]}", "map('a',1,'b',[2])"],
    ['range', 'range(3)', '[0,1,2]'],
  ])('%s: {{ %s }} → %s', (_name, expr, expected) => {
    expect(out(expr)).toBe(expected)
  })
  it.each([
    ['string param', { x: 'a b' }, "'a b'"],
    ['integer POST value', { x: 5 }, '5'],
    ['float POST value', { x: 1.25 }, '1.25'],
    ['negative POST value', { x: -3 }, '(-3)'],
    ['boolean POST value', { x: true }, '1'],
    ['list POST value', { x: ['a', 1] }, "['a',1]"],
    ['object POST value', { x: { k: 'v' } }, "map('k','v')"],
  ])('%s', (_name, args, expected) => {
    expect(out('x', args)).toBe(expected)
  })
  it('a missing parameter printed bare fails with ERR_TEMPLATE_PARAM_MISSING', () => {
    expect(thrown(() => out('test', { token: 'testing' }))).toMatchObject({
      code: 'ERR_TEMPLATE_PARAM_MISSING',
      message: 'Template Syntax Error: expression "test" evaluated to null',
      details: { params: ['test'] },
    })
  })
  it('long expressions are truncated in the message', () => {
    expect(
      thrown(() => out('testisasuperlongthingandwedontwanttoreturnthefullthing')),
    ).toMatchObject({
      message: 'Template Syntax Error: expression "testisasuperlongthin..." evaluated to null',
    })
  })
  it('None printed from an expression is a syntax error', () => {
    expect(thrown(() => out("{'a': 1}.get('b')"))).toMatchObject({
      code: 'ERR_TEMPLATE_SYNTAX',
      message: `Template Syntax Error: expression "{'a': 1}.get('b')" evaluated to null`,
    })
  })
  it('a function cannot be printed', () => {
    expect(thrown(() => out('len'))).toMatchObject({ code: 'ERR_TEMPLATE_SYNTAX' })
  })
})

describe('operators', () => {
  it.each([
    ['1 + 2', '3'],
    ['1 + 2.5', '3.5'],
    ['True + 1', '2'],
    ["'a' + 'b'", "'ab'"],
    ['[1] + [2]', '[1,2]'],
    ['(1,) + (2,)', '(1,2)'],
    ['7 - 10', '(-3)'],
    ['3 * 4', '12'],
    ["'ab' * 3", "'ababab'"],
    ['3 * [0]', '[0,0,0]'],
    ["'ab' * -1", "''"],
    ['7 / 2', '3.5'],
    ['4 / 2', '2.0'],
    ['7 // 2', '3'],
    ['-7 // 2', '(-4)'],
    ['7.5 // 2', '3.0'],
    ['7 % 3', '1'],
    ['-7 % 3', '2'],
    ['7 % -3', '(-2)'],
    ['-7.5 % 2', '0.5'],
    ['2 + 3 * 4', '14'],
    ['(2 + 3) * 4', '20'],
    ['-(1 + 2)', '(-3)'],
    ['+3', '3'],
    ['--3', '3'],
    ['not 0', '1'],
    ['not []', '1'],
    ["not 'a'", '0'],
    ["0 or 'x'", "'x'"],
    ["'' or [] or 'last'", "'last'"],
    ["1 and 'y'", "'y'"],
    ["0 and 'y'", '0'],
    ["'a' if 1 else 'b'", "'a'"],
    ["'a' if 0 else 'b' if 0 else 'c'", "'c'"],
  ])('{{ %s }} → %s', (expr, expected) => {
    expect(out(expr)).toBe(expected)
  })
  it.each([
    ['1 == 1.0', '1'],
    ['True == 1', '1'],
    ["'1' == 1", '0'],
    ['[1, 2] == [1, 2]', '1'],
    ['(1, 2) == [1, 2]', '0'],
    ["{'a': 1} == {'a': 1.0}", '1'],
    ['1 != 2', '1'],
    ['1 < 2 < 3', '1'],
    ['1 < 3 < 2', '0'],
    ["'a' < 'b'", '1'],
    ['[1, 2] < [1, 3]', '1'],
    ['2 >= 2.0', '1'],
    ['2 <= 1', '0'],
    ["'b' in 'abc'", '1'],
    ["'z' not in 'abc'", '1'],
    ['2 in [1, 2]', '1'],
    ["'k' in {'k': 1}", '1'],
    ['4 in range(0, 10, 2)', '1'],
    ['5 in range(0, 10, 2)', '0'],
    ['None is None', '1'],
    ['1 is not None', '1'],
  ])('{{ %s }} → %s', (expr, expected) => {
    expect(out(expr)).toBe(expected)
  })
  it.each([
    ['1 / 0', 'Template Syntax Error: division by zero, line 2'],
    ['1 // 0', 'Template Syntax Error: integer division or modulo by zero, line 2'],
    [
      "1 + 'a'",
      "Template Syntax Error: unsupported operand type(s) for +: 'int' and 'str', line 2",
    ],
    ["'%s' % 1", "Template Syntax Error: string formatting with '%' is not supported, line 2"],
    [
      "1 < 'a'",
      "Template Syntax Error: '<' not supported between instances of 'int' and 'str', line 2",
    ],
    [
      "1 in 'abc'",
      "Template Syntax Error: 'in <string>' requires string as left operand, not int, line 2",
    ],
    ['1 in 2', "Template Syntax Error: argument of type 'int' is not iterable, line 2"],
    ["-'a'", "Template Syntax Error: bad operand type for unary -: 'str', line 2"],
    ["'a' * 100000000", 'Template Syntax Error: result is too large, line 2'],
    ['[[1]] == [[1]] and {[1]: 2}', "Template Syntax Error: unhashable type: 'list', line 2"],
  ])('{{ %s }} fails: %s', (expr, message) => {
    expect(thrown(() => out(expr))).toMatchObject({
      code: 'ERR_TEMPLATE_SYNTAX',
      message,
      details: { line: 2, column: 1 },
    })
  })
  it('ints are capped so repeated squaring cannot exhaust memory', () => {
    const src = '%\n{% set x = 2 %}{% for i in range(20) %}{% set x = x * x %}{% end %}{{ x }}'
    expect(thrown(() => renderTemplate(src, {}))).toMatchObject({
      code: 'ERR_TEMPLATE_SYNTAX',
      message: 'Template Syntax Error: integer result is too large, line 2',
    })
  })
})

describe('indexing and slicing', () => {
  it.each([
    ["'abc'[0]", "'a'"],
    ["'abc'[-1]", "'c'"],
    ["'a😀c'[1]", "'😀'"],
    ['[1, 2, 3][1]', '2'],
    ['(1, 2)[-2]', '1'],
    ["{'a': 'x'}['a']", "'x'"],
    ['range(10, 20)[3]', '13'],
    ["'abcdef'[1:3]", "'bc'"],
    ["'abcdef'[::2]", "'ace'"],
    ["'abcdef'[::-1]", "'fedcba'"],
    ["'abcdef'[-2:]", "'ef'"],
    ['[1, 2, 3, 4][1:-1]', '[2,3]'],
    ['[1, 2, 3, 4][10:]', '[]'],
    ['(1, 2, 3)[:2]', '(1,2)'],
    ['[1, 2, 3][True]', '2'],
  ])('{{ %s }} → %s', (expr, expected) => {
    expect(out(expr)).toBe(expected)
  })
  it.each([
    ['[1][5]', 'list index out of range'],
    ["'ab'[9]", 'string index out of range'],
    ["[1]['a']", 'list indices must be integers or slices, not str'],
    ["{'a': 1}['b']", 'KeyError: the key is not in the dict'],
    ['5[0]', "'int' object is not subscriptable"],
    ['[1][::0]', 'slice step cannot be zero'],
  ])('{{ %s }} fails: %s', (expr, message) => {
    expect(thrown(() => out(expr))).toMatchObject({
      code: 'ERR_TEMPLATE_SYNTAX',
      message: `Template Syntax Error: ${message}, line 2`,
    })
  })
  it('indexing a missing parameter reports the parameter', () => {
    expect(thrown(() => out('x[0]'))).toMatchObject({
      code: 'ERR_TEMPLATE_PARAM_MISSING',
      details: { params: ['x'] },
    })
  })
})

describe('string, dict and list methods', () => {
  it.each([
    ["'a,b,c'.split(',')", "['a','b','c']"],
    ["' a  b '.split()", "['a','b']"],
    ["'a,b,c'.split(',', 1)", "['a','b,c']"],
    ["'AbC'.lower()", "'abc'"],
    ["'AbC'.upper()", "'ABC'"],
    ["'  x  '.strip()", "'x'"],
    ["'xxaxx'.strip('x')", "'a'"],
    ["'  x  '.lstrip()", "'x  '"],
    ["'  x  '.rstrip()", "'  x'"],
    ["'a-b-c'.replace('-', '+')", "'a+b+c'"],
    ["'a-b-c'.replace('-', '+', 1)", "'a+b-c'"],
    ["'abc'.replace('', '-')", "'-a-b-c-'"],
    ["'abc'.startswith('ab')", '1'],
    ["'abc'.startswith(('x', 'a'))", '1'],
    ["'abc'.endswith('bc')", '1'],
    ["','.join(['a', 'b'])", "'a,b'"],
    ["''.join('abc')", "'abc'"],
    ["'123'.isdigit()", '1'],
    ["'12a'.isdigit()", '0'],
    ["'abcb'.find('b')", '1'],
    ["'abcb'.count('b')", '2'],
    ["{'a': 1}.get('a')", '1'],
    ["{'a': 1}.get('b', 'd')", "'d'"],
    ["{'a': 1, 'b': 2}.keys()", "['a','b']"],
    ["{'a': 1}.values()", '[1]'],
    ["{'a': 1}.items()", "[('a',1)]"],
    ["['a', 'b'].index('b')", '1'],
    ['[1, 1, 2].count(1)', '2'],
  ])('{{ %s }} → %s', (expr, expected) => {
    expect(out(expr)).toBe(expected)
  })
  it.each([
    ["'a'.__class__", "access to attribute '__class__' is not allowed"],
    ["'a'._x()", "access to attribute '_x' is not allowed"],
    ["'a'.format()", "'str' object has no attribute 'format'"],
    [
      "'a'.get('k')",
      "'str' object has no attribute 'get'. Make sure you're using an object/dictionary where trying to use .get()",
    ],
    ["'a'.split('')", 'empty separator'],
    ["','.join([1])", 'sequence item 0: expected str instance, int found'],
    ["'a'.upper(1)", 'upper() takes at most 0 arguments (1 given)'],
    ["'a'.upper(x=1)", "upper() got an unexpected keyword argument 'x'"],
    ['(1).real', "'int' object has no attribute 'real'"],
  ])('{{ %s }} fails: %s', (expr, message) => {
    expect(thrown(() => out(expr))).toMatchObject({
      code: 'ERR_TEMPLATE_SYNTAX',
      message: `Template Syntax Error: ${message}, line 2`,
    })
  })
  it('a method on a missing parameter reports the parameter', () => {
    expect(thrown(() => out("x.split(',')"))).toMatchObject({
      code: 'ERR_TEMPLATE_PARAM_MISSING',
      details: { params: ['x'] },
    })
  })
  it('methods work on parameters', () => {
    expect(out("x.split(',')[1].strip().upper()", { x: 'a, b ,c' })).toBe("'B'")
  })
})

describe('builtins', () => {
  it.each([
    ["len('a😀')", '2'],
    ['len([1, 2])', '2'],
    ["len({'a': 1})", '1'],
    ['len(range(5))', '5'],
    ['str(1.0)', "'1.0'"],
    ['str(None)', "'None'"],
    ['str(True)', "'True'"],
    ["str([1, 'a'])", "'[1, \\'a\\']'"],
    ["int(' -12 ')", '(-12)'],
    ['int(3.9)', '3'],
    ['int(True)', '1'],
    ["float('1.5')", '1.5'],
    ['float(2)', '2.0'],
    ["float('inf')", 'inf'],
    ['range(1, 10, 3)', '[1,4,7]'],
    ['range(3, 0, -1)', '[3,2,1]'],
    ["enumerate(['a', 'b'])", "[(0,'a'),(1,'b')]"],
    ["enumerate(['a'], 1)", "[(1,'a')]"],
    ['sum([1, 2, 3])', '6'],
    ['sum([0.5, 1])', '1.5'],
    ['min(3, 1, 2)', '1'],
    ["max(['a', 'c', 'b'])", "'c'"],
    ['abs(-3)', '3'],
    ["list('ab')", "['a','b']"],
    ['sorted([3, 1, 2])', '[1,2,3]'],
    ['sorted([3, 1, 2], reverse=True)', '[3,2,1]'],
  ])('{{ %s }} → %s', (expr, expected) => {
    expect(out(expr)).toBe(expected)
  })
  it.each([
    [
      "int('abc')",
      'ERR_TEMPLATE_PARAM_TYPE',
      "Template Syntax Error: Error validating parameter ''abc'' to type int",
    ],
    [
      'int(x)',
      'ERR_TEMPLATE_PARAM_TYPE',
      "Template Syntax Error: Error validating parameter 'x' to type int",
    ],
    [
      'len(1)',
      'ERR_TEMPLATE_SYNTAX',
      "Template Syntax Error: object of type 'int' has no len(), line 2",
    ],
    [
      'range(0, 1, 0)',
      'ERR_TEMPLATE_SYNTAX',
      'Template Syntax Error: range() arg 3 must not be zero, line 2',
    ],
    [
      "sum(['a'])",
      'ERR_TEMPLATE_SYNTAX',
      "Template Syntax Error: unsupported operand type(s) for +: 'int' and 'str', line 2",
    ],
    [
      'max([])',
      'ERR_TEMPLATE_SYNTAX',
      'Template Syntax Error: max() arg is an empty sequence, line 2',
    ],
    [
      'len()',
      'ERR_TEMPLATE_SYNTAX',
      "Template Syntax Error: len() missing required argument: 'obj', line 2",
    ],
  ])('{{ %s }} fails', (expr, code, message) => {
    expect(thrown(() => out(expr, { x: 'nope' }))).toMatchObject({ code, message })
  })
  it('unknown functions are refused, even when a parameter has that name', () => {
    expect(thrown(() => out('open("/etc/passwd")'))).toMatchObject({
      code: 'ERR_TEMPLATE_SYNTAX',
      message: "Template Syntax Error: 'open' is not a valid function, line 2",
    })
    expect(thrown(() => out('f(1)', { f: 'x' }))).toMatchObject({
      message: "Template Syntax Error: 'f' is not a valid function, line 2",
    })
    expect(thrown(() => out('__import__("os")'))).toMatchObject({ code: 'ERR_TEMPLATE_SYNTAX' })
  })
  it('a parameter shadows a builtin name but not a helper name', () => {
    expect(out('len', { len: 'x' })).toBe("'x'")
    expect(out('defined(a)', { defined: 'x', a: '1' })).toBe('1')
  })
})

describe('parameter objects', () => {
  it('inherited Object properties are not parameters', () => {
    expect(
      renderTemplate(
        '%\n{% if defined(toString) or defined(constructor) %}x{% else %}ok{% end %}',
        {},
      ).sql,
    ).toBe('ok')
    expect(thrown(() => out('constructor'))).toMatchObject({ code: 'ERR_TEMPLATE_PARAM_MISSING' })
  })
  it('__proto__ is just a name', () => {
    expect(out('__proto__', JSON.parse('{"__proto__": "p"}') as TemplateArgs)).toBe("'p'")
  })
})
