/**
 * @module Tokenizer for the Python expression subset used inside `{{ }}` and `{% %}`. Pure; imports only sibling
 * modules.
 */
import { syntaxError, type LineIndex } from './template-errors.js'

/** One token. `start`/`end` are offsets into the whole node SQL. */
export type Token =
  | { readonly kind: 'name'; readonly value: string; readonly start: number; readonly end: number }
  | { readonly kind: 'int'; readonly value: bigint; readonly start: number; readonly end: number }
  | { readonly kind: 'float'; readonly value: number; readonly start: number; readonly end: number }
  | {
      readonly kind: 'string'
      readonly value: string
      readonly start: number
      readonly end: number
    }
  | { readonly kind: 'op'; readonly value: string; readonly start: number; readonly end: number }
  | { readonly kind: 'eof'; readonly value: ''; readonly start: number; readonly end: number }

// Longest first.
const OPERATORS = [
  '**=',
  '//=',
  '>>=',
  '<<=',
  '...',
  '**',
  '//',
  '==',
  '!=',
  '<=',
  '>=',
  '<<',
  '>>',
  '+=',
  '-=',
  '*=',
  '/=',
  '%=',
  ':=',
  '->',
  '+',
  '-',
  '*',
  '/',
  '%',
  '<',
  '>',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  ',',
  ':',
  '.',
  '=',
  '|',
  '&',
  '^',
  '~',
  '@',
  ';',
]

const NAME_START = /[\p{L}_]/u
const NAME_PART = /[\p{L}\p{N}_]/u
const DIGIT = /[0-9]/

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
}

/**
 * Tokenize `source[start, end)`.
 *
 * @throws {ServerError} `ERR_TEMPLATE_SYNTAX` (400): an unknown character, a bad number or an unterminated string.
 *
 * @example
 * ```ts
 * tokenize("a + 'b'", 0, 7, new LineIndex("a + 'b'")).map((t) => t.kind) // → ['name', 'op', 'string', 'eof']
 * ```
 */
export function tokenize(source: string, start: number, end: number, lines: LineIndex): Token[] {
  const tokens: Token[] = []
  let i = start
  const fail = (message: string, at: number): never => {
    const pos = lines.positionAt(at)
    throw syntaxError(`${message} at line ${pos.line}`, pos)
  }
  while (i < end) {
    const ch = source[i] ?? ''
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\f') {
      i++
      continue
    }
    if (ch === '\\' && (source[i + 1] === '\n' || source[i + 1] === '\r')) {
      i += 2
      continue
    }
    if (ch === '#') {
      while (i < end && source[i] !== '\n') i++
      continue
    }
    if (NAME_START.test(ch)) {
      let j = i + 1
      while (j < end && NAME_PART.test(source[j] ?? '')) j++
      const word = source.slice(i, j)
      const quote = source[j]
      if (
        (quote === "'" || quote === '"') &&
        /^(?:[rRbBuUfF]|[rR][bB]|[bB][rR]|[fF][rR]|[rR][fF])$/.test(word)
      ) {
        if (/[fF]/.test(word)) fail('f-strings are not supported', i)
        const [value, next] = readString(source, j, end, /[rR]/.test(word), fail)
        tokens.push({ kind: 'string', value, start: i, end: next })
        i = next
        continue
      }
      tokens.push({ kind: 'name', value: word, start: i, end: j })
      i = j
      continue
    }
    if (DIGIT.test(ch) || (ch === '.' && DIGIT.test(source[i + 1] ?? ''))) {
      const [token, next] = readNumber(source, i, end, fail)
      tokens.push(token)
      i = next
      continue
    }
    if (ch === "'" || ch === '"') {
      const [value, next] = readString(source, i, end, false, fail)
      tokens.push({ kind: 'string', value, start: i, end: next })
      i = next
      continue
    }
    const op = OPERATORS.find((o) => source.startsWith(o, i) && i + o.length <= end)
    if (op === undefined) fail(`invalid character '${ch}'`, i)
    else {
      tokens.push({ kind: 'op', value: op, start: i, end: i + op.length })
      i += op.length
    }
  }
  tokens.push({ kind: 'eof', value: '', start: end, end })
  return tokens
}

