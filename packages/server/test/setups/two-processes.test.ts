/**
 * Two real `dunlin` processes (the built CLI) in front of one ClickHouse server share one catalog: what one
 * process changes (a revoked JWT, a new pipe, a new token) applies on the other within `auth.syncIntervalMs`
 * (500 ms), both serve the same data, and either answers the jobs the other ran.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FIXTURES } from '../helpers/server.js'
import { hasClickHouseServer, startClickHouse, type TestClickHouse } from '../helpers/clickhouse.js'

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'dunlin.js')
/** Longer than `auth.syncIntervalMs` (500 ms): by then every process has seen the change. */
const SYNC_MS = 600

interface Proc {
  readonly child: ChildProcess
  readonly url: string
  readonly output: string[]
}

const SERVING = /is serving workspace .* at (http:\/\/\S+)/
/** What `dunlin dev` prints after the URL: the admin token, on the next line. */
const ADMIN_TOKEN = /Admin token[^\n]*:\n\s+(\S+)/

/**
 * Starts `dunlin <args>` and resolves once its output shows where it serves and matches `until` (output arrives
 * in chunks: wait for every line the test reads).
 */
async function startDunlin(
  args: string[],
  env: Record<string, string>,
  until: RegExp = SERVING,
): Promise<Proc> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...env, DUNLIN_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const output: string[] = []
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`dunlin did not start:\n${output.join('')}`))
    }, 60_000)
    const onData = (b: Buffer): void => {
      output.push(b.toString('utf8'))
      const text = output.join('')
      const m = SERVING.exec(text)
      if (m?.[1] !== undefined && until.test(text)) {
        clearTimeout(timer)
        resolve(m[1])
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`dunlin exited with ${String(code)}:\n${output.join('')}`))
    })
  })
  return { child, url, output }
}

