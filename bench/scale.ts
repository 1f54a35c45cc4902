/**
 * Scale benchmark: the endpoints of examples/flights that read `flights`, over the 3,000,000 real flights and the
 * same rows copied to 10× (30,000,000), on three setups measured in one run:
 *
 * - `chdb`: the embedded engine (the default `dunlin start`);
 * - `server`: one ClickHouse server (`--clickhouse-url`, Debian's 18.16 here);
 * - `cluster`: a two-shard ClickHouse cluster (`dunlin` = 2 shards × 1 replica, ZooKeeper for `ON CLUSTER` DDL),
 *   Dunlin started with `cluster: 'dunlin'` and its URL pointing at node 1.
 *
 * Each setup runs in its own child process (this script re-invoked with `--setup`; chdb allows one data dir per
 * process) against freshly started ClickHouse servers. Per setup: apply the project, load `flights` and `airports`
 * (chdb: Dunlin's own fixture load; remote: the fixture SELECTs evaluated by an embedded engine in the child and
 * shipped as TSV), grow the table in the engine (`INSERT … SELECT … ARRAY JOIN range(k)`, on each shard's local
 * table), merge every partition to one part (`OPTIMIZE … FINAL`) so background merges do not run during the
 * measurement, then for each endpoint: warm up, time 3 sequential HTTP reads (latency without contention), run N
 * closed-loop clients for S seconds against the same composed SQL through the raw engine, then over HTTP with a JWT.
 * Prints a table with ratios against the raw engine of the same setup and run; writes bench/results/scale.json.
 *
 * Usage: npx tsx bench/scale.ts --help
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { load, percentile, writeResult, type LoadResult } from './lib.js'

const ROOT = join(import.meta.dirname, '..')
const PROJECT = join(ROOT, 'examples', 'flights')
const BASE_ROWS = 3_000_000

/** The setups, in the order they run. */
const SETUPS = ['chdb', 'server', 'cluster'] as const
type Setup = (typeof SETUPS)[number]

/**
 * The endpoints that read `flights`, each with the parameters of a typical dashboard call. Together they cover a
 * full scan with a filter, full-scan group-bys, a sorting-key prefix (`origin`) and partition pruning (one month).
 */
const ENDPOINTS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  // Six months, flights in or out of ORD (`origin = x OR destination = x` cannot use the key): scan + join.
  airport_detail: { airport: 'ORD' },
  // Six months, every route: a full scan grouped by two keys.
  busiest_routes: {},
  // Six months out of ORD: the sorting key's prefix narrows the read.
  daily_flights: { origin: 'ORD' },
  // Six months, every airport: a full scan into 15-minute buckets.
  delay_distribution: {},
  // One month: partition pruning (toYYYYMM) reads about a sixth where the engine can derive it from toDate(date)
  // (not 18.x); quantileExact per origin.
  delays_by_origin: { start_date: '2001-03-01', end_date: '2001-03-31' },
}

const HELP = `Usage: npx tsx bench/scale.ts [options]

Runs the flights endpoints on chdb, one ClickHouse server and a two-shard cluster, at several data sizes, in one
run; writes bench/results/scale.json.

Options:
  --setups <list>      setups to run, in order (default chdb,server,cluster)
  --sizes <list>       data sizes as multiples of the 3,000,000 real flights, increasing, each a multiple of the
                       one before (default 1,10)
  --endpoints <list>   endpoints to measure (default ${Object.keys(ENDPOINTS).join(',')})
  --clients <n>        concurrent closed-loop clients per phase (default 4)
  --seconds <s>        seconds per phase; each endpoint and size has a raw and an HTTP phase (default 8)
  --serial <n>         sequential HTTP reads timed before the load phases (default 3)
  --base-port <port>   ClickHouse ports: HTTP <port> and <port>+1, TCP <port>+877.., ZooKeeper <port>+900
                       (default 38123)
  --data-dir <dir>     scratch directory, recreated per setup (default $TMPDIR/dunlin-bench-scale)
  --ch-setting <k=v>   a ClickHouse setting for every statement of the server and cluster setups, sent as a
                       ch_<k>=<v> parameter of the ClickHouse URL (repeatable), e.g.
                       --ch-setting enable_optimize_predicate_expression=1
  --result <name>      write bench/results/<name>.json (default scale)
  --no-write           print the results but do not write a results file
  --help               show this text

The whole default run takes about 10 minutes on a 2-core machine. The server and cluster setups need Debian's
clickhouse-server (and zookeeper for the cluster); missing ones are reported as skipped.`

