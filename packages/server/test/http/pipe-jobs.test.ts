import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../helpers/server.js'

let t: TestServer
const admin = (): Record<string, string> => ({ Authorization: `Bearer ${t.adminToken}` })
const scalar = async (s: TestServer, q: string): Promise<number> => {
  const res = await s.fetch(`/v0/sql?q=${encodeURIComponent(q)}`, {
    headers: { Authorization: `Bearer ${s.adminToken}` },
  })
  return Number(((await res.json()) as { data: { v: number | string }[] }).data[0]!.v)
}

beforeAll(async () => {
  t = await startTestServer()
})
afterAll(async () => {
  await t.close()
})

interface JobBody {
  id: string
  status: string
  job: {
    kind: string
    status: string
    rows_affected: number
    pipe: { name: string }
    datasource: { name: string }
  }
}

describe('materialized views', () => {
  it('populates a view from the data already in its source', async () => {
    expect(await scalar(t, 'SELECT sum(bookings) AS v FROM airline_counts')).toBe(0)
    const res = await t.fetch('/v0/pipes/draft/nodes/count_bookings/population', {
      method: 'POST',
      headers: admin(),
    })
    expect(res.status).toBe(200)
    const body = (await res.json()) as JobBody
    expect(body.job).toMatchObject({
      kind: 'populateview',
      status: 'done',
      pipe: { name: 'draft' },
      datasource: { name: 'airline_counts' },
    })
    expect(body.job.rows_affected).toBeGreaterThan(0)
    expect(await scalar(t, 'SELECT sum(bookings) AS v FROM airline_counts')).toBe(200)
    const job = await t.fetch(`/v0/jobs/${body.id}`, { headers: admin() })
    expect(await job.json()).toMatchObject({ id: body.id, status: 'done' })
  })

  it('leaves an unchanged view in place on re-apply, so no write is missed', async () => {
    const q = `SELECT toUnixTimestamp(metadata_modification_time) AS v FROM system.tables WHERE database = '${t.srv.workspace.database}' AND name = 'draft__count_bookings__mv'`
    const read = async (): Promise<string> =>
      (await t.srv.engine.query(q, { format: 'JSONEachRow' })).text()
    const before = await read()
    expect(before).not.toBe('')
    await t.srv.reload()
    expect(await read()).toBe(before)
  })

  it('refuses population without an admin token', async () => {
    const ws = t.srv.workspace
    const readToken = ws.tokenValue(ws.tokens.find((x) => x.name === 'top_airlines_read_static')!)
    const res = await t.fetch(
      `/v0/pipes/draft/nodes/count_bookings/population?token=${readToken}`,
      { method: 'POST' },
    )
    expect(res.status).toBe(403)
  })
})

describe('a materialized pipe over another pipe, into AggregatingMergeTree', () => {
  it('updates -State aggregates on every append; the endpoint reads them with -Merge', async () => {
    const read = async (): Promise<{ airline: string; travellers: number; bookings: number }[]> =>
      (
        (await (
          await t.fetch('/v0/pipes/travellers_by_airline.json', { headers: admin() })
        ).json()) as { data: { airline: string; travellers: number; bookings: number }[] }
      ).data
    expect(await read()).toEqual([])
    const row = (email: string, age: number): string =>
      JSON.stringify({
        timestamp: '2025-05-20 10:00:00',
        transaction_id: `agg-${email}-${age}`,
        name: 'n',
        email,
        age,
        passport_number: 1,
        flight_from: 'JFK',
        flight_to: 'LAX',
        extra_bags: 0,
        priority_boarding: 0,
        meal_choice: 'veg',
        airline: 'AggAir',
        org_id: 'org_a',
      })
    const res = await t.fetch('/v0/events?name=events&wait=true', {
      method: 'POST',
      headers: admin(),
      body: [row('a@x', 30), row('a@x', 31), row('kid@x', 10)].join('\n'),
    })
    expect(res.status).toBe(200)
    // The view triggers on events (under the adult_bookings pipe): one adult traveller, two adult bookings.
    expect(await read()).toEqual([{ airline: 'AggAir', travellers: 1, bookings: 2 }])
    const pop = await t.fetch('/v0/pipes/airline_travellers_mv/nodes/aggregate/population', {
      method: 'POST',
      headers: admin(),
    })
    expect(pop.status).toBe(200)
    const all = await read()
    // Population adds the 200 fixture rows (all adults) to the airlines they belong to.
    expect(all.reduce((s, r) => s + r.bookings, 0)).toBe(2 + 200 + 2)
  })
})

describe('copy pipes', () => {
  it('runs on demand, replacing the target, with template params', async () => {
    const all = await t.fetch('/v0/pipes/daily_snapshot/copy', { method: 'POST', headers: admin() })
    expect(all.status).toBe(200)
    expect(((await all.json()) as JobBody).job).toMatchObject({ kind: 'copy', status: 'done' })
    const events = await scalar(t, 'SELECT count() AS v FROM events')
    expect(await scalar(t, 'SELECT sum(bookings) AS v FROM bookings_snapshot')).toBe(events)
    // COPY_MODE replace: running again does not double the rows
    await t.fetch('/v0/pipes/daily_snapshot/copy', { method: 'POST', headers: admin() })
    expect(await scalar(t, 'SELECT sum(bookings) AS v FROM bookings_snapshot')).toBe(events)
    const fizz = await t.fetch('/v0/pipes/daily_snapshot/copy?airline=Fizz', {
      method: 'POST',
      headers: admin(),
    })
    expect(fizz.status).toBe(200)
    expect(await scalar(t, "SELECT countIf(airline != 'Fizz') AS v FROM bookings_snapshot")).toBe(0)
    expect(await scalar(t, 'SELECT count() AS v FROM bookings_snapshot')).toBeGreaterThan(0)
  })

  it('needs PIPES:READ on the pipe with a static token; JWTs and non-copy pipes are refused', async () => {
    const ws = t.srv.workspace
    const readToken = ws.tokenValue(ws.tokens.find((x) => x.name === 'top_airlines_read_static')!)
    expect(
      (await t.fetch(`/v0/pipes/daily_snapshot/copy?token=${readToken}`, { method: 'POST' }))
        .status,
    ).toBe(403)
    const jwt = await t.signJwt({
      exp: t.nowSeconds() + 60,
      scopes: [{ type: 'PIPES:READ', resource: 'daily_snapshot' }],
    })
    const res = await t.fetch(`/v0/pipes/daily_snapshot/copy?token=${jwt}`, { method: 'POST' })
    expect(res.status).toBe(403)
    expect(await res.json()).toMatchObject({ code: 'ERR_AUTH_JWT_NOT_ALLOWED' })
    expect(
      (await t.fetch('/v0/pipes/top_airlines/copy', { method: 'POST', headers: admin() })).status,
    ).toBe(404)
  })
})
