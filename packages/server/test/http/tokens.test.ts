import { SignJWT, decodeProtectedHeader } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authFailureCounts } from '../../src/api/authn.js'
import { FileCatalogStore } from '../../src/catalog/index.js'
import { startTestServer, type TestServer } from '../helpers/server.js'

let t: TestServer
const admin = (): Record<string, string> => ({ Authorization: `Bearer ${t.adminToken}` })
const as = (token: string): Record<string, string> => ({ Authorization: `Bearer ${token}` })

interface TokenJson {
  id: string
  token?: string
  name: string
  description: string
  scopes: { type: string; resource?: string; filter?: string }[]
  origin: { type: string }
}

beforeAll(async () => {
  t = await startTestServer()
})
afterAll(async () => {
  await t.close()
})

async function createStatic(name: string, scopes: string[], auth = admin()): Promise<Response> {
  const qs = new URLSearchParams({ name })
  for (const s of scopes) qs.append('scope', s)
  return t.fetch(`/v0/tokens?${qs.toString()}`, { method: 'POST', headers: auth })
}

describe('Token API (Tinybird-compatible)', () => {
  it('lists tokens in Tinybird shape, with values for an admin', async () => {
    const res = await t.fetch('/v0/tokens', { headers: admin() })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { tokens: TokenJson[] }
    const adminTok = body.tokens.find((x) => x.name === 'Workspace admin token')
    expect(adminTok).toMatchObject({ token: t.adminToken, scopes: [{ type: 'ADMIN' }] })
    const read = body.tokens.find((x) => x.name === 'top_airlines_read_static')
    expect(read?.scopes).toEqual([{ type: 'PIPES:READ', resource: 'top_airlines', filter: '' }])
    expect(read?.token).toMatch(/^p\./)
  })

  it('creates, reads, updates, refreshes and deletes a static token', async () => {
    const created = await createStatic('api_made', ['PIPES:READ:top_airlines'])
    expect(created.status).toBe(200)
    const tok = (await created.json()) as TokenJson
    expect(tok).toMatchObject({ name: 'api_made', origin: { type: 'api' } })
    const value = tok.token!
    expect((await t.fetch(`/v0/pipes/top_airlines.json?token=${value}`)).status).toBe(200)

    const byId = await t.fetch(`/v0/tokens/${tok.id}`, { headers: admin() })
    expect(((await byId.json()) as TokenJson).name).toBe('api_made')
    // Never by value: a token in a URL path would reach access logs.
    expect((await t.fetch(`/v0/tokens/${value}`, { headers: admin() })).status).toBe(404)

    const put = await t.fetch('/v0/tokens/api_made?scope=PIPES:READ:top_routes&description=d', {
      method: 'PUT',
      headers: admin(),
    })
    expect(put.status).toBe(200)
    expect(((await put.json()) as TokenJson).scopes[0]?.resource).toBe('top_routes')
    expect((await t.fetch(`/v0/pipes/top_airlines.json?token=${value}`)).status).toBe(403)
    expect((await t.fetch(`/v0/pipes/top_routes.json?token=${value}`)).status).toBe(200)

    const refreshed = await t.fetch('/v0/tokens/api_made/refresh', {
      method: 'POST',
      headers: admin(),
    })
    const fresh = ((await refreshed.json()) as TokenJson).token!
    expect(fresh).not.toBe(value)
    expect((await t.fetch(`/v0/pipes/top_routes.json?token=${value}`)).status).toBe(403)
    expect((await t.fetch(`/v0/pipes/top_routes.json?token=${fresh}`)).status).toBe(200)

    const del = await t.fetch('/v0/tokens/api_made', { method: 'DELETE', headers: admin() })
    expect(del.status).toBe(204)
    const after = await t.fetch(`/v0/pipes/top_routes.json?token=${fresh}`)
    expect(after.status).toBe(403)
    expect(await after.json()).toMatchObject({ code: 'ERR_AUTH_TOKEN_INVALID' })
    expect((await t.fetch('/v0/tokens/api_made', { headers: admin() })).status).toBe(404)
  })

  it('refuses bad scopes, duplicate names and deleting the workspace admin token', async () => {
    expect((await createStatic('bad', ['PIPES:READ'])).status).toBe(400)
    expect((await createStatic('bad', ['NOPE'])).status).toBe(400)
    expect((await createStatic('top_airlines_read_static', ['ADMIN'])).status).toBe(409)
    const del = await t.fetch('/v0/tokens/Workspace%20admin%20token', {
      method: 'DELETE',
      headers: admin(),
    })
    expect(del.status).toBe(409)
  })

  it('lets a TOKENS token manage tokens without seeing values or granting ADMIN', async () => {
    const mgr = ((await (await createStatic('mgr', ['TOKENS'])).json()) as TokenJson).token!
    const list = await t.fetch('/v0/tokens', { headers: as(mgr) })
    expect(list.status).toBe(200)
    const body = (await list.json()) as { tokens: TokenJson[] }
    expect(body.tokens.every((x) => x.token === undefined)).toBe(true)
    expect(JSON.stringify(body)).not.toContain(t.adminToken)

    const esc = await createStatic('escalate', ['ADMIN'], as(mgr))
    expect(esc.status).toBe(403)
    expect(await esc.json()).toMatchObject({ code: 'ERR_AUTH_SCOPE_DENIED' })
    const refreshAdmin = await t.fetch('/v0/tokens/Workspace%20admin%20token/refresh', {
      method: 'POST',
      headers: as(mgr),
    })
    expect(refreshAdmin.status).toBe(403)
    expect(await refreshAdmin.text()).not.toContain('p.')

    const ok = await createStatic('by_mgr', ['PIPES:READ:top_airlines'], as(mgr))
    expect(ok.status).toBe(200)
    expect(((await ok.json()) as TokenJson).token).toMatch(/^p\./)
  })

  it('refuses tokens without TOKENS/ADMIN, and JWTs', async () => {
    const pipeTok = t.srv.workspace.tokenValue(t.srv.workspace.token('top_airlines_read_static')!)
    const res = await t.fetch('/v0/tokens', { headers: as(pipeTok) })
    expect(res.status).toBe(403)
    expect(await res.json()).toMatchObject({
      code: 'ERR_AUTH_SCOPE_DENIED',
      error: 'token needs scope TOKENS',
    })
    const jwt = await t.signJwt({
      exp: t.nowSeconds() + 60,
      scopes: [{ type: 'PIPES:READ', resource: 'top_airlines' }],
    })
    const j = await t.fetch('/v0/tokens', { headers: as(jwt) })
    expect(j.status).toBe(403)
    expect(await j.json()).toMatchObject({ code: 'ERR_AUTH_JWT_NOT_ALLOWED' })
  })

  it('applies a DATASOURCES:READ filter created through the API on /v0/sql', async () => {
    const res = await createStatic('org_a_reader', ["DATASOURCES:READ:events:org_id = 'org_a'"])
    const tok = (await res.json()) as TokenJson
    expect(tok.scopes[0]).toEqual({
      type: 'DATASOURCES:READ',
      resource: 'events',
      filter: "org_id = 'org_a'",
    })
    const q = await t.fetch(
      `/v0/sql?q=${encodeURIComponent('SELECT DISTINCT org_id FROM events FORMAT JSON')}`,
      { headers: as(tok.token!) },
    )
    expect(q.status).toBe(200)
    const rows = ((await q.json()) as { data: { org_id: string }[] }).data
    expect(rows.map((r) => r.org_id)).toEqual(['org_a'])
  })
})

