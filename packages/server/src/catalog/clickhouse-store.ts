/**
 * @module The catalog in a ClickHouse table, so any number of Dunlin processes in front of one ClickHouse server
 * or cluster share it. The table is an append-only log of entries (see `changes.ts`): a save inserts one row
 * per entry it sets or deletes, and a load folds the log, newest row per entry winning. Inserts are atomic per
 * block, so a reader never sees half a save, and saves from several processes merge entry by entry.
 *
 * The log compacts itself: the table is a `ReplacingMergeTree` keyed by entry with `ts` as its version, so
 * ClickHouse's background merges keep only the newest row of each entry (a deleted entry keeps one tombstone).
 * Loads never depend on merges having run. In cluster mode it is `ReplicatedReplacingMergeTree` with one path for
 * every node (not per shard), so each node holds the whole catalog and a process may connect to any of them.
 * A catalog table created by an earlier Dunlin (plain `MergeTree`) keeps working, uncompacted.
 */
import { randomUUID } from 'node:crypto'
import type { Engine } from '../engine/index.js'
import { escapeIdentifier, escapeString } from '../template/index.js'
import { diffCatalog, fromEntries, type CatalogChange, type EntryKind } from './changes.js'
import type { CatalogStore } from './store.js'
import type { CatalogState } from './types.js'

/** Options of {@link ClickHouseCatalogStore.open}. */
export interface ClickHouseCatalogStoreOptions {
  readonly engine: Engine
  /** The catalog's name: processes with the same name share one workspace. Default `'dunlin'`. */
  readonly name?: string
  /** Database of the catalog table. Default `dunlin_catalog`. */
  readonly database?: string
  /** Cluster name in cluster mode: the table is created `ON CLUSTER`, replicated on every node. */
  readonly cluster?: string
}

interface Row {
  kind: EntryKind
  key: string
  deleted: number | string
  value: string
}

/** The catalog as rows of `<database>.catalog` on a ClickHouse server or cluster. */
export class ClickHouseCatalogStore implements CatalogStore {
  /** A version check is one small query: done at most every `auth.syncIntervalMs`, not per request. */
  readonly cheapVersion = false
  readonly name: string
  private readonly engine: Engine
  private readonly table: string
  private readonly writer = randomUUID()
  private lastTs = 0

  private constructor(engine: Engine, name: string, table: string) {
    this.engine = engine
    this.name = name
    this.table = table
  }

  /** Creates the catalog database and table when missing. */
  static async open(opts: ClickHouseCatalogStoreOptions): Promise<ClickHouseCatalogStore> {
    const db = escapeIdentifier(opts.database ?? 'dunlin_catalog')
    const on = opts.cluster === undefined ? '' : ` ON CLUSTER ${escapeIdentifier(opts.cluster)}`
    const engine =
      opts.cluster === undefined
        ? 'ReplacingMergeTree(ts)'
        : `ReplicatedReplacingMergeTree('/clickhouse/dunlin/catalog/${(opts.database ?? 'dunlin_catalog').replace(/[^A-Za-z0-9_]/g, '_')}', '{replica}', ts)`
    await opts.engine.command(`CREATE DATABASE IF NOT EXISTS ${db}${on}`)
    await opts.engine.command(
      `CREATE TABLE IF NOT EXISTS ${db}.catalog${on} (
  store String,
  ts UInt64,
  writer String,
  kind String,
  key String,
  deleted UInt8,
  value String
) ENGINE = ${engine}
ORDER BY (store, kind, key)`,
    )
    return new ClickHouseCatalogStore(opts.engine, opts.name ?? 'dunlin', `${db}.catalog`)
  }

  async load(): Promise<CatalogState | undefined> {
    const r = await this.engine.query(
      `SELECT kind, key, argMax(deleted, ts) AS deleted, argMax(value, ts) AS value
FROM ${this.table}
WHERE store = ${escapeString(this.name)}
GROUP BY kind, key
ORDER BY min(ts), kind, key`,
      { format: 'JSONEachRow', timeoutMs: 30_000 },
    )
    const text = r.text().trim()
    if (text === '') return undefined
    const entries: CatalogChange[] = text.split('\n').map((line) => {
      const row = JSON.parse(line) as Row
      return {
        kind: row.kind,
        key: row.key,
        value: Number(row.deleted) === 1 ? undefined : (JSON.parse(row.value) as unknown),
      }
    })
    return fromEntries(entries)
  }

  async save(prev: CatalogState | undefined, next: CatalogState): Promise<CatalogState> {
    if (prev === undefined) {
      const existing = await this.load()
      if (existing !== undefined) return existing
    }
    const changes = diffCatalog(prev, next)
    if (changes.length > 0) {
      const lines = changes.map((c) =>
        JSON.stringify({
          store: this.name,
          ts: this.nextTs(),
          writer: this.writer,
          kind: c.kind,
          key: c.key,
          deleted: c.value === undefined ? 1 : 0,
          value: c.value === undefined ? '' : JSON.stringify(c.value),
        }),
      )
      // One INSERT is one block: other processes see all of this save or none of it.
      await this.engine.insert(this.table, `${lines.join('\n')}\n`, 'JSONEachRow')
    }
    return (await this.load()) ?? next
  }

  /** `rows:newest` of this catalog's log: changes with every save (and when a merge drops rows: one extra load). */
  async version(): Promise<string | undefined> {
    const r = await this.engine.query(
      `SELECT count() AS n, max(ts) AS ts FROM ${this.table} WHERE store = ${escapeString(this.name)}`,
      { format: 'JSONEachRow' },
    )
    const row = JSON.parse(r.text()) as { n: number | string; ts: number | string }
    return Number(row.n) === 0 ? undefined : `${String(row.n)}:${String(row.ts)}`
  }

  /** Microseconds since the epoch, strictly increasing within this process. */
  private nextTs(): number {
    this.lastTs = Math.max(this.lastTs + 1, Date.now() * 1000)
    return this.lastTs
  }
}
