/**
 * examples/server-rendered-token — seed 003 (Portive's two ways to hand a browser an auth token) on Dunlin:
 *
 * - `/server-rendered`: the server signs a 1-day JWT while rendering the page and writes it into the HTML
 *   (Portive's `getServerSideProps`); the browser gives `createClient` that string.
 * - `/on-demand`: the page carries no token; `GET /api/get-auth-token` mints a 1-minute JWT per call (Portive's
 *   API route, here `createTokenHandler`), and the browser gives `createClient` an async function calling it,
 *   so the client fetches a new token before each one expires.
 *
 * Both pages render with React and `@dunlin/client/react` (`usePipe` every REFRESH_MS). The signing key never
 * reaches the browser.
 *
 * Run from this folder: `node --import tsx server.ts` (against `npm start`'s server on http://127.0.0.1:7181;
 * the admin token comes from its local-mode `/tokens` route when DUNLIN_SIGNING_TOKEN is not set). Needs the
 * built client (`npm run build -w @dunlin/client`); the page is bundled with esbuild at startup.
 *
 * Env: DUNLIN_HOST, DUNLIN_SIGNING_TOKEN, DUNLIN_WORKSPACE_ID, PORT (default 3003, 0 = any free port), PIPE
 * (default top_airlines), RENDERED_TTL (default 1d), ON_DEMAND_TTL (default 1m), REFRESH_MS (default 5000).
 */
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createJWT, createTokenHandler } from '@dunlin/client'
import type { ExpiresIn } from '@dunlin/client'
import { build } from 'esbuild'

const env = process.env
const DUNLIN_HOST = (env['DUNLIN_HOST'] ?? 'http://127.0.0.1:7181').replace(/\/+$/, '')
const PORT = Number(env['PORT'] ?? 3003)
const PIPE = env['PIPE'] ?? 'top_airlines'
const ttl = (value: string | undefined, fallback: ExpiresIn): ExpiresIn =>
  value === undefined ? fallback : /^\d+$/.test(value) ? Number(value) : (value as ExpiresIn)
const RENDERED_TTL = ttl(env['RENDERED_TTL'], '1d')
const ON_DEMAND_TTL = ttl(env['ON_DEMAND_TTL'], '1m')
const REFRESH_MS = Number(env['REFRESH_MS'] ?? 5000)

/** The admin token and workspace id: from the env, or from a local-mode Dunlin (`npm start`). */
async function dunlinCredentials(): Promise<{ key: string; workspaceId: string }> {
  let key = env['DUNLIN_SIGNING_TOKEN'] ?? env['TINYBIRD_SIGNING_TOKEN']
  if (key === undefined) {
    const res = await fetch(`${DUNLIN_HOST}/tokens`)
    if (!res.ok)
      throw new Error(`GET ${DUNLIN_HOST}/tokens answered ${res.status}: set DUNLIN_SIGNING_TOKEN`)
    key = ((await res.json()) as { admin_token: string }).admin_token
  }
  let workspaceId = env['DUNLIN_WORKSPACE_ID'] ?? env['TINYBIRD_WORKSPACE']
  if (workspaceId === undefined) {
    const res = await fetch(`${DUNLIN_HOST}/v1/workspace`, {
      headers: { authorization: `Bearer ${key}` },
    })
    if (!res.ok) throw new Error(`GET ${DUNLIN_HOST}/v1/workspace answered ${res.status}`)
    workspaceId = ((await res.json()) as { id: string }).id
  }
  return { key, workspaceId }
}

const here = dirname(fileURLToPath(import.meta.url))
const { key, workspaceId } = await dunlinCredentials()
const template = await readFile(join(here, 'public', 'page.html'), 'utf8')
const bundle = await build({
  entryPoints: [join(here, 'public', 'app.tsx')],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  jsx: 'automatic',
  define: { 'process.env.NODE_ENV': '"production"' },
  minify: true,
  write: false,
  logLevel: 'error',
})
const appJs = bundle.outputFiles[0]?.contents ?? new Uint8Array()

/** Portive's API route: a fresh short token per call (a real app checks the session in `authorize`). */
const tokenHandler = createTokenHandler({
  signingKey: key,
  workspaceId,
  authorize: () =>
    Promise.resolve({
      name: 'on_demand',
      expiresIn: ON_DEMAND_TTL,
      scopes: [{ type: 'PIPES:READ', resource: PIPE }],
    }),
})

/** What the page script reads from `<script id="dunlin-config">` (JSON, `<` escaped). */
interface PageConfig {
  host: string
  pipe: string
  refreshMs: number
  mode: 'server-rendered' | 'on-demand'
  token?: string
}

function page(config: PageConfig): string {
  const data = JSON.stringify(config).replace(/</g, '\\u003c')
  return template.replace('<!--CONFIG-->', data).replace('<!--MODE-->', config.mode)
}

function send(res: ServerResponse, status: number, type: string, body: string | Uint8Array): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' })
  res.end(body)
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname
  const base = { host: DUNLIN_HOST, pipe: PIPE, refreshMs: REFRESH_MS }
  if (path === '/api/get-auth-token') {
    // The Fetch-API handler, from a plain Node request.
    const response = await tokenHandler(
      new Request(`http://localhost${path}`, { method: req.method ?? 'GET' }),
    )
    send(res, response.status, 'application/json', await response.text())
  } else if (req.method !== 'GET') {
    send(res, 405, 'application/json', '{"error":"method not allowed"}')
  } else if (path === '/server-rendered') {
    // getServerSideProps: sign while rendering, pass the string down.
    const token = await createJWT(key, {
      workspaceId,
      name: 'server_rendered',
      expiresIn: RENDERED_TTL,
      scopes: [{ type: 'PIPES:READ', resource: PIPE }],
    })
    send(res, 200, 'text/html; charset=utf-8', page({ ...base, mode: 'server-rendered', token }))
  } else if (path === '/on-demand') {
    send(res, 200, 'text/html; charset=utf-8', page({ ...base, mode: 'on-demand' }))
  } else if (path === '/') {
    send(
      res,
      200,
      'text/html; charset=utf-8',
      '<!doctype html><title>Dunlin tokens</title><ul><li><a href="/server-rendered">1-day token rendered by the server</a></li><li><a href="/on-demand">1-minute tokens minted on demand</a></li></ul>',
    )
  } else if (path === '/app.js') {
    send(res, 200, 'text/javascript; charset=utf-8', appJs)
  } else if (path === '/favicon.ico') {
    res.writeHead(204)
    res.end()
  } else {
    send(res, 404, 'application/json', '{"error":"not found"}')
  }
}

const server = createServer((req, res) => {
  handle(req, res).catch((error: unknown) => {
    console.error('request failed:', error instanceof Error ? error.name : 'unknown error')
    send(res, 500, 'application/json', '{"error":"internal error"}')
  })
})
server.listen(PORT, '127.0.0.1', () => {
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : PORT
  console.log(
    `server-rendered-token example listening on http://127.0.0.1:${port} (Dunlin at ${DUNLIN_HOST})`,
  )
})
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    server.close()
    server.closeAllConnections()
  })
}
