import { decodeJwt, jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import { DunlinClientError } from '../errors.js'
import { FakeClock } from '../testing/fake-clock.js'
import { createTokenHandler, tokenFromEndpoint } from './token-handler.js'
import type { TokenGrant } from './token-handler.js'

const KEY = 'p.admin'
const clock = new FakeClock()
const grant: TokenGrant = {
  name: 'user_1',
  expiresIn: '10m',
  scopes: [{ type: 'PIPES:READ', resource: 'top_airlines', fixedParams: { tenant_id: 't1' } }],
  limits: { rps: 5 },
}

describe('createTokenHandler', () => {
  const seen: Request[] = []
  const handler = createTokenHandler({
    signingKey: KEY,
    workspaceId: 'ws',
    clock,
    kid: 'k2',
    authorize: (req) => {
      seen.push(req)
      return Promise.resolve(req.headers.get('cookie') === 'session=ok' ? grant : null)
    },
  })

  it.each(['GET', 'POST'])('answers %s with { token, expires_at } and no-store', async (method) => {
    const res = await handler(
      new Request('https://app.test/api/token', { method, headers: { cookie: 'session=ok' } }),
    )
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.headers.get('content-type')).toBe('application/json')
    const body = (await res.json()) as { token: string; expires_at: number }
    expect(body.expires_at).toBe(clock.nowSeconds() + 600)
    const { payload, protectedHeader } = await jwtVerify(
      body.token,
      new TextEncoder().encode(KEY),
      {
        currentDate: new Date(clock.nowMs()),
      },
    )
    expect(protectedHeader.kid).toBe('k2')
    expect(payload).toMatchObject({
      workspace_id: 'ws',
      name: 'user_1',
      exp: body.expires_at,
      scopes: [{ type: 'PIPES:READ', resource: 'top_airlines', fixed_params: { tenant_id: 't1' } }],
      limits: { rps: 5 },
    })
    expect(seen.at(-1)?.method).toBe(method)
  })

  it('answers 401 when authorize returns null', async () => {
    const res = await handler(new Request('https://app.test/api/token'))
    expect(res.status).toBe(401)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(await res.json()).toEqual({ error: 'Not authorized' })
  })

  it('answers 405 with Allow for other methods', async () => {
    const res = await handler(new Request('https://app.test/api/token', { method: 'DELETE' }))
    expect(res.status).toBe(405)
    expect(res.headers.get('allow')).toBe('GET, POST')
    expect(res.headers.get('cache-control')).toBe('no-store')
  })

  it('surfaces a grant createJWT refuses instead of minting an unrestricted token', async () => {
    const bad = createTokenHandler({
      signingKey: KEY,
      workspaceId: 'ws',
      authorize: () =>
        Promise.resolve({
          ...grant,
          scopes: [{ type: 'PIPES:READ', resource: 'p', fixedParams: { tenant_id: '' } }],
        }),
    })
    await expect(bad(new Request('https://app.test/t'))).rejects.toMatchObject({
      code: 'ERR_JWT_FIXED_PARAM',
    })
  })
})

describe('tokenFromEndpoint', () => {
  const handler = createTokenHandler({
    signingKey: KEY,
    workspaceId: 'ws',
    clock,
    authorize: (req) => Promise.resolve(req.headers.get('x-user') === null ? null : grant),
  })
  const fetchVia = (input: string, init?: RequestInit): Promise<Response> =>
    handler(new Request(new URL(input, 'https://app.test'), init))

  it('POSTs to the endpoint and returns the token', async () => {
    const provider = tokenFromEndpoint('/api/token', {
      fetch: fetchVia,
      init: { headers: { 'x-user': '1' } },
    })
    expect(decodeJwt(await provider())['name']).toBe('user_1')
  })

  it('accepts { authToken } bodies (Portive style) and GET', async () => {
    const provider = tokenFromEndpoint('/t', {
      method: 'GET',
      fetch: (_url, init) => {
        expect(init?.method).toBe('GET')
        return Promise.resolve(Response.json({ authToken: 'abc' }))
      },
    })
    expect(await provider()).toBe('abc')
  })

  it('fails with ERR_CLIENT_TOKEN_REFRESH on a non-2xx answer or a body without a token', async () => {
    await expect(tokenFromEndpoint('/api/token', { fetch: fetchVia })()).rejects.toBeInstanceOf(
      DunlinClientError,
    )
    await expect(tokenFromEndpoint('/api/token', { fetch: fetchVia })()).rejects.toMatchObject({
      code: 'ERR_CLIENT_TOKEN_REFRESH',
      message: 'The token endpoint answered HTTP 401',
    })
    const empty = tokenFromEndpoint('/t', {
      fetch: () => Promise.resolve(Response.json({ token: '' })),
    })
    await expect(empty()).rejects.toMatchObject({ code: 'ERR_CLIENT_TOKEN_REFRESH' })
  })
})
