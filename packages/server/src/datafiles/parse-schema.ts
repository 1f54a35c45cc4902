/**
 * @module Parsers for the two structured `.datasource` blocks: `SCHEMA >` (the column list) and `INDEXES >`.
 * Pure; imports only sibling helpers.
 *
 * Column syntax (Tinybird's `parse_table_structure`, ClickHouse column syntax minus what Tinybird rejects):
 * `` name [Type] [`json:$.path`] [DEFAULT expr] [CODEC(codecs)] `` separated by commas (a trailing comma is
 * fine), where the jsonpath may come before or after DEFAULT/CODEC; a column needs a type or a DEFAULT; `--`
 * starts a comment outside quotes; `NULL`, `NOT NULL`, `MATERIALIZED`, `ALIAS`, `EPHEMERAL` and column `TTL` are
 * rejected with a hint.
 */
import { invalidError, isValidName, syntaxError, type Position } from './datafile-error.js'
import type { Block } from './scan-statements.js'
import type { ColumnDef, IndexDef } from './types.js'

const CLOSERS: Readonly<Record<string, string>> = { '(': ')', '[': ']', '{': '}' }
const UNSUPPORTED: Readonly<Record<string, string>> = {
  MATERIALIZED: 'MATERIALIZED columns are not supported; use DEFAULT instead.',
  ALIAS: 'ALIAS columns are not supported; compute the value in a pipe instead.',
  EPHEMERAL: 'EPHEMERAL columns are not supported.',
  TTL: 'Column TTL is not supported; use ENGINE_TTL for the table.',
  NULL: 'NULL column syntax is not supported; use Nullable(Type) instead.',
  NOT: 'NOT NULL column syntax is not supported; columns are not nullable by default.',
  COMMENT: 'Column COMMENT is not supported.',
}
const EXPECTED_AFTER_COLUMN = '`,`, DEFAULT expr, CODEC(...) or `json:$.path`'

/** A cursor over a block's text that maps offsets back to file positions. */
class Cursor {
  readonly text: string
  readonly file: string
  pos = 0
  private readonly block: Block
  private readonly starts: number[] = []

  constructor(block: Block, file: string) {
    this.block = block
    this.file = file
    let offset = 0
    for (const l of block.lines) {
      this.starts.push(offset)
      offset += l.text.length + 1
    }
    this.text = blankComments(block.text)
  }

  at(offset: number = this.pos): Position {
    let k = 0
    while (k + 1 < this.starts.length && (this.starts[k + 1] ?? Infinity) <= offset) k += 1
    const l = this.block.lines[k]
    if (l === undefined) return { line: this.block.line, column: 1 }
    return { line: l.line, column: l.indent + (offset - (this.starts[k] ?? 0)) + 1 }
  }

  eof(): boolean {
    return this.pos >= this.text.length
  }

  peek(n = 0): string {
    return this.text[this.pos + n] ?? ''
  }

  startsWith(s: string): boolean {
    return this.text.startsWith(s, this.pos)
  }

  /** Skips whitespace; returns true when a newline was crossed. */
  skipWs(): boolean {
    let newline = false
    while (!this.eof() && /\s/.test(this.peek())) {
      if (this.peek() === '\n') newline = true
      this.pos += 1
    }
    return newline
  }

  skipInlineWs(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.pos += 1
  }

