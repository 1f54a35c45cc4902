/**
 * @module `createServer()`: the whole server wired together: engine, workspace, project, HTTP app and port.
 * Used by the CLI and by integration tests.
 */
import { join, resolve } from 'node:path'
import { pino, type Logger } from 'pino'
import { generateStaticToken, hashToken, JwtCache, systemClock, type Clock } from './auth/index.js'
import {
  ClickHouseCatalogStore,
  emptyApplyReport,
  FileCatalogStore,
  openClusterLayout,
  pipeStatsParts,
  Workspace,
  type ApplyProgress,
  type ApplyReport,
  type CatalogStore,
  type FixtureRenderer,
  type TableLayout,
} from './catalog/index.js'
import { readProject } from './datafiles/index.js'
import { applyChartFiles } from './charts/index.js'
import { lazyEngine, openChdbEngine, openClickHouseEngine, type Engine } from './engine/index.js'
import { ServerError } from './errors.js'
import { resolveClickHouseConnection, resolveDatabasePrefix } from './clickhouse-connection.js'
import { envVar as env } from './env.js'
import { createApp, DEFAULT_CONFIG, listen, type ServerConfig } from './api/index.js'
import { PipeStatsWriter } from './api/pipe-stats.js'
import { OpsLogWriter } from './api/ops-log.js'
import { JobRegistry } from './api/jobs.js'
import { jobsLogParts, opsLogParts, ttlSupported } from './catalog/index.js'
import { createMetrics } from './api/metrics.js'
import { startCopyScheduler } from './api/copy-scheduler.js'
import type { Hono } from 'hono'
import type { AppEnv } from './api/index.js'

/** Options of {@link createServer}. */
export interface CreateServerOptions {
  /** Data directory (engine files and `catalog.json`). Default `./.dunlin`. */
  dataDir?: string
  /**
   * A ClickHouse server to use instead of the embedded engine, e.g. `http://user:pass@host:8123`. Default
   * `DUNLIN_CLICKHOUSE_URL`, else the embedded engine in `dataDir`.
   */
  clickhouseUrl?: string
  /** ClickHouse user, overriding one in the URL. Default `DUNLIN_CLICKHOUSE_USER`. */
  clickhouseUser?: string
  /**
   * The ClickHouse user's password, overriding one in the URL. Default `DUNLIN_CLICKHOUSE_PASSWORD` (an
   * environment variable keeps it out of the process list, where command-line arguments show).
   */
  clickhousePassword?: string
  /** PEM file of the CA that signed an `https://` server's certificate. Default `DUNLIN_CLICKHOUSE_CA`. */
  clickhouseCa?: string
  /** PEM client certificate for mutual TLS (with `clickhouseKey` and `clickhouseCa`). Default `DUNLIN_CLICKHOUSE_CERT`. */
  clickhouseCert?: string
  /** PEM key of `clickhouseCert`. Default `DUNLIN_CLICKHOUSE_KEY`. */
  clickhouseKey?: string
  /**
   * Prefix of every database Dunlin creates: `<prefix>catalog`, `<prefix>sandbox` and a new workspace's
   * `<prefix><16 hex>`, so several deployments can share a server and grants can name them. Default
   * `DUNLIN_DATABASE_PREFIX`, else `dunlin_`. Existing workspaces keep their database.
   */
  databasePrefix?: string
  /**
   * Cluster mode on a ClickHouse server (`clickhouseUrl`): the name of a cluster in its `<remote_servers>`. DDL
   * runs `ON CLUSTER`; data sources become local tables on every shard behind `Distributed` tables. Default
   * `DUNLIN_CLUSTER`, else none.
   */
  cluster?: string
  /**
   * Where the catalog lives: `file` (`<dataDir>/catalog.json`, shared only by processes on this machine) or
   * `clickhouse` (a table on the server, shared by every process pointed at it). Default `DUNLIN_CATALOG`, else
   * `clickhouse` with a ClickHouse server and `file` with the embedded engine.
   */
  catalog?: 'file' | 'clickhouse'
  /** The catalog's name in a ClickHouse catalog: processes with the same name share one workspace. Default
   * `DUNLIN_WORKSPACE`, else `dunlin`. */
  workspaceName?: string
  /**
   * Base64 of the 32-byte key that seals token values in the catalog; every process sharing a catalog needs the
   * same one. Default `DUNLIN_SECRET_KEY`, else `<dataDir>/secret.key` (created on the first start).
   */
  secretKey?: string
  /**
   * The URL clients reach this server at, for links in responses (`job_url`, chart embeds, OpenAPI `servers`),
   * e.g. the load balancer's `https://analytics.example.com`. Default `DUNLIN_PUBLIC_URL`, else this process's
   * own `http://host:port`.
   */
  publicUrl?: string
  /** Project folder with `.datasource`/`.pipe` files to apply at start. */
  project?: string
  /** Port; 0 picks a free one; undefined does not listen (use `app.request`). Default undefined. */
  port?: number
  /** Interface to bind. Default `127.0.0.1`. */
  host?: string
  /** Recreate data sources whose change would drop data. Default false. */
  force?: boolean
  /** Populate materialized views created or changed by applying the project (Tinybird's `--populate`). Default false. */
  populate?: boolean
  /** Load project fixtures into empty data sources. Default true. */
  fixtures?: boolean
  config?: Partial<Omit<ServerConfig, 'auth' | 'limits' | 'ingest'>> & {
    auth?: Partial<ServerConfig['auth']>
    limits?: Partial<ServerConfig['limits']>
    ingest?: Partial<ServerConfig['ingest']>
  }
  logger?: Logger
  clock?: Clock
  onProgress?: (p: ApplyProgress) => void
}

