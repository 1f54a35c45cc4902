import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../helpers/server.js'

interface JsonResult {
  meta: { name: string; type: string }[]
  data: Record<string, unknown>[]
  rows: number
  rows_before_limit_at_least?: number
  statistics: { elapsed: number; rows_read: number; bytes_read: number }
}

let t: TestServer
const admin = (): Record<string, string> => ({ Authorization: `Bearer ${t.adminToken}` })

beforeAll(async () => {
  t = await startTestServer({ config: { limits: { queryTimeoutMs: 500 } } })
})
afterAll(async () => {
  await t.close()
})

describe('GET /v0/pipes/<name>.json', () => {
  it("answers ClickHouse's JSON shape verbatim for the seed's top_airlines", async () => {
    const res = await t.fetch('/v0/pipes/top_airlines.json', { headers: admin() })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    const body = (await res.json()) as JsonResult
    expect(body.meta).toEqual([
      { name: 'airline', type: 'String' },
      { name: 'bookings', type: 'UInt64' },
    ])
    expect(body.rows).toBe(5)
    expect(body.data[0]).toEqual({ airline: 'Fizz', bookings: expect.any(Number) as number })
    const counts = body.data.map((r) => r['bookings'] as number)
    expect(counts).toEqual([...counts].sort((a, b) => b - a))
    expect(counts.reduce((a, b) => a + b, 0)).toBe(200)
    expect(body.statistics).toMatchObject({ elapsed: expect.any(Number) as number, rows_read: 200 })
  })

  it('resolves a pipe by its t_ id as well as its name', async () => {
    const pipe = t.srv.workspace.pipe('top_airlines')!
    expect(pipe.id).toMatch(/^t_[0-9a-f]{32}$/)
    const res = await t.fetch(`/v0/pipes/${pipe.id}.json`, { headers: admin() })
    expect(res.status).toBe(200)
    expect(((await res.json()) as JsonResult).rows).toBe(5)
  })

  it('serves CSV with a header, NDJSON and Parquet', async () => {
    const csv = await t.fetch('/v0/pipes/top_airlines.csv', { headers: admin() })
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/)
    const lines = (await csv.text()).trim().split('\n')
    expect(lines[0]).toBe('"airline","bookings"')
    expect(lines).toHaveLength(6)

    const nd = await t.fetch('/v0/pipes/top_airlines.ndjson', { headers: admin() })
    expect(nd.headers.get('content-type')).toBe('application/x-ndjson')
    const rows = (await nd.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(rows).toHaveLength(5)
    expect(Object.keys(rows[0]!)).toEqual(['airline', 'bookings'])

    const pq = await t.fetch('/v0/pipes/top_airlines.parquet', { headers: admin() })
    expect(pq.status).toBe(200)
    const bytes = new Uint8Array(await pq.arrayBuffer())
    expect(new TextDecoder().decode(bytes.slice(0, 4))).toBe('PAR1')
  })

  it('composes nodes: a node reads an earlier node and another pipe by name', async () => {
    const res = await t.fetch('/v0/pipes/top_routes.json?limit=3', { headers: admin() })
    expect(res.status).toBe(200)
    const body = (await res.json()) as JsonResult
    expect(body.rows).toBe(3)
    expect(body.meta.map((m) => m.name)).toEqual([
      'flight_from',
      'flight_to',
      'bookings',
      'airline_total',
    ])
    expect(body.rows_before_limit_at_least).toBeGreaterThan(3)
  })

  it('takes typed params from the query string, the first value winning for scalars', async () => {
    const a = (await (
      await t.fetch('/v0/pipes/org_bookings.json?org_id=org_b', { headers: admin() })
    ).json()) as JsonResult
    expect(a.data.every((r) => r['org_id'] === 'org_b')).toBe(true)
    const total = a.data.reduce((s, r) => s + (r['bookings'] as number), 0)
    expect(total).toBe(50)
    const filtered = (await (
      await t.fetch('/v0/pipes/org_bookings.json?org_id=org_b&origin=JFK&limit=2', {
        headers: admin(),
      })
    ).json()) as JsonResult
    expect(filtered.rows).toBeLessThanOrEqual(2)
  })

  it('merges a POST JSON body over the query args', async () => {
    const res = await t.fetch('/v0/pipes/org_bookings.json?org_id=org_a', {
      method: 'POST',
      headers: { ...admin(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ org_id: 'org_b', limit: 1 }),
    })
    expect(res.status).toBe(200)
    const body = (await res.json()) as JsonResult
    expect(body.rows).toBe(1)
    expect(body.data[0]!['org_id']).toBe('org_b')
  })

  it('renders 64-bit integers as JSON numbers by default and quoted on request', async () => {
    const plain = await (await t.fetch('/v0/pipes/custom_errors.json', { headers: admin() })).text()
    expect(plain).toMatch(/"big": 18446744073709551615/)
    const quoted = await (
      await t.fetch('/v0/pipes/custom_errors.json?output_format_json_quote_64bit_integers=1', {
        headers: admin(),
      })
    ).text()
    expect(quoted).toMatch(/"big": "18446744073709551615"/)
    const bad = await t.fetch(
      '/v0/pipes/custom_errors.json?output_format_json_quote_64bit_integers=2',
      { headers: admin() },
    )
    expect(bad.status).toBe(400)
    expect(await bad.json()).toMatchObject({ code: 'ERR_REQUEST_PARAM' })
  })

  it('applies q= over the result with _ standing for the pipe', async () => {
    const q = encodeURIComponent('SELECT airline FROM _ WHERE bookings > 20 ORDER BY airline')
    const res = await t.fetch(`/v0/pipes/top_airlines.json?q=${q}`, { headers: admin() })
    expect(res.status).toBe(200)
    const body = (await res.json()) as JsonResult
    expect(body.meta).toEqual([{ name: 'airline', type: 'String' }])
    expect(body.data.map((r) => r['airline'])).toEqual(
      [...body.data.map((r) => r['airline'])].sort(),
    )
  })

  it('refuses a templated q=', async () => {
    const res = await t.fetch(`/v0/pipes/top_airlines.json?q=${encodeURIComponent('% SELECT 1')}`, {
      headers: admin(),
    })
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ code: 'ERR_REQUEST_PARAM' })
  })
})

