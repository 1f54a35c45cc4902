/**
 * @module The line layer shared by both datafile kinds: splits text into keyword statements, each either a
 * single-line value (`KEYWORD value`) or an indented block (`KEYWORD >` then indented lines). Pure; imports only
 * `./datafile-error.js`.
 *
 * Rules (Tinybird's, from its CLI parser and docs):
 * - a keyword starts a line (leading whitespace is tolerated outside blocks); `#` lines are comments;
 * - `KEYWORD >` opens a block: the following lines up to the first non-blank line at column 0; blank lines inside
 *   belong to it; `#` lines at column 0 inside it are dropped. A block whose first line is itself at column 0
 *   (Tinybird accepts unindented SQL) instead runs up to the next line whose first word is a keyword;
 * - a block is dedented by the whitespace prefix its non-blank lines share, and loses leading/trailing blank lines.
 */
import { syntaxError } from './datafile-error.js'

/** One line of a block after dedenting. */
export interface BlockLine {
  /** The line without the block's common indentation; `''` for a blank line. */
  text: string
  /** 1-based file line. */
  line: number
  /** Number of characters removed from the start of the line (the block's indentation). */
  indent: number
}

/** The content of a `KEYWORD >` block. */
export interface Block {
  lines: readonly BlockLine[]
  /** `lines` joined with `\n`. Empty when the block is empty. */
  text: string
  /** 1-based file line of the first content line (the keyword's line + 1 when empty). */
  line: number
}

/** One keyword statement. */
export interface Statement {
  /** The keyword, upper-cased, e.g. `ENGINE_SORTING_KEY`. */
  keyword: string
  /** 1-based line and column of the keyword. */
  line: number
  column: number
  /** Text after the keyword with any trailing `# comment` removed, trimmed; `''` for blocks. */
  rest: string
  /** 1-based column where `rest` starts. */
  restColumn: number
  /** Present for `KEYWORD >` statements. */
  block: Block | undefined
}

/** The keywords one file kind accepts. */
export interface KeywordSet {
  /** `.datasource` or `.pipe`, for messages. */
  kind: string
  /** True for an upper-cased word that starts a statement in this kind. */
  isKeyword(word: string): boolean
  /** Human list of accepted keywords, for messages. */
  expected: string
}

const WORD = /^[A-Za-z_][A-Za-z0-9_]*/

/**
 * Splits a datafile into statements.
 *
 * @throws {ServerError} `ERR_DATAFILE_SYNTAX` (400): an unknown keyword, a stray indented line, or text after `>`;
 * `details` = `{ file, line, column }`, 1-based.
 */
export function scanStatements(text: string, file: string, keywords: KeywordSet): Statement[] {
  const lines = splitLines(text)
  const out: Statement[] = []
  let i = 0
  while (i < lines.length) {
    const raw = lines[i] ?? ''
    const lineNo = i + 1
    i += 1
    const body = raw.trimStart()
    if (body === '' || body.startsWith('#')) continue
    const indent = raw.length - body.length
    const m = WORD.exec(body)
    const word = m?.[0] ?? ''
    const keyword = word.toUpperCase()
    if (word === '' || !keywords.isKeyword(keyword)) {
      const at = { line: lineNo, column: indent + 1 }
      if (indent > 0) {
        throw syntaxError(
          file,
          at,
          `Unexpected indented line; expected a keyword at column 1 (indented text belongs only to a block opened by \`KEYWORD >\`).`,
        )
      }
      const shown = word === '' ? (body.split(/\s/)[0] ?? body) : word
      throw syntaxError(
        file,
        at,
        `Unknown keyword \`${shown}\` in a ${keywords.kind} file; expected one of ${keywords.expected}.`,
      )
    }
    const after = body.slice(word.length)
    if (after !== '' && !/^\s/.test(after)) {
      throw syntaxError(
        file,
        { line: lineNo, column: indent + word.length + 1 },
        `Expected a space after \`${keyword}\`.`,
      )
    }
    const lead = after.length - after.trimStart().length
    const restColumn = indent + word.length + lead + 1
    const rest = stripTrailingComment(after).trim()
    if (!rest.startsWith('>')) {
      out.push({ keyword, line: lineNo, column: indent + 1, rest, restColumn, block: undefined })
      continue
    }
    if (rest !== '>') {
      const afterGt = rest.slice(1)
      throw syntaxError(
        file,
        { line: lineNo, column: restColumn + 1 + afterGt.length - afterGt.trimStart().length },
        `Unexpected text after \`${keyword} >\`; expected the block to start on the next line, indented.`,
      )
    }
    const collected: { raw: string; line: number }[] = []
    let indented: boolean | undefined
    while (i < lines.length) {
      const l = lines[i] ?? ''
      if (l.trim() !== '') {
        const atColumn0 = !l.startsWith(' ') && !l.startsWith('\t')
        if (atColumn0) {
          if (l.startsWith('#')) {
            i += 1
            continue
          }
          const w = WORD.exec(l)?.[0]
          if (w !== undefined && keywords.isKeyword(w.toUpperCase())) break
          // An indented block ends at column 0; only a block written wholly unindented takes such lines.
          if (indented === true) break
        }
        indented ??= !atColumn0
      }
      collected.push({ raw: l, line: i + 1 })
      i += 1
    }
    out.push({
      keyword,
      line: lineNo,
      column: indent + 1,
      rest: '',
      restColumn,
      block: makeBlock(collected, lineNo + 1),
    })
  }
  return out
}

