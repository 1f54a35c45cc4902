/**
 * @module Table layouts: where a workspace's tables physically live, and the DDL that puts them there.
 *
 * - **Single node** (chdb or one ClickHouse server): one table per data source, under its own name.
 * - **Cluster** (`--cluster <name>`): DDL runs `ON CLUSTER`; each data source is a local table
 *   `<name>__local` on every shard plus a `Distributed` table under the data source's own name, which endpoints
 *   read and ingest writes (sharded by `ENGINE_SHARDING_KEY`, default `rand()`). Materialized views are
 *   created on every shard, from the local source table into the local target table, so they stay local to
 *   the rows that trigger them. With replicas (some shard has more than one) and a coordination service,
 *   MergeTree engines become `Replicated*MergeTree`.
 *
 * Every statement a layout returns is plain DDL text that runs on ClickHouse 18.16 and later.
 */
import { randomBytes } from 'node:crypto'
import type { DdlParts, Replication } from '../datafiles/index.js'
import type { Engine } from '../engine/index.js'
import { ServerError } from '../errors.js'
import { escapeIdentifier, escapeString } from '../template/index.js'

/** A table to create: its definitions and engine, independent of where it goes. */
export interface TableSpec {
  readonly database: string
  /** The name readers and writers use (the data source name). */
  readonly name: string
  readonly parts: DdlParts
}

/** Where tables live and how to create, change and drop them. */
export interface TableLayout {
  /** The cluster name in cluster mode; undefined on a single node. */
  readonly cluster: string | undefined
  /** True when MergeTree tables are `Replicated*` (cluster mode with replicas and a coordination service). */
  readonly replicated: boolean
  /** The table that physically holds a table's rows on this node: `name` or `name__local`. */
  localName(name: string): string
  createDatabase(database: string): string[]
  /** Statements that create the table (idempotent: `IF NOT EXISTS`). */
  createTable(spec: TableSpec): string[]
  /** Statements that drop the table and, in cluster mode, its local tables. `sync` appends ` SYNC`. */
  dropTable(database: string, name: string, sync: boolean): string[]
  /** Drops a materialized view (on every shard in cluster mode). */
  dropView(database: string, view: string, sync: boolean): string[]
  truncate(database: string, name: string): string[]
  /** Adds one column (`columnSql` is a column definition) to the table and its local tables. */
  addColumn(database: string, name: string, columnSql: string): string[]
  /** A mutation that deletes the rows matching `condition` (run with `mutations_sync`). */
  deleteWhere(database: string, name: string, condition: string): string[]
  /**
   * Creates a materialized view from `select` into `target`. In cluster mode `select` must read local tables
   * (compose it with {@link TableLayout.localName} as the physical table) and the view writes the local target.
   */
  createMaterializedView(database: string, view: string, target: string, select: string): string[]
}

const q = escapeIdentifier

/** The layout of one node (chdb, or a single ClickHouse server). */
export function singleNodeLayout(): TableLayout {
  return {
    cluster: undefined,
    replicated: false,
    localName: (name) => name,
    createDatabase: (db) => [`CREATE DATABASE IF NOT EXISTS ${q(db)}`],
    createTable: ({ database, name, parts }) => [
      [
        `CREATE TABLE IF NOT EXISTS ${q(database)}.${q(name)}`,
        `(\n    ${parts.body.join(',\n    ')}\n)`,
        `ENGINE = ${parts.engine()}`,
        ...parts.clauses,
      ].join('\n'),
    ],
    dropTable: (db, name, sync) => [
      `DROP TABLE IF EXISTS ${q(db)}.${q(name)}${sync ? ' SYNC' : ''}`,
    ],
    dropView: (db, view, sync) => [
      `DROP TABLE IF EXISTS ${q(db)}.${q(view)}${sync ? ' SYNC' : ''}`,
    ],
    truncate: (db, name) => [`TRUNCATE TABLE IF EXISTS ${q(db)}.${q(name)}`],
    addColumn: (db, name, col) => [`ALTER TABLE ${q(db)}.${q(name)} ADD COLUMN ${col}`],
    deleteWhere: (db, name, cond) => [`ALTER TABLE ${q(db)}.${q(name)} DELETE WHERE (${cond})`],
    createMaterializedView: (db, view, target, select) => [
      `CREATE MATERIALIZED VIEW ${q(db)}.${q(view)} TO ${q(db)}.${q(target)} AS ${select}`,
    ],
  }
}

/** Options of {@link clusterLayout}. */
export interface ClusterLayoutOptions {
  /** Use `Replicated*MergeTree` (needs `{shard}`/`{replica}` macros and a coordination service). */
  readonly replicated: boolean
  /**
   * Shards in the cluster. With one, replication paths leave out the `{shard}` macro (every node is a replica of
   * the one shard, whatever its macros say). Default 2 (paths use `{shard}`).
   */
  readonly shards?: number
  /** Random suffix of coordination-service paths, so a recreated table never meets its old replica state. */
  readonly pathSuffix?: () => string
}

/** The suffix of local tables in cluster mode. */
export const LOCAL_SUFFIX = '__local'

