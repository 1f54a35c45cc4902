import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import { DunlinClientError } from '../errors.js'
import { FakeClock } from '../testing/fake-clock.js'
import { buildJWTPayload, createJWT } from './create-jwt.js'
import type { CreateJWTOptions } from './create-jwt.js'
import { decodeExpiry } from './decode.js'
import { parseExpiresIn } from './duration.js'

const KEY = 'p.admin-token-of-the-workspace'
const clock = new FakeClock(Date.UTC(2026, 0, 1))
const NOW = clock.nowSeconds()
const base: CreateJWTOptions = {
  workspaceId: 'ws-1',
  name: 'dashboard',
  expiresIn: '10m',
  scopes: [{ type: 'PIPES:READ', resource: 'top_airlines' }],
  clock,
}

const codeOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p
  } catch (error) {
    if (error instanceof DunlinClientError) return error.code
    throw error
  }
  throw new Error('did not throw')
}

describe('createJWT', () => {
  it("signs Tinybird's payload with HS256 and the admin token string, verifiable by jose", async () => {
    const token = await createJWT(KEY, {
      ...base,
      scopes: [
        {
          type: 'PIPES:READ',
          resource: 'top_airlines',
          fixedParams: { tenant_id: 'acme', ids: [1, 2] },
        },
        { type: 'DATASOURCES:READ', resource: 'events', filter: "tenant_id = 'acme'" },
      ],
      limits: { rps: 10 },
      kid: 'k1',
    })
    const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(KEY), {
      currentDate: new Date(clock.nowMs()),
      algorithms: ['HS256'],
    })
    expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT', kid: 'k1' })
    expect(payload).toEqual({
      workspace_id: 'ws-1',
      name: 'dashboard',
      exp: NOW + 600,
      scopes: [
        {
          type: 'PIPES:READ',
          resource: 'top_airlines',
          fixed_params: { tenant_id: 'acme', ids: [1, 2] },
        },
        { type: 'DATASOURCES:READ', resource: 'events', filter: "tenant_id = 'acme'" },
      ],
      limits: { rps: 10 },
    })
    expect(decodeExpiry(token)).toBe(NOW + 600)
    expect(decodeJwt(token)).not.toHaveProperty('iat')
  })

  it('leaves out limits and fixed_params when not given', async () => {
    const payload = decodeJwt(await createJWT(KEY, base))
    expect(payload).toEqual({
      workspace_id: 'ws-1',
      name: 'dashboard',
      exp: NOW + 600,
      scopes: [{ type: 'PIPES:READ', resource: 'top_airlines' }],
    })
  })

  it('signs with any jose key and alg (ES256 key pair, JWK form too)', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
    const token = await createJWT(privateKey, { ...base, alg: 'ES256' })
    expect(decodeProtectedHeader(token).alg).toBe('ES256')
    await expect(
      jwtVerify(token, publicKey, { currentDate: new Date(clock.nowMs()) }),
    ).resolves.toBeTruthy()
    const jwk = await exportJWK(privateKey)
    const fromJwk = await createJWT(jwk, { ...base, alg: 'ES256' })
    await expect(
      jwtVerify(fromJwk, publicKey, { currentDate: new Date(clock.nowMs()) }),
    ).resolves.toBeTruthy()
  })

  it('accepts raw secret bytes', async () => {
    const secret = new TextEncoder().encode('raw-bytes-secret')
    const token = await createJWT(secret, base)
    await expect(
      jwtVerify(token, secret, { currentDate: new Date(clock.nowMs()) }),
    ).resolves.toBeTruthy()
  })

  it('uses the system clock by default', async () => {
    const noClock: CreateJWTOptions = {
      workspaceId: 'w',
      name: 'n',
      expiresIn: 60,
      scopes: base.scopes,
    }
    const exp = decodeExpiry(await createJWT(KEY, noClock))
    expect(exp).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) + 59)
  })

  it.each<[string, Partial<CreateJWTOptions> | Record<string, unknown>, string]>([
    ['no expiresIn', { expiresIn: undefined }, 'ERR_JWT_EXPIRY'],
    ['expiresIn 0', { expiresIn: 0 }, 'ERR_JWT_EXPIRY'],
    ['negative expiresIn', { expiresIn: -5 }, 'ERR_JWT_EXPIRY'],
    ['expiresIn below a second', { expiresIn: 0.2 }, 'ERR_JWT_EXPIRY'],
    ["'0s'", { expiresIn: '0s' }, 'ERR_JWT_EXPIRY'],
    ["'10 minutes'", { expiresIn: '10 minutes' }, 'ERR_JWT_EXPIRY'],
    ['Infinity', { expiresIn: Infinity }, 'ERR_JWT_EXPIRY'],
    ['an empty scope list', { scopes: [] }, 'ERR_JWT_SCOPES'],
    [
      'an unknown scope type',
      { scopes: [{ type: 'PIPES:WRITE', resource: 'p' }] },
      'ERR_JWT_SCOPES',
    ],
    ['an empty resource', { scopes: [{ type: 'PIPES:READ', resource: ' ' }] }, 'ERR_JWT_SCOPES'],
    [
      'an undefined fixed param',
      { scopes: [{ type: 'PIPES:READ', resource: 'p', fixedParams: { tenant_id: undefined } }] },
      'ERR_JWT_FIXED_PARAM',
    ],
    [
      'a null fixed param',
      { scopes: [{ type: 'PIPES:READ', resource: 'p', fixedParams: { tenant_id: null } }] },
      'ERR_JWT_FIXED_PARAM',
    ],
    [
      'an empty-string fixed param',
      { scopes: [{ type: 'PIPES:READ', resource: 'p', fixedParams: { tenant_id: '' } }] },
      'ERR_JWT_FIXED_PARAM',
    ],
    [
      'an empty-list fixed param',
      { scopes: [{ type: 'PIPES:READ', resource: 'p', fixedParams: { ids: [] } }] },
      'ERR_JWT_FIXED_PARAM',
    ],
    [
      'a NaN fixed param',
      { scopes: [{ type: 'PIPES:READ', resource: 'p', fixedParams: { n: NaN } }] },
      'ERR_JWT_FIXED_PARAM',
    ],
    [
      'empty fixedParams',
      { scopes: [{ type: 'PIPES:READ', resource: 'p', fixedParams: {} }] },
      'ERR_JWT_FIXED_PARAM',
    ],
    [
      'null fixedParams',
      { scopes: [{ type: 'PIPES:READ', resource: 'p', fixedParams: null }] },
      'ERR_JWT_FIXED_PARAM',
    ],
    [
      'an empty filter',
      { scopes: [{ type: 'DATASOURCES:READ', resource: 'd', filter: '' }] },
      'ERR_JWT_FIXED_PARAM',
    ],
    ['an empty name', { name: '' }, 'ERR_JWT_CLAIM'],
    ['an empty workspaceId', { workspaceId: '  ' }, 'ERR_JWT_CLAIM'],
    ['rps 0', { limits: { rps: 0 } }, 'ERR_JWT_CLAIM'],
    ['fractional rps', { limits: { rps: 1.5 } }, 'ERR_JWT_CLAIM'],
  ])('refuses %s', async (_name, override, code) => {
    const options = { ...base, ...override }
    expect(await codeOf(createJWT(KEY, options))).toBe(code)
  })

  it('refuses an empty signing key', async () => {
    expect(await codeOf(createJWT('', base))).toBe('ERR_JWT_KEY')
  })

  it('builds the payload synchronously for inspection', () => {
    expect(buildJWTPayload({ ...base, expiresIn: 60 }, 0)).toEqual({
      workspace_id: 'ws-1',
      name: 'dashboard',
      exp: 60,
      scopes: [{ type: 'PIPES:READ', resource: 'top_airlines' }],
    })
  })
})

describe('parseExpiresIn', () => {
  it.each([
    [30, 30],
    ['30s', 30],
    ['1m', 60],
    ['10m', 600],
    ['1h', 3600],
    ['1d', 86_400],
  ] as const)('%j → %i seconds', (input, seconds) => {
    expect(parseExpiresIn(input)).toBe(seconds)
  })
})