/** A running server. */
export interface DunlinServer {
  readonly app: Hono<AppEnv>
  readonly workspace: Workspace
  readonly engine: Engine
  /** `http://host:port`, when listening. */
  readonly url: string | undefined
  readonly port: number | undefined
  /** True when this start created the workspace (and its admin token). */
  readonly firstStart: boolean
  /** What applying the project did, when a project was given. */
  readonly report: ApplyReport | undefined
  readonly config: ServerConfig
  /** Re-reads the project and applies it (the `dev` command's watch loop). */
  reload(opts?: { force?: boolean }): Promise<ApplyReport>
  /** Stops listening, waits for requests, closes the engine. Idempotent. */
  close(): Promise<void>
}

/** Reads and validates a project folder. @throws {ServerError} `ERR_DATAFILE_SYNTAX` with every diagnostic in `details`. */
export async function loadProject(
  dir: string,
): Promise<Awaited<ReturnType<typeof readProject>>['project']> {
  const { project, diagnostics } = await readProject(resolve(dir))
  const first = diagnostics[0]
  if (first !== undefined) {
    throw new ServerError(
      'ERR_DATAFILE_SYNTAX',
      `${first.file}:${first.line}:${first.column}: ${first.message}${diagnostics.length > 1 ? ` (and ${diagnostics.length - 1} more)` : ''}`,
      {
        details: { diagnostics },
      },
    )
  }
  return project
}

/**
 * Renders fixture SQL with the embedded file engine next to the project's files, as TSV with DateTimes as Unix
 * timestamps (so the server's time zone cannot shift them), for a remote server to insert.
 */
function localFixtureRenderer(fileEngine: Engine): FixtureRenderer {
  return async (sql) => {
    const r = await fileEngine.query(sql, {
      format: 'TSV',
      readonly: false,
      timeoutMs: 1_800_000,
      maxResultBytes: 0,
      settings: { date_time_output_format: 'unix_timestamp' },
    })
    return r.body
  }
}

/**
 * Starts Dunlin: opens the embedded engine in `dataDir`, opens (or creates) the workspace, applies the
 * project, and listens when `port` is given.
 *
 * @throws {ServerError} `ERR_DATAFILE_*` when the project does not apply; `ERR_INTERNAL` when the engine
 *   cannot open the data dir.
 */
