import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { datafileChartId } from '../../src/charts/index.js'
import { startTestServer, type TestServer } from '../helpers/server.js'

let t: TestServer
const BARS = datafileChartId('top_airlines', 'top_airlines_bars')
const TABLE = datafileChartId('top_routes', 'top_routes_table')

beforeAll(async () => {
  t = await startTestServer()
})
afterAll(async () => {
  await t.close()
})

const readJwt = (pipe: string, expSeconds = 600): Promise<string> =>
  t.signJwt({
    exp: t.nowSeconds() + expSeconds,
    scopes: [{ type: 'PIPES:READ', resource: pipe }],
  })

const admin = (init: RequestInit = {}): RequestInit => ({
  ...init,
  headers: {
    authorization: `Bearer ${t.adminToken}`,
    'content-type': 'application/json',
    ...(init.headers as Record<string, string> | undefined),
  },
})

describe('chart definitions from .chart datafiles', () => {
  it('lists the pipe charts for a JWT that may read the pipe, with stable ids', async () => {
    const token = await readJwt('top_airlines')
    const res = await t.fetch(`/v0/pipes/top_airlines/endpoint/charts?token=${token}`)
    expect(res.status).toBe(200)
    const body = (await res.json()) as { charts: Record<string, unknown>[] }
    expect(body.charts).toHaveLength(1)
    expect(body.charts[0]).toMatchObject({
      id: BARS,
      pipe: 'top_airlines',
      name: 'top_airlines_bars',
      type: 'bar',
      index: 'airline',
      categories: ['bookings'],
      refresh_interval: 1,
      origin: 'datafile',
      url: `${t.url}/endpoints/top_airlines/charts/${BARS}`,
    })
  })

  it('returns one chart, and refuses a JWT for another pipe', async () => {
    const ok = await t.fetch(
      `/v0/pipes/top_routes/endpoint/charts/${TABLE}?token=${await readJwt('top_routes')}`,
    )
    expect(ok.status).toBe(200)
    expect(await ok.json()).toMatchObject({
      id: TABLE,
      type: 'table',
      params: ['limit', 'min_age'],
    })
    const denied = await t.fetch(
      `/v0/pipes/top_routes/endpoint/charts/${TABLE}?token=${await readJwt('top_airlines')}`,
    )
    expect(denied.status).toBe(403)
    expect(await denied.json()).toMatchObject({ code: 'ERR_AUTH_SCOPE_DENIED' })
  })

  it('keeps the ids across restarts', async () => {
    t = await t.restart()
    const res = await t.fetch(`/v0/pipes/top_airlines/endpoint/charts/${BARS}`, admin())
    expect(res.status).toBe(200)
  })

  it('refuses to change a datafile chart through the API', async () => {
    const res = await t.fetch(
      `/v0/pipes/top_airlines/endpoint/charts/${BARS}`,
      admin({ method: 'DELETE' }),
    )
    expect(res.status).toBe(409)
    expect(res.headers.get('x-error-code')).toBe('ERR_REQUEST_CONFLICT')
  })
})

describe('chart definitions through the API', () => {
  it('creates, updates and deletes a chart with an admin token', async () => {
    const created = await t.fetch(
      '/v0/pipes/top_airlines/endpoint/charts',
      admin({
        method: 'POST',
        body: JSON.stringify({
          name: 'donut',
          type: 'donut',
          index: 'airline',
          categories: ['bookings'],
        }),
      }),
    )
    expect(created.status).toBe(201)
    const chart = (await created.json()) as { id: string; origin: string }
    expect(chart.origin).toBe('api')
    const path = `/v0/pipes/top_airlines/endpoint/charts/${chart.id}`
    const updated = await t.fetch(
      path,
      admin({ method: 'PUT', body: JSON.stringify({ title: 'Share', colors: ['#f00'] }) }),
    )
    expect(updated.status).toBe(200)
    expect(await updated.json()).toMatchObject({ name: 'donut', title: 'Share', colors: ['#f00'] })
    expect((await t.fetch(path, admin({ method: 'DELETE' }))).status).toBe(204)
    expect((await t.fetch(path, admin())).status).toBe(404)
  })

  it('validates the body with readable messages', async () => {
    const res = await t.fetch(
      '/v0/pipes/top_airlines/endpoint/charts',
      admin({ method: 'POST', body: JSON.stringify({ type: 'bar', categories: ['bookings'] }) }),
    )
    expect(res.status).toBe(400)
    const body = (await res.json()) as { error: string; code: string }
    expect(body.code).toBe('ERR_REQUEST_BODY')
    expect(body.error).toContain('index is required for a bar chart')
  })

  it('needs an admin token to write, and refuses JWTs there', async () => {
    const jwt = await readJwt('top_airlines')
    const res = await t.fetch(`/v0/pipes/top_airlines/endpoint/charts?token=${jwt}`, {
      method: 'POST',
      body: JSON.stringify({ type: 'kpi', categories: ['bookings'] }),
    })
    expect(res.status).toBe(403)
    expect(res.headers.get('x-error-code')).toBe('ERR_AUTH_JWT_NOT_ALLOWED')
  })
})

describe('the embeddable page', () => {
  it('is embeddable from any origin, loads only its own scripts, and carries the spec', async () => {
    const res = await t.fetch(
      `/endpoints/top_airlines/charts/${BARS}?token=${await readJwt('top_airlines')}`,
    )
    expect(res.status).toBe(200)
    expect(res.headers.get('x-frame-options')).toBeNull()
    const csp = res.headers.get('content-security-policy') ?? ''
    expect(csp).toContain('frame-ancestors *')
    expect(csp).toContain("script-src 'self'")
    expect(res.headers.get('referrer-policy')).toBe('no-referrer')
    const html = await res.text()
    expect(html).toContain('"name":"top_airlines_bars"')
    expect(html).not.toMatch(/https?:\/\//)
  })

  it('renders refusals as a visible message with the error status', async () => {
    const expired = await readJwt('top_airlines', -10)
    const res = await t.fetch(`/endpoints/top_airlines/charts/${BARS}?token=${expired}`)
    expect(res.status).toBe(403)
    expect(res.headers.get('x-error-code')).toBe('ERR_AUTH_TOKEN_EXPIRED')
    const html = await res.text()
    expect(html).toContain('role="alert"')
    expect(html).not.toContain('top_airlines_bars')
    const other = await t.fetch(
      `/endpoints/top_airlines/charts/${BARS}?token=${await readJwt('top_routes')}`,
    )
    expect(other.status).toBe(403)
    expect(await other.text()).toContain('have access to this resource')
  })

  it('serves ECharts from the package, gzipped, with an ETag, and answers 304', async () => {
    const res = await t.fetch('/charts/assets/echarts.min.js')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('javascript')
    expect(res.headers.get('content-encoding')).toBe('gzip')
    const etag = res.headers.get('etag')!
    expect((await res.text()).length).toBeGreaterThan(100_000)
    const again = await t.fetch('/charts/assets/echarts.min.js', {
      headers: { 'if-none-match': etag },
    })
    expect(again.status).toBe(304)
    expect((await t.fetch('/charts/assets/nope.js')).status).toBe(404)
  })
})
