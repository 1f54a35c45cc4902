import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SignJWT, exportJWK, exportSPKI, generateKeyPair, type CryptoKey, type JWK } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../helpers/server.js'

// One chdb data dir per process: this file runs one server, restarted with other options where needed.
let t: TestServer
let jwksServer: Server
let jwksFetches = 0
const served: JWK[] = []
let es1: CryptoKey
let es1Public: CryptoKey
let es2: CryptoKey
let es2Jwk: JWK
let rs1: CryptoKey

const read = (resource: string, fixed?: Record<string, unknown>): Record<string, unknown> => ({
  type: 'PIPES:READ',
  resource,
  ...(fixed ? { fixed_params: fixed } : {}),
})

async function signAsym(
  key: CryptoKey,
  alg: 'ES256' | 'RS256',
  kid: string,
  payload: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT({
    workspace_id: t.workspaceId,
    name: 'asym',
    exp: t.nowSeconds() + 300,
    scopes: [read('top_airlines')],
    ...payload,
  })
    .setProtectedHeader({ alg, kid })
    .sign(key)
}

async function status(token: string, pipe = 'top_airlines'): Promise<[number, string]> {
  const res = await t.fetch(`/v0/pipes/${pipe}.json?token=${token}`)
  const body = (await res.json()) as { code?: string }
  return [res.status, body.code ?? 'OK']
}

beforeAll(async () => {
  const e1 = await generateKeyPair('ES256')
  es1 = e1.privateKey
  es1Public = e1.publicKey
  const e2 = await generateKeyPair('ES256')
  es2 = e2.privateKey
  es2Jwk = { ...(await exportJWK(e2.publicKey)), kid: 'es2' }
  rs1 = (await generateKeyPair('RS256')).privateKey
  served.push({ ...(await exportJWK(e1.publicKey)), kid: 'es1', alg: 'ES256', use: 'sig' })
  jwksServer = createServer((_req, res) => {
    jwksFetches++
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' })
    res.end(JSON.stringify({ keys: served }))
  })
  await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', r))
  const port = (jwksServer.address() as AddressInfo).port
  t = await startTestServer({
    config: {
      auth: {
        rateLimitParam: 'org_id',
        strictFixedParams: false,
        leewaySeconds: 30,
        maxTtlSeconds: 3600,
        jwks: { url: `http://127.0.0.1:${port}/jwks.json`, cooldownSeconds: 1 },
      },
    },
  })
})
afterAll(async () => {
  await t.close()
  await new Promise((r) => jwksServer.close(r))
})

describe('JWKS from a URL', () => {
  it('verifies ES256 tokens by kid, fetching the JWKS once and caching it', async () => {
    expect(await status(await signAsym(es1, 'ES256', 'es1'))).toEqual([200, 'OK'])
    expect(await status(await signAsym(es1, 'ES256', 'es1', { name: 'again' }))).toEqual([
      200,
      'OK',
    ])
    expect(jwksFetches).toBe(1)
  })

  it('refetches on an unknown kid at most once per cooldown, with one fetch in flight', async () => {
    const before = jwksFetches
    await new Promise((r) => setTimeout(r, 1_100))
    const unknown = await signAsym(es2, 'ES256', 'es2')
    const results = await Promise.all(Array.from({ length: 20 }, () => status(unknown)))
    expect(results.every(([s, c]) => s === 403 && c === 'ERR_AUTH_TOKEN_INVALID')).toBe(true)
    expect(jwksFetches - before).toBe(1)
    // The new key is published; after the cooldown the next unknown-kid token triggers a refetch.
    served.push(es2Jwk)
    expect((await status(unknown))[0]).toBe(403)
    expect(jwksFetches - before).toBe(1)
    await new Promise((r) => setTimeout(r, 1_100))
    expect(await status(unknown)).toEqual([200, 'OK'])
    expect(jwksFetches - before).toBe(2)
  })

  it('refuses algorithm confusion: HS256 signed with the public key, RS256 against an EC kid', async () => {
    const pem = await exportSPKI(es1Public)
    const confused = await new SignJWT({
      workspace_id: t.workspaceId,
      name: 'x',
      exp: t.nowSeconds() + 60,
      scopes: [read('top_airlines')],
    })
      .setProtectedHeader({ alg: 'HS256', kid: 'es1' })
      .sign(new TextEncoder().encode(pem))
    expect(await status(confused)).toEqual([403, 'ERR_AUTH_TOKEN_INVALID'])
    const jwkSecret = await new SignJWT({
      workspace_id: t.workspaceId,
      name: 'x',
      exp: t.nowSeconds() + 60,
      scopes: [read('top_airlines')],
    })
      .setProtectedHeader({ alg: 'HS256', kid: 'es1' })
      .sign(new TextEncoder().encode(JSON.stringify(served[0])))
    expect(await status(jwkSecret)).toEqual([403, 'ERR_AUTH_TOKEN_INVALID'])
    expect(await status(await signAsym(rs1, 'RS256', 'es1'))).toEqual([
      403,
      'ERR_AUTH_TOKEN_INVALID',
    ])
  })

  it('still accepts Tinybird HS256 tokens signed with the admin token', async () => {
    const tok = await t.signJwt({ exp: t.nowSeconds() + 60, scopes: [read('top_airlines')] })
    expect(await status(tok)).toEqual([200, 'OK'])
  })
})