const { values } = parseArgs({
  options: {
    setups: { type: 'string', default: SETUPS.join(',') },
    sizes: { type: 'string', default: '1,10' },
    endpoints: { type: 'string', default: Object.keys(ENDPOINTS).join(',') },
    clients: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '8' },
    serial: { type: 'string', default: '3' },
    'base-port': { type: 'string', default: '38123' },
    'data-dir': { type: 'string', default: join(tmpdir(), 'dunlin-bench-scale') },
    'ch-setting': { type: 'string', multiple: true, default: [] },
    result: { type: 'string', default: 'scale' },
    'no-write': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
    // Internal: the child process of one setup.
    setup: { type: 'string' },
    out: { type: 'string' },
    'node-urls': { type: 'string' },
  },
})

/** Parameters shared by the parent and its children. */
interface Params {
  readonly sizes: readonly number[]
  readonly endpoints: readonly string[]
  readonly clients: number
  readonly seconds: number
  readonly serial: number
}

/** One endpoint at one size on one setup. */
interface EndpointResult {
  readonly params: Readonly<Record<string, string>>
  /** Rows in the endpoint's answer, and rows the engine read for it (`statistics.rows_read` of one raw run). */
  readonly resultRows: number
  readonly rowsRead: number
  /** Median of the sequential HTTP reads, in milliseconds. */
  readonly serialMs: number
  readonly raw: LoadResult
  readonly http: LoadResult
  /** HTTP over raw: requests/s (higher is better) and p99 (lower is better). */
  readonly ratios: { readonly throughput: number; readonly p99: number }
}

/** One size on one setup. */
interface SizeResult {
  readonly multiplier: number
  readonly rows: number
  /** Time to grow the table to this size and to merge it, in seconds (0 for the first size). */
  readonly growSeconds: number
  readonly optimizeSeconds: number
  readonly endpoints: Record<string, EndpointResult | { readonly error: string }>
}

/** One line of the summary table. */
interface Row {
  readonly setup: Setup
  readonly rows: number
  readonly endpoint: string
  readonly serialMs: number
  readonly httpRps: number
  readonly httpP50Ms: number
  readonly httpP99Ms: number
  readonly rawRps: number
  readonly rawP99Ms: number
  readonly throughputRatio: number
  readonly p99Ratio: number
  readonly errors: number
}

/** What one child reports. */
interface SetupResult {
  readonly setup: Setup
  readonly engine: { readonly kind: string; readonly version: string; readonly ctes: boolean }
  readonly nodes: number
  /**
   * createServer (project applied; for chdb also its own fixture load) and, for remote setups, the load of
   * `flights` + `airports` shipped from the embedded engine, in seconds.
   */
  readonly startSeconds: number
  readonly loadSeconds: number
  readonly sizes: SizeResult[]
  /**
   * CPU time from the end of the load to the end of the setup (Linux): other processes' share is noise in every
   * figure of this setup.
   */
  readonly cpu?: CpuUse
}

/** CPU seconds over one setup: the machine's busy time, this setup's (its process and servers), the rest. */
interface CpuUse {
  readonly busySeconds: number
  readonly benchSeconds: number
  readonly otherSeconds: number
}

const round = (x: number, digits = 2): number => {
  const f = 10 ** digits
  return Math.round(x * f) / f
}
const list = (s: string): string[] =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '')

function readParams(): Params {
  const sizes = list(values.sizes).map(Number)
  for (const [i, m] of sizes.entries()) {
    const prev = i === 0 ? 1 : sizes[i - 1]!
    if (!Number.isInteger(m) || m < 1 || m % prev !== 0 || (i > 0 && m <= prev)) {
      throw new Error(
        `--sizes: ${values.sizes} must be increasing whole numbers, each a multiple of the last`,
      )
    }
  }
  const endpoints = list(values.endpoints)
  for (const e of endpoints) {
    if (!(e in ENDPOINTS)) throw new Error(`--endpoints: unknown endpoint ${e}`)
  }
  return {
    sizes,
    endpoints,
    clients: Number(values.clients),
    seconds: Number(values.seconds),
    serial: Number(values.serial),
  }
}