  word(): string {
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(this.pos))
    return m?.[0] ?? ''
  }

  fail(message: string, offset: number = this.pos): never {
    throw syntaxError(this.file, this.at(offset), message)
  }

  /** Consumes a balanced run that starts at an opener or a quote (the current char), nested brackets included. */
  skipBalanced(): void {
    const start = this.pos
    const stack: string[] = []
    while (!this.eof()) {
      const c = this.peek()
      if (c === "'" || c === '"' || c === '`') {
        this.skipQuoted(c)
        if (stack.length === 0) return
        continue
      }
      const closer = CLOSERS[c]
      if (closer !== undefined) {
        stack.push(closer)
      } else if (c === ')' || c === ']' || c === '}') {
        if (stack.pop() !== c) this.fail(`Unexpected \`${c}\`.`)
        if (stack.length === 0) {
          this.pos += 1
          return
        }
      }
      this.pos += 1
    }
    this.fail(`Expected a closing \`${stack.at(-1) ?? ')'}\`.`, start)
  }

  skipQuoted(q: string): void {
    const start = this.pos
    this.pos += 1
    while (!this.eof()) {
      const c = this.peek()
      if (c === '\\' && q === "'") {
        this.pos += 2
        continue
      }
      this.pos += 1
      if (c === q) return
    }
    this.fail(`Expected a closing ${q}.`, start)
  }
}

/** Replaces `-- comments` (outside quotes and backticks) with spaces, keeping every offset. */
function blankComments(text: string): string {
  let out = ''
  let quote: string | undefined
  let k = 0
  while (k < text.length) {
    const c = text[k] ?? ''
    if (quote !== undefined) {
      out += c
      if (c === '\\' && quote === "'") {
        out += text[k + 1] ?? ''
        k += 2
        continue
      }
      if (c === quote) quote = undefined
      k += 1
      continue
    }
    if (c === "'" || c === '"' || c === '`') {
      quote = c
      out += c
      k += 1
      continue
    }
    if (c === '-' && text[k + 1] === '-') {
      while (k < text.length && text[k] !== '\n') {
        out += ' '
        k += 1
      }
      continue
    }
    out += c
    k += 1
  }
  return out
}

/**
 * Parses a `SCHEMA >` block into columns.
 *
 * @param keywordAt - Position of the `SCHEMA` keyword, for the empty-schema error.
 * @throws {ServerError} `ERR_DATAFILE_SYNTAX` (400): malformed column; `details` = `{ file, line, column }`.
 * @throws {ServerError} `ERR_DATAFILE_INVALID` (400): empty schema or a duplicate column name.
 * @see https://www.tinybird.co/docs/forward/dev-reference/datafiles/datasource-files (Schema)
 */
export function parseSchema(block: Block, file: string, keywordAt: Position): ColumnDef[] {
  const cur = new Cursor(block, file)
  const columns: ColumnDef[] = []
  const seen = new Map<string, number>()
  cur.skipWs()
  while (!cur.eof()) {
    const nameAt = cur.pos
    const name = readName(cur)
    const col: ColumnDef = { name, type: '', line: cur.at(nameAt).line }
    const first = seen.get(name)
    if (first !== undefined) {
      throw invalidError(
        file,
        cur.at(nameAt),
        `Duplicate column \`${name}\` (first defined on line ${first}); column names must be unique.`,
      )
    }
    seen.set(name, col.line)
    cur.skipWs()
    if (
      !cur.eof() &&
      cur.peek() !== ',' &&
      !cur.startsWith('`json:') &&
      !isKeywordHere(cur, 'DEFAULT')
    ) {
      const typeAt = cur.pos
      col.type = readType(cur)
      if (!/^[A-Za-z]/.test(col.type)) {
        cur.fail(`Expected a ClickHouse type after column \`${name}\`.`, typeAt)
      }
    }
    readModifiers(cur, col)
    if (col.type === '' && col.defaultExpr === undefined) {
      cur.fail(`Column \`${name}\` needs a type or a DEFAULT expression.`, nameAt)
    }
    columns.push(col)
    cur.skipWs()
    if (cur.peek() === ',') {
      cur.pos += 1
      cur.skipWs()
    } else if (!cur.eof()) {
      cur.fail(`Expected \`,\` between columns, before \`${cur.word() || cur.peek()}\`.`)
    }
  }
  if (columns.length === 0) {
    throw invalidError(
      file,
      keywordAt,
      'SCHEMA is empty; expected at least one column, e.g. `` `id` String ``.',
    )
  }
  return columns
}

function isKeywordHere(cur: Cursor, kw: string): boolean {
  const w = cur.word()
  return w.toUpperCase() === kw
}

