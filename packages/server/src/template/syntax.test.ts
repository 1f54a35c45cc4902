/** @module Tests of the % mark, chunking and every syntax error (stable code, 1-based position). */
import { describe, expect, it } from 'vitest'
import { isTemplated, renderTemplate } from './index.js'

const thrown = (fn: () => unknown): unknown => {
  try {
    fn()
  } catch (e) {
    return e
  }
  throw new Error('did not throw')
}
const sql = (src: string, args: Record<string, string> = {}): string =>
  renderTemplate(src, args).sql

describe('isTemplated()', () => {
  it.each([
    // TSDoc examples
    ['%\nSELECT {{x}}', true],
    ['  %\nSELECT 1', true],
    ['SELECT {{x}}', false],
    // more
    ['\n\n   %\nSELECT 1', true],
    ['% SELECT 1', true],
    ['SELECT 1 % 2', false],
    ['', false],
  ])('%j → %s', (src, expected) => {
    expect(isTemplated(src)).toBe(expected)
  })
})

describe('the % mark', () => {
  it.each([
    ['non-templated SQL is returned unchanged', 'SELECT {{x}} FROM t', 'SELECT {{x}} FROM t'],
    ['the % line is removed', '%\nSELECT 1', 'SELECT 1'],
    ['leading blank lines before % are removed with it', '\n  %  \nSELECT 1\n', 'SELECT 1\n'],
    ['% followed by SQL on the same line keeps the SQL', "% SELECT {{'a'}}", "SELECT 'a'"],
    ['CRLF line ends', '%\r\nSELECT 1\r\nFROM t', 'SELECT 1\r\nFROM t'],
    ['a lone %', '%', ''],
  ])('%s', (_name, src, expected) => {
    expect(sql(src)).toBe(expected)
  })
  it('non-templated SQL has no used params', () => {
    expect(renderTemplate('SELECT {{x}}', { x: '1' })).toEqual({
      sql: 'SELECT {{x}}',
      usedParams: [],
      settings: {},
      warnings: [],
    })
  })
})

describe('chunks', () => {
  it.each([
    ['text and whitespace are kept exactly', '%\n  SELECT\t1 ,\n  2  ', '  SELECT\t1 ,\n  2  '],
    ['comments are dropped', '%\nSELECT {# a comment with {{ x }} #}1', 'SELECT 1'],
    ['{{! prints a literal {{', '%\nSELECT {{!x}}', 'SELECT {{x}}'],
    ['{%! prints a literal {%', '%\nSELECT {%! if %}', 'SELECT {% if %}'],
    ['{#! prints a literal {#', '%\nSELECT {#! x #}', 'SELECT {# x #}'],
    ['a lone brace is text', '%\nSELECT {a} }} %} {', 'SELECT {a} }} %} {'],
    ['three braces: the innermost pair opens', "%\nSELECT {{{'a'}}", "SELECT {'a'"],
    ['expressions may span lines', "%\nSELECT {{\n  'a'\n  + 'b'\n}}", "SELECT 'ab'"],
    ['{% comment %} is ignored', '%\n{% comment anything %}1', '1'],
    ['a Python comment inside an expression', "%\n{{ 'a' # note\n }}", "'a'"],
  ])('%s', (_name, src, expected) => {
    expect(sql(src)).toBe(expected)
  })
})

