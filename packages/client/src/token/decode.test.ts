import { describe, expect, it } from 'vitest'
import { decodeClaims, decodeExpiry, tokenIdentity } from './decode.js'

const b64url = (value: unknown): string =>
  btoa(JSON.stringify(value)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
const jwt = (payload: unknown): string => `${b64url({ alg: 'HS256' })}.${b64url(payload)}.sig`

describe('decodeExpiry', () => {
  it('reads exp without verifying', () => {
    expect(decodeExpiry(jwt({ exp: 1767225600, name: 'n' }))).toBe(1767225600)
  })

  it.each([
    ['no exp', jwt({ name: 'n' })],
    ['a string exp', jwt({ exp: '1767225600' })],
    ['a static Tinybird token', 'p.eyJ1IjogIngifQ.c2ln'],
    ['two parts', 'a.b'],
    ['bad base64', 'a.!!!.c'],
    ['non-JSON payload', `a.${btoa('not json')}.c`],
    ['an array payload', jwt([1, 2])],
    ['empty', ''],
  ])('is undefined for %s', (_name, token) => {
    expect(decodeExpiry(token)).toBeUndefined()
  })

  it('decodes UTF-8 claims', () => {
    const payload = { name: 'café ✓', exp: 1 }
    const utf8 = btoa(String.fromCharCode(...new TextEncoder().encode(JSON.stringify(payload))))
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '')
    expect(decodeClaims(`h.${utf8}.s`)).toEqual(payload)
  })
})

describe('tokenIdentity', () => {
  it('ignores exp/iat/nbf/jti and key order', () => {
    const a = jwt({
      workspace_id: 'w',
      name: 'n',
      scopes: [{ resource: 'p', type: 'PIPES:READ' }],
      exp: 1,
      iat: 0,
    })
    const b = jwt({
      exp: 99,
      scopes: [{ type: 'PIPES:READ', resource: 'p' }],
      name: 'n',
      workspace_id: 'w',
      jti: 'x',
    })
    expect(tokenIdentity(a)).toBe(tokenIdentity(b))
  })

  it('differs when fixed params differ (another tenant)', () => {
    const scope = (tenant: string): unknown => [
      { type: 'PIPES:READ', resource: 'p', fixed_params: { tenant_id: tenant } },
    ]
    expect(tokenIdentity(jwt({ scopes: scope('a'), exp: 1 }))).not.toBe(
      tokenIdentity(jwt({ scopes: scope('b'), exp: 1 })),
    )
  })

  it('is undefined for an opaque token', () => {
    expect(tokenIdentity('opaque')).toBeUndefined()
  })
})