/** The layout of a ClickHouse cluster: local tables on every shard behind `Distributed` tables. */
export function clusterLayout(cluster: string, opts: ClusterLayoutOptions): TableLayout {
  const on = ` ON CLUSTER ${q(cluster)}`
  const local = (name: string): string => `${name}${LOCAL_SUFFIX}`
  const suffix = opts.pathSuffix ?? (() => randomBytes(4).toString('hex'))
  const shardPart = (opts.shards ?? 2) > 1 ? '{shard}/' : ''
  return {
    cluster,
    replicated: opts.replicated,
    localName: local,
    createDatabase: (db) => [`CREATE DATABASE IF NOT EXISTS ${q(db)}${on}`],
    createTable: ({ database, name, parts }) => {
      const replication: Replication | undefined = opts.replicated
        ? {
            path: `/clickhouse/tables/${shardPart}${database}/${local(name)}/${suffix()}`,
            replica: '{replica}',
          }
        : undefined
      const key = parts.shardingKey ?? 'rand()'
      return [
        [
          `CREATE TABLE IF NOT EXISTS ${q(database)}.${q(local(name))}${on}`,
          `(\n    ${parts.body.join(',\n    ')}\n)`,
          `ENGINE = ${parts.engine(replication)}`,
          ...parts.clauses,
        ].join('\n'),
        [
          `CREATE TABLE IF NOT EXISTS ${q(database)}.${q(name)}${on}`,
          `(\n    ${parts.plainColumns.join(',\n    ')}\n)`,
          `ENGINE = Distributed(${q(cluster)}, ${q(database)}, ${q(local(name))}, ${key})`,
        ].join('\n'),
      ]
    },
    dropTable: (db, name, sync) => [
      `DROP TABLE IF EXISTS ${q(db)}.${q(name)}${on}${sync ? ' SYNC' : ''}`,
      `DROP TABLE IF EXISTS ${q(db)}.${q(local(name))}${on}${sync ? ' SYNC' : ''}`,
    ],
    dropView: (db, view, sync) => [
      `DROP TABLE IF EXISTS ${q(db)}.${q(view)}${on}${sync ? ' SYNC' : ''}`,
    ],
    truncate: (db, name) => [`TRUNCATE TABLE IF EXISTS ${q(db)}.${q(local(name))}${on}`],
    addColumn: (db, name, col) => [
      `ALTER TABLE ${q(db)}.${q(local(name))}${on} ADD COLUMN ${col}`,
      `ALTER TABLE ${q(db)}.${q(name)}${on} ADD COLUMN ${col}`,
    ],
    deleteWhere: (db, name, cond) => [
      `ALTER TABLE ${q(db)}.${q(local(name))}${on} DELETE WHERE (${cond})`,
    ],
    createMaterializedView: (db, view, target, select) => [
      `CREATE MATERIALIZED VIEW ${q(db)}.${q(view)}${on} TO ${q(db)}.${q(local(target))} AS ${select}`,
    ],
  }
}

/**
 * Checks that `cluster` exists on the server and picks its layout: replicated when some shard has more than one
 * replica (`system.clusters`) and a coordination service answers (`system.zookeeper`).
 *
 * @throws {ServerError} `ERR_ENGINE_CLUSTER_UNAVAILABLE` when the server does not know the cluster, or has no
 *   coordination service (`ON CLUSTER` DDL needs one).
 */
export async function openClusterLayout(engine: Engine, cluster: string): Promise<TableLayout> {
  const r = await engine.query(
    `SELECT count() AS hosts, max(replica_num) AS replicas, uniqExact(shard_num) AS shards FROM system.clusters WHERE cluster = ${escapeString(cluster)}`,
    { format: 'JSONEachRow' },
  )
  const { hosts, replicas, shards } = JSON.parse(r.text()) as {
    hosts: number | string
    replicas: number | string
    shards: number | string
  }
  if (Number(hosts) === 0) {
    throw new ServerError(
      'ERR_ENGINE_CLUSTER_UNAVAILABLE',
      `The ClickHouse server has no cluster named '${cluster}' (see <remote_servers> in its config)`,
      { details: { cluster } },
    )
  }
  try {
    await engine.query(`SELECT count() AS n FROM system.zookeeper WHERE path = '/'`, {
      format: 'JSONEachRow',
    })
  } catch {
    throw new ServerError(
      'ERR_ENGINE_CLUSTER_UNAVAILABLE',
      `Cluster mode needs a coordination service (ZooKeeper or ClickHouse Keeper) for ON CLUSTER DDL, and the server has none configured`,
      { details: { cluster } },
    )
  }
  return clusterLayout(cluster, { replicated: Number(replicas) > 1, shards: Number(shards) })
}

/**
 * The parts of a plain `MergeTree` table (quarantine and service tables): `columns` are column definitions,
 * `clauses` what follows the engine (`ORDER BY` at least).
 */
export function mergeTreeParts(columns: readonly string[], clauses: readonly string[]): DdlParts {
  return {
    body: columns,
    plainColumns: columns,
    engine: (r) =>
      r === undefined
        ? 'MergeTree'
        : `ReplicatedMergeTree(${escapeString(r.path)}, ${escapeString(r.replica)})`,
    clauses,
    shardingKey: undefined,
  }
}