describe('POST /v0/tokens?expiration_time= (server-side JWT, @tinybirdco/sdk createJWT)', () => {
  it('mints a JWT that reads its pipe with its fixed params', async () => {
    const exp = t.nowSeconds() + 300
    // The SDK's path has a trailing slash.
    const res = await t.fetch(`/v0/tokens/?expiration_time=${exp}`, {
      method: 'POST',
      headers: { ...admin(), 'Content-Type': 'application/json' },
      body: JSON.stringify({
        name: 'sdk_jwt',
        scopes: [
          { type: 'PIPES:READ', resource: 'org_bookings', fixed_params: { org_id: 'org_b' } },
        ],
        limits: { rps: 50 },
      }),
    })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { token: string; exp: number; name: string }
    expect(body).toMatchObject({ exp, name: 'sdk_jwt' })
    const data = await t.fetch(`/v0/pipes/org_bookings.json?token=${body.token}&org_id=org_a`)
    expect(data.status).toBe(200)
    const orgs = ((await data.json()) as { data: { org_id: string }[] }).data.map((r) => r.org_id)
    expect(new Set(orgs)).toEqual(new Set(['org_b']))
    expect(data.headers.get('x-ratelimit-limit')).toBe('51')
  })

  it('refuses a past expiration, non-PIPES:READ scopes and unknown pipes', async () => {
    const post = (exp: number, scopes: unknown[]): Promise<Response> =>
      t.fetch(`/v0/tokens?expiration_time=${exp}`, {
        method: 'POST',
        headers: { ...admin(), 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'x', scopes }),
      })
    const ok = [{ type: 'PIPES:READ', resource: 'top_airlines' }]
    expect((await post(t.nowSeconds() - 1, ok)).status).toBe(400)
    expect(
      (await post(t.nowSeconds() + 60, [{ type: 'DATASOURCES:READ', resource: 'events' }])).status,
    ).toBe(400)
    expect(
      (await post(t.nowSeconds() + 60, [{ type: 'PIPES:READ', resource: 'nope' }])).status,
    ).toBe(400)
  })
})

