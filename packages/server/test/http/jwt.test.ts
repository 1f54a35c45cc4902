import jwt from 'jsonwebtoken'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../helpers/server.js'

let t: TestServer
const read = (pipe: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'PIPES:READ',
  resource: pipe,
  ...extra,
})

beforeAll(async () => {
  t = await startTestServer()
})
afterAll(async () => {
  await t.close()
})

async function expectRefused(
  token: string,
  code: string,
  path = '/v0/pipes/top_airlines.json',
): Promise<void> {
  const res = await t.fetch(
    `${path}${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`,
  )
  expect(res.status).toBe(403)
  const body = (await res.json()) as { error: string; code: string }
  expect(body.code).toBe(code)
  expect(res.headers.get('x-error-code')).toBe(code)
  expect(JSON.stringify(body)).not.toContain(token)
}

describe('JWTs on pipe endpoints', () => {
  it("accepts the seed's own jsonwebtoken code (admin token as secret, noTimestamp)", async () => {
    // Seed 000 token.ts, verbatim in substance.
    const payload = {
      workspace_id: t.workspaceId,
      name: 'my_demo_jwt',
      exp: Math.floor(Date.now() / 1000) + 600,
      scopes: [{ type: 'PIPES:READ', resource: 'top_airlines' }],
    }
    const token = jwt.sign(payload, t.adminToken, { noTimestamp: true })
    const res = await t.fetch(`/v0/pipes/top_airlines.json?token=${token}`)
    expect(res.status).toBe(200)
    expect(((await res.json()) as { rows: number }).rows).toBe(5)
  })

  it('accepts the JWT in an Authorization: Bearer header, and fractional exp', async () => {
    const token = await t.signJwt({ exp: t.nowSeconds() + 60.5, scopes: [read('top_airlines')] })
    const res = await t.fetch('/v0/pipes/top_airlines.json', {
      headers: { Authorization: `Bearer ${token}` },
    })
    expect(res.status).toBe(200)
  })

  it('accepts the pipe id as the scope resource', async () => {
    const id = t.srv.workspace.pipe('top_airlines')!.id
    const token = await t.signJwt({ exp: t.nowSeconds() + 60, scopes: [read(id)] })
    expect((await t.fetch(`/v0/pipes/top_airlines.json?token=${token}`)).status).toBe(200)
  })

  it('reads ?token= before the Authorization header (Tinybird order)', async () => {
    const good = await t.signJwt({ exp: t.nowSeconds() + 60, scopes: [read('top_airlines')] })
    const res = await t.fetch(`/v0/pipes/top_airlines.json?token=${good}`, {
      headers: { Authorization: 'Bearer p.garbage' },
    })
    expect(res.status).toBe(200)
  })

  it('refuses an expired token with ERR_AUTH_TOKEN_EXPIRED (the code clients refresh on)', async () => {
    await expectRefused(
      await t.signJwt({ exp: t.nowSeconds() - 1, scopes: [read('top_airlines')] }),
      'ERR_AUTH_TOKEN_EXPIRED',
    )
  })

  it('refuses a token not yet valid (nbf in the future)', async () => {
    await expectRefused(
      await t.signJwt({
        exp: t.nowSeconds() + 600,
        nbf: t.nowSeconds() + 300,
        scopes: [read('top_airlines')],
      }),
      'ERR_AUTH_TOKEN_INVALID',
    )
  })

  it('refuses a token signed with another key', async () => {
    await expectRefused(
      await t.signJwt(
        { exp: t.nowSeconds() + 60, scopes: [read('top_airlines')] },
        { secret: 'p.not-the-admin-token' },
      ),
      'ERR_AUTH_TOKEN_INVALID',
    )
  })

  it('refuses alg: none', async () => {
    const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url')
    const token = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ workspace_id: t.workspaceId, name: 'x', exp: t.nowSeconds() + 60, scopes: [read('top_airlines')] })}.`
    await expectRefused(token, 'ERR_AUTH_TOKEN_INVALID')
  })

  it('refuses a tampered payload carrying the old signature', async () => {
    const token = await t.signJwt({ exp: t.nowSeconds() + 60, scopes: [read('custom_errors')] })
    const [h, , s] = token.split('.')
    const forged = Buffer.from(
      JSON.stringify({
        workspace_id: t.workspaceId,
        name: 'x',
        exp: t.nowSeconds() + 60,
        scopes: [read('top_airlines')],
      }),
    ).toString('base64url')
    await expectRefused(`${h}.${forged}.${s}`, 'ERR_AUTH_TOKEN_INVALID')
  })

  it('refuses a token for another workspace', async () => {
    await expectRefused(
      await t.signJwt({
        workspace_id: '00000000-0000-4000-8000-000000000000',
        exp: t.nowSeconds() + 60,
        scopes: [read('top_airlines')],
      }),
      'ERR_AUTH_TOKEN_INVALID',
    )
  })

  it('refuses a token scoped to another pipe with ERR_AUTH_SCOPE_DENIED', async () => {
    await expectRefused(
      await t.signJwt({ exp: t.nowSeconds() + 60, scopes: [read('top_routes')] }),
      'ERR_AUTH_SCOPE_DENIED',
    )
  })

  it('refuses JWTs on the SQL API and management APIs', async () => {
    const token = await t.signJwt({ exp: t.nowSeconds() + 60, scopes: [read('top_airlines')] })
    for (const path of ['/v0/sql?q=SELECT%201', '/v0/pipes', '/v0/datasources']) {
      const res = await t.fetch(`${path}${path.includes('?') ? '&' : '?'}token=${token}`)
      expect(res.status, path).toBe(403)
      expect(await res.json()).toMatchObject({ code: 'ERR_AUTH_JWT_NOT_ALLOWED' })
    }
  })

  it('refuses a request without a token', async () => {
    const res = await t.fetch('/v0/pipes/top_airlines.json')
    expect(res.status).toBe(403)
    expect(await res.json()).toMatchObject({
      code: 'ERR_AUTH_TOKEN_MISSING',
      error: expect.stringMatching(/^invalid authentication token/) as string,
    })
  })
})

describe('fixed_params: tenant isolation', () => {
  const tenantToken = (
    org: string,
    spelling: 'fixed_params' | 'fixed_parameters' = 'fixed_params',
  ): Promise<string> =>
    t.signJwt({
      exp: t.nowSeconds() + 60,
      scopes: [read('org_bookings', { [spelling]: { org_id: org } })],
    })
  const orgsIn = async (res: Response): Promise<string[]> => {
    expect(res.status).toBe(200)
    const body = (await res.json()) as { data: { org_id: string }[] }
    return [...new Set(body.data.map((r) => r.org_id))]
  }

  it('pins the parameter: the JWT sees only its tenant', async () => {
    expect(
      await orgsIn(
        await t.fetch(`/v0/pipes/org_bookings.json?token=${await tenantToken('org_a')}`),
      ),
    ).toEqual(['org_a'])
  })

  it("accepts the seed's fixed_parameters spelling", async () => {
    expect(
      await orgsIn(
        await t.fetch(
          `/v0/pipes/org_bookings.json?token=${await tenantToken('org_b', 'fixed_parameters')}`,
        ),
      ),
    ).toEqual(['org_b'])
  })

  it('wins over the same parameter in the query string, repeated keys and a POST body', async () => {
    const token = await tenantToken('org_a')
    expect(
      await orgsIn(await t.fetch(`/v0/pipes/org_bookings.json?token=${token}&org_id=org_b`)),
    ).toEqual(['org_a'])
    expect(
      await orgsIn(
        await t.fetch(`/v0/pipes/org_bookings.json?token=${token}&org_id=org_b&org_id=org_a`),
      ),
    ).toEqual(['org_a'])
    const post = await t.fetch(`/v0/pipes/org_bookings.json?token=${token}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ org_id: 'org_b' }),
    })
    expect(await orgsIn(post)).toEqual(['org_a'])
  })

  it('cannot be escaped through q= reading the data source directly', async () => {
    const token = await tenantToken('org_a')
    const q = encodeURIComponent('SELECT org_id, count() AS bookings FROM events GROUP BY org_id')
    const res = await t.fetch(`/v0/pipes/org_bookings.json?token=${token}&q=${q}`)
    expect(res.status).toBe(403)
    expect(await res.json()).toMatchObject({ code: 'ERR_AUTH_SCOPE_DENIED' })
    const viaDb = encodeURIComponent(`SELECT * FROM ${t.srv.workspace.database}.events`)
    expect((await t.fetch(`/v0/pipes/org_bookings.json?token=${token}&q=${viaDb}`)).status).toBe(
      403,
    )
    const viaFile = encodeURIComponent("SELECT * FROM file('/etc/passwd', 'LineAsString')")
    expect((await t.fetch(`/v0/pipes/org_bookings.json?token=${token}&q=${viaFile}`)).status).toBe(
      403,
    )
  })

  it('still allows q= over _, with the tenant pinned', async () => {
    const token = await tenantToken('org_b')
    const q = encodeURIComponent('SELECT DISTINCT org_id FROM _')
    expect(
      await orgsIn(await t.fetch(`/v0/pipes/org_bookings.json?token=${token}&q=${q}`)),
    ).toEqual(['org_b'])
  })
})
