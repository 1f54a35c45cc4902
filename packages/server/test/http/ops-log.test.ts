import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { booking } from '../ingest/helpers.js'

let t: TestServer
const auth = (tok?: string): Record<string, string> => ({
  Authorization: `Bearer ${tok ?? t.adminToken}`,
})
const post = (path: string, body?: string, tok?: string): Promise<Response> =>
  t.fetch(path, { method: 'POST', ...(body !== undefined ? { body } : {}), headers: auth(tok) })

interface OpsRow {
  event_type: string
  datasource_id: string
  datasource_name: string
  user_id: string
  result: string
  error: string | null
  elapsed_time: number
  request_id: string
  import_id: string | null
  job_id: string | null
  rows: number | null
  rows_quarantine: number | null
  'Options.Names': string[]
  'Options.Values': string[]
  pipe_name: string
  written_rows: number
}

const COLUMNS =
  'event_type, datasource_id, datasource_name, user_id, result, error, elapsed_time, request_id, import_id, job_id, rows, rows_quarantine, Options.Names, Options.Values, pipe_name, written_rows'

/** Ops log rows matching `where` (SQL), through `/v0/sql` with the admin token; waits for `expected` of them. */
async function opsRows(where: string, expected = 1): Promise<OpsRow[]> {
  const q = `SELECT ${COLUMNS} FROM tinybird.datasources_ops_log WHERE ${where} ORDER BY timestamp`
  for (let attempt = 0; attempt < 50; attempt++) {
    const res = await t.fetch(`/v0/sql?q=${encodeURIComponent(q)}`, { headers: auth() })
    expect(res.status).toBe(200)
    const rows = ((await res.json()) as { data: OpsRow[] }).data
    if (rows.length >= expected) return rows
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`fewer than ${expected} datasources_ops_log rows for ${where}`)
}

beforeAll(async () => {
  // `populate: true` is `dunlin start --populate`: the project's materialized views are filled at start.
  t = await startTestServer({ populate: true })
})
afterAll(async () => {
  await t.close()
})

describe('tinybird.datasources_ops_log: Data Sources API', () => {
  it('records create, then an append with its rows, quarantined rows and import id', async () => {
    const created = await post(
      `/v0/datasources?mode=create&name=ops_people&schema=${encodeURIComponent('`id` Int32, `name` String')}`,
    )
    expect(created.status).toBe(200)
    const { datasource } = (await created.json()) as { datasource: { id: string } }
    const res = await post('/v0/datasources?mode=append&name=ops_people', '1,ann\n2,bob\nx,cy\n')
    expect(res.status).toBe(200)
    const body = (await res.json()) as { import_id: string }
    const [create] = await opsRows("datasource_name = 'ops_people' AND event_type = 'create'")
    expect(create).toMatchObject({
      datasource_id: datasource.id,
      result: 'ok',
      error: null,
      user_id: t.workspaceId,
    })
    const [append] = await opsRows("datasource_name = 'ops_people' AND event_type = 'append'")
    expect(append).toMatchObject({
      datasource_id: datasource.id,
      result: 'ok',
      rows: 2,
      rows_quarantine: 1,
      written_rows: 2,
      import_id: body.import_id,
      job_id: null,
      'Options.Names': ['mode', 'format'],
      'Options.Values': ['append', 'csv'],
    })
    expect(append!.request_id).toMatch(/^[0-9a-f-]{36}$/)
    expect(append!.elapsed_time).toBeGreaterThan(0)
  })

  it('records a failed append as result=error with the error the client saw', async () => {
    const res = await post('/v0/datasources?mode=append&name=ops_people&format=parquet', 'nope')
    expect(res.status).toBe(400)
    const [row] = await opsRows("datasource_name = 'ops_people' AND result = 'error'")
    expect(row).toMatchObject({
      event_type: 'append',
      error: 'The body is not a readable Parquet file',
      rows: 0,
      'Options.Values': ['append', 'parquet'],
    })
  })

  it('records replace, delete_data (with its job id), truncate and drop', async () => {
    expect(
      (await post('/v0/datasources?mode=replace&name=ops_people', '7,gus\n8,hal\n9,ida\n')).status,
    ).toBe(200)
    const del = await post(
      `/v0/datasources/ops_people/delete?delete_condition=${encodeURIComponent('id = 7')}`,
    )
    expect(del.status).toBe(201)
    const job = (await del.json()) as { id: string }
    expect((await post('/v0/datasources/ops_people/truncate')).status).toBe(205)
    expect(
      (await t.fetch('/v0/datasources/ops_people', { method: 'DELETE', headers: auth() })).status,
    ).toBe(204)
    const rows = await opsRows(
      "datasource_name = 'ops_people' AND event_type IN ('replace', 'delete_data', 'truncate', 'delete')",
      4,
    )
    const by = (type: string): OpsRow | undefined => rows.find((r) => r.event_type === type)
    expect(by('replace')).toMatchObject({ result: 'ok', rows: 3, rows_quarantine: 0 })
    expect(by('delete_data')).toMatchObject({ result: 'ok', rows: 1, job_id: job.id })
    expect(by('truncate')).toMatchObject({ result: 'ok', rows: null })
    expect(by('delete')).toMatchObject({ result: 'ok' })
  })
})