describe('named signing keys: rotation without logging browsers out', () => {
  const signWith = (secret: string, kid: string | undefined, name = 'k_jwt'): Promise<string> =>
    new SignJWT({
      workspace_id: t.workspaceId,
      name,
      scopes: [{ type: 'PIPES:READ', resource: 'top_airlines' }],
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT', ...(kid ? { kid } : {}) })
      .setExpirationTime(t.nowSeconds() + 600)
      .sign(new TextEncoder().encode(secret))
  const read = (token: string): Promise<Response> =>
    t.fetch(`/v0/pipes/top_airlines.json?token=${token}`)

  it('adds, rotates and retires keys; admin-token tokens are unaffected until it is refreshed', async () => {
    const add = await t.fetch('/v0/keys?kid=k1', { method: 'POST', headers: admin() })
    expect(add.status).toBe(200)
    const k1 = (await add.json()) as { kid: string; secret: string; status: string }
    expect(k1).toMatchObject({ kid: 'k1', status: 'active' })
    const tok1 = await signWith(k1.secret, 'k1')
    expect((await read(tok1)).status).toBe(200)

    // A server-minted JWT now carries the active kid.
    const minted = await t.fetch(`/v0/tokens?expiration_time=${t.nowSeconds() + 60}`, {
      method: 'POST',
      headers: { ...admin(), 'Content-Type': 'application/json' },
      body: JSON.stringify({
        name: 'm',
        scopes: [{ type: 'PIPES:READ', resource: 'top_airlines' }],
      }),
    })
    const mintedToken = ((await minted.json()) as { token: string }).token
    expect(decodeProtectedHeader(mintedToken).kid).toBe('k1')
    expect((await read(mintedToken)).status).toBe(200)

    const rot = await t.fetch('/v0/keys?kid=k2&rotate=true', { method: 'POST', headers: admin() })
    const k2 = (await rot.json()) as { secret: string }
    const keys = (await (await t.fetch('/v0/keys', { headers: admin() })).json()) as {
      keys: { kid: string; status: string }[]
    }
    expect(keys.keys).toEqual([
      expect.objectContaining({ kid: 'k1', status: 'verify-only' }),
      expect.objectContaining({ kid: 'k2', status: 'active' }),
    ])
    expect(JSON.stringify(keys)).not.toContain(k1.secret)
    expect((await read(tok1)).status).toBe(200)

    // Minting with an explicit kid uses that active key; a verify-only or unknown kid is refused.
    const mint = (kid: string): Promise<Response> =>
      t.fetch(`/v0/tokens?expiration_time=${t.nowSeconds() + 60}&kid=${kid}`, {
        method: 'POST',
        headers: { ...admin(), 'Content-Type': 'application/json' },
        body: JSON.stringify({
          name: 'm',
          scopes: [{ type: 'PIPES:READ', resource: 'top_airlines' }],
        }),
      })
    const byKid = ((await (await mint('k2')).json()) as { token: string }).token
    expect(decodeProtectedHeader(byKid).kid).toBe('k2')
    expect((await read(byKid)).status).toBe(200)
    for (const kid of ['k1', 'nope']) {
      const refused = await mint(kid)
      expect(refused.status).toBe(400)
      expect(await refused.json()).toMatchObject({ code: 'ERR_REQUEST_PARAM' })
    }
    expect((await read(await signWith(k2.secret, 'k2'))).status).toBe(200)
    // A kid-signed token cannot borrow another kid.
    const wrongKid = await read(await signWith(k2.secret, 'k1'))
    expect(wrongKid.status).toBe(403)
    expect(await wrongKid.json()).toMatchObject({ code: 'ERR_AUTH_TOKEN_INVALID' })

    const retire = await t.fetch('/v0/keys/k1?status=revoked', { method: 'PUT', headers: admin() })
    expect(retire.status).toBe(200)
    const retired = await read(tok1)
    expect(retired.status).toBe(403)
    expect(await retired.json()).toMatchObject({ code: 'ERR_AUTH_TOKEN_REVOKED' })
  })
})

describe('revocation by name and jti', () => {
  it('takes effect on the next request and only for that name/jti', async () => {
    const mk = (name: string, jti?: string): Promise<string> =>
      t.signJwt({
        name,
        exp: t.nowSeconds() + 600,
        ...(jti ? { jti } : {}),
        scopes: [{ type: 'PIPES:READ', resource: 'top_airlines' }],
      })
    const victim = await mk('leaked_dashboard')
    const other = await mk('fine_dashboard', 'j-1')
    const byJti = await mk('fine_dashboard', 'j-2')
    for (const tok of [victim, other, byJti])
      expect((await t.fetch(`/v0/pipes/top_airlines.json?token=${tok}`)).status).toBe(200)

    expect(
      (
        await t.fetch('/v0/revocations?type=name&value=leaked_dashboard', {
          method: 'POST',
          headers: admin(),
        })
      ).status,
    ).toBe(200)
    await t.fetch('/v0/revocations?type=jti&value=j-2', { method: 'POST', headers: admin() })
    for (const tok of [victim, byJti]) {
      const res = await t.fetch(`/v0/pipes/top_airlines.json?token=${tok}`)
      expect(res.status).toBe(403)
      expect(await res.json()).toMatchObject({ code: 'ERR_AUTH_TOKEN_REVOKED' })
    }
    expect((await t.fetch(`/v0/pipes/top_airlines.json?token=${other}`)).status).toBe(200)

    const list = (await (await t.fetch('/v0/revocations', { headers: admin() })).json()) as {
      revocations: { type: string; value: string; expires_at: string }[]
    }
    expect(list.revocations.map((r) => r.value).sort()).toEqual(['j-2', 'leaked_dashboard'])
    await t.fetch('/v0/revocations?type=name&value=leaked_dashboard', {
      method: 'DELETE',
      headers: admin(),
    })
    expect((await t.fetch(`/v0/pipes/top_airlines.json?token=${victim}`)).status).toBe(200)
  })
})

describe('rate limits (limits.rps)', () => {
  it("answers 429 with Retry-After and X-RateLimit-* in Tinybird's bucket", async () => {
    const tok = await t.signJwt({
      name: 'rl_jwt',
      exp: t.nowSeconds() + 600,
      limits: { rps: 1 },
      scopes: [{ type: 'PIPES:READ', resource: 'top_airlines' }],
    })
    const statuses: number[] = []
    let limited: Response | undefined
    for (let i = 0; i < 4; i++) {
      const r = await t.fetch(`/v0/pipes/top_airlines.json?token=${tok}`)
      statuses.push(r.status)
      if (r.status === 429) limited = r
      else await r.arrayBuffer()
    }
    expect(statuses.slice(0, 2)).toEqual([200, 200])
    expect(limited).toBeDefined()
    expect(limited!.headers.get('retry-after')).toBe('1')
    expect(limited!.headers.get('x-ratelimit-limit')).toBe('2')
    expect(limited!.headers.get('x-ratelimit-remaining')).toBe('0')
    expect(limited!.headers.get('x-ratelimit-reset')).not.toBeNull()
    expect(await limited!.json()).toMatchObject({
      code: 'ERR_REQUEST_RATE_LIMITED',
      error: 'Too many requests: retry after 1 seconds',
    })
    // Same name, another JWT: same bucket (Tinybird). Another pipe: another bucket.
    const sibling = await t.signJwt({
      name: 'rl_jwt',
      exp: t.nowSeconds() + 601,
      limits: { rps: 1 },
      scopes: [
        { type: 'PIPES:READ', resource: 'top_airlines' },
        { type: 'PIPES:READ', resource: 'top_routes' },
      ],
    })
    expect((await t.fetch(`/v0/pipes/top_airlines.json?token=${sibling}`)).status).toBe(429)
    expect((await t.fetch(`/v0/pipes/top_routes.json?token=${sibling}`)).status).toBe(200)
    expect(authFailureCounts(t.srv.workspace).get('ERR_REQUEST_RATE_LIMITED')).toBeGreaterThan(0)
  })
})

describe('strict fixed params', () => {
  it('refuses a JWT fixing a parameter the pipe does not use', async () => {
    const tok = await t.signJwt({
      exp: t.nowSeconds() + 60,
      scopes: [{ type: 'PIPES:READ', resource: 'top_airlines', fixed_params: { org_id: 'a' } }],
    })
    const res = await t.fetch(`/v0/pipes/top_airlines.json?token=${tok}`)
    expect(res.status).toBe(403)
    expect(await res.json()).toMatchObject({ code: 'ERR_AUTH_FIXED_PARAM' })
  })

  it("accepts parameters used by the pipe's other nodes and the pipes it reads", async () => {
    const tok = await t.signJwt({
      exp: t.nowSeconds() + 60,
      scopes: [{ type: 'PIPES:READ', resource: 'top_routes', fixed_params: { min_age: 30 } }],
    })
    expect((await t.fetch(`/v0/pipes/top_routes.json?token=${tok}`)).status).toBe(200)
  })
})

describe('changes made by another process sharing the catalog', () => {
  it('applies a revocation and a deleted token written by another process on the next request', async () => {
    const jwt = await t.signJwt({
      name: 'other_process_victim',
      exp: t.nowSeconds() + 600,
      scopes: [{ type: 'PIPES:READ', resource: 'top_airlines' }],
    })
    const { value } = await t.srv.workspace.upsertToken(
      'shared_static',
      ['PIPES:READ:top_airlines'],
      'api',
    )
    expect((await t.fetch(`/v0/pipes/top_airlines.json?token=${jwt}`)).status).toBe(200)
    expect((await t.fetch(`/v0/pipes/top_airlines.json?token=${value}`)).status).toBe(200)

    // "Another process": writes catalog.json directly through its own store.
    const store = new FileCatalogStore(t.dataDir)
    const state = (await store.load())!
    await store.save(state, {
      ...state,
      tokens: state.tokens.filter((x) => x.name !== 'shared_static'),
      revocations: [
        ...(state.revocations ?? []),
        {
          type: 'name',
          value: 'other_process_victim',
          expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
          createdAt: new Date().toISOString(),
        },
      ],
    })
    // No wait: the file store's version is checked on every request, so the very next request sees it.
    const revoked = await t.fetch(`/v0/pipes/top_airlines.json?token=${jwt}`)
    expect(await revoked.json()).toMatchObject({ code: 'ERR_AUTH_TOKEN_REVOKED' })
    const gone = await t.fetch(`/v0/pipes/top_airlines.json?token=${value}`)
    expect(await gone.json()).toMatchObject({ code: 'ERR_AUTH_TOKEN_INVALID' })
  })
})
