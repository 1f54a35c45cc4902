import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../helpers/server.js'

let t: TestServer
beforeAll(async () => {
  t = await startTestServer()
})
afterAll(async () => {
  await t.close()
})

interface Doc {
  openapi: string
  paths: Record<
    string,
    {
      get: {
        operationId: string
        parameters: {
          name: string
          required: boolean
          description?: string
          schema: Record<string, unknown>
        }[]
        responses: Record<
          string,
          {
            content?: Record<
              string,
              {
                schema: {
                  properties: { data: { items: { properties: Record<string, { type: unknown }> } } }
                }
              }
            >
          }
        >
      }
    }
  >
}

describe('GET /v0/pipes/openapi.json', () => {
  it('describes every endpoint with typed params and response columns', async () => {
    const res = await t.fetch('/v0/pipes/openapi.json', {
      headers: { Authorization: `Bearer ${t.adminToken}` },
    })
    expect(res.status).toBe(200)
    const doc = (await res.json()) as Doc
    expect(doc.openapi).toBe('3.1.0')
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/v0/pipes/adult_bookings.json',
      '/v0/pipes/custom_errors.json',
      '/v0/pipes/org_bookings.json',
      '/v0/pipes/top_airlines.json',
      '/v0/pipes/top_routes.json',
      '/v0/pipes/travellers_by_airline.json',
    ])
    const org = doc.paths['/v0/pipes/org_bookings.json']!.get
    expect(org.parameters).toEqual(
      expect.arrayContaining([
        {
          name: 'org_id',
          in: 'query',
          required: true,
          description: 'Tenant id',
          schema: { type: 'string' },
        },
        expect.objectContaining({
          name: 'limit',
          required: false,
          schema: { type: 'integer', minimum: -2147483648, maximum: 2147483647, default: 50 },
        }),
      ]),
    )
    const top = doc.paths['/v0/pipes/top_airlines.json']!.get
    const columns =
      top.responses['200']!.content!['application/json']!.schema.properties.data.items.properties
    expect(columns).toEqual({ airline: { type: 'string' }, bookings: { type: 'integer' } })
  })

  it('lists only the endpoints a JWT may read', async () => {
    const jwt = await t.signJwt({
      exp: t.nowSeconds() + 60,
      scopes: [{ type: 'PIPES:READ', resource: 'top_airlines' }],
    })
    const doc = (await (await t.fetch(`/v0/pipes/openapi.json?token=${jwt}`)).json()) as Doc
    expect(Object.keys(doc.paths)).toEqual(['/v0/pipes/top_airlines.json'])
  })
})

describe('GET /v0/pipes/<pipe>/openapi.json', () => {
  it("describes one pipe, for a token that may read it, and hides others' existence", async () => {
    const jwt = await t.signJwt({
      exp: t.nowSeconds() + 60,
      scopes: [{ type: 'PIPES:READ', resource: 'top_airlines' }],
    })
    const res = await t.fetch(`/v0/pipes/top_airlines/openapi.json?token=${jwt}`)
    expect(res.status).toBe(200)
    const doc = (await res.json()) as Doc
    expect(Object.keys(doc.paths)).toEqual(['/v0/pipes/top_airlines.json'])
    const other = await t.fetch(`/v0/pipes/org_bookings/openapi.json?token=${jwt}`)
    expect(other.status).toBe(404)
    const missing = await t.fetch(`/v0/pipes/nope/openapi.json?token=${jwt}`)
    expect(missing.status).toBe(404)
    expect(await other.json()).toMatchObject({ code: 'ERR_REQUEST_NOT_FOUND' })
  })
})