const log = (msg: string): void => {
  process.stderr.write(`[scale${values.setup === undefined ? '' : `:${values.setup}`}] ${msg}\n`)
}

// ---------------------------------------------------------------------------------------------------------------
// Child: one setup.

/** A statement runner on one engine node (the embedded engine, or one server's HTTP interface). */
interface Node {
  readonly name: string
  /** Runs a read, returning TSV text. */
  tsv(sql: string): Promise<string>
  /** Runs a statement. */
  run(sql: string): Promise<void>
}

/** A ClickHouse node by its HTTP interface (plain POST of the statement). */
function httpNode(url: string): Node {
  const post = async (sql: string): Promise<string> => {
    const res = await fetch(url, { method: 'POST', body: sql })
    const text = await res.text()
    if (!res.ok) throw new Error(`${url}: ${text.trim().slice(0, 500)}`)
    return text
  }
  return {
    name: url,
    tsv: (sql) => post(`${sql} FORMAT TSV`),
    run: async (sql) => {
      await post(sql)
    },
  }
}

const q = (name: string): string => `\`${name.replace(/`/g, '\\`')}\``
const s = (text: string): string => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`

/** USER_HZ: /proc reports CPU time in these ticks. */
const TICKS_PER_SECOND = 100

/** utime + stime + cutime + cstime of a process, in ticks (0 once it is gone). */
function processTicks(pid: string): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])
  } catch {
    return 0
  }
}

/**
 * CPU ticks so far: the machine's busy time (`/proc/stat`), and this setup's: this process plus the ClickHouse
 * servers listening on `ports` and their ZooKeeper. Undefined off Linux.
 */
function cpuTicks(ports: readonly number[]): { busy: number; bench: number } | undefined {
  if (!existsSync('/proc/stat')) return undefined
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = readFileSync(
    '/proc/stat',
    'utf8',
  )
    .split('\n')[0]!
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number)
  let bench = processTicks('self')
  const cmdline = (pid: string): string[] => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
    } catch {
      return []
    }
  }
  const pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d))
  const roots: string[] = []
  for (const pid of pids) {
    const args = cmdline(pid)
    const config = args.find((a) => a.startsWith('--config-file='))?.slice('--config-file='.length)
    if (config === undefined || args[0]?.endsWith('clickhouse-server') !== true) continue
    let text = ''
    try {
      text = readFileSync(config, 'utf8')
    } catch {
      continue
    }
    if (!ports.some((port) => text.includes(`<http_port>${port}</http_port>`))) continue
    bench += processTicks(pid)
    roots.push(dirname(dirname(config)))
  }
  for (const pid of pids) {
    if (cmdline(pid).some((a) => roots.some((r) => a === join(r, 'zk', 'zoo.cfg')))) {
      bench += processTicks(pid)
    }
  }
  return { busy: user + nice + system + irq + softirq + steal, bench }
}

/** Adds the `--ch-setting`s to a ClickHouse URL as `ch_<name>` parameters (the client sends them as settings). */
function withSettings(url: string): string {
  const u = new URL(url)
  for (const kv of values['ch-setting']) {
    const eq = kv.indexOf('=')
    if (eq < 1) throw new Error(`--ch-setting: expected name=value, got ${kv}`)
    u.searchParams.set(`ch_${kv.slice(0, eq)}`, kv.slice(eq + 1))
  }
  return u.toString()
}

async function runSetup(setup: Setup, p: Params): Promise<SetupResult> {
  const { pino } = await import('pino')
  const { SignJWT } = await import('jose')
  const { createServer } = await import('../packages/server/src/server.js')
  const { composePipe } = await import('../packages/server/src/catalog/index.js')
  const { openChdbEngine } = await import('../packages/server/src/engine/index.js')

  const dataDir = resolve(values['data-dir'], setup)
  rmSync(dataDir, { recursive: true, force: true })
  mkdirSync(dataDir, { recursive: true })
  const nodeUrls = list(values['node-urls'] ?? '')
  const remote = setup !== 'chdb'
  if (remote && nodeUrls.length === 0) throw new Error('--node-urls is required for remote setups')
  let t0 = performance.now()
  const srv = await createServer({
    dataDir,
    project: PROJECT,
    port: 0,
    logger: pino({ level: 'warn' }),
    // chdb loads the fixtures itself; remote setups get the two tables this bench reads, shipped below.
    fixtures: !remote,
    // Slow phases at 30M rows must show as latency, not as 408s.
    config: { limits: { queryTimeoutMs: 300_000 } },
    // Remote: node 1's URL; cluster mode spreads the data sources over `dunlin`'s shards from there.
    ...(remote ? { clickhouseUrl: withSettings(nodeUrls[0]!) } : {}),
    ...(setup === 'cluster' ? { cluster: 'dunlin' } : {}),
  })
  const startSeconds = round((performance.now() - t0) / 1000)
  try {
    const ws = srv.workspace
    const db = ws.database
    const engine = srv.engine
    const nodes: Node[] = remote
      ? nodeUrls.slice(0, setup === 'cluster' ? nodeUrls.length : 1).map(httpNode)
      : [
          {
            name: 'chdb',
            tsv: async (sql) =>
              (
                await engine.query(sql, { format: 'TSV', readonly: false, timeoutMs: 600_000 })
              ).text(),
            run: (sql) => engine.command(sql, { timeoutMs: 1_800_000 }),
          },
        ]

    // The table that holds each node's rows: `flights` itself, or the local table under a Distributed one.
    const engineFull = (
      await nodes[0]!.tsv(
        `SELECT engine_full FROM system.tables WHERE database = ${s(db)} AND name = 'flights'`,
      )
    ).trim()
    const distributed =
      /^Distributed\(\s*'?[^,']+'?\s*,\s*'?([^,']+?)'?\s*,\s*'?([^,')]+?)'?\s*[,)]/.exec(engineFull)
    if (setup === 'cluster' && distributed === null) {
      throw new Error(
        `flights is ${engineFull.split('(')[0] ?? '?'}, not Distributed: this build's createServer ignores the cluster option`,
      )
    }
    const local = distributed
      ? `${q(distributed[1]!)}.${q(distributed[2]!)}`
      : `${q(db)}.${q('flights')}`
    const columns = ws.datasource('flights')!.def.columns.map((c) => q(c.name))

    t0 = performance.now()
    if (remote) {
      // Evaluate the fixture SELECTs with an embedded engine here, ship the rows as TSV (18.x reads no Parquet).
      const loader = await openChdbEngine({ dataDir: join(dataDir, 'loader') })
      try {
        for (const name of ['airports', 'flights']) {
          const file = join(PROJECT, 'fixtures', `${name}.sql`)
          const sql = readFileSync(file, 'utf8')
            .trim()
            .replace(/;\s*$/, '')
            .replace(
              /\bfile\(\s*'((?:\.\.?\/)[^']*)'/g,
              (_m, rel: string) => `file(${s(resolve(dirname(file), rel))}`,
            )
          const tsv = await loader.query(sql, {
            format: 'TSV',
            readonly: false,
            timeoutMs: 600_000,
            maxResultBytes: 4 * 2 ** 30,
          })
          await engine.insert(`${db}.${name}`, tsv.body, 'TSV', {
            settings: { insert_distributed_sync: 1 },
          })
        }
      } finally {
        await loader.close()
      }
    }
    const loadSeconds = round((performance.now() - t0) / 1000)
    const ports = nodeUrls.map((u) => Number(new URL(u).port))
    const cpuStart = cpuTicks(ports)
    const count = async (): Promise<number> =>
      Number(
        (
          (
            await engine.query(`SELECT count() AS n FROM ${q(db)}.flights`, { format: 'JSON' })
          ).json() as {
            data: [{ n: number | string }]
          }
        ).data[0].n,
      )
    log(
      `started in ${startSeconds} s, loaded ${(await count()).toLocaleString('en-US')} rows in ${loadSeconds} s`,
    )

    const token = await new SignJWT({
      workspace_id: ws.info.id,
      name: 'bench_scale',
      scopes: p.endpoints.map((e) => ({ type: 'PIPES:READ', resource: e })),
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setExpirationTime(Math.floor(Date.now() / 1000) + 6 * 3600)
      .sign(new TextEncoder().encode(ws.adminToken()))

    /** Merges every partition of every table of the workspace to one part, on every node, and waits for it. */
    const optimize = async (): Promise<void> => {
      const dbs = [...new Set([db, ...(distributed ? [distributed[1]!] : [])])].map(s).join(', ')
      for (const node of nodes) {
        for (let attempt = 0; attempt < 20; attempt++) {
          const pending = (
            await node.tsv(
              `SELECT database, table, partition_id FROM system.parts WHERE active AND database IN (${dbs}) GROUP BY database, table, partition_id HAVING count() > 1`,
            )
          )
            .split('\n')
            .filter((l) => l !== '')
            .map((l) => l.split('\t') as [string, string, string])
          const merging = Number(
            (await node.tsv(`SELECT count() FROM system.merges WHERE database IN (${dbs})`)).trim(),
          )
          if (pending.length === 0 && merging === 0) break
          for (const [d, t, part] of pending) {
            await node.run(`OPTIMIZE TABLE ${q(d)}.${q(t)} PARTITION ID ${s(part)} FINAL`)
          }
          if (pending.length === 0) await new Promise((r) => setTimeout(r, 500))
        }
      }
    }

    const sizes: SizeResult[] = []
    let current = 1
    for (const multiplier of p.sizes) {
      let growSeconds = 0
      if (multiplier > current) {
        t0 = performance.now()
        const copies = multiplier / current - 1
        for (const node of nodes) {
          await node.run(
            `INSERT INTO ${local} (${columns.join(', ')}) SELECT ${columns.join(', ')} FROM ${local} ARRAY JOIN range(${copies}) AS _copy`,
          )
        }
        growSeconds = round((performance.now() - t0) / 1000)
        current = multiplier
      }
      t0 = performance.now()
      await optimize()
      const optimizeSeconds = round((performance.now() - t0) / 1000)
      const rows = await count()
      if (rows !== BASE_ROWS * multiplier) {
        throw new Error(`flights has ${rows} rows, expected ${BASE_ROWS * multiplier}`)
      }
      log(
        `${rows.toLocaleString('en-US')} rows (grown in ${growSeconds} s, merged in ${optimizeSeconds} s)`,
      )
      const endpoints: SizeResult['endpoints'] = {}
      for (const name of p.endpoints) {
        const params = ENDPOINTS[name]!
        try {
          const { sql } = composePipe(ws, ws.pipe(name)!, params)
          const url = `${srv.url!}/v0/pipes/${name}.json?${new URLSearchParams({ ...params, token }).toString()}`
          const read = async (): Promise<boolean> => {
            const res = await fetch(url)
            await res.arrayBuffer()
            return res.status === 200
          }
          const rawRead = (): ReturnType<typeof engine.query> =>
            engine.query(sql, { format: 'JSON', timeoutMs: 300_000 })
          const first = await rawRead()
          const body = first.json() as { rows: number; statistics?: { rows_read?: number } }
          const res = await fetch(url)
          if (res.status !== 200)
            throw new Error(`HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`)
          await res.arrayBuffer()
          const serial: number[] = []
          for (let i = 0; i < p.serial; i++) {
            const t = performance.now()
            await read()
            serial.push(performance.now() - t)
          }
          serial.sort((a, b) => a - b)
          const raw = await load(p.clients, p.seconds, async () => {
            await rawRead()
            return true
          })
          const http = await load(p.clients, p.seconds, read)
          const result: EndpointResult = {
            params,
            resultRows: body.rows,
            rowsRead: body.statistics?.rows_read ?? first.rowsRead,
            serialMs: round(percentile(serial, 50), 1),
            raw,
            http,
            ratios: { throughput: round(http.rps / raw.rps), p99: round(http.p99Ms / raw.p99Ms) },
          }
          endpoints[name] = result
          log(
            `${name}: serial ${result.serialMs} ms; raw ${raw.rps} req/s p99 ${raw.p99Ms} ms; http ${http.rps} req/s p99 ${http.p99Ms} ms (${http.errors} errors); ${result.ratios.throughput}× / ${result.ratios.p99}×`,
          )
        } catch (e) {
          endpoints[name] = { error: e instanceof Error ? e.message : String(e) }
          log(`${name}: failed: ${endpoints[name].error}`)
        }
      }
      sizes.push({ multiplier, rows, growSeconds, optimizeSeconds, endpoints })
    }
    const cpuEnd = cpuTicks(ports)
    let cpu: CpuUse | undefined
    if (cpuStart !== undefined && cpuEnd !== undefined) {
      const busySeconds = round((cpuEnd.busy - cpuStart.busy) / TICKS_PER_SECOND, 1)
      const benchSeconds = round((cpuEnd.bench - cpuStart.bench) / TICKS_PER_SECOND, 1)
      cpu = {
        busySeconds,
        benchSeconds,
        otherSeconds: round(Math.max(0, busySeconds - benchSeconds), 1),
      }
    }
    return {
      setup,
      ...(cpu === undefined ? {} : { cpu }),
      engine: {
        kind: engine.kind,
        version: engine.capabilities.version,
        ctes: engine.capabilities.ctes,
      },
      nodes: nodes.length,
      startSeconds,
      loadSeconds,
      sizes,
    }
  } finally {
    await srv.close()
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Parent: start the engines, run one child per setup, gather and compare.

/** Runs this script as a child for one setup; resolves its result, or its error text. */
async function runChild(
  setup: Setup,
  nodeUrls: readonly string[],
): Promise<SetupResult | { setup: Setup; error: string }> {
  const out = join(values['data-dir'], `${setup}.result.json`)
  rmSync(out, { force: true })
  const args = [
    ...process.execArgv,
    import.meta.filename,
    '--setup',
    setup,
    '--out',
    out,
    '--node-urls',
    nodeUrls.join(','),
    '--sizes',
    values.sizes,
    '--endpoints',
    values.endpoints,
    '--clients',
    values.clients,
    '--seconds',
    values.seconds,
    '--serial',
    values.serial,
    '--data-dir',
    values['data-dir'],
    ...values['ch-setting'].flatMap((kv) => ['--ch-setting', kv]),
  ]
  const code = await new Promise<number>((done) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] })
    child.on('exit', (c) => {
      done(c ?? 1)
    })
  })
  if (code === 0 && existsSync(out)) return JSON.parse(readFileSync(out, 'utf8')) as SetupResult
  const error = existsSync(out)
    ? (JSON.parse(readFileSync(out, 'utf8')) as { error: string }).error
    : `child exited with code ${code}`
  return { setup, error }
}

