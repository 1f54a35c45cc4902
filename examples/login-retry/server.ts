/**
 * examples/login-retry — the app backend of seed 004 ("Using JavaScript to Handle JWT Token Expiry") ported to
 * Dunlin: `POST /auth/login` checks credentials and answers `{ authToken, expires_at, tenant }`, a short-lived
 * JWT scoped to the user's tenant (`fixed_params`), signed with the Dunlin admin token. The page (public/)
 * keeps the token, queries Dunlin straight from the browser and, on an expired token, logs in again, stores
 * the new token and retries.
 *
 * Run from this folder: `node --import tsx server.ts` (against `npm start`'s server on http://127.0.0.1:7181;
 * the admin token comes from its local-mode `/tokens` route when DUNLIN_SIGNING_TOKEN is not set).
 * Needs the built client (`npm run build -w @dunlin/client`); the page is bundled with esbuild at startup.
 *
 * Env: DUNLIN_HOST, DUNLIN_SIGNING_TOKEN, DUNLIN_WORKSPACE_ID, PORT (default 3004, 0 = any free port),
 * TOKEN_TTL_SECONDS (default 60, as in the seed), PIPE (default busiest_routes), TENANT_PARAM (default origin),
 * USERS (default `alice:JFK,bob:ORD`, user:tenant pairs; every password is `demo`).
 */
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createJWT } from '@dunlin/client'
import { build } from 'esbuild'

const env = process.env
const DUNLIN_HOST = (env['DUNLIN_HOST'] ?? 'http://127.0.0.1:7181').replace(/\/+$/, '')
const PORT = Number(env['PORT'] ?? 3004)
const TTL = Number(env['TOKEN_TTL_SECONDS'] ?? 60)
const PIPE = env['PIPE'] ?? 'busiest_routes'
const TENANT_PARAM = env['TENANT_PARAM'] ?? 'origin'
const USERS = new Map(
  (env['USERS'] ?? 'alice:JFK,bob:ORD').split(',').map((pair): [string, string] => {
    const [user = '', tenant = ''] = pair.split(':')
    return [user.trim(), tenant.trim()]
  }),
)
const PASSWORD = 'demo'

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

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
  res.end(JSON.stringify(body))
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

const here = dirname(fileURLToPath(import.meta.url))
const { key, workspaceId } = await dunlinCredentials()
const html = await readFile(join(here, 'public', 'index.html'))
// The page's script, with @dunlin/client (its built ESM) bundled in.
const bundle = await build({
  entryPoints: [join(here, 'public', 'app.ts')],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  write: false,
  logLevel: 'error',
})
const appJs = bundle.outputFiles[0]?.contents ?? new Uint8Array()

async function login(req: IncomingMessage, res: ServerResponse): Promise<void> {
  let credentials: { username?: unknown; password?: unknown }
  try {
    credentials = JSON.parse(await readBody(req)) as typeof credentials
  } catch {
    json(res, 400, { error: 'body must be JSON: {"username", "password"}' })
    return
  }
  const username = typeof credentials.username === 'string' ? credentials.username : ''
  const tenant = USERS.get(username)
  if (tenant === undefined || credentials.password !== PASSWORD) {
    json(res, 401, { error: 'invalid credentials' })
    return
  }
  const authToken = await createJWT(key, {
    workspaceId,
    name: `login_${username}`,
    expiresIn: TTL,
    scopes: [{ type: 'PIPES:READ', resource: PIPE, fixedParams: { [TENANT_PARAM]: tenant } }],
  })
  json(res, 200, { authToken, expires_at: Math.floor(Date.now() / 1000) + TTL, tenant })
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname
  if (req.method === 'POST' && path === '/auth/login') {
    await login(req, res)
  } else if (req.method === 'GET' && path === '/') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    res.end(html)
  } else if (req.method === 'GET' && path === '/app.js') {
    res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' })
    res.end(appJs)
  } else if (req.method === 'GET' && path === '/config.json') {
    json(res, 200, { host: DUNLIN_HOST, pipe: PIPE })
  } else if (req.method === 'GET' && path === '/favicon.ico') {
    res.writeHead(204)
    res.end()
  } else {
    json(res, 404, { error: 'not found' })
  }
}

const server = createServer((req, res) => {
  handle(req, res).catch((error: unknown) => {
    console.error('request failed:', error instanceof Error ? error.name : 'unknown error')
    json(res, 500, { error: 'internal error' })
  })
})
server.listen(PORT, '127.0.0.1', () => {
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : PORT
  console.log(
    `login-retry example listening on http://127.0.0.1:${port} (Dunlin at ${DUNLIN_HOST})`,
  )
})
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    server.close()
    server.closeAllConnections()
  })
}