describe('tinybird.datasources_ops_log: Events API', () => {
  it('records a flush as append-hfi with written and quarantined rows', async () => {
    const good = [1, 2, 3].map((i) =>
      JSON.stringify(booking(7000 + i, { transaction_id: 'ops_hfi' })),
    )
    const bad = JSON.stringify(booking(7009, { age: 'old', transaction_id: 'ops_hfi' }))
    const res = await post('/v0/events?name=events&wait=true', [...good, bad].join('\n'))
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ successful_rows: 3, quarantined_rows: 1 })
    const rows = await opsRows("datasource_name = 'events' AND event_type = 'append-hfi'")
    // One row per flush: this request's rows were flushed alone (wait=true flushes at once).
    expect(rows.some((r) => r.rows === 3 && r.rows_quarantine === 1 && r.result === 'ok')).toBe(
      true,
    )
    expect(rows[0]).toMatchObject({ request_id: '', import_id: null, job_id: null })
  })

  it('records an auto-created data source as create', async () => {
    const res = await post('/v0/events?name=ops_auto&wait=true', '{"a":1,"b":"x"}\n')
    expect(res.status).toBe(200)
    const rows = await opsRows("datasource_name = 'ops_auto'", 2)
    expect(rows.map((r) => r.event_type).sort()).toEqual(['append-hfi', 'create'])
    expect(rows.find((r) => r.event_type === 'append-hfi')).toMatchObject({
      rows: 1,
      rows_quarantine: 0,
      result: 'ok',
    })
  })
})

describe('tinybird.datasources_ops_log: pipe jobs', () => {
  it('records each populate run by applying the project at start, with no job or request id', async () => {
    const populated = t.srv.report!.populated
    expect(populated.map((p) => p.datasource)).toContain('airline_counts')
    const rows = await opsRows(`event_type = 'populateview' AND job_id IS NULL`, populated.length)
    const key = (r: { datasource: string; pipe: string; rows: number }): string =>
      `${r.pipe} -> ${r.datasource}: ${r.rows}`
    expect(
      rows
        .map((r) => key({ datasource: r.datasource_name, pipe: r.pipe_name, rows: r.rows! }))
        .sort(),
    ).toEqual(populated.map(key).sort())
    for (const r of rows) {
      expect(r).toMatchObject({ result: 'ok', request_id: '' })
      expect(r.datasource_id).toBe(t.srv.workspace.datasource(r.datasource_name)!.id)
    }
    expect(rows.find((r) => r.datasource_name === 'airline_counts')!.rows).toBeGreaterThan(0)
  })

  it('records populateview and copy with the pipe and the job id', async () => {
    const pop = await post('/v0/pipes/draft/nodes/count_bookings/population')
    expect(pop.status).toBe(200)
    const popJob = (await pop.json()) as { id: string }
    const copy = await post('/v0/pipes/daily_snapshot/copy')
    expect(copy.status).toBe(200)
    const copyJob = (await copy.json()) as { id: string }
    const [p] = await opsRows(`event_type = 'populateview' AND job_id = '${popJob.id}'`)
    expect(p).toMatchObject({ datasource_name: 'airline_counts', pipe_name: 'draft', result: 'ok' })
    expect(p!.rows).toBeGreaterThan(0)
    const [c] = await opsRows(`event_type = 'copy' AND job_id = '${copyJob.id}'`)
    expect(c).toMatchObject({
      datasource_name: 'bookings_snapshot',
      pipe_name: 'daily_snapshot',
      result: 'ok',
    })
  })
})

describe('tinybird.datasources_ops_log: access', () => {
  it('never records a token', async () => {
    const q = 'SELECT * FROM tinybird.datasources_ops_log FORMAT JSONEachRow'
    const res = await t.fetch(`/v0/sql?q=${encodeURIComponent(q)}`, { headers: auth() })
    const text = await res.text()
    expect(text).toContain('ops_people')
    expect(text).not.toContain(t.adminToken)
    expect(text).not.toMatch(/p\.ey/)
  })

  it('is refused to a pipe-scoped token, and readable with PIPES:CREATE', async () => {
    const ws = t.srv.workspace
    const readToken = ws.tokenValue(ws.tokens.find((x) => x.name === 'top_airlines_read_static')!)
    const q = encodeURIComponent('SELECT count() AS n FROM tinybird.datasources_ops_log')
    const denied = await t.fetch(`/v0/sql?q=${q}`, { headers: auth(readToken) })
    expect(denied.status).toBe(403)
    expect(await denied.json()).toMatchObject({ code: 'ERR_AUTH_SCOPE_DENIED' })

    const made = await t.fetch('/v0/tokens?name=ops_reader&scope=PIPES:CREATE', {
      method: 'POST',
      headers: auth(),
    })
    expect(made.status).toBe(200)
    const creator = ((await made.json()) as { token: string }).token
    const allowed = await t.fetch(`/v0/sql?q=${q}`, { headers: auth(creator) })
    expect(allowed.status).toBe(200)
    expect(((await allowed.json()) as { data: { n: number }[] }).data[0]!.n).toBeGreaterThan(0)
  })
})
