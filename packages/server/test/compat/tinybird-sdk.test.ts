import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createJWT, createTinybirdApi, TinybirdApiError } from '@tinybirdco/sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../helpers/server.js'

// @tinybirdco/sdk (npm, unmodified) pointed at Dunlin with `baseUrl`: queries, SQL, ingest, append, truncate, JWTs.
let t: TestServer
let dir: string
beforeAll(async () => {
  t = await startTestServer()
  dir = mkdtempSync(join(tmpdir(), 'dunlin-sdk-'))
})
afterAll(async () => {
  await t.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('@tinybirdco/sdk against Dunlin', () => {
  it('queries an endpoint, with params', async () => {
    const api = createTinybirdApi({ baseUrl: t.url, token: t.adminToken })
    const top = await api.query<{ airline: string; bookings: number }>('top_airlines')
    expect(top.rows).toBe(5)
    expect(top.data[0]).toMatchObject({ airline: 'Fizz' })
    expect(top.meta.map((m) => m.name)).toEqual(['airline', 'bookings'])
    const org = await api.query<{ org_id: string }>('org_bookings', { org_id: 'org_b', limit: 2 })
    expect(org.data.every((r) => r.org_id === 'org_b')).toBe(true)
    expect(org.rows).toBeLessThanOrEqual(2)
  })

  it('runs SQL', async () => {
    const api = createTinybirdApi({ baseUrl: t.url, token: t.adminToken })
    const r = await api.sql<{ n: number }>('SELECT count() AS n FROM events')
    expect(r.data[0]!.n).toBe(200)
  })

  it('ingests events (wait) and appends a CSV file', async () => {
    const api = createTinybirdApi({ baseUrl: t.url, token: t.adminToken })
    const event = {
      timestamp: '2025-05-20 10:00:00',
      transaction_id: 'sdk-1',
      name: 'SDK',
      email: 'sdk@example.com',
      age: 30,
      passport_number: 1,
      flight_from: 'JFK',
      flight_to: 'LAX',
      extra_bags: 0,
      priority_boarding: 0,
      meal_choice: 'veg',
      airline: 'SdkAir',
      org_id: 'org_sdk',
    }
    const one = await api.ingest('events', event, { wait: true })
    expect(one).toMatchObject({ successful_rows: 1, quarantined_rows: 0 })
    const batch = await api.ingestBatch(
      'events',
      [
        { ...event, transaction_id: 'sdk-2' },
        { ...event, transaction_id: 'sdk-3', age: 'not a number' },
      ],
      { wait: true },
    )
    expect(batch).toMatchObject({ successful_rows: 1, quarantined_rows: 1 })
    const csv = join(dir, 'snapshot.csv')
    writeFileSync(csv, 'day,airline,bookings\n2025-05-01,Fizz,3\n2025-05-02,Buzz,4\n')
    const appended = await api.appendDatasource('bookings_snapshot', { file: csv })
    expect(appended).toMatchObject({ successful_rows: 2 })
    const r = await api.sql<{ n: number }>(
      "SELECT count() AS n FROM events WHERE airline = 'SdkAir'",
    )
    expect(r.data[0]!.n).toBe(2)
  })

  it('truncates a data source', async () => {
    const api = createTinybirdApi({ baseUrl: t.url, token: t.adminToken })
    await api.truncateDatasource('bookings_snapshot')
    const r = await api.sql<{ n: number }>('SELECT count() AS n FROM bookings_snapshot')
    expect(r.data[0]!.n).toBe(0)
  })

  it('mints a JWT through the Token API and queries with it', async () => {
    const { token } = await createJWT(
      { baseUrl: t.url, token: t.adminToken },
      {
        name: 'sdk_jwt',
        expiresAt: new Date(Date.now() + 600_000),
        scopes: [{ type: 'PIPES:READ', resource: 'top_airlines' }],
      },
    )
    const asJwt = createTinybirdApi({ baseUrl: t.url, token })
    expect((await asJwt.query('top_airlines')).rows).toBe(6) // the five fixture airlines + SdkAir ingested above
    const denied = await asJwt.query('top_routes').catch((e: unknown) => e)
    expect(denied).toBeInstanceOf(TinybirdApiError)
    expect((denied as TinybirdApiError).statusCode).toBe(403)
  })
})
