/**
 * @module The parsed shapes of Tinybird datafiles (`.datasource`, `.pipe`) and of a whole project. Types only;
 * imports nothing.
 */

/**
 * One column of a `.datasource` `SCHEMA >` block.
 *
 * Source syntax: `` `name` Type [`json:$.path`] [DEFAULT expr] [CODEC(codecs)] `` (the jsonpath may also follow
 * DEFAULT or CODEC).
 */
export interface ColumnDef {
  /** Column name without backticks, e.g. `timestamp`. */
  name: string
  /**
   * ClickHouse type exactly as written, e.g. `LowCardinality(String)` or `DateTime64(3, 'UTC')`. Empty only when the
   * column has a `DEFAULT` and no type (ClickHouse then infers it).
   */
  type: string
  /** JSONPath without the `` `json: `` wrapper, e.g. `$.a.b` or `$.tags[:]`. */
  jsonPath?: string
  /** The DEFAULT expression without the `DEFAULT` keyword, e.g. `now()` or `''`. */
  defaultExpr?: string
  /** The codec list inside `CODEC(...)`, without the wrapper, e.g. `Delta(4), ZSTD(1)`. */
  codec?: string
  /** 1-based line of the column's name in the file. */
  line: number
}

/** A table engine and its `ENGINE_*` settings. Every expression is SQL text exactly as written, unquoted. */
export interface EngineDef {
  /**
   * Canonical engine name: `MergeTree` (default), `ReplacingMergeTree`, `AggregatingMergeTree`, `SummingMergeTree`,
   * `CollapsingMergeTree`, `VersionedCollapsingMergeTree`, `Null`, `Join`, or a `Replicated*` MergeTree variant.
   */
  type: string
  /** `ENGINE_SORTING_KEY`, the `ORDER BY` expression, e.g. `tenant_id, timestamp`. */
  sortingKey?: string
  /** `ENGINE_PARTITION_KEY`, the `PARTITION BY` expression. */
  partitionKey?: string
  /** `ENGINE_PRIMARY_KEY`. */
  primaryKey?: string
  /** `ENGINE_SAMPLING_KEY`, the `SAMPLE BY` expression. */
  samplingKey?: string
  /** `ENGINE_TTL`, the table TTL expression. */
  ttl?: string
  /** `ENGINE_VER`: version column of a ReplacingMergeTree. */
  ver?: string
  /** `ENGINE_SIGN`: sign column of a (Versioned)CollapsingMergeTree. */
  sign?: string
  /** `ENGINE_VERSION`: version column of a VersionedCollapsingMergeTree. */
  version?: string
  /** `ENGINE_IS_DELETED`: is-deleted column of a ReplacingMergeTree (needs `ver`). */
  isDeleted?: string
  /** `ENGINE_SETTINGS`: comma-separated `key = value` list, e.g. `index_granularity = 8192`. */
  settings?: string
  /** `ENGINE_SHARDING_KEY`: Dunlin extension, not used by the single-node engine. */
  shardingKey?: string
  /** `ENGINE_SUMMING_COLUMNS`: columns a SummingMergeTree sums, e.g. `total, hits`. */
  summingColumns?: string
  /** `ENGINE_JOIN_STRICTNESS` of a (deprecated) Join engine, e.g. `ANY`. */
  joinStrictness?: string
  /** `ENGINE_JOIN_TYPE` of a Join engine, e.g. `LEFT`. */
  joinType?: string
  /** `ENGINE_KEY_COLUMNS` of a Join engine. */
  keyColumns?: string
  /** Arguments written inline, as in `ENGINE "ReplacingMergeTree(ts)"`: used verbatim as the engine's parameters. */
  params?: string
}

/** One line of an `INDEXES >` block: `name expr TYPE type GRANULARITY n`. */
export interface IndexDef {
  name: string
  /** Indexed SQL expression, e.g. `mapValues(d)`. */
  expr: string
  /** Index type with its arguments, e.g. `bloom_filter(0.001)` or `set(100)`. */
  type: string
  /** Index granularity in granules. Default 1 when omitted. */
  granularity: number
}

/** A `TOKEN "name" READ|APPEND` line. */
export interface TokenLine {
  /** Token name, unquoted (may contain spaces). */
  name: string
  permission: 'READ' | 'APPEND'
}

/** A parsed `.datasource` file. */
export interface DatasourceFile {
  kind: 'datasource'
  /** File basename without the `.datasource` extension; the table/data source name. */
  name: string
  /** The path the file was read from (as passed to the parser). */
  file: string
  /** `DESCRIPTION` text, dedented (markdown). */
  description?: string
  /** `SCHEMA` columns in file order; never empty. */
  columns: ColumnDef[]
  engine: EngineDef
  indexes: IndexDef[]
  tokens: TokenLine[]
  /** `TAGS` entries, trimmed, in file order. */
  tags: string[]
  /** `FORWARD_QUERY` SQL, dedented. */
  forwardQuery?: string
}

/** What a pipe node publishes. `standard` is an internal node. */
export type NodeType = 'endpoint' | 'materialized' | 'copy' | 'sink' | 'standard'

/** One `NODE` of a `.pipe` file. */
export interface PipeNode {
  name: string
  description?: string
  /** The `SQL >` block dedented, without leading/trailing blank lines. A templated node's first line is `%`. */
  sql: string
  /** 1-based file line of the SQL's first line. */
  sqlLine: number
  /** `TYPE`, lower-cased; `standard` when absent (`materialized` when only `DATASOURCE` is given). */
  type: NodeType
  /** `DATASOURCE`: target data source of a materialized node. */
  datasource?: string
  /** `TARGET_DATASOURCE`: target data source of a copy node. */
  targetDatasource?: string
  /** `COPY_SCHEDULE`: a cron expression or `@on-demand`, unquoted. */
  copySchedule?: string
  /** `COPY_MODE`, lower-cased. */
  copyMode?: 'append' | 'replace'
  /** `ENGINE`/`ENGINE_*` lines of a materialized node (Tinybird Classic creates the target with them). */
  engine?: EngineDef
}

/** A parsed `.pipe` file. */
export interface PipeFile {
  kind: 'pipe'
  /** File basename without the `.pipe` extension. */
  name: string
  /** The path the file was read from (as passed to the parser). */
  file: string
  /** `DESCRIPTION` before the first `NODE`, dedented. */
  description?: string
  /** Nodes in file order; never empty. */
  nodes: PipeNode[]
  tokens: TokenLine[]
  tags: string[]
}

/** One problem found while reading a project: a failed parse or a cross-file conflict. */
export interface Diagnostic {
  /** Path of the offending file, relative to the project root, with `/` separators. */
  file: string
  /** 1-based line. */
  line: number
  /** 1-based column. */
  column: number
  message: string
  code: 'ERR_DATAFILE_SYNTAX' | 'ERR_DATAFILE_INVALID'
}

/** Every datafile of a project folder, parsed. */
export interface Project {
  /** Absolute path of the project folder. */
  root: string
  /** Sorted by name. */
  datasources: DatasourceFile[]
  /** Sorted by name. */
  pipes: PipeFile[]
  /** Reserved for chart files; always empty. */
  charts: never[]
}