export async function createServer(opts: CreateServerOptions = {}): Promise<DunlinServer> {
  const dataDir = resolve(opts.dataDir ?? '.dunlin')
  const config: ServerConfig = {
    ...DEFAULT_CONFIG,
    ...opts.config,
    auth: { ...DEFAULT_CONFIG.auth, ...opts.config?.auth },
    limits: { ...DEFAULT_CONFIG.limits, ...opts.config?.limits },
    ingest: { ...DEFAULT_CONFIG.ingest, ...opts.config?.ingest },
  }
  const log = opts.logger ?? pino({ level: env('DUNLIN_LOG_LEVEL') ?? 'info' })
  const clock = opts.clock ?? systemClock
  const databasePrefix = resolveDatabasePrefix(opts.databasePrefix)
  const connection = await resolveClickHouseConnection({
    url: opts.clickhouseUrl,
    user: opts.clickhouseUser,
    password: opts.clickhousePassword,
    caFile: opts.clickhouseCa,
    certFile: opts.clickhouseCert,
    keyFile: opts.clickhouseKey,
  })
  const remote = connection !== undefined
  const cluster = opts.cluster ?? env('DUNLIN_CLUSTER')
  if (cluster !== undefined && !remote) {
    throw new ServerError(
      'ERR_ENGINE_CLUSTER_UNAVAILABLE',
      'Cluster mode needs a ClickHouse server: pass --clickhouse-url with --cluster',
      { details: { cluster } },
    )
  }
  const engine = remote
    ? await openClickHouseEngine({
        url: connection.url,
        ...(connection.username !== undefined ? { username: connection.username } : {}),
        ...(connection.password !== undefined ? { password: connection.password } : {}),
        ...(connection.tls !== undefined ? { tls: connection.tls } : {}),
        sandboxDatabase: `${databasePrefix}sandbox`,
        ...(cluster !== undefined
          ? {
              settings: {
                insert_distributed_sync: 1,
                distributed_product_mode: 'global',
                // Push WHERE into subqueries, so shards filter before sending rows (the default from 19.x;
                // measured 10x on a filtered endpoint over 18.16, where Dunlin reads data sources as subqueries).
                enable_optimize_predicate_expression: 1,
              },
            }
          : {}),
      })
    : await openChdbEngine({ dataDir: join(dataDir, 'engine') })
  // What only this machine can read (fixture files, Parquet uploads) goes through an embedded engine.
  const fileEngine = remote
    ? lazyEngine('chdb', () => openChdbEngine({ dataDir: join(dataDir, 'files-engine') }))
    : engine
  let closed = false
  try {
    const layout: TableLayout | undefined =
      cluster === undefined ? undefined : await openClusterLayout(engine, cluster)
    const catalogKind = opts.catalog ?? env('DUNLIN_CATALOG') ?? (remote ? 'clickhouse' : 'file')
    const store: CatalogStore =
      catalogKind === 'clickhouse'
        ? await ClickHouseCatalogStore.open({
            engine,
            database: `${databasePrefix}catalog`,
            name: opts.workspaceName ?? env('DUNLIN_WORKSPACE') ?? 'dunlin',
            ...(cluster !== undefined ? { cluster } : {}),
          })
        : new FileCatalogStore(dataDir)
    const secretKey = opts.secretKey ?? env('DUNLIN_SECRET_KEY')
    const { workspace, firstStart } = await Workspace.open({
      dataDir,
      store,
      engine,
      codec: { generate: generateStaticToken, hash: hashToken },
      databasePrefix,
      ...(secretKey !== undefined ? { secretKey } : {}),
      ...(layout !== undefined ? { layout } : {}),
      ...(remote ? { renderFixture: localFixtureRenderer(fileEngine) } : {}),
    })
    const apply = async (force: boolean): Promise<ApplyReport | undefined> => {
      if (opts.project === undefined) return undefined
      const project = await loadProject(opts.project)
      const applied = await workspace.applyProject(project, {
        force,
        fixtures: opts.fixtures ?? true,
        populate: opts.populate ?? false,
        ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      })
      applied.warnings.push(...(await applyChartFiles(workspace, project.root)))
      return applied
    }
    const report = await apply(opts.force ?? false)
    const host = opts.host ?? '127.0.0.1'
    const publicHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host
    const fixedPublicUrl = opts.publicUrl ?? env('DUNLIN_PUBLIC_URL')
    let publicUrl = fixedPublicUrl ?? `http://${publicHost}:${opts.port ?? 7181}`
    const shutdownHooks: (() => Promise<void>)[] = []
    let pipeStats: PipeStatsWriter | undefined
    if (engine.capabilities.mapType) {
      await workspace.createServiceTable('pipe_stats_rt', pipeStatsParts())
      const writer = new PipeStatsWriter(engine, workspace.database, log)
      shutdownHooks.push(() => writer.flush())
      pipeStats = writer
    } else {
      log.warn(
        { version: engine.capabilities.version },
        'tinybird.pipe_stats_rt needs ClickHouse 21.1 or later (Map type); not recorded',
      )
    }
    // Portable types: recorded on every server; kept 7 days where the server has table TTL (19.6+).
    await workspace.createServiceTable(
      'datasources_ops_log',
      opsLogParts({ ttl: ttlSupported(engine.capabilities.version) }),
    )
    const opsLog = new OpsLogWriter(engine, workspace.database, workspace.info.id, log)
    shutdownHooks.push(() => opsLog.flush())
    await workspace.createServiceTable(
      'jobs_log',
      jobsLogParts({ ttl: ttlSupported(engine.capabilities.version) }),
    )
    const jobs = new JobRegistry(
      engine,
      workspace.database,
      workspace.info.id,
      () => publicUrl,
      log,
    )
    const logPopulates = (applied: ApplyReport | undefined): void => {
      for (const p of applied?.populated ?? []) {
        const pipe = workspace.pipe(p.pipe)
        opsLog.record({
          eventType: 'populateview',
          datasource: {
            id: workspace.datasource(p.datasource)?.id ?? p.datasource,
            name: p.datasource,
          },
          startedMs: p.startedMs,
          elapsedMs: p.elapsedMs,
          rows: p.rows,
          rowsQuarantine: 0,
          pipe: { id: pipe?.id ?? p.pipe, name: p.pipe },
        })
      }
    }
    logPopulates(report)
    const databases = (
      (await engine.query('SELECT name FROM system.databases', { format: 'JSON' })).json() as {
        data: { name: string }[]
      }
    ).data.map((d) => d.name)
    const deps = {
      protectedDatabases: databases,
      onShutdown: (hook: () => Promise<void>) => {
        shutdownHooks.push(hook)
      },
      workspace,
      engine,
      fileEngine,
      config,
      log,
      clock,
      jwtCache: new JwtCache({ maxEntries: 10_000 }),
      pipeStats,
      opsLog,
      jobs,
      metrics: createMetrics(),
      get publicUrl() {
        return publicUrl
      },
    }
    const app = createApp(deps)
    const copies = startCopyScheduler(deps)
    // A copy pipe another process deployed gets its schedule here too.
    workspace.onExternalChange(() => {
      copies.reschedule()
    })
    shutdownHooks.unshift(() => {
      copies.stop()
      return Promise.resolve()
    })
    const listening =
      opts.port === undefined ? undefined : await listen(app, { port: opts.port, host })
    if (listening && fixedPublicUrl === undefined)
      publicUrl = `http://${publicHost}:${listening.port}`
    return {
      app,
      workspace,
      engine,
      url: listening ? publicUrl : undefined,
      port: listening?.port,
      firstStart,
      report,
      config,
      reload: async (r = {}) => {
        const report = (await apply(r.force ?? false)) ?? emptyApplyReport()
        logPopulates(report)
        copies.reschedule()
        return report
      },
      close: async () => {
        if (closed) return
        closed = true
        await listening?.close()
        for (const hook of shutdownHooks) {
          try {
            await hook()
          } catch (e) {
            log.error({ err: e }, 'shutdown hook failed')
          }
        }
        await engine.close()
        if (fileEngine !== engine) await fileEngine.close()
      },
    }
  } catch (e) {
    await engine.close()
    if (fileEngine !== engine) await fileEngine.close()
    throw e
  }
}