describe('endpoint errors', () => {
  it('404 for an unknown pipe, with Tinybird text and our code', async () => {
    const res = await t.fetch('/v0/pipes/nope.json', { headers: admin() })
    expect(res.status).toBe(404)
    expect(res.headers.get('x-error-code')).toBe('ERR_REQUEST_NOT_FOUND')
    expect(await res.json()).toMatchObject({
      error: "The pipe 'nope' does not exist",
      code: 'ERR_REQUEST_NOT_FOUND',
    })
  })

  it('404 for a pipe without an endpoint node', async () => {
    const res = await t.fetch('/v0/pipes/draft.json', { headers: admin() })
    expect(res.status).toBe(404)
    expect(await res.json()).toMatchObject({
      error: "The pipe 'draft' does not have an endpoint yet",
    })
  })

  it('400 with ERR_TEMPLATE_PARAM_MISSING for a required parameter', async () => {
    const res = await t.fetch('/v0/pipes/org_bookings.json', { headers: admin() })
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ code: 'ERR_TEMPLATE_PARAM_MISSING' })
  })

  it('400 with ERR_TEMPLATE_PARAM_TYPE for a bad typed value, without echoing it', async () => {
    const res = await t.fetch('/v0/pipes/org_bookings.json?org_id=org_a&limit=12abc', {
      headers: admin(),
    })
    expect(res.status).toBe(400)
    const body = (await res.json()) as { error: string; code: string }
    expect(body.code).toBe('ERR_TEMPLATE_PARAM_TYPE')
    expect(body.error).not.toContain('12abc')
  })

  it("error() answers 400 with the pipe's message; custom_error() its own status and body", async () => {
    const e = await t.fetch('/v0/pipes/custom_errors.json?fail=1', { headers: admin() })
    expect(e.status).toBe(400)
    expect(await e.json()).toMatchObject({ error: 'fail was set', code: 'ERR_TEMPLATE_ERROR' })
    const c = await t.fetch('/v0/pipes/custom_errors.json?teapot=1', { headers: admin() })
    expect(c.status).toBe(418)
    expect(await c.json()).toEqual({ message: 'short and stout' })
  })

  it('408 with ERR_ENGINE_TIMEOUT when the query passes the time limit', async () => {
    const res = await t.fetch('/v0/pipes/custom_errors.json?sleep=2', { headers: admin() })
    expect(res.status).toBe(408)
    expect(await res.json()).toMatchObject({ code: 'ERR_ENGINE_TIMEOUT' })
  })

  it('400 with ClickHouse’s explanation for invalid SQL in q=, without internal database names', async () => {
    const res = await t.fetch(
      `/v0/pipes/top_airlines.json?q=${encodeURIComponent('SELECT nope FROM _')}`,
      { headers: admin() },
    )
    expect(res.status).toBe(400)
    const body = (await res.json()) as { error: string; code: string }
    expect(body.code).toBe('ERR_ENGINE_QUERY_INVALID')
    expect(body.error).not.toContain(t.srv.workspace.database)
  })

  it('answers CORS preflight with 204 and the allowed headers', async () => {
    const res = await t.fetch('/v0/pipes/top_airlines.json', {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://app.example',
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'authorization',
      },
    })
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.headers.get('access-control-allow-headers')).toMatch(/Authorization/)
  })

  it('404 with a code for an unknown route', async () => {
    const res = await t.fetch('/v0/nothing-here')
    expect(res.status).toBe(404)
    expect(await res.json()).toMatchObject({ code: 'ERR_REQUEST_NOT_FOUND' })
  })
})

describe('GET /v0/pipes and /v0/pipes/<name>', () => {
  it('lists pipes with their nodes and typed params', async () => {
    const res = await t.fetch('/v0/pipes', { headers: admin() })
    expect(res.status).toBe(200)
    const { pipes } = (await res.json()) as {
      pipes: {
        name: string
        id: string
        nodes: {
          name: string
          params: { name: string; type: string; required: boolean; description?: string }[]
        }[]
        url?: string
      }[]
    }
    const org = pipes.find((p) => p.name === 'org_bookings')!
    expect(org.url).toBe(`${t.url}/v0/pipes/org_bookings.json`)
    const params = org.nodes.flatMap((n) => n.params)
    expect(params).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          name: 'org_id',
          type: 'String',
          required: true,
          description: 'Tenant id',
        }),
        expect.objectContaining({ name: 'limit', type: 'Int32' }),
      ]),
    )
  })

  it('returns one definition, and 404 for an unknown one', async () => {
    const ok = await t.fetch('/v0/pipes/top_airlines', { headers: admin() })
    expect(ok.status).toBe(200)
    expect(await ok.json()).toMatchObject({ name: 'top_airlines', nodes: [{ name: 'endpoint' }] })
    const missing = await t.fetch('/v0/pipes/unknown_pipe', { headers: admin() })
    expect(missing.status).toBe(404)
  })
})
