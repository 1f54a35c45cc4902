/** @module The CLI's commands, as functions (argv parsing lives in `main.ts`). */
import { resolve } from 'node:path'
import { SignJWT } from 'jose'
import cliProgress from 'cli-progress'
import {
  composePipe,
  type DatasourceEntry,
  type PipeEntry,
  type Resources,
} from '../catalog/index.js'
import { readProject, type Diagnostic } from '../datafiles/index.js'
import { checkChartFiles } from '../charts/index.js'
import { ServerError } from '../errors.js'
import { createServer, type DunlinServer } from '../server.js'
import type { ApplyProgress, ApplyReport } from '../catalog/index.js'
import { call, resolveTarget } from './http.js'
import { parseTtlSeconds } from './ttl.js'
import { watchProject } from './watch-project.js'
import { readAuthConfig } from './token-commands.js'

/** Where the CLI writes: stdout for results, stderr for progress and diagnostics. */
export interface Io {
  out(line: string): void
  err(line: string): void
  readonly isTty: boolean
}

export const processIo: Io = {
  out: (l) => process.stdout.write(`${l}\n`),
  err: (l) => process.stderr.write(`${l}\n`),
  isTty: process.stderr.isTTY,
}

/** Options of `start` and `dev`. */
export interface StartOptions {
  port: number
  host: string
  dataDir: string
  local: boolean
  force: boolean
  fixtures: boolean
  populate?: boolean
  /** Flags win over `configFile`; undefined means "not given". */
  authStatus?: 401 | 403
  leeway?: number
  /** JSON config file (`{ "auth": { … } }`, see docs/auth.md); read when it exists. */
  configFile: string
  maxTtl?: number
  clickhouseUrl?: string
  /** ClickHouse connection settings; see `CreateServerOptions`. The password comes from the environment only. */
  clickhouseUser?: string
  clickhouseCa?: string
  clickhouseCert?: string
  clickhouseKey?: string
  databasePrefix?: string
  /** Cluster mode: a cluster name of the ClickHouse server. */
  cluster?: string
  /** The URL clients reach the server at (a load balancer), for links in responses. */
  publicUrl?: string
  /** Run `COPY_SCHEDULE`s in this process. Default true. */
  copySchedules?: boolean
  /** Where the catalog lives (`file` or `clickhouse`). */
  catalog?: 'file' | 'clickhouse'
  /** The shared catalog's name. */
  workspaceName?: string
}

/** A progress reporter for fixture loads: a bar on a TTY, plain lines otherwise. */
function progressReporter(io: Io): { onProgress: (p: ApplyProgress) => void; stop: () => void } {
  const started = new Map<string, number>()
  let bar: cliProgress.SingleBar | undefined
  let timer: NodeJS.Timeout | undefined
  return {
    onProgress: (p) => {
      const ds = p.datasource ?? ''
      if (p.done === 0) {
        started.set(ds, performance.now())
        if (io.isTty) {
          bar = new cliProgress.SingleBar(
            {
              format: `  loading ${ds.padEnd(12)} [{bar}] {elapsed}s {rows} rows`,
              hideCursor: true,
              stream: process.stderr,
            },
            cliProgress.Presets.shades_classic,
          )
          bar.start(1, 0, { elapsed: '0.0', rows: '…' })
          const t0 = performance.now()
          timer = setInterval(
            () => bar?.update({ elapsed: ((performance.now() - t0) / 1000).toFixed(1) }),
            100,
          )
        } else {
          io.err(`loading fixture into ${ds}…`)
        }
        return
      }
      const secs = (performance.now() - (started.get(ds) ?? performance.now())) / 1000
      const rate = p.rows !== undefined && secs > 0 ? Math.round(p.rows / secs) : 0
      if (bar) {
        clearInterval(timer)
        bar.update(1, { elapsed: secs.toFixed(1), rows: (p.rows ?? 0).toLocaleString('en-US') })
        bar.stop()
        bar = undefined
      }
      io.err(
        `  ${ds}: ${(p.rows ?? 0).toLocaleString('en-US')} rows in ${secs.toFixed(1)} s (${rate.toLocaleString('en-US')} rows/s)`,
      )
    },
    stop: () => {
      clearInterval(timer)
      bar?.stop()
    },
  }
}

function printReport(io: Io, r: ApplyReport): void {
  const parts = [
    r.created.length ? `created ${r.created.join(', ')}` : '',
    r.altered.length ? `altered ${r.altered.join(', ')}` : '',
    r.recreated.length ? `recreated ${r.recreated.join(', ')}` : '',
    `${r.pipes.length} pipes`,
  ].filter(Boolean)
  io.err(`project applied: ${parts.join('; ')}`)
  for (const w of r.warnings) io.err(`warning: ${w}`)
}