describe('leeway and max TTL', () => {
  it('accepts a token expired within the leeway and refuses one past it', async () => {
    const within = await t.signJwt({ exp: t.nowSeconds() - 10, scopes: [read('top_airlines')] })
    expect(await status(within)).toEqual([200, 'OK'])
    const past = await t.signJwt({ exp: t.nowSeconds() - 31, scopes: [read('top_airlines')] })
    expect(await status(past)).toEqual([403, 'ERR_AUTH_TOKEN_EXPIRED'])
  })

  it('refuses a lifetime over maxTtlSeconds, signed or minted', async () => {
    const long = await t.signJwt({ exp: t.nowSeconds() + 7200, scopes: [read('top_airlines')] })
    expect(await status(long)).toEqual([403, 'ERR_AUTH_TOKEN_INVALID'])
    const minted = await t.fetch(`/v0/tokens?expiration_time=${t.nowSeconds() + 7200}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${t.adminToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'long', scopes: [read('top_airlines')] }),
    })
    expect(minted.status).toBe(400)
  })
})

describe('rateLimitParam and strictFixedParams: false', () => {
  it('gives each tenant its own bucket when rateLimitParam names a fixed param', async () => {
    const mk = (org: string): Promise<string> =>
      t.signJwt({
        name: 'shared_name',
        exp: t.nowSeconds() + 600,
        limits: { rps: 1 },
        scopes: [read('org_bookings', { org_id: org })],
      })
    const a = await mk('org_a')
    const b = await mk('org_b')
    const hit = async (tok: string): Promise<number> => (await status(tok, 'org_bookings'))[0]
    expect([await hit(a), await hit(a), await hit(a)]).toContain(429)
    expect(await hit(b)).toBe(200)
  })

  it('lets an unused fixed param through when strictFixedParams is off', async () => {
    const tok = await t.signJwt({
      exp: t.nowSeconds() + 60,
      scopes: [read('top_airlines', { org_id: 'a' })],
    })
    expect(await status(tok)).toEqual([200, 'OK'])
  })
})

describe('required aud and iss', () => {
  it('refuses tokens without the configured audience or issuer', async () => {
    t = await t.restart({ config: { auth: { audience: 'dunlin-api', issuer: 'https://idp' } } })
    const base = { exp: t.nowSeconds() + 60, scopes: [read('top_airlines')] }
    expect(await status(await t.signJwt(base))).toEqual([403, 'ERR_AUTH_TOKEN_INVALID'])
    expect(await status(await t.signJwt({ ...base, aud: 'dunlin-api' }))).toEqual([
      403,
      'ERR_AUTH_TOKEN_INVALID',
    ])
    expect(
      await status(await t.signJwt({ ...base, aud: ['x', 'dunlin-api'], iss: 'https://idp' })),
    ).toEqual([200, 'OK'])
  })
})
