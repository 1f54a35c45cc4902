/**
 * @module Finds what a ClickHouse query reads: table references (with their source ranges, so callers can
 * rewrite them), table functions, function calls, `SETTINGS` names, CTE names and a trailing `FORMAT`.
 * Used to compose pipe nodes and to confine user SQL (`/v0/sql`, `q=`) to what a token may read. Pure.
 */
import { isSignificant, tokenize, type Token } from './tokenize.js'

/** A table reference in a table position (`FROM x`, `JOIN db.x`, `, x`, `IN x`). */
export interface TableRef {
  readonly database: string | undefined
  readonly name: string
  /** Source range of the whole reference (`db.x` included), in UTF-16 offsets, end exclusive. */
  readonly start: number
  readonly end: number
  /** True when an alias follows (`FROM x AS a`, `FROM x a`). */
  readonly hasAlias: boolean
}

/** A call `name(`; `inTablePosition` marks table functions (`FROM numbers(10)`). */
export interface FunctionRef {
  readonly name: string
  readonly start: number
  readonly inTablePosition: boolean
}

/** What {@link analyzeSql} found. */
export interface SqlAnalysis {
  readonly tables: readonly TableRef[]
  readonly functions: readonly FunctionRef[]
  /** Setting names from every `SETTINGS a = 1, b = 2` clause, lower-cased. */
  readonly settings: readonly string[]
  /** Names defined by `WITH name AS (…)`; they are not tables. */
  readonly cteNames: ReadonlySet<string>
  /** Database-qualified names seen outside a table position (`db.t.col`), as `db` parts. */
  readonly qualifiers: readonly string[]
  /** The first significant keyword, upper-cased (`SELECT`, `WITH`, `(`…). */
  readonly leading: string
  /** A trailing top-level `FORMAT Name`, if any, with its source range. */
  readonly format:
    { readonly name: string; readonly start: number; readonly end: number } | undefined
  /** How many statements the text holds (`;`-separated, ignoring a trailing `;`). */
  readonly statements: number
  /** Offset where a trailing `;` (and anything after it that is not significant) starts, else the text length. */
  readonly bodyEnd: number
}

/** Words that end a from-list or cannot be an alias. Upper case. */
const CLAUSE_WORDS = new Set([
  'WHERE',
  'PREWHERE',
  'GROUP',
  'ORDER',
  'HAVING',
  'LIMIT',
  'OFFSET',
  'SETTINGS',
  'UNION',
  'EXCEPT',
  'INTERSECT',
  'FORMAT',
  'WINDOW',
  'QUALIFY',
  'ON',
  'USING',
  'FINAL',
  'SAMPLE',
  'JOIN',
  'INNER',
  'LEFT',
  'RIGHT',
  'FULL',
  'CROSS',
  'OUTER',
  'ANY',
  'ALL',
  'ASOF',
  'SEMI',
  'ANTI',
  'GLOBAL',
  'ARRAY',
  'PASTE',
  'INTO',
  'WITH',
  'SELECT',
  'FROM',
  'AS',
  'AND',
  'OR',
  'NOT',
  'IN',
  'BY',
  'FETCH',
  'LOCAL',
])

const EOF: Token = { kind: 'ws', text: '', value: '', start: 0 }
const upper = (t: Token | undefined): string => (t?.kind === 'ident' ? t.value.toUpperCase() : '')
const isName = (t: Token | undefined): t is Token => t?.kind === 'ident' || t?.kind === 'qident'

/**
 * Analyzes one query. It never fails on SQL it does not understand: unknown shapes are reported as
 * function calls or table references, so a confining caller errs on the side of refusing.
 *
 * @throws {SqlLexError} when the text cannot be tokenized (unterminated string or comment).
 * @example
 * ```ts
 * analyzeSql('SELECT a FROM t JOIN db.u USING a').tables.map((t) => t.name) // → ['t', 'u']
 * ```
 */