async function stop(p: Proc | undefined): Promise<void> {
  if (p?.child.exitCode !== null) return
  const exited = new Promise((r) => p.child.once('exit', r))
  p.child.kill('SIGTERM')
  await exited
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

describe.skipIf(!hasClickHouseServer)('two Dunlin processes sharing one catalog', () => {
  let ch: TestClickHouse
  let a: Proc | undefined
  let b: Proc | undefined
  let project: string
  let admin = ''
  const dirs: string[] = []
  const get = (p: Proc | undefined, path: string, token = admin): Promise<Response> =>
    fetch(`${p?.url ?? ''}${path}`, { headers: { Authorization: `Bearer ${token}` } })

  beforeAll(async () => {
    ch = startClickHouse(28623)
    project = mkdtempSync(join(tmpdir(), 'dunlin-two-project-'))
    cpSync(join(FIXTURES, 'datafiles', 'bookings'), project, { recursive: true })
    const env = {
      DUNLIN_CLICKHOUSE_URL: ch.url,
      // Every process sharing a catalog seals and unseals tokens with the same key.
      DUNLIN_SECRET_KEY: randomBytes(32).toString('base64'),
    }
    const dataDir = (): string => {
      const d = mkdtempSync(join(tmpdir(), 'dunlin-two-data-'))
      dirs.push(d)
      return d
    }
    // A watches the project (as `dunlin dev` does); B starts with no project at all.
    a = await startDunlin(
      ['dev', project, '--port', '0', '--data-dir', dataDir()],
      env,
      ADMIN_TOKEN,
    )
    admin = ADMIN_TOKEN.exec(a.output.join(''))?.[1] ?? ''
    b = await startDunlin(['start', '--port', '0', '--data-dir', dataDir()], env)
  })
  afterAll(async () => {
    await stop(a)
    await stop(b)
    ch.stop()
    for (const d of [project, ...dirs]) rmSync(d, { recursive: true, force: true })
  })

  it("serves the other process's project, tokens and data", async () => {
    expect(admin).toMatch(/^p\./)
    const fromA = await get(a, '/v0/pipes/top_airlines.json')
    const fromB = await get(b, '/v0/pipes/top_airlines.json')
    expect(fromB.status).toBe(200)
    const rows = (r: unknown): unknown => (r as { data: unknown }).data
    expect(rows(await fromB.json())).toEqual(rows(await fromA.json()))
  })

  it('refuses a JWT on B once A has revoked its name', async () => {
    const jwt = await new SignJWT({
      name: 'kiosk_7',
      workspace_id: await workspaceId(),
      scopes: [{ type: 'PIPES:READ', resource: 'top_airlines' }],
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(admin))
    expect((await get(b, '/v0/pipes/top_airlines.json', jwt)).status).toBe(200)
    const revoke = await fetch(`${a?.url ?? ''}/v0/revocations?type=name&value=kiosk_7`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${admin}` },
    })
    expect(revoke.status).toBe(200)
    await sleep(SYNC_MS)
    const refused = await get(b, '/v0/pipes/top_airlines.json', jwt)
    expect(refused.status).toBe(403)
    expect(await refused.json()).toMatchObject({ code: 'ERR_AUTH_TOKEN_REVOKED' })
  })

  it('serves on A a static token created on B, and stops when B deletes it', async () => {
    const created = await fetch(
      `${b?.url ?? ''}/v0/tokens?name=shared_reader&scope=PIPES:READ:top_airlines`,
      { method: 'POST', headers: { Authorization: `Bearer ${admin}` } },
    )
    expect(created.status).toBe(200)
    const { token } = (await created.json()) as { token: string }
    await sleep(SYNC_MS)
    expect((await get(a, '/v0/pipes/top_airlines.json', token)).status).toBe(200)
    const del = await fetch(`${b?.url ?? ''}/v0/tokens/shared_reader`, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${admin}` },
    })
    expect(del.status).toBeLessThan(300)
    await sleep(SYNC_MS)
    expect((await get(a, '/v0/pipes/top_airlines.json', token)).status).toBe(403)
  })

  it('serves on B a pipe deployed through A', async () => {
    expect((await get(b, '/v0/pipes/bookings_by_org.json')).status).toBe(404)
    writeFileSync(
      join(project, 'endpoints', 'bookings_by_org.pipe'),
      'NODE endpoint\nSQL >\n    SELECT org_id, count() AS bookings FROM events GROUP BY org_id ORDER BY org_id\nTYPE endpoint\n',
    )
    // A's watcher polls every 500 ms; wait until A serves it, then give B one sync interval.
    for (let i = 0; i < 100 && (await get(a, '/v0/pipes/bookings_by_org.json')).status !== 200; i++)
      await sleep(100)
    await sleep(SYNC_MS)
    const res = await get(b, '/v0/pipes/bookings_by_org.json')
    expect(res.status).toBe(200)
    const body = (await res.json()) as { data: { org_id: string; bookings: number }[] }
    expect(body.data.reduce((s, r) => s + r.bookings, 0)).toBe(200)
  })

  it('reads on A the events ingested through B', async () => {
    const before = await count(a)
    const res = await fetch(`${b?.url ?? ''}/v0/events?name=events&wait=true`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${admin}` },
      body: (await sampleEvent()) + '\n',
    })
    expect(res.status).toBe(200)
    expect(await count(a)).toBe(before + 1)
  })

  it('answers on B a job run through A, and lists it there', async () => {
    const copy = await fetch(`${a?.url ?? ''}/v0/pipes/daily_snapshot/copy`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${admin}` },
    })
    expect(copy.status).toBe(200)
    const { id } = (await copy.json()) as { id: string }
    const onB = await get(b, `/v0/jobs/${id}`)
    expect(onB.status).toBe(200)
    expect(await onB.json()).toMatchObject({ id, kind: 'copy', status: 'done' })
    const listed = (await (await get(b, '/v0/jobs?kind=copy')).json()) as { jobs: { id: string }[] }
    expect(listed.jobs.map((j) => j.id)).toContain(id)
  })

  async function workspaceId(): Promise<string> {
    const res = await get(a, '/v1/workspace')
    return ((await res.json()) as { id: string }).id
  }
  async function count(p: Proc | undefined): Promise<number> {
    const res = await get(
      p,
      `/v0/sql?q=${encodeURIComponent('SELECT count() AS n FROM events FORMAT JSON')}`,
    )
    return ((await res.json()) as { data: { n: number }[] }).data[0]?.n ?? -1
  }
  /** One row of the fixture project's events, as the Events API takes it. */
  async function sampleEvent(): Promise<string> {
    const res = await get(
      a,
      `/v0/sql?q=${encodeURIComponent('SELECT * FROM events LIMIT 1 FORMAT JSONEachRow')}`,
    )
    return (await res.text()).trim()
  }
})