async function parent(p: Params): Promise<void> {
  const { hasClickHouseServer, hasZooKeeper, startClickHouse } =
    await import('../packages/server/test/helpers/clickhouse.js')
  const setups = list(values.setups)
  for (const x of setups) {
    if (!(SETUPS as readonly string[]).includes(x)) throw new Error(`--setups: unknown setup ${x}`)
  }
  mkdirSync(values['data-dir'], { recursive: true })
  const basePort = Number(values['base-port'])
  // Other work on the machine skews every figure: record the 1-minute load average before the run (after it, the
  // figure mostly counts this bench's own engine threads).
  const loadBefore = round(loadavg()[0]!)
  const started = performance.now()
  const results: (SetupResult | { setup: Setup; error: string })[] = []
  for (const setup of setups as Setup[]) {
    const t0 = performance.now()
    if (setup !== 'chdb' && !hasClickHouseServer) {
      results.push({ setup, error: 'skipped: /usr/sbin/clickhouse-server is not installed' })
      continue
    }
    if (setup === 'cluster' && !hasZooKeeper) {
      results.push({ setup, error: 'skipped: ZooKeeper is not installed' })
      continue
    }
    log(`${setup}: starting`)
    // Fresh servers per remote setup: no state, cache or catalog carried from the setup before.
    const ch =
      setup === 'chdb' ? undefined : startClickHouse(basePort, { zookeeper: setup === 'cluster' })
    let note = ''
    try {
      const r = await runChild(setup, ch ? [ch.url, ch.url2] : [])
      if (!('error' in r) && r.cpu !== undefined) {
        note = `; other processes used ${r.cpu.otherSeconds} of ${r.cpu.busySeconds} busy CPU-seconds`
      }
      results.push(r)
    } finally {
      ch?.stop()
    }
    log(`${setup}: done in ${round((performance.now() - t0) / 1000, 0)} s${note}`)
  }
  const wallSeconds = round((performance.now() - started) / 1000, 0)
  const loadAverage = { before: loadBefore, after: round(loadavg()[0]!) }

  // The table: one row per setup, size and endpoint.
  const table: Row[] = []
  for (const r of results) {
    if ('error' in r) continue
    for (const size of r.sizes) {
      for (const [endpoint, e] of Object.entries(size.endpoints)) {
        if ('error' in e) continue
        table.push({
          setup: r.setup,
          rows: size.rows,
          endpoint,
          serialMs: e.serialMs,
          httpRps: e.http.rps,
          httpP50Ms: e.http.p50Ms,
          httpP99Ms: e.http.p99Ms,
          rawRps: e.raw.rps,
          rawP99Ms: e.raw.p99Ms,
          throughputRatio: e.ratios.throughput,
          p99Ratio: e.ratios.p99,
          errors: e.http.errors + e.raw.errors,
        })
      }
    }
  }
  // How cost grows with size (largest over smallest, per setup and endpoint), and what the cluster buys
  // against one server (same endpoint and size).
  const find = (setup: string, rows: number, endpoint: string): Row | undefined =>
    table.find((t) => t.setup === setup && t.rows === rows && t.endpoint === endpoint)
  const growth: Record<string, string | number>[] = []
  const [smallest, largest] = [p.sizes[0]! * BASE_ROWS, p.sizes[p.sizes.length - 1]! * BASE_ROWS]
  if (largest > smallest) {
    for (const r of results) {
      for (const endpoint of p.endpoints) {
        const a = find(r.setup, smallest, endpoint)
        const b = find(r.setup, largest, endpoint)
        if (a === undefined || b === undefined) continue
        growth.push({
          setup: r.setup,
          endpoint,
          dataRatio: largest / smallest,
          serialMsRatio: round(b.serialMs / a.serialMs),
          httpRpsRatio: round(b.httpRps / a.httpRps),
          httpP99Ratio: round(b.httpP99Ms / a.httpP99Ms),
        })
      }
    }
  }
  const clusterVsServer: Record<string, string | number>[] = []
  for (const multiplier of p.sizes) {
    for (const endpoint of p.endpoints) {
      const a = find('server', multiplier * BASE_ROWS, endpoint)
      const b = find('cluster', multiplier * BASE_ROWS, endpoint)
      if (a === undefined || b === undefined) continue
      clusterVsServer.push({
        rows: multiplier * BASE_ROWS,
        endpoint,
        serialMsRatio: round(b.serialMs / a.serialMs),
        httpRpsRatio: round(b.httpRps / a.httpRps),
        httpP99Ratio: round(b.httpP99Ms / a.httpP99Ms),
      })
    }
  }

  const cols: (keyof Row)[] = [
    'setup',
    'rows',
    'endpoint',
    'serialMs',
    'httpRps',
    'httpP99Ms',
    'rawRps',
    'rawP99Ms',
    'throughputRatio',
    'p99Ratio',
    'errors',
  ]
  process.stderr.write(`\n${cols.join('\t')}\n`)
  for (const row of table) process.stderr.write(`${cols.map((c) => String(row[c])).join('\t')}\n`)
  for (const r of results) if ('error' in r) process.stderr.write(`${r.setup}: ${r.error}\n`)
  process.stderr.write(
    `\nwall time ${wallSeconds} s; 1-minute load average ${loadAverage.before} before, ${loadAverage.after} after\n`,
  )

  const result = {
    params: {
      ...p,
      baseRows: BASE_ROWS,
      endpointParams: ENDPOINTS,
      setups,
      clickhouseSettings: values['ch-setting'],
    },
    wallSeconds,
    loadAverage,
    table,
    growth,
    clusterVsServer,
    setups: results,
  }
  console.log(JSON.stringify({ wallSeconds, table, growth, clusterVsServer }))
  if (!values['no-write']) log(`written ${writeResult(values.result, result)}`)
}

// ---------------------------------------------------------------------------------------------------------------

if (values.help) {
  console.log(HELP)
} else if (values.setup === undefined) {
  await parent(readParams())
} else {
  const setup = values.setup as Setup
  const out = values.out
  if (out === undefined) throw new Error('--out is required with --setup')
  const { writeFileSync } = await import('node:fs')
  try {
    writeFileSync(out, JSON.stringify(await runSetup(setup, readParams())))
  } catch (e) {
    writeFileSync(out, JSON.stringify({ error: e instanceof Error ? e.message : String(e) }))
    log(`failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`)
    process.exitCode = 1
  }
}