export function analyzeSql(sql: string): SqlAnalysis {
  const toks = tokenize(sql).filter(isSignificant)
  const tables: TableRef[] = []
  const functions: FunctionRef[] = []
  const settings: string[] = []
  const cteNames = new Set<string>()
  const qualifiers: string[] = []
  // Per paren depth: are we inside a FROM list (so a top-level comma starts a table expression)?
  const fromList: boolean[] = [false]
  let depth = 0
  let expectTable = false
  let statements = toks.length > 0 ? 1 : 0
  let bodyEnd = sql.length
  let format: SqlAnalysis['format']

  for (let i = 0; i < toks.length; i++) {
    const t = toks[i] ?? EOF
    const u = upper(t)
    if (t.kind === 'punct') {
      if (t.text === '(') {
        depth++
        fromList[depth] = false
        expectTable = false
      } else if (t.text === ')') {
        depth = Math.max(0, depth - 1)
      } else if (t.text === ',' && fromList[depth] === true) {
        expectTable = true
      } else if (t.text === ';') {
        if (i === toks.length - 1) bodyEnd = t.start
        else statements++
      }
      continue
    }
    if (u === 'FROM') {
      // `DISTINCT FROM` (IS [NOT] DISTINCT FROM) and `EXTRACT(x FROM y)` are not table positions.
      const prev = upper(toks[i - 1])
      if (prev === 'DISTINCT' || (depth > 0 && isExtractCall(toks, i))) continue
      fromList[depth] = true
      expectTable = true
      continue
    }
    if (u === 'JOIN') {
      // ARRAY JOIN takes expressions (array columns), not tables.
      const prev = upper(toks[i - 1])
      const prev2 = upper(toks[i - 2])
      expectTable = !(
        prev === 'ARRAY' ||
        (prev === 'LEFT' && prev2 === 'ARRAY') ||
        prev2 === 'ARRAY'
      )
      continue
    }
    if (u === 'IN' && isName(toks[i + 1]) && toks[i + 2]?.text !== '(') {
      expectTable = true
      continue
    }
    if (CLAUSE_WORDS.has(u) && u !== 'GLOBAL' && u !== 'ANY' && u !== 'ALL') {
      if (u !== 'AS') {
        if (u === 'SETTINGS') readSettings(toks, i + 1, settings)
        if (u === 'FORMAT' && depth === 0 && isName(toks[i + 1]) && isTrailing(toks, i + 2)) {
          const n = toks[i + 1] ?? EOF
          format = { name: n.value, start: t.start, end: n.start + n.text.length }
        }
        if (u !== 'ON' && u !== 'USING' && u !== 'FINAL' && u !== 'SAMPLE') fromList[depth] = false
        if (u === 'WHERE' || u === 'GROUP' || u === 'ORDER' || u === 'HAVING' || u === 'LIMIT')
          fromList[depth] = false
      }
      expectTable = false
      continue
    }
    if (isName(t)) {
      // CTE definition: `name AS (`
      if (upper(toks[i + 1]) === 'AS' && toks[i + 2]?.text === '(' && !expectTable) {
        cteNames.add(t.value)
      }
      const dotted = toks[i + 1]?.text === '.' && isName(toks[i + 2])
      if (expectTable) {
        expectTable = false
        const nameTok = dotted ? (toks[i + 2] ?? EOF) : t
        const after = toks[dotted ? i + 3 : i + 1]
        if (after?.text === '(') {
          functions.push({ name: nameTok.value, start: nameTok.start, inTablePosition: true })
        } else {
          const next = upper(after)
          const hasAlias =
            next === 'AS' || (isName(after) && !CLAUSE_WORDS.has(next) && after.text !== '.')
          tables.push({
            database: dotted ? t.value : undefined,
            name: nameTok.value,
            start: t.start,
            end: nameTok.start + nameTok.text.length,
            hasAlias,
          })
        }
        if (dotted) i += 2
        continue
      }
      if (toks[i + 1]?.text === '(' && t.kind === 'ident') {
        functions.push({ name: t.value, start: t.start, inTablePosition: false })
      } else if (dotted) {
        qualifiers.push(t.value)
      }
    }
  }
  const first = toks[0]
  return {
    tables,
    functions,
    settings,
    cteNames,
    qualifiers,
    leading:
      first === undefined ? '' : first.kind === 'ident' ? first.value.toUpperCase() : first.text,
    format,
    statements,
    bodyEnd,
  }
}

function isExtractCall(toks: readonly Token[], fromIdx: number): boolean {
  // Walk back to the opening paren of this depth and look at the word before it.
  let d = 0
  for (let j = fromIdx - 1; j >= 0; j--) {
    const x = toks[j] ?? EOF
    if (x.text === ')') d++
    else if (x.text === '(') {
      if (d === 0)
        return (
          upper(toks[j - 1]) === 'EXTRACT' ||
          upper(toks[j - 1]) === 'SUBSTRING' ||
          upper(toks[j - 1]) === 'TRIM'
        )
      d--
    }
  }
  return false
}

function isTrailing(toks: readonly Token[], idx: number): boolean {
  for (let j = idx; j < toks.length; j++) if ((toks[j] ?? EOF).text !== ';') return false
  return true
}

function readSettings(toks: readonly Token[], idx: number, out: string[]): void {
  let j = idx
  while (isName(toks[j]) && toks[j + 1]?.text === '=') {
    out.push((toks[j] ?? EOF).value.toLowerCase())
    j += 2
    // skip the value up to a comma at this level
    let d = 0
    while (j < toks.length) {
      const x = toks[j] ?? EOF
      if (x.text === '(') d++
      else if (x.text === ')') {
        if (d === 0) return
        d--
      } else if (x.text === ',' && d === 0) break
      j++
    }
    if (toks[j]?.text !== ',') return
    j++
  }
}

/** One replacement of a source range. */
export interface Replacement {
  readonly start: number
  readonly end: number
  readonly text: string
}

/**
 * Applies non-overlapping replacements to `sql` (in any order).
 *
 * @example
 * ```ts
 * replaceRanges('SELECT * FROM t', [{ start: 14, end: 15, text: '`db`.`t`' }]) // → 'SELECT * FROM `db`.`t`'
 * ```
 */
export function replaceRanges(sql: string, replacements: readonly Replacement[]): string {
  const sorted = [...replacements].sort((a, b) => a.start - b.start)
  let out = ''
  let pos = 0
  for (const r of sorted) {
    out += sql.slice(pos, r.start) + r.text
    pos = r.end
  }
  return out + sql.slice(pos)
}
