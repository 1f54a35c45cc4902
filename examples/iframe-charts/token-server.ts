/**
 * @module The seeds' iframe + JWT flow in TypeScript: a token server (`GET /generate-token` → `{ token }`)
 * that also serves two pages embedding a Dunlin chart: `index.html`, the seed's page verbatim in substance,
 * and `renewing.html`, which uses `connectChartFrames` so the chart survives token expiry without a reload.
 *
 * Shows: signing a Tinybird JWT (HS256 with the admin token, `PIPES:READ` on one pipe) and embedding a chart.
 * Needs: a Dunlin server (`npm start`, http://localhost:7181). Run: `npx tsx examples/iframe-charts/token-server.ts`.
 *
 * Environment: `DUNLIN_URL` or `DUNLIN_HOST` (default http://localhost:7181), `TINYBIRD_SIGNING_KEY` (or
 * `DUNLIN_SIGNING_TOKEN`) and `TINYBIRD_WORKSPACE` (or `DUNLIN_WORKSPACE_ID`) (default: read from a local
 * Dunlin's `/tokens` and `/v1/workspace`), `PIPE` (default top_airlines),
 * `CHART_ID` (default: the pipe's first chart), `TOKEN_TTL_SECONDS` (default 172800, the seed's 48 h),
 * `PORT` (default 5151).
 */
import { readFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build } from 'esbuild'
import { SignJWT } from 'jose'

/** Options of {@link startTokenServer}; every field has an environment default (see the module doc). */
export interface TokenServerOptions {
  /** Dunlin's base URL, as the browser reaches it. */
  readonly dunlinUrl: string
  /** The JWT signing key (Dunlin's or Tinybird's admin token). Default: a local Dunlin's `/tokens`. */
  readonly signingKey?: string
  /** The workspace id for the `workspace_id` claim. Default: `GET /v1/workspace`. */
  readonly workspaceId?: string
  /** The pipe whose chart the pages embed. */
  readonly pipe: string
  /** The chart id. Default: the pipe's first chart. */
  readonly chartId?: string
  /** Lifetime of the tokens, in seconds. `/generate-token?ttl=` may ask for less. */
  readonly ttlSeconds: number
  /** Port; 0 for any free port. */
  readonly port: number
  readonly host?: string
}

/** A running token server. */
export interface TokenServer {
  readonly url: string
  readonly chartId: string
  close(): Promise<void>
}

const HERE = fileURLToPath(new URL('.', import.meta.url))

