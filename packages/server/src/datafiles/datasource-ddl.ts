/**
 * @module Turns a parsed data source into ClickHouse DDL text: the column list and the `CREATE TABLE` statement.
 * Pure; imports only sibling types.
 */
import { engineFamily } from './parse-engine.js'
import type { ColumnDef, DatasourceFile, EngineDef } from './types.js'

/** Backticks an identifier, escaping `\` and `` ` `` the way ClickHouse reads them. */
export function quoteIdent(name: string): string {
  return '`' + name.replace(/\\/g, '\\\\').replace(/`/g, '\\`') + '`'
}

/** One column as ClickHouse DDL: `` `name` Type [DEFAULT expr] [CODEC(x)] `` (the jsonpath is Tinybird-only). */
export function columnSql(c: ColumnDef): string {
  let s = quoteIdent(c.name)
  if (c.type !== '') s += ` ${c.type}`
  if (c.defaultExpr !== undefined) s += ` DEFAULT ${c.defaultExpr}`
  if (c.codec !== undefined) s += ` CODEC(${c.codec})`
  return s
}

/**
 * The column list of a `CREATE TABLE` for ClickHouse.
 *
 * Shape: one `` `name` Type [DEFAULT expr] [CODEC(x)] `` per column, joined with `",\n"`, no indentation, no
 * surrounding parentheses. JSONPaths are dropped.
 *
 * @example
 * ```ts
 * columnsSql([{ name: 'ts', type: 'DateTime', jsonPath: '$.ts', defaultExpr: 'now()', line: 2 }])
 * // → "`ts` DateTime DEFAULT now()"
 * ```
 */
export function columnsSql(columns: readonly ColumnDef[]): string {
  return columns.map(columnSql).join(',\n')
}

const DATE_TYPE = /^(Date|Date32|DateTime|DateTime64)(\(|$)/
const NUMERIC_TYPE =
  /^(U?Int(8|16|32|64|128|256)|Float(32|64)|BFloat16|Decimal(32|64|128|256)?)(\(|$)/
const STRING_TYPE = /^(String|FixedString)(\(|$)/

function unwrapLowCardinality(type: string): string {
  const m = /^LowCardinality\((.*)\)$/.exec(type.trim())
  return m?.[1]?.trim() ?? type.trim()
}

/**
 * Tinybird's default sorting key: the first DateTime/Date column, else the first numeric column, else the first
 * String column (non-Nullable, `LowCardinality` unwrapped); `tuple()` when none qualifies.
 *
 * Shape: SQL text, a backticked column name or `tuple()`.
 *
 * @see https://www.tinybird.co/docs/classic/cli/datafiles/datasource-files ("If unset, it defaults to DateTime,
 *   numeric, or String columns, in that order.")
 */
export function defaultSortingKey(columns: readonly ColumnDef[]): string {
  const types = columns.map((c) => ({ c, t: unwrapLowCardinality(c.type) }))
  for (const re of [DATE_TYPE, NUMERIC_TYPE, STRING_TYPE]) {
    const hit = types.find(({ t }) => re.test(t))
    if (hit !== undefined) return quoteIdent(hit.c.name)
  }
  return 'tuple()'
}

/** True when `s` has a comma outside parentheses, brackets and quotes. */
function hasTopLevelComma(s: string): boolean {
  let depth = 0
  let quote: string | undefined
  for (const c of s) {
    if (quote !== undefined) {
      if (c === quote) quote = undefined
    } else if (c === "'" || c === '"' || c === '`') quote = c
    else if (c === '(' || c === '[') depth += 1
    else if (c === ')' || c === ']') depth -= 1
    else if (c === ',' && depth === 0) return true
  }
  return false
}

/** `a, b` → `(a, b)`; a single expression or an already-parenthesised list is kept. */
function tupleOf(expr: string): string {
  const e = expr.trim()
  return hasTopLevelComma(e) ? `(${e})` : e
}

/**
 * The `ENGINE = ...` right-hand side: the engine with its parameters, e.g. `ReplacingMergeTree(ver, is_deleted)`.
 * `Replicated*` engines become their single-node family (Dunlin runs one ClickHouse/chdb node, no Keeper).
 */
