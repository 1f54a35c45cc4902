/**
 * Jobs API over a real server: `GET /v0/jobs` and `GET /v0/jobs/<id>` for copies, populates and deletes run here,
 * jobs another process recorded in `tinybird.jobs_log`, filters, and who may see what.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dunlinCli } from '../helpers/cli.js'
import { recordForeignJob } from '../helpers/jobs.js'
import { startTestServer, type TestServer } from '../helpers/server.js'

let t: TestServer
const bearer = (token: string): Record<string, string> => ({ Authorization: `Bearer ${token}` })
const admin = (): Record<string, string> => bearer(t.adminToken)

interface Job {
  id: string
  kind: string
  status: string
  created_at: string
  job_url: string
  datasource: { name: string }
  pipe?: { name: string }
  rows_affected?: number
  delete_condition?: string
}

async function post(path: string, headers = admin()): Promise<Job> {
  const res = await t.fetch(path, { method: 'POST', headers })
  expect(res.status, await res.clone().text()).toBeLessThan(300)
  const body = (await res.json()) as { id: string }
  return { ...(await getJob(body.id)), id: body.id }
}

async function getJob(id: string, headers = admin()): Promise<Job> {
  const res = await t.fetch(`/v0/jobs/${id}`, { headers })
  expect(res.status).toBe(200)
  return (await res.json()) as Job
}

async function list(query = '', headers = admin()): Promise<Job[]> {
  const res = await t.fetch(`/v0/jobs${query}`, { headers })
  expect(res.status, await res.clone().text()).toBe(200)
  return ((await res.json()) as { jobs: Job[] }).jobs
}

async function tokenWith(name: string, scope: string): Promise<string> {
  const res = await t.fetch(`/v0/tokens?name=${name}&scope=${encodeURIComponent(scope)}`, {
    method: 'POST',
    headers: admin(),
  })
  expect(res.status).toBe(200)
  return ((await res.json()) as { token: string }).token
}

let copy: Job
let populate: Job
let deletion: Job

beforeAll(async () => {
  t = await startTestServer()
  copy = await post('/v0/pipes/daily_snapshot/copy')
  populate = await post('/v0/pipes/draft/nodes/count_bookings/population')
  deletion = await post(
    `/v0/datasources/events/delete?delete_condition=${encodeURIComponent("org_id = 'org_c'")}`,
  )
})
afterAll(async () => {
  await t.close()
})

describe('GET /v0/jobs', () => {
  it('lists the jobs run here, newest first, each in its final state', async () => {
    const jobs = await list()
    expect(jobs.map((j) => j.id)).toEqual([deletion.id, populate.id, copy.id])
    expect(jobs.map((j) => [j.kind, j.status])).toEqual([
      ['delete_data', 'done'],
      ['populateview', 'done'],
      ['copy', 'done'],
    ])
    expect(jobs[0]).toMatchObject({
      delete_condition: "org_id = 'org_c'",
      datasource: { name: 'events' },
    })
    expect(jobs[0]!.job_url).toBe(`${t.url}/v0/jobs/${deletion.id}`)
  })

  it("filters by Tinybird's kind, status, pipe and creation time", async () => {
    expect((await list('?kind=copy')).map((j) => j.id)).toEqual([copy.id])
    expect((await list('?pipe_name=draft')).map((j) => j.id)).toEqual([populate.id])
    expect((await list('?status=working')).map((j) => j.id)).toEqual([])
    expect(await list('?status=done')).toHaveLength(3)
    // Kinds Tinybird has and Dunlin never runs match nothing.
    expect(await list('?kind=sink')).toEqual([])
    const created = Date.parse(copy.created_at)
    const after = new Date(created + 60_000).toISOString()
    expect(await list(`?created_after=${after}`)).toEqual([])
    const before = new Date(created - 60_000).toISOString()
    expect(await list(`?created_before=${before}`)).toEqual([])
    expect(await list(`?created_after=${before}`)).toHaveLength(3)
  })

  it('refuses a malformed filter with 400 naming it', async () => {
    for (const [q, param] of [
      ['?status=finished', 'status'],
      ['?created_after=yesterday', 'created_after'],
      ['?created_before=2200-01-01T00:00:00Z', 'created_before'],
      ["?kind=copy'--", 'kind'],
    ] as const) {
      const res = await t.fetch(`/v0/jobs${q}`, { headers: admin() })
      expect(res.status).toBe(400)
      const body = (await res.json()) as { code: string; error: string }
      expect(body.code).toBe('ERR_REQUEST_PARAM')
      expect(body.error).toContain(`Invalid ${param}:`)
    }
  })
})

describe('jobs recorded by another process', () => {
  it('answers the latest state of a job another process wrote to tinybird.jobs_log', async () => {
    // Written in the same second, the finished row first: the order of rows must not matter.
    const id = await recordForeignJob(t, 'events', [
      { status: 'done', rows_affected: 7 },
      { status: 'working' },
    ])
    expect(await getJob(id)).toMatchObject({ id, status: 'done', rows_affected: 7 })
    const listed = (await list('?kind=import')).find((j) => j.id === id)
    expect(listed).toMatchObject({ status: 'done', rows_affected: 7 })
  })

  it('answers 404 for an unknown job and for an id that is not a job id', async () => {
    for (const id of [randomUUID(), "x' OR 1=1 --", 'p.token-like']) {
      const res = await t.fetch(`/v0/jobs/${encodeURIComponent(id)}`, { headers: admin() })
      expect(res.status).toBe(404)
      expect(await res.json()).toMatchObject({ code: 'ERR_REQUEST_NOT_FOUND' })
    }
  })

  it('keeps jobs readable as tinybird.jobs_log through the SQL API', async () => {
    const q = `SELECT job_type, status FROM tinybird.jobs_log WHERE job_id = '${copy.id}' ORDER BY status DESC`
    const res = await t.fetch(`/v0/sql?q=${encodeURIComponent(q)}`, { headers: admin() })
    expect(res.status).toBe(200)
    expect(((await res.json()) as { data: unknown[] }).data).toEqual([
      { job_type: 'copy', status: 'working' },
      { job_type: 'copy', status: 'done' },
    ])
  })
})

describe('who sees a job', () => {
  it('shows a job only to tokens with a scope on its data source or pipe', async () => {
    const ws = t.srv.workspace
    const appendEvents = ws.tokenValue(ws.tokens.find((x) => x.name === 'events_append')!)
    const readTopAirlines = ws.tokenValue(
      ws.tokens.find((x) => x.name === 'top_airlines_read_static')!,
    )
    const readSnapshot = await tokenWith('snapshot_reader', 'PIPES:READ:daily_snapshot')

    const ours = (jobs: Job[]): string[] =>
      jobs.map((j) => j.id).filter((id) => [deletion.id, copy.id, populate.id].includes(id))
    expect(ours(await list('', bearer(appendEvents)))).toEqual([deletion.id])
    expect(ours(await list('', bearer(readSnapshot)))).toEqual([copy.id])
    expect(await list('', bearer(readTopAirlines))).toEqual([])

    expect((await getJob(deletion.id, bearer(appendEvents))).status).toBe('done')
    for (const id of [deletion.id, copy.id, populate.id]) {
      const res = await t.fetch(`/v0/jobs/${id}`, { headers: bearer(readTopAirlines) })
      expect(res.status).toBe(404)
      const text = await res.text()
      expect(text).not.toContain('org_c')
      expect(text).not.toContain(readTopAirlines)
    }
  })

  it('refuses JWTs', async () => {
    const jwt = await t.signJwt({
      exp: t.nowSeconds() + 60,
      scopes: [{ type: 'PIPES:READ', resource: 'daily_snapshot' }],
    })
    for (const path of ['/v0/jobs', `/v0/jobs/${copy.id}`]) {
      const res = await t.fetch(path, { headers: bearer(jwt) })
      expect(res.status).toBe(403)
      expect(await res.json()).toMatchObject({ code: 'ERR_AUTH_JWT_NOT_ALLOWED' })
    }
  })
})

describe('dunlin job ls / details', () => {
  const dunlin = (...args: string[]): Promise<{ stdout: string }> => dunlinCli(t, ...args)

  it('lists jobs a line each, filtered, and prints one as JSON', async () => {
    const { stdout } = await dunlin('job', 'ls', '--kind', 'copy')
    const lines = stdout.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(
      new RegExp(
        `^${copy.id}  copy +done +\\d{4}-\\d\\d-\\d\\d [\\d:]{8} +[\\d.]+ s  daily_snapshot → bookings_snapshot  \\d+ rows$`,
      ),
    )
    const details = JSON.parse((await dunlin('job', 'details', deletion.id)).stdout) as Job
    expect(details).toMatchObject({ id: deletion.id, kind: 'delete_data', status: 'done' })
  })
})
