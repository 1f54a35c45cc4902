/**
 * @module The Engine port: the only way api/, ingest/, catalog/ and cli/ reach ClickHouse. Imports no
 * sibling folder except errors.ts.
 */

/** Formats Dunlin writes in bulk. */
export type InsertFormat = 'JSONEachRow' | 'CSV' | 'CSVWithNames' | 'TSV' | 'Parquet'

/** ClickHouse settings for one statement, e.g. `{ max_threads: 2 }`. */
export type Settings = Readonly<Record<string, string | number | boolean>>

/** Options of a read. */
export interface QueryOptions {
  /** ClickHouse output format name. Default `'JSON'`. */
  format?: string
  /** Give up after this long, in milliseconds; sent to ClickHouse as `max_execution_time`. Default 10_000. */
  timeoutMs?: number
  /** Refuse writes and DDL (`readonly=1`). Default true for {@link Engine.query}. */
  readonly?: boolean
  /** Largest result, in bytes, before the query fails with `ERR_ENGINE_RESULT_TOO_LARGE`. Default 100 MB. */
  maxResultBytes?: number
  /** Extra settings for this statement. */
  settings?: Settings
}

/** A finished read: the bytes in the asked format plus the engine's counters. */
export interface QueryResult {
  readonly body: Uint8Array
  /** Engine-side time, in seconds. */
  readonly elapsedSeconds: number
  readonly rowsRead: number
  readonly bytesRead: number
  text(): string
  /** The body parsed as JSON (for `JSON`/`JSONEachRow` with one row); callers narrow the shape. */
  json(): unknown
}

/** Outcome of an insert. */
export interface InsertResult {
  readonly rowsWritten: number
}

/** Options of an insert. */
export interface InsertOptions {
  /** Column list, when the payload carries fewer columns than the table. */
  columns?: readonly string[]
  settings?: Settings
}

/** What a backend can do; the SQL we generate adapts to it. */
export interface EngineCapabilities {
  /** `WITH name AS (SELECT …)` common table expressions. */
  readonly ctes: boolean
  /** ClickHouse version string, e.g. `26.7.1.1`. */
  readonly version: string
  /** `DROP … SYNC` (wait for an Atomic database to release the name). */
  readonly dropSync: boolean
  /** The `Map(K, V)` type. */
  readonly mapType: boolean
  /**
   * `LowCardinality(T)` columns without a flag (19.x+). Without it, DDL declares plain `T`: the same values, no
   * dictionary encoding. (18.x accepts the flag per query, but its `ON CLUSTER` DDL does not pass it on.)
   */
  readonly lowCardinality: boolean
  /**
   * The server rewrites any query over `Distributed` tables for its shards correctly. 18.x loses table aliases
   * (`FROM airports AS a … a.iata`) and `WITH` expression aliases in that rewrite, so cluster mode on it reads
   * every data source through a subquery, aggregated on the node that received the query.
   */
  readonly distributedRewrite: boolean
}

/**
 * A ClickHouse backend: embedded (chdb) or remote (`@clickhouse/client`). Implementations run every
 * statement off the event loop, map ClickHouse exceptions to `ServerError`s (see `engine/errors.ts`) and
 * never log SQL values.
 */
export interface Engine {
  readonly kind: 'chdb' | 'clickhouse'
  readonly capabilities: EngineCapabilities
  /**
   * Runs a read. `sql` has no trailing `;` and no `FORMAT` clause.
   *
   * @throws {ServerError} `ERR_ENGINE_*` as mapped by `engine/errors.ts`.
   */
  query(sql: string, opts?: QueryOptions): Promise<QueryResult>
  /**
   * Runs a statement that returns nothing useful: DDL, `INSERT … SELECT`, `OPTIMIZE`.
   *
   * @param opts.timeoutMs - in milliseconds. Default 600_000.
   */
  command(sql: string, opts?: { timeoutMs?: number; settings?: Settings }): Promise<void>
  /** Bulk-inserts a payload in `format`; the engine parses it. */
  insert(
    table: string,
    body: Uint8Array | string,
    format: InsertFormat,
    opts?: InsertOptions,
  ): Promise<InsertResult>
  /** Releases the backend; idempotent. */
  close(): Promise<void>
}

/** Default per-query limits, as Tinybird's: 10 s and 100 MB. */
export const DEFAULT_LIMITS = { timeoutMs: 10_000, maxResultBytes: 100 * 1024 * 1024 } as const

/**
 * The settings a read runs with: time and size limits, read-only mode and Tinybird's number rendering
 * (64-bit integers as JSON numbers).
 */
export function readSettings(opts: QueryOptions): Record<string, string | number | boolean> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_LIMITS.timeoutMs
  return {
    max_execution_time: Math.max(0.001, timeoutMs / 1000),
    max_result_bytes: opts.maxResultBytes ?? DEFAULT_LIMITS.maxResultBytes,
    result_overflow_mode: 'throw',
    output_format_json_quote_64bit_integers: 0,
    ...(opts.readonly === false ? {} : { readonly: 1 }),
    ...opts.settings,
  }
}

/** Renders settings as a `SETTINGS a = 1, b = 'x'` clause (empty string for none). */
export function settingsClause(settings: Settings): string {
  const parts = Object.entries(settings).map(([k, v]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new TypeError(`invalid setting name ${k}`)
    const val =
      typeof v === 'string'
        ? `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
        : typeof v === 'boolean'
          ? v
            ? '1'
            : '0'
          : String(v)
    return `${k} = ${val}`
  })
  return parts.length === 0 ? '' : ` SETTINGS ${parts.join(', ')}`
}
