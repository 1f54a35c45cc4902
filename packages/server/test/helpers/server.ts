/**
 * Integration-test harness: a real Dunlin server (real chdb in a temp dir, real HTTP on loopback) over a
 * fixture project, with helpers to sign JWTs the way the seeds do and to capture logs.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { isAbsolute, join } from 'node:path'
import { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { SignJWT } from 'jose'
import { pino } from 'pino'
import { createServer, type CreateServerOptions, type DunlinServer } from '../../src/server.js'

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url))

/** A running test server. */
export interface TestServer {
  readonly srv: DunlinServer
  readonly url: string
  readonly dataDir: string
  readonly adminToken: string
  readonly workspaceId: string
  /** Every log line the server wrote, as text. */
  readonly logs: string[]
  /** fetch against the server; `path` starts with `/`. */
  fetch(path: string, init?: RequestInit): Promise<Response>
  /** Signs a Tinybird JWT with the admin token (HS256), like the seed's `jsonwebtoken` code. */
  signJwt(
    payload: Record<string, unknown>,
    opts?: { secret?: string; header?: Record<string, unknown> },
  ): Promise<string>
  nowSeconds(): number
  close(): Promise<void>
  /** Closes the server and starts a new one on the same data dir. */
  restart(opts?: Partial<CreateServerOptions>): Promise<TestServer>
}

/**
 * Starts a server over `test/fixtures/datafiles/<project>` (or an absolute project path) in a fresh temp
 * data dir (or `dataDir`).
 */
export async function startTestServer(
  opts: { project?: string; dataDir?: string } & Partial<CreateServerOptions> = {},
): Promise<TestServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'dunlin-test-'))
  const logs: string[] = []
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(chunk.toString('utf8'))
      cb()
    },
  })
  const { project = 'bookings', ...rest } = opts
  const srv = await createServer({
    dataDir,
    project: isAbsolute(project) ? project : join(FIXTURES, 'datafiles', project),
    port: 0,
    logger: pino({ level: 'debug' }, sink),
    ...rest,
  })
  const url = srv.url!
  const adminToken = srv.workspace.adminToken()
  const workspaceId = srv.workspace.info.id
  const self: TestServer = {
    srv,
    url,
    dataDir,
    adminToken,
    workspaceId,
    logs,
    fetch: (path, init) => fetch(url + path, init),
    signJwt: async (payload, o = {}) =>
      new SignJWT({ workspace_id: workspaceId, name: 'test_jwt', ...payload })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT', ...o.header })
        .sign(new TextEncoder().encode(o.secret ?? adminToken)),
    nowSeconds: () => Math.floor(Date.now() / 1000),
    close: async () => {
      await srv.close()
      if (opts.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true })
    },
    restart: async (more = {}) => {
      await srv.close()
      return startTestServer({ ...opts, ...more, dataDir })
    },
  }
  return self
}
