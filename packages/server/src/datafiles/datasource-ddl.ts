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

/** Where a `Replicated*MergeTree` table keeps its state in the coordination service (ZooKeeper/Keeper). */
export interface Replication {
  /** Coordination-service path, e.g. `/clickhouse/tables/{shard}/db/events__local/1a2b3c4d`. */
  readonly path: string
  /** Replica name, normally the `{replica}` macro. */
  readonly replica: string
}

/**
 * The `ENGINE = ...` right-hand side: the engine with its parameters, e.g. `ReplacingMergeTree(ver, is_deleted)`.
 * A datafile's `Replicated*` engine becomes its single-node family: replication is a property of where Dunlin runs,
 * not of the datafile. With `replication` (cluster mode with replicas), MergeTree engines become
 * `Replicated<Family>('<path>', '<replica>', …)`.
 *
 * @see https://clickhouse.com/docs/engines/table-engines/mergetree-family/replication
 */
export function engineSql(engine: EngineDef, replication?: Replication): string {
  const family = engineFamily(engine.type)
  if (family === 'Null') return 'Null'
  const replicated = replication !== undefined && family.endsWith('MergeTree')
  const name = replicated ? `Replicated${family}` : family
  const head = replicated
    ? [`'${escapeQuoted(replication.path)}'`, `'${escapeQuoted(replication.replica)}'`]
    : []
  if (engine.params !== undefined && family === engine.type) {
    return `${name}(${[...head, ...(engine.params.trim() === '' ? [] : [engine.params])].join(', ')})`
  }
  const args: string[] = [...head]
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
  return `${name}(${args.join(', ')})`
}

function escapeQuoted(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")
}

/** A data source's `CREATE TABLE` split into what a table layout places (see `catalog/layout.ts`). */
export interface DdlParts {
  /** Column and index definitions, one per entry, no trailing commas. */
  readonly body: readonly string[]
  /** Plain column definitions only (no indexes, no codecs): what a `Distributed` table over it declares. */
  readonly plainColumns: readonly string[]
  /** The `ENGINE = …` right-hand side for a replication (or none). */
  engine(replication?: Replication): string
  /** Clauses after the engine: `PARTITION BY`, `ORDER BY`, `PRIMARY KEY`, `SAMPLE BY`, `TTL`, `SETTINGS`. */
  readonly clauses: readonly string[]
  /** `ENGINE_SHARDING_KEY`, when the datafile sets one. */
  readonly shardingKey: string | undefined
}

/**
 * `LowCardinality(T)` → `T`, at any depth (`Array(LowCardinality(String))` → `Array(String)`), for servers
 * without the type: the same values, without dictionary encoding.
 */
export function withoutLowCardinality(type: string): string {
  let out = type
  for (let i = out.indexOf('LowCardinality('); i >= 0; i = out.indexOf('LowCardinality(')) {
    let depth = 0
    let end = -1
    for (let j = i + 'LowCardinality'.length; j < out.length; j += 1) {
      if (out[j] === '(') depth += 1
      else if (out[j] === ')') {
        depth -= 1
        if (depth === 0) {
          end = j
          break
        }
      }
    }
    if (end < 0) break
    out = out.slice(0, i) + out.slice(i + 'LowCardinality('.length, end) + out.slice(end + 1)
  }
  return out
}

/**
 * The parts of a data source's `CREATE TABLE`: {@link datasourceDdl} joins them for one node.
 *
 * @param opts.lowCardinality - False for servers without `LowCardinality` (see {@link withoutLowCardinality}).
 *   Default true.
 */
export function datasourceDdlParts(
  ds: DatasourceFile,
  opts: { lowCardinality?: boolean } = {},
): DdlParts {
  const e = ds.engine
  const family = engineFamily(e.type)
  const isMergeTree = family.endsWith('MergeTree')
  const columns =
    opts.lowCardinality === false
      ? ds.columns.map((c) => ({ ...c, type: withoutLowCardinality(c.type) }))
      : ds.columns
  const body = columns.map((c) => columnSql(c))
  if (isMergeTree) {
    for (const i of ds.indexes) {
      body.push(`INDEX ${quoteIdent(i.name)} ${i.expr} TYPE ${i.type} GRANULARITY ${i.granularity}`)
    }
  }
  const clauses: string[] = []
  if (isMergeTree) {
    if (e.partitionKey !== undefined) clauses.push(`PARTITION BY ${e.partitionKey}`)
    clauses.push(
      `ORDER BY ${e.sortingKey !== undefined ? tupleOf(e.sortingKey) : defaultSortingKey(ds.columns)}`,
    )
    if (e.primaryKey !== undefined) clauses.push(`PRIMARY KEY ${tupleOf(e.primaryKey)}`)
    if (e.samplingKey !== undefined) clauses.push(`SAMPLE BY ${e.samplingKey}`)
    if (e.ttl !== undefined) clauses.push(`TTL ${e.ttl}`)
  }
  if (e.settings !== undefined && family !== 'Null') clauses.push(`SETTINGS ${e.settings}`)
  return {
    body,
    plainColumns: columns.map(({ codec: _codec, ...c }) => columnSql(c)),
    engine: (r) => engineSql(e, r),
    clauses,
    shardingKey: e.shardingKey,
  }
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
  const parts = datasourceDdlParts(ds)
  return [
    `CREATE TABLE ${opts.ifNotExists === false ? '' : 'IF NOT EXISTS '}${quoteIdent(database)}.${quoteIdent(opts.tableName ?? ds.name)}`,
    '(',
    parts.body.map((b) => `    ${b}`).join(',\n'),
    ')',
    `ENGINE = ${parts.engine()}`,
    ...parts.clauses,
  ].join('\n')
}
