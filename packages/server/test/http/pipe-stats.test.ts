import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../helpers/server.js'

let t: TestServer
const admin = (): Record<string, string> => ({ Authorization: `Bearer ${t.adminToken}` })

interface StatsRow {
  pipe_name: string
  token: string
  token_name: string
  url: string
  status_code: number
  error: number
  parameters: Record<string, string>
  result_rows: number
  read_rows: number
  method: string
}

async function statsRows(where: string, expected: number): Promise<StatsRow[]> {
  const q = `SELECT pipe_name, token, token_name, url, status_code, error, parameters, result_rows, read_rows, method FROM tinybird.pipe_stats_rt WHERE ${where} ORDER BY start_datetime`
  for (let attempt = 0; attempt < 40; attempt++) {
    const res = await t.fetch(`/v0/sql?q=${encodeURIComponent(q)}`, { headers: admin() })
    expect(res.status).toBe(200)
    const rows = ((await res.json()) as { data: StatsRow[] }).data
    if (rows.length >= expected) return rows
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`fewer than ${expected} pipe_stats_rt rows for ${where}`)
}

beforeAll(async () => {
  t = await startTestServer()
})
afterAll(async () => {
  await t.close()
})

describe('tinybird.pipe_stats_rt', () => {
  it('records endpoint reads with the JWT name, fixed params and no token in the URL', async () => {
    const jwt = await t.signJwt({
      name: 'tenant_dashboard',
      exp: t.nowSeconds() + 60,
      scopes: [{ type: 'PIPES:READ', resource: 'org_bookings', fixed_params: { org_id: 'org_b' } }],
    })
    expect(
      (await t.fetch(`/v0/pipes/org_bookings.json?token=${jwt}&limit=3&org_id=org_a`)).status,
    ).toBe(200)
    const [row] = await statsRows("pipe_name = 'org_bookings'", 1)
    expect(row).toMatchObject({
      token: '',
      token_name: 'tenant_dashboard',
      status_code: 200,
      error: 0,
      method: 'GET',
    })
    expect(row!.parameters).toMatchObject({ org_id: 'org_b', limit: '3' })
    expect(row!.url).not.toContain(jwt)
    expect(row!.url).toContain('limit=3')
    expect(row!.result_rows).toBeGreaterThan(0)
    expect(row!.read_rows).toBeGreaterThan(0)
  })

  it('records failed reads with their status and the error flag', async () => {
    expect(
      (await t.fetch('/v0/pipes/top_routes.json?limit=oops', { headers: admin() })).status,
    ).toBe(400)
    const [row] = await statsRows("pipe_name = 'top_routes' AND status_code = 400", 1)
    expect(row).toMatchObject({ error: 1, token_name: 'Workspace admin token' })
  })

  it('records SQL API queries as query_api', async () => {
    await t.fetch(`/v0/sql?q=${encodeURIComponent('SELECT 1')}`, { headers: admin() })
    const rows = await statsRows("pipe_name = 'query_api'", 1)
    expect(rows[0]).toMatchObject({ status_code: 200 })
  })

  it('is readable only with ADMIN (or PIPES:CREATE), not with a pipe-scoped token', async () => {
    const ws = t.srv.workspace
    const readToken = ws.tokenValue(ws.tokens.find((x) => x.name === 'top_airlines_read_static')!)
    const res = await t.fetch(
      `/v0/sql?q=${encodeURIComponent('SELECT count() FROM tinybird.pipe_stats_rt')}`,
      {
        headers: { Authorization: `Bearer ${readToken}` },
      },
    )
    expect(res.status).toBe(403)
    expect(await res.json()).toMatchObject({ code: 'ERR_AUTH_SCOPE_DENIED' })
  })
})