describe('syntax errors carry a stable code and a 1-based position', () => {
  it.each([
    [
      'unclosed if',
      '%\nSELECT {% if defined(x) %} x, 1',
      'Missing {% end %} block for if at line 2',
      2,
      8,
    ],
    ['unclosed for', '%\n\n{% for a in b %}', 'Missing {% end %} block for for at line 3', 3, 1],
    ['extra end', '%\nSELECT 1 {% end %}', 'Extra {% end %} block at line 2', 2, 10],
    ['else outside if', '%\n{% else %}', "'else' outside 'if' block at line 2", 2, 1],
    [
      'elif after else',
      '%\n{% if 1 %}{% else %}{% elif 2 %}{% end %}',
      "'elif' after 'else' at line 2",
      2,
      21,
    ],
    ['unterminated expression', '%\nSELECT {{ x', 'Missing end expression }} at line 2', 2, 8],
    ['unterminated block', '%\nSELECT {% if x', 'Missing end block %} at line 2', 2, 8],
    ['unterminated comment', '%\nSELECT {# x', 'Missing end comment #} at line 2', 2, 8],
    ['empty expression', '%\nSELECT {{ }}', 'Empty expression at line 2', 2, 8],
    ['empty block', '%\n{%  %}', 'Empty block tag ({% %}) at line 2', 2, 1],
    [
      'import',
      '%\nSELECT * FROM {% import os %}{{ os.popen("whoami").read() }}',
      'import is forbidden at line 2',
      2,
      15,
    ],
    ['from import', '%\n{% from os import popen %}', 'import is forbidden at line 2', 2, 1],
    [
      'unknown operator',
      '%\n{% try %}{% end %}',
      "Unsupported template operator 'try' at line 2",
      2,
      1,
    ],
    ['break outside loop', '%\n{% break %}', "'break' outside loop at line 2", 2, 1],
    [
      'pow',
      '%\nSELECT {{len([1] * 10**7)}}',
      'Template Syntax Error: Invalid BinOp: Pow() at line 2',
      2,
      22,
    ],
    [
      'bad expression',
      '%\n{% if defined((x) %}{% end %}',
      "Syntax error: expected ')' at line 2",
      2,
      18,
    ],
    ['lambda', '%\n{{ (lambda: 1)() }}', 'Syntax error: lambda is not supported at line 2', 2, 5],
    [
      'comprehension',
      '%\n{{ [x for x in y] }}',
      'Syntax error: comprehensions are not supported at line 2',
      2,
      7,
    ],
    [
      'set literal',
      '%\n{% set a = {1, 2} %}',
      'Syntax error: set literals are not supported at line 2',
      2,
      14,
    ],
    [
      'bit operator',
      '%\n{{ 1 | 2 }}',
      "Syntax error: operator '|' is not supported at line 2",
      2,
      6,
    ],
    ['walrus', '%\n{{ (a := 1) }}', "Syntax error: operator ':=' is not supported at line 2", 2, 7],
    [
      'starred call',
      '%\n{{ f(*a) }}',
      'Syntax error: starred arguments are not supported at line 2',
      2,
      6,
    ],
    ['unterminated string', "%\n{{ 'abc }}", 'unterminated string literal at line 2', 2, 4],
    ['f-string', "%\n{{ f'{x}' }}", 'f-strings are not supported at line 2', 2, 4],
    ['bad character', '%\n{{ a $ b }}', "invalid character '$' at line 2", 2, 6],
    [
      'leading zero',
      '%\n{{ 007 }}',
      'leading zeros in decimal integer literals are not permitted at line 2',
      2,
      4,
    ],
    ['trailing tokens', '%\n{{ a b }}', "Syntax error: unexpected 'b' at line 2", 2, 6],
    ['keyword as value', '%\n{{ if }}', "Syntax error: unexpected 'if' at line 2", 2, 4],
    ['set without =', '%\n{% set a %}', "Syntax error: expected '=' in set at line 2", 2, 9],
    [
      'for without in',
      '%\n{% for a b %}{% end %}',
      "Syntax error: expected 'in' but found 'b' at line 2",
      2,
      10,
    ],
    [
      'else with expression',
      '%\n{% if 1 %}{% else 2 %}{% end %}',
      "'else' takes no expression at line 2",
      2,
      11,
    ],
  ])('%s', (_name, src, message, line, column) => {
    expect(thrown(() => renderTemplate(src, {}))).toMatchObject({
      code: 'ERR_TEMPLATE_SYNTAX',
      status: 400,
      message,
      details: { line, column },
    })
  })
  it('positions count the % line of the node as given', () => {
    expect(thrown(() => renderTemplate('\n%\n\nSELECT\n  {% if x %}', {}))).toMatchObject({
      details: { line: 5, column: 3 },
    })
  })
  it('rejects blocks nested too deeply', () => {
    const src = `%\n${'{% if 1 %}'.repeat(65)}${'{% end %}'.repeat(65)}`
    expect(thrown(() => renderTemplate(src, {}))).toMatchObject({
      code: 'ERR_TEMPLATE_SYNTAX',
      message: 'Blocks are nested too deeply at line 2',
    })
  })
  it('rejects expressions nested too deeply', () => {
    const src = `%\n{{ ${'('.repeat(200)}1${')'.repeat(200)} }}`
    expect(thrown(() => renderTemplate(src, {}))).toMatchObject({ code: 'ERR_TEMPLATE_SYNTAX' })
    expect(sql(`%\n{{ ${'('.repeat(40)}1${')'.repeat(40)} }}`)).toBe('1')
  })
})

describe('Tornado leniencies', () => {
  it('text after end is ignored, as in Tornado', () => {
    expect(sql('%\n{% if 1 %}a{% end if %}{% for i in [1] %}b{% end # for %}')).toBe('ab')
  })
})