function readName(cur: Cursor): string {
  const start = cur.pos
  if (cur.peek() === '`') {
    cur.pos += 1
    let name = ''
    while (!cur.eof() && cur.peek() !== '`') {
      if (/\s/.test(cur.peek()))
        cur.fail('Expected a closing backtick; column names cannot contain spaces.')
      name += cur.peek()
      cur.pos += 1
    }
    if (cur.eof()) cur.fail('Expected a closing backtick after the column name.', start)
    cur.pos += 1
    if (name === '') cur.fail('Expected a column name between the backticks.', start)
    return name
  }
  const name = /^[A-Za-z0-9_]*/.exec(cur.text.slice(cur.pos))?.[0] ?? ''
  if (name === '') {
    cur.fail(`Expected a column name (bare or \`backticked\`), found \`${cur.peek()}\`.`)
  }
  cur.pos += name.length
  const next = cur.peek()
  if (next !== '' && !/[\s,]/.test(next)) {
    cur.fail(
      `Column name contains the invalid character \`${next}\`; use backticks around the name.`,
    )
  }
  if (!isValidName(name)) {
    cur.fail(
      `Column name \`${name}\` must start with a letter or \`_\`; use backticks around it.`,
      start,
    )
  }
  return name
}

/** A type is one token at depth 0: no whitespace outside parentheses or quotes. */
function readType(cur: Cursor): string {
  const start = cur.pos
  while (!cur.eof()) {
    const c = cur.peek()
    if (/\s/.test(c) || c === ',' || c === '`') break
    if (CLOSERS[c] !== undefined || c === "'" || c === '"') {
      cur.skipBalanced()
      continue
    }
    if (c === ')' || c === ']' || c === '}') cur.fail(`Unexpected \`${c}\` in the column type.`)
    cur.pos += 1
  }
  return cur.text.slice(start, cur.pos)
}

function readModifiers(cur: Cursor, col: ColumnDef): void {
  for (;;) {
    const before = cur.pos
    cur.skipWs()
    if (cur.eof() || cur.peek() === ',') return
    if (cur.startsWith('`json:')) {
      if (col.jsonPath !== undefined) cur.fail(`Column \`${col.name}\` has two jsonpaths.`)
      col.jsonPath = readJsonPath(cur)
      continue
    }
    const at = cur.pos
    const w = cur.word()
    const upper = w.toUpperCase()
    if (upper === 'DEFAULT') {
      if (col.defaultExpr !== undefined)
        cur.fail(`Column \`${col.name}\` has two DEFAULT expressions.`)
      cur.pos += w.length
      const expr = readExpr(cur)
      if (expr === '') cur.fail('Missing the expression after DEFAULT.', at)
      col.defaultExpr = expr
      continue
    }
    if (upper === 'CODEC') {
      if (col.codec !== undefined) cur.fail(`Column \`${col.name}\` has two CODEC clauses.`)
      cur.pos += w.length
      cur.skipInlineWs()
      if (cur.peek() !== '(') cur.fail('Expected `(` after CODEC, e.g. `CODEC(ZSTD(1))`.')
      const open = cur.pos
      cur.skipBalanced()
      const inner = cur.text.slice(open + 1, cur.pos - 1).trim()
      if (inner === '') cur.fail('Expected at least one codec inside CODEC(...).', open)
      col.codec = inner
      continue
    }
    const unsupported = UNSUPPORTED[upper]
    if (unsupported !== undefined) cur.fail(unsupported, at)
    const crossedLine = cur.text.slice(before, at).includes('\n')
    const found = w === '' ? cur.peek() : w
    if (crossedLine) {
      cur.fail(`Expected \`,\` after column \`${col.name}\`, before \`${found}\`.`, at)
    }
    cur.fail(
      `Unexpected \`${found}\` after column \`${col.name}\`; expected ${EXPECTED_AFTER_COLUMN}.`,
      at,
    )
  }
}