export function engineSql(engine: EngineDef): string {
  const family = engineFamily(engine.type)
  if (family === 'Null') return 'Null'
  if (engine.params !== undefined && family === engine.type) return `${family}(${engine.params})`
  const args: string[] = []
  switch (family) {
    case 'ReplacingMergeTree':
      if (engine.ver !== undefined) args.push(engine.ver)
      if (engine.ver !== undefined && engine.isDeleted !== undefined) args.push(engine.isDeleted)
      break
    case 'SummingMergeTree':
      if (engine.summingColumns !== undefined) args.push(tupleOf(engine.summingColumns))
      break
    case 'CollapsingMergeTree':
      if (engine.sign !== undefined) args.push(engine.sign)
      break
    case 'VersionedCollapsingMergeTree':
      if (engine.sign !== undefined) args.push(engine.sign)
      if (engine.version !== undefined) args.push(engine.version)
      break
    case 'Join':
      for (const a of [engine.joinStrictness, engine.joinType, engine.keyColumns]) {
        if (a !== undefined) args.push(a)
      }
      break
    default:
      break
  }
  return `${family}(${args.join(', ')})`
}

/**
 * The `CREATE TABLE` statement for a data source.
 *
 * Shape (MergeTree family; clauses appear only when set, `ORDER BY` always):
 * ```
 * CREATE TABLE IF NOT EXISTS `db`.`name`
 * (
 *     `col` Type [DEFAULT expr] [CODEC(x)],
 *     INDEX `idx` expr TYPE t GRANULARITY n
 * )
 * ENGINE = MergeTree()
 * PARTITION BY ...
 * ORDER BY ...            -- ENGINE_SORTING_KEY, else Tinybird's default (see defaultSortingKey)
 * PRIMARY KEY ...
 * SAMPLE BY ...
 * TTL ...
 * SETTINGS ...
 * ```
 * `Null` and `Join` engines get no keys, TTL or indexes (Join keeps SETTINGS). No trailing `;`.
 *
 * @param database - Database name, backticked in the output.
 * @param opts.ifNotExists - Emit `IF NOT EXISTS`. Default true.
 * @param opts.tableName - Table name to create. Default `ds.name`.
 * @see https://clickhouse.com/docs/engines/table-engines/mergetree-family/mergetree
 */
export function datasourceDdl(
  ds: DatasourceFile,
  database: string,
  opts: { ifNotExists?: boolean; tableName?: string } = {},
): string {
  const e = ds.engine
  const family = engineFamily(e.type)
  const isMergeTree = family.endsWith('MergeTree')
  const body = ds.columns.map((c) => `    ${columnSql(c)}`)
  if (isMergeTree) {
    for (const i of ds.indexes) {
      body.push(
        `    INDEX ${quoteIdent(i.name)} ${i.expr} TYPE ${i.type} GRANULARITY ${i.granularity}`,
      )
    }
  }
  const out = [
    `CREATE TABLE ${opts.ifNotExists === false ? '' : 'IF NOT EXISTS '}${quoteIdent(database)}.${quoteIdent(opts.tableName ?? ds.name)}`,
    '(',
    body.join(',\n'),
    ')',
    `ENGINE = ${engineSql(e)}`,
  ]
  if (isMergeTree) {
    if (e.partitionKey !== undefined) out.push(`PARTITION BY ${e.partitionKey}`)
    out.push(
      `ORDER BY ${e.sortingKey !== undefined ? tupleOf(e.sortingKey) : defaultSortingKey(ds.columns)}`,
    )
    if (e.primaryKey !== undefined) out.push(`PRIMARY KEY ${tupleOf(e.primaryKey)}`)
    if (e.samplingKey !== undefined) out.push(`SAMPLE BY ${e.samplingKey}`)
    if (e.ttl !== undefined) out.push(`TTL ${e.ttl}`)
  }
  if (e.settings !== undefined && family !== 'Null') out.push(`SETTINGS ${e.settings}`)
  return out.join('\n')
}