async function getJson(url: string, token: string): Promise<Record<string, unknown>> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } })
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status}: ${await res.text()}`)
  return (await res.json()) as Record<string, unknown>
}

/** The signing key and workspace id: from the options, or from a local Dunlin (`--local` mode). */
async function resolveIdentity(
  opts: TokenServerOptions,
): Promise<{ signingKey: string; workspaceId: string }> {
  let signingKey = opts.signingKey
  if (signingKey === undefined) {
    const res = await fetch(`${opts.dunlinUrl}/tokens`)
    if (!res.ok) {
      throw new Error(
        `Set TINYBIRD_SIGNING_KEY, or start Dunlin in local mode (npm start) so ${opts.dunlinUrl}/tokens answers`,
      )
    }
    signingKey = ((await res.json()) as { admin_token: string }).admin_token
  }
  const workspaceId =
    opts.workspaceId ?? String((await getJson(`${opts.dunlinUrl}/v1/workspace`, signingKey))['id'])
  return { signingKey, workspaceId }
}

/** Signs the seed's JWT: `workspace_id`, `name`, `exp`, and `PIPES:READ` on one pipe. */
function generateJwt(
  key: { signingKey: string; workspaceId: string },
  pipe: string,
  ttlSeconds: number,
): Promise<string> {
  return new SignJWT({
    workspace_id: key.workspaceId,
    name: 'charts_token',
    scopes: [{ type: 'PIPES:READ', resource: pipe }],
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(new TextEncoder().encode(key.signingKey))
}

/** `connectChartFrames` from `@dunlin/client`, bundled for the browser (an app would use its bundler). */
async function bundleHelper(): Promise<string> {
  const out = await build({
    stdin: {
      contents: "export { connectChartFrames } from './connect-chart-frames.js'",
      resolveDir: fileURLToPath(new URL('../../packages/client/src/charts/', import.meta.url)),
      loader: 'ts',
    },
    bundle: true,
    format: 'iife',
    globalName: 'DunlinClient',
    target: 'es2020',
    write: false,
  })
  return out.outputFiles[0]?.text ?? ''
}

/**
 * Starts the token server and resolves the chart to embed.
 *
 * @throws {Error} When the signing key cannot be found or the pipe has no chart.
 */
export async function startTokenServer(opts: TokenServerOptions): Promise<TokenServer> {
  const key = await resolveIdentity(opts)
  let chartId = opts.chartId
  if (chartId === undefined) {
    const list = await getJson(
      `${opts.dunlinUrl}/v0/pipes/${encodeURIComponent(opts.pipe)}/endpoint/charts`,
      await generateJwt(key, opts.pipe, 60),
    )
    const first = (list['charts'] as { id: string }[] | undefined)?.[0]
    if (first === undefined) throw new Error(`Pipe '${opts.pipe}' has no chart: add a .chart file`)
    chartId = first.id
  }
  const iframeBaseUrl = `${opts.dunlinUrl}/endpoints/${encodeURIComponent(opts.pipe)}/charts/${chartId}?token=`
  const helper = await bundleHelper()
  const page = async (name: string): Promise<string> =>
    (await readFile(`${HERE}public/${name}`, 'utf8')).replaceAll(
      '__IFRAME_BASE_URL__',
      iframeBaseUrl,
    )

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const send = (status: number, type: string, body: string): void => {
      res.writeHead(status, { 'content-type': type, 'access-control-allow-origin': '*' })
      res.end(body)
    }
    if (url.pathname === '/generate-token') {
      const asked = Number(url.searchParams.get('ttl') ?? opts.ttlSeconds)
      const ttl =
        Number.isFinite(asked) && asked > 0 ? Math.min(asked, opts.ttlSeconds) : opts.ttlSeconds
      send(
        200,
        'application/json',
        JSON.stringify({ token: await generateJwt(key, opts.pipe, ttl) }),
      )
    } else if (url.pathname === '/' || url.pathname === '/index.html') {
      send(200, 'text/html; charset=utf-8', await page('index.html'))
    } else if (url.pathname === '/renewing.html') {
      send(200, 'text/html; charset=utf-8', await page('renewing.html'))
    } else if (url.pathname === '/dunlin-client.js') {
      send(200, 'text/javascript; charset=utf-8', helper)
    } else if (url.pathname === '/favicon.ico') {
      res.writeHead(204).end()
    } else {
      send(404, 'text/plain', 'not found')
    }
  }
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err))
    })
  })
  await new Promise<void>((resolve) => server.listen(opts.port, opts.host ?? '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    chartId,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((err) => {
          if (err) reject(err)
          else resolve()
        })
      }),
  }
}

/** Reads the options from the environment. */
export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): TokenServerOptions {
  const first = (...names: string[]): string | undefined =>
    names.map((n) => env[n]).find((v) => v !== undefined && v !== '')
  const signingKey = first('TINYBIRD_SIGNING_KEY', 'DUNLIN_SIGNING_TOKEN', 'TINYBIRD_SIGNING_TOKEN')
  const workspaceId = first('TINYBIRD_WORKSPACE', 'DUNLIN_WORKSPACE_ID')
  const chartId = first('CHART_ID')
  return {
    dunlinUrl: (first('DUNLIN_URL', 'DUNLIN_HOST') ?? 'http://localhost:7181').replace(/\/$/, ''),
    ...(signingKey !== undefined ? { signingKey } : {}),
    ...(workspaceId !== undefined ? { workspaceId } : {}),
    pipe: first('PIPE') ?? 'top_airlines',
    ...(chartId !== undefined ? { chartId } : {}),
    ttlSeconds: Number(first('TOKEN_TTL_SECONDS') ?? 48 * 3600),
    port: Number(first('PORT') ?? 5151),
  }
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href
if (invokedDirectly) {
  const srv = await startTokenServer(optionsFromEnv())
  console.log(
    `token server: ${srv.url.replace('127.0.0.1', 'localhost')}/ (seed page), /renewing.html, /generate-token`,
  )
  const stop = (): void => {
    void srv.close().then(() => process.exit(0))
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}