/** Splits text into lines, dropping a UTF-8 BOM and accepting `\n` or `\r\n`. */
export function splitLines(text: string): string[] {
  return text.replace(/^\uFEFF/, '').split(/\r?\n/)
}

function makeBlock(collected: readonly { raw: string; line: number }[], emptyLine: number): Block {
  let start = 0
  let end = collected.length
  while (start < end && (collected[start]?.raw.trim() ?? '') === '') start += 1
  while (end > start && (collected[end - 1]?.raw.trim() ?? '') === '') end -= 1
  const kept = collected.slice(start, end)
  let prefix: string | undefined
  for (const { raw } of kept) {
    if (raw.trim() === '') continue
    const ws = /^[ \t]*/.exec(raw)?.[0] ?? ''
    prefix = prefix === undefined ? ws : commonPrefix(prefix, ws)
  }
  const cut = prefix?.length ?? 0
  const lines: BlockLine[] = kept.map(({ raw, line }) =>
    raw.trim() === '' ? { text: '', line, indent: 0 } : { text: raw.slice(cut), line, indent: cut },
  )
  return {
    lines,
    text: lines.map((l) => l.text).join('\n'),
    line: lines[0]?.line ?? emptyLine,
  }
}

function commonPrefix(a: string, b: string): string {
  let n = 0
  while (n < a.length && n < b.length && a[n] === b[n]) n += 1
  return a.slice(0, n)
}

/** Removes a `# comment` that starts outside quotes after whitespace (or at the start). */
export function stripTrailingComment(s: string): string {
  let quote: string | undefined
  for (let k = 0; k < s.length; k += 1) {
    const c = s[k]
    if (quote !== undefined) {
      if (c === quote) quote = undefined
    } else if (c === '"' || c === "'") {
      quote = c
    } else if (c === '#' && (k === 0 || /\s/.test(s[k - 1] ?? ''))) {
      return s.slice(0, k)
    }
  }
  return s
}

/** One whitespace-separated argument of a single-line statement. */
export interface Arg {
  /** Value with surrounding quotes removed. */
  value: string
  /** 1-based column of the argument's first character (its opening quote when quoted). */
  column: number
  quoted: boolean
}

/**
 * Splits a statement's `rest` into whitespace-separated arguments; `"..."` and `'...'` group words.
 *
 * @throws {ServerError} `ERR_DATAFILE_SYNTAX` (400): an unterminated quote.
 */
export function splitArgs(st: Statement, file: string): Arg[] {
  const s = st.rest
  const out: Arg[] = []
  let k = 0
  while (k < s.length) {
    const c = s[k] ?? ''
    if (/\s/.test(c)) {
      k += 1
      continue
    }
    const column = st.restColumn + k
    if (c === '"' || c === "'") {
      const close = s.indexOf(c, k + 1)
      if (close < 0) {
        throw syntaxError(
          file,
          { line: st.line, column },
          `Expected a closing ${c} in \`${st.keyword}\`.`,
        )
      }
      out.push({ value: s.slice(k + 1, close), column, quoted: true })
      k = close + 1
      continue
    }
    let e = k
    while (e < s.length && !/\s/.test(s[e] ?? '')) e += 1
    out.push({ value: s.slice(k, e), column, quoted: false })
    k = e
  }
  return out
}

/** Removes one pair of surrounding `"` or `'` when the whole value is a single quoted string. */
export function unquote(s: string): string {
  if (s.length >= 2) {
    const q = s[0]
    if ((q === '"' || q === "'") && s.endsWith(q) && !s.slice(1, -1).includes(q)) {
      return s.slice(1, -1)
    }
  }
  return s
}

/**
 * The value of a statement that takes free text (`ENGINE_*`, `TAGS`, `COPY_SCHEDULE`, inline `DESCRIPTION`):
 * the unquoted rest of the line, or the block joined with `\n` for `KEYWORD >`.
 */
export function textValue(st: Statement): string {
  if (st.block !== undefined) return st.block.text.trim()
  return unquote(st.rest).trim()
}