function readJsonPath(cur: Cursor): string {
  const start = cur.pos
  cur.pos += '`json:'.length
  const begin = cur.pos
  while (!cur.eof() && cur.peek() !== '`' && cur.peek() !== '\n') cur.pos += 1
  if (cur.peek() !== '`') cur.fail('Expected a closing backtick after the jsonpath.', start)
  const path = cur.text.slice(begin, cur.pos).trim()
  cur.pos += 1
  if (!path.startsWith('$')) {
    cur.fail('Expected a jsonpath starting with `$`, e.g. `` `json:$.a.b` ``.', start)
  }
  return path
}

const STOP_AFTER_DEFAULT = /^\s+(CODEC|TTL|MATERIALIZED|ALIAS|EPHEMERAL|COMMENT)(?![A-Za-z0-9_])/i

/** A DEFAULT expression: up to a top-level comma, jsonpath, CODEC, or end of line (brackets and quotes nest). */
function readExpr(cur: Cursor): string {
  cur.skipInlineWs()
  if (cur.peek() === '\n') cur.skipWs()
  const start = cur.pos
  while (!cur.eof()) {
    const c = cur.peek()
    if (c === ',' || c === '\n' || cur.startsWith('`json:')) break
    if (/\s/.test(c) && STOP_AFTER_DEFAULT.test(cur.text.slice(cur.pos))) break
    if (CLOSERS[c] !== undefined || c === "'" || c === '"' || c === '`') {
      cur.skipBalanced()
      continue
    }
    if (c === ')' || c === ']' || c === '}')
      cur.fail(`Unexpected \`${c}\` in the DEFAULT expression.`)
    cur.pos += 1
  }
  return cur.text.slice(start, cur.pos).trim()
}

const INDEX_LINE =
  /^(?:INDEX\s+)?(\S+)\s+(.+)\s+TYPE\s+(.+?)(?:\s+GRANULARITY\s+([^\s,]+))?\s*,?\s*$/i

/**
 * Parses an `INDEXES >` block: one `[INDEX] name expr TYPE type [GRANULARITY n]` per line.
 *
 * @throws {ServerError} `ERR_DATAFILE_SYNTAX` (400): a line that does not match; `details` = `{ file, line, column }`.
 * @throws {ServerError} `ERR_DATAFILE_INVALID` (400): an invalid or duplicate index name.
 * @see https://clickhouse.com/docs/engines/table-engines/mergetree-family/mergetree#table_engine-mergetree-data_skipping-indexes
 */
export function parseIndexes(block: Block, file: string): IndexDef[] {
  const out: IndexDef[] = []
  const seen = new Set<string>()
  for (const l of block.lines) {
    const text = l.text.trim()
    if (text === '' || text.startsWith('#') || text.startsWith('--')) continue
    const at = { line: l.line, column: l.indent + (l.text.length - l.text.trimStart().length) + 1 }
    const m = INDEX_LINE.exec(text)
    const [, name, expr, type, granularity] = m ?? []
    if (name === undefined || expr === undefined || type === undefined) {
      throw syntaxError(
        file,
        at,
        'Invalid index; expected `name expr TYPE type GRANULARITY n`, e.g. `idx_user user_id TYPE bloom_filter(0.01) GRANULARITY 1`.',
      )
    }
    if (!isValidName(name)) {
      throw invalidError(
        file,
        at,
        `Invalid index name \`${name}\`; names must match [A-Za-z_][A-Za-z0-9_]*.`,
      )
    }
    if (seen.has(name)) throw invalidError(file, at, `Duplicate index \`${name}\`.`)
    seen.add(name)
    let g = 1
    if (granularity !== undefined) {
      if (!/^\d+$/.test(granularity) || Number(granularity) < 1) {
        throw syntaxError(
          file,
          at,
          `Expected a positive integer after GRANULARITY in index \`${name}\`.`,
        )
      }
      g = Number(granularity)
    }
    out.push({ name, expr: expr.trim(), type: type.trim(), granularity: g })
  }
  return out
}