function readNumber(
  source: string,
  start: number,
  end: number,
  fail: (message: string, at: number) => never,
): [Token, number] {
  const rest = source.slice(start, end)
  const prefixed = /^0([xXoObB])([0-9a-fA-F_]+)/.exec(rest)
  if (prefixed) {
    const [text, kind = '', digits = ''] = prefixed
    const clean = digits.replace(/_/g, '')
    const valid = { x: /^[0-9a-f]+$/i, o: /^[0-7]+$/, b: /^[01]+$/ }[
      kind.toLowerCase() as 'x' | 'o' | 'b'
    ]
    if (
      !valid.test(clean) ||
      digits.startsWith('_') ||
      digits.endsWith('_') ||
      digits.includes('__')
    ) {
      fail('invalid number literal', start)
    }
    const value = BigInt(`0${kind.toLowerCase()}${clean}`)
    return checkAfterNumber(
      { kind: 'int', value, start, end: start + text.length },
      source,
      end,
      fail,
    )
  }
  const m = /^(?:\d(?:_?\d)*)?(?:\.(?:\d(?:_?\d)*)?)?(?:[eE][+-]?\d(?:_?\d)*)?/.exec(rest)
  const text = m?.[0] ?? ''
  if (text === '' || text === '.') fail('invalid number literal', start)
  const clean = text.replace(/_/g, '')
  const stop = start + text.length
  if (/^\d+$/.test(clean)) {
    if (clean.length > 1 && clean.startsWith('0') && /[1-9]/.test(clean)) {
      fail('leading zeros in decimal integer literals are not permitted', start)
    }
    return checkAfterNumber(
      { kind: 'int', value: BigInt(clean), start, end: stop },
      source,
      end,
      fail,
    )
  }
  return checkAfterNumber(
    { kind: 'float', value: Number(clean), start, end: stop },
    source,
    end,
    fail,
  )
}

function checkAfterNumber(
  token: Token,
  source: string,
  end: number,
  fail: (message: string, at: number) => never,
): [Token, number] {
  const after = token.end < end ? (source[token.end] ?? '') : ''
  if (after !== '' && (NAME_PART.test(after) || after === '.'))
    fail('invalid number literal', token.start)
  return [token, token.end]
}

function readString(
  source: string,
  start: number,
  end: number,
  raw: boolean,
  fail: (message: string, at: number) => never,
): [string, number] {
  const quote = source[start] ?? "'"
  const triple = source.startsWith(quote.repeat(3), start)
  const closer = triple ? quote.repeat(3) : quote
  let i = start + closer.length
  let out = ''
  for (;;) {
    if (i >= end) fail('unterminated string literal', start)
    const ch = source[i] ?? ''
    if (source.startsWith(closer, i)) return [out, i + closer.length]
    if (!triple && (ch === '\n' || ch === '\r')) fail('unterminated string literal', start)
    if (ch !== '\\') {
      out += ch
      i++
      continue
    }
    const esc = source[i + 1] ?? ''
    if (i + 1 >= end) fail('unterminated string literal', start)
    if (raw) {
      out += ch + esc
      i += 2
      continue
    }
    if (esc === '\n') {
      i += 2
      continue
    }
    const simple = SIMPLE_ESCAPES[esc]
    if (simple !== undefined) {
      out += simple
      i += 2
      continue
    }
    if (/[0-7]/.test(esc)) {
      const m = /^[0-7]{1,3}/.exec(source.slice(i + 1, Math.min(i + 4, end)))?.[0] ?? esc
      out += String.fromCharCode(parseInt(m, 8))
      i += 1 + m.length
      continue
    }
    const hexLength = esc === 'x' ? 2 : esc === 'u' ? 4 : esc === 'U' ? 8 : 0
    if (hexLength > 0) {
      const hex = source.slice(i + 2, i + 2 + hexLength)
      if (hex.length !== hexLength || !/^[0-9a-fA-F]+$/.test(hex))
        fail('invalid escape in string literal', i)
      const code = parseInt(hex, 16)
      if (code > 0x10ffff) fail('invalid escape in string literal', i)
      out += String.fromCodePoint(code)
      i += 2 + hexLength
      continue
    }
    if (esc === 'N') fail('named unicode escapes are not supported', i)
    out += ch + esc
    i += 2
  }
}
