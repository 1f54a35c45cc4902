import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { booking } from '../ingest/helpers.js'

let t: TestServer
const auth = (): Record<string, string> => ({ Authorization: `Bearer ${t.adminToken}` })
const post = (path: string, body: string): Promise<Response> =>
  t.fetch(path, { method: 'POST', body, headers: auth() })

// A long flush interval: rows accepted without wait=true stay in the buffer until a wait=true request.
beforeAll(async () => {
  t = await startTestServer({ config: { ingest: { flushIntervalMs: 60_000 } } })
})
afterAll(async () => {
  await t.close()
})

const scrape = async (): Promise<string> => {
  const res = await t.fetch('/metrics', { headers: auth() })
  expect(res.status).toBe(200)
  return res.text()
}
/** The value of `name{…labels…}` (labels in any order); 0 when the series is absent. */
const value = (text: string, name: string, labels: Record<string, string>): number => {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${v}"`)
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`${name}{`) && pairs.every((p) => l.includes(p)))
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1))
}

describe('GET /metrics: ingest', () => {
  it('shows Events API rows in the buffer, then counts them written and quarantined', async () => {
    const ev = { datasource: 'events', api: 'events' }
    const before = await scrape()
    const first = [1, 2].map((i) => JSON.stringify(booking(8000 + i))).join('\n') + '\n'
    const bad = JSON.stringify(booking(8003, { age: 'old' })) + '\n'
    const res = await post('/v0/events?name=events', first + bad)
    expect(res.status).toBe(202)
    const buffered = await scrape()
    expect(value(buffered, 'dunlin_ingest_buffer_rows', { datasource: 'events' })).toBe(2)
    expect(value(buffered, 'dunlin_ingest_buffer_bytes', { datasource: 'events' })).toBeGreaterThan(
      0,
    )
    expect(value(buffered, 'dunlin_ingest_bytes_total', ev)).toBe(
      value(before, 'dunlin_ingest_bytes_total', ev) + Buffer.byteLength(first + bad),
    )

    // wait=true flushes the whole buffer of the data source, earlier rows included.
    const last = JSON.stringify(booking(8004)) + '\n'
    expect((await post('/v0/events?name=events&wait=true', last)).status).toBe(200)
    const after = await scrape()
    expect(value(after, 'dunlin_ingest_rows_total', ev)).toBe(
      value(before, 'dunlin_ingest_rows_total', ev) + 3,
    )
    expect(value(after, 'dunlin_ingest_quarantined_rows_total', ev)).toBe(
      value(before, 'dunlin_ingest_quarantined_rows_total', ev) + 1,
    )
    expect(value(after, 'dunlin_ingest_buffer_rows', { datasource: 'events' })).toBe(0)
  })

  it('counts Data Sources API appends under api="datasources"', async () => {
    const schema = encodeURIComponent('`id` Int32, `name` String')
    expect(
      (await post(`/v0/datasources?mode=create&name=m_people&schema=${schema}`, '')).status,
    ).toBe(200)
    const csv = '1,ann\n2,bob\nx,cy\n'
    expect((await post('/v0/datasources?mode=append&name=m_people', csv)).status).toBe(200)
    const text = await scrape()
    const ds = { datasource: 'm_people', api: 'datasources' }
    expect(value(text, 'dunlin_ingest_rows_total', ds)).toBe(2)
    expect(value(text, 'dunlin_ingest_quarantined_rows_total', ds)).toBe(1)
    expect(value(text, 'dunlin_ingest_bytes_total', ds)).toBe(Buffer.byteLength(csv))
    expect(text).not.toContain(t.adminToken)
  })
})
