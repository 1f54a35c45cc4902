import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../helpers/server.js'

let t: TestServer
beforeAll(async () => {
  t = await startTestServer({ config: { auth: { failureStatus: 401 } } })
})
afterAll(async () => {
  await t.close()
})

describe('auth.failureStatus: 401 (RFC 6750 mode)', () => {
  it('answers an expired token 401 with a Bearer challenge and the same code', async () => {
    const token = await t.signJwt({
      exp: t.nowSeconds() - 5,
      scopes: [{ type: 'PIPES:READ', resource: 'top_airlines' }],
    })
    const res = await t.fetch(`/v0/pipes/top_airlines.json?token=${token}`)
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/)
    expect(await res.json()).toMatchObject({ code: 'ERR_AUTH_TOKEN_EXPIRED' })
  })
  it('keeps 403 for a valid token without the scope', async () => {
    const token = await t.signJwt({
      exp: t.nowSeconds() + 60,
      scopes: [{ type: 'PIPES:READ', resource: 'top_routes' }],
    })
    const res = await t.fetch(`/v0/pipes/top_airlines.json?token=${token}`)
    expect(res.status).toBe(403)
    expect(res.headers.get('www-authenticate')).toMatch(/insufficient_scope/)
  })
})