/** Signs a Tinybird JWT with the workspace admin token (HS256). */
export async function signJwt(
  adminToken: string,
  payload: {
    workspaceId: string
    name: string
    ttlSeconds: number
    pipes: string[]
    fixedParams?: Record<string, string>
    rps?: number
  },
): Promise<string> {
  const exp = Math.floor(Date.now() / 1000) + payload.ttlSeconds
  const scopes = payload.pipes.map((p) => ({
    type: 'PIPES:READ',
    resource: p,
    ...(payload.fixedParams && Object.keys(payload.fixedParams).length > 0
      ? { fixed_params: payload.fixedParams }
      : {}),
  }))
  return new SignJWT({
    workspace_id: payload.workspaceId,
    name: payload.name,
    scopes,
    ...(payload.rps ? { limits: { rps: payload.rps } } : {}),
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setExpirationTime(exp)
    .sign(new TextEncoder().encode(adminToken))
}

/** Prints the URL, the admin token and ready curl lines after start. */
async function printWelcome(io: Io, srv: DunlinServer, opts: StartOptions): Promise<void> {
  const url = srv.url ?? ''
  const admin = srv.workspace.adminToken()
  const endpoint =
    srv.workspace.pipes.find((p) => p.name === 'top_airlines') ??
    srv.workspace.pipes.find((p) => p.def.nodes.some((n) => n.type === 'endpoint'))
  io.out('')
  io.out(
    `Dunlin is serving workspace ${srv.workspace.info.name} (${srv.workspace.info.id}) at ${url}`,
  )
  if (opts.local || srv.firstStart) {
    io.out(
      `Admin token${srv.firstStart ? ' (created now; keep it secret, it also signs JWTs)' : ''}:`,
    )
    io.out(`  ${admin}`)
  } else {
    io.out('Admin token: printed on the first start; start with --local to print it again')
  }
  if (endpoint !== undefined && (opts.local || srv.firstStart)) {
    const jwt = await signJwt(admin, {
      workspaceId: srv.workspace.info.id,
      name: 'welcome',
      ttlSeconds: 3600,
      pipes: [endpoint.name],
    })
    io.out('')
    io.out(`Read the ${endpoint.name} endpoint with the admin token:`)
    io.out(`  curl -H "Authorization: Bearer ${admin}" ${url}/v0/pipes/${endpoint.name}.json`)
    io.out(`With a JWT that may read only ${endpoint.name} (valid 1 hour):`)
    io.out(`  curl "${url}/v0/pipes/${endpoint.name}.json?token=${jwt}"`)
  }
  io.out('')
}

/** `dunlin start [project]` and `dunlin dev [project]`. Resolves when the server has stopped. */
export async function startCommand(
  project: string | undefined,
  opts: StartOptions,
  io: Io,
  watchFiles: boolean,
): Promise<void> {
  const progress = progressReporter(io)
  let srv: DunlinServer
  try {
    srv = await createServer({
      dataDir: opts.dataDir,
      ...(opts.clickhouseUrl !== undefined ? { clickhouseUrl: opts.clickhouseUrl } : {}),
      ...(opts.clickhouseUser !== undefined ? { clickhouseUser: opts.clickhouseUser } : {}),
      ...(opts.clickhouseCa !== undefined ? { clickhouseCa: opts.clickhouseCa } : {}),
      ...(opts.clickhouseCert !== undefined ? { clickhouseCert: opts.clickhouseCert } : {}),
      ...(opts.clickhouseKey !== undefined ? { clickhouseKey: opts.clickhouseKey } : {}),
      ...(opts.databasePrefix !== undefined ? { databasePrefix: opts.databasePrefix } : {}),
      ...(opts.cluster !== undefined ? { cluster: opts.cluster } : {}),
      ...(opts.publicUrl !== undefined ? { publicUrl: opts.publicUrl } : {}),
      ...(opts.catalog !== undefined ? { catalog: opts.catalog } : {}),
      ...(opts.workspaceName !== undefined ? { workspaceName: opts.workspaceName } : {}),
      ...(project !== undefined ? { project } : {}),
      port: opts.port,
      host: opts.host,
      force: opts.force,
      fixtures: opts.fixtures,
      populate: opts.populate ?? false,
      config: {
        local: opts.local,
        ...(opts.copySchedules === false ? { copySchedules: false } : {}),
        auth: {
          ...readAuthConfig(resolve(opts.configFile)),
          ...(opts.authStatus !== undefined ? { failureStatus: opts.authStatus } : {}),
          ...(opts.leeway !== undefined ? { leewaySeconds: opts.leeway } : {}),
          ...(opts.maxTtl !== undefined ? { maxTtlSeconds: opts.maxTtl } : {}),
        },
      },
      onProgress: progress.onProgress,
    })
  } finally {
    progress.stop()
  }
  if (srv.report) printReport(io, srv.report)
  await printWelcome(io, srv, opts)
  let stopWatching: (() => void) | undefined
  if (watchFiles && project !== undefined) {
    stopWatching = watchProject(resolve(project), async () => {
      try {
        printReport(io, await srv.reload({ force: opts.force }))
      } catch (e) {
        io.err(`error: ${e instanceof Error ? e.message : String(e)}`)
      }
    })
    io.err(`watching ${project} for datafile changes`)
  }
  await new Promise<void>((done) => {
    const stop = (): void => {
      io.err('shutting down…')
      stopWatching?.()
      void srv.close().then(done)
    }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
}

function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.column}: ${d.message}`
}

/**
 * `dunlin check [project]`: parses every datafile and composes every node in test mode, without an engine.
 *
 * @returns the process exit code: 0 when clean, 1 when any diagnostic was printed.
 */
export async function checkCommand(project: string, io: Io): Promise<number> {
  const { project: p, diagnostics } = await readProject(resolve(project))
  const problems = diagnostics.map(formatDiagnostic)
  const at = new Date().toISOString()
  const ds = new Map<string, DatasourceEntry>(
    p.datasources.map((d) => [
      d.name,
      { id: d.name, name: d.name, def: d, createdAt: at, updatedAt: at },
    ]),
  )
  const pipes = new Map<string, PipeEntry>(
    p.pipes.map((x) => [
      x.name,
      { id: x.name, name: x.name, def: x, createdAt: at, updatedAt: at },
    ]),
  )
  const res: Resources = {
    database: 'check',
    datasource: (n) =>
      ds.get(n) ?? (n.endsWith('_quarantine') ? ds.get(n.slice(0, -11)) : undefined),
    pipe: (n) => pipes.get(n),
  }
  for (const pipe of pipes.values()) {
    for (const node of pipe.def.nodes) {
      try {
        composePipe(res, pipe, {}, { testMode: true, nodeName: node.name })
      } catch (e) {
        if (!(e instanceof ServerError)) throw e
        const line =
          node.sqlLine + (typeof e.details?.['line'] === 'number' ? e.details['line'] - 1 : 0)
        const column = typeof e.details?.['column'] === 'number' ? e.details['column'] : 1
        problems.push(`${pipe.def.file}:${line}:${column}: ${e.message}`)
      }
    }
  }
  problems.push(...(await checkChartFiles(p.root, [...pipes.keys()])))
  for (const line of problems) io.err(line)
  if (problems.length === 0)
    io.out(`ok: ${p.datasources.length} data sources, ${p.pipes.length} pipes`)
  return problems.length === 0 ? 0 : 1
}

/** `dunlin sql "<query>"`: runs a query on a running server and prints the result. */
export async function sqlCommand(
  query: string,
  opts: { host?: string; token?: string; format: string },
  io: Io,
): Promise<void> {
  const target = await resolveTarget(opts)
  const res = await call(target, '/v0/sql', {
    method: 'POST',
    body: `${query.replace(/;\s*$/, '')} FORMAT ${opts.format}`,
    headers: { 'Content-Type': 'text/plain' },
  })
  io.out((await res.text()).trimEnd())
}

/** `dunlin token create jwt`: signs a JWT locally with the admin token of a running server's workspace. */
export async function tokenCreateJwtCommand(
  opts: {
    host?: string
    token?: string
    pipe: string[]
    ttl: string
    name: string
    fixedParam: string[]
    rps?: number
    /** Sign on the server with this named key (Token API `kid`); the CLI never holds key secrets. */
    kid?: string
  },
  io: Io,
): Promise<void> {
  const ttlSeconds = parseTtlSeconds(opts.ttl)
  const fixedParams: Record<string, string> = {}
  for (const kv of opts.fixedParam) {
    const i = kv.indexOf('=')
    if (i <= 0 || i === kv.length - 1)
      throw new Error(`Invalid --fixed-param '${kv}': use key=value with a non-empty value`)
    fixedParams[kv.slice(0, i)] = kv.slice(i + 1)
  }
  const target = await resolveTarget(opts)
  if (opts.kid !== undefined) {
    const exp = Math.floor(Date.now() / 1000) + ttlSeconds
    const fixed = Object.keys(fixedParams).length > 0 ? { fixed_params: fixedParams } : {}
    const res = await call(
      target,
      `/v0/tokens?expiration_time=${exp}&kid=${encodeURIComponent(opts.kid)}`,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          name: opts.name,
          scopes: opts.pipe.map((p) => ({ type: 'PIPES:READ', resource: p, ...fixed })),
          ...(opts.rps ? { limits: { rps: opts.rps } } : {}),
        }),
      },
    )
    io.out(((await res.json()) as { token: string }).token)
    return
  }
  const ws = (await (await call(target, '/v1/workspace')).json()) as { id: string }
  const token = await signJwt(target.token, {
    workspaceId: ws.id,
    name: opts.name,
    ttlSeconds,
    pipes: opts.pipe,
    fixedParams,
    ...(opts.rps ? { rps: opts.rps } : {}),
  })
  io.out(token)
}
