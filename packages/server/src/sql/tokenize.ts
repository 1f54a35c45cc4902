/**
 * @module A ClickHouse SQL tokenizer: just enough lexing to find table references, function calls and
 * `SETTINGS` clauses without being fooled by strings, quoted identifiers or comments. Pure; imports nothing.
 */

/** Token kinds. `ident` is a bare word (keywords included), `qident` a `` `quoted` `` or `"quoted"` identifier. */
export type TokenKind = 'ident' | 'qident' | 'string' | 'number' | 'punct' | 'ws' | 'comment'

/** One token: `text` is the exact source slice, `value` the unquoted name for identifiers. */
export interface Token {
  readonly kind: TokenKind
  readonly text: string
  /** Identifier name without quotes (for `ident`/`qident`), else the text. */
  readonly value: string
  /** Offset of the first character in the source, in UTF-16 code units. */
  readonly start: number
}

/** Thrown for text that cannot be lexed (an unterminated string, quoted identifier or comment). */
export class SqlLexError extends Error {
  readonly offset: number
  constructor(message: string, offset: number) {
    super(message)
    this.name = 'SqlLexError'
    this.offset = offset
  }
}

const IDENT_START = /[A-Za-z_\u0080-\uffff]/
const IDENT_PART = /[A-Za-z0-9_$\u0080-\uffff]/

function readQuoted(sql: string, start: number, quote: string): number {
  let i = start + 1
  while (i < sql.length) {
    const ch = sql[i]
    if (ch === '\\') {
      i += 2
      continue
    }
    if (ch === quote) {
      if (sql[i + 1] === quote) {
        i += 2
        continue
      }
      return i + 1
    }
    i++
  }
  throw new SqlLexError(
    `Unterminated ${quote === "'" ? 'string literal' : 'quoted identifier'}`,
    start,
  )
}

function unquote(text: string): string {
  const q = text[0] ?? ''
  return text
    .slice(1, -1)
    .replace(/\\(.)/g, '$1')
    .split(q + q)
    .join(q)
}

/**
 * Splits SQL into tokens, keeping every character (concatenating `text` gives the input back).
 *
 * @throws {SqlLexError} on an unterminated string, quoted identifier or block comment.
 * @example
 * ```ts
 * tokenize("SELECT 'a' FROM t").filter((t) => t.kind !== 'ws').map((t) => t.text) // → ['SELECT', "'a'", 'FROM', 't']
 * ```
 */
export function tokenize(sql: string): Token[] {
  const out: Token[] = []
  let i = 0
  const push = (kind: TokenKind, end: number, value?: string): void => {
    const text = sql.slice(i, end)
    out.push({ kind, text, value: value ?? text, start: i })
    i = end
  }
  while (i < sql.length) {
    const ch = sql.charAt(i)
    const next = sql.charAt(i + 1)
    if (/\s/.test(ch)) {
      let j = i + 1
      while (j < sql.length && /\s/.test(sql.charAt(j))) j++
      push('ws', j)
    } else if ((ch === '-' && next === '-') || ch === '#') {
      const nl = sql.indexOf('\n', i)
      push('comment', nl === -1 ? sql.length : nl)
    } else if (ch === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2)
      if (end === -1) throw new SqlLexError('Unterminated block comment', i)
      push('comment', end + 2)
    } else if (ch === "'") {
      push('string', readQuoted(sql, i, "'"))
    } else if (ch === '`' || ch === '"') {
      const end = readQuoted(sql, i, ch)
      push('qident', end, unquote(sql.slice(i, end)))
    } else if (/[0-9]/.test(ch) || (ch === '.' && /[0-9]/.test(next))) {
      const m = /^(0x[0-9a-fA-F]+|[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)/.exec(sql.slice(i))
      push('number', i + (m?.[0].length ?? 1))
    } else if (IDENT_START.test(ch)) {
      let j = i + 1
      while (j < sql.length && IDENT_PART.test(sql.charAt(j))) j++
      push('ident', j)
    } else {
      push('punct', i + 1)
    }
  }
  return out
}

/** True for tokens that carry meaning (not whitespace or comments). */
export function isSignificant(t: Token): boolean {
  return t.kind !== 'ws' && t.kind !== 'comment'
}
