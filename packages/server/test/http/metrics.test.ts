import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../helpers/server.js'

let t: TestServer
beforeAll(async () => {
  t = await startTestServer()
})
afterAll(async () => {
  await t.close()
})

const scrape = async (): Promise<string> => {
  const res = await t.fetch('/metrics', { headers: { Authorization: `Bearer ${t.adminToken}` } })
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/)
  return res.text()
}
const value = (text: string, series: string): number => {
  const line = text.split('\n').find((l) => l.startsWith(series))
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1))
}

describe('GET /metrics', () => {
  it('counts requests by route, status and code, and auth failures by code', async () => {
    await t.fetch('/v0/pipes/top_airlines.json', {
      headers: { Authorization: `Bearer ${t.adminToken}` },
    })
    await t.fetch('/v0/pipes/top_airlines.json?token=p.nope')
    await t.fetch('/v0/pipes/top_airlines.json?token=p.nope')
    const text = await scrape()
    expect(
      value(
        text,
        'dunlin_http_requests_total{route="/v0/pipes/:pipe",method="GET",status="200",code=""}',
      ),
    ).toBeGreaterThanOrEqual(1)
    expect(
      value(
        text,
        'dunlin_http_requests_total{route="/v0/pipes/:pipe",method="GET",status="403",code="ERR_AUTH_TOKEN_INVALID"}',
      ),
    ).toBe(2)
    expect(value(text, 'dunlin_auth_failures_total{code="ERR_AUTH_TOKEN_INVALID"}')).toBe(2)
    expect(
      value(text, 'dunlin_pipe_request_duration_seconds_count{pipe="top_airlines"}'),
    ).toBeGreaterThanOrEqual(1)
    expect(
      value(text, 'dunlin_engine_query_duration_seconds_count{kind="read"}'),
    ).toBeGreaterThanOrEqual(1)
    expect(text).toContain('dunlin_process_cpu_seconds_total')
  })

  it('needs an admin token and never shows a token', async () => {
    expect((await t.fetch('/metrics')).status).toBe(403)
    const ws = t.srv.workspace
    const readToken = ws.tokenValue(ws.tokens.find((x) => x.name === 'top_airlines_read_static')!)
    expect((await t.fetch(`/metrics?token=${readToken}`)).status).toBe(403)
    expect(await scrape()).not.toContain(t.adminToken)
  })
})
