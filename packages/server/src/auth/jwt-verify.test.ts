/**
 * @module Unit tests for JWT verification: Tinybird's payload rules, algorithm pinning, keys by `kid`, revocation,
 * the cache, and a fast-check property that forged or mutated tokens are never accepted. Time comes from a fake clock.
 */
import { createHmac } from 'node:crypto'
import fc from 'fast-check'
import {
  CompactSign,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  type CompactJWSHeaderParameters,
  type CryptoKey,
} from 'jose'
import jwt from 'jsonwebtoken'
import { beforeAll, describe, expect, it } from 'vitest'
import { ServerError } from '../errors.js'
import type { Clock } from './clock.js'
import { JwtCache, verifyJwtCached } from './jwt-cache.js'
import { verifyJwt, type JwtPolicy, type SigningKey } from './jwt-verify.js'
import { pipeAccess, type Principal } from './principal.js'
import { generateStaticToken } from './static-token.js'

class FakeClock implements Clock {
  ms: number
  constructor(ms: number) {
    this.ms = ms
  }
  nowMs(): number {
    return this.ms
  }
  advanceSeconds(s: number): void {
    this.ms += s * 1000
  }
}

const NOW = 1_700_000_000 // seconds
const WS = '3f6b8c2e-1d4a-4b7e-9a0c-5e2f7d1b8a90'
const ADMIN = generateStaticToken()
const enc = new TextEncoder()
const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64url')

type Payload = Record<string, unknown>
const base = (over: Payload = {}): Payload => ({
  workspace_id: WS,
  name: 'frontend_jwt',
  exp: NOW + 600,
  scopes: [{ type: 'PIPES:READ', resource: 'top_pages', fixed_params: { org_id: 'acme' } }],
  ...over,
})

const without = (p: Payload, key: string): Payload =>
  Object.fromEntries(Object.entries(p).filter(([k]) => k !== key))

/** Signs any JSON payload (even invalid claims) with jose; `secret` as UTF-8 bytes. */
async function signHs(
  payload: unknown,
  secret: string = ADMIN,
  header: Partial<CompactJWSHeaderParameters> = {},
): Promise<string> {
  return new CompactSign(enc.encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', ...header })
    .sign(enc.encode(secret))
}
async function signWith(
  payload: unknown,
  alg: string,
  key: CryptoKey,
  kid?: string,
): Promise<string> {
  const header: CompactJWSHeaderParameters = kid === undefined ? { alg } : { alg, kid }
  return new CompactSign(enc.encode(JSON.stringify(payload))).setProtectedHeader(header).sign(key)
}
/** Hand-built unsigned token (`alg: none`). */
function unsigned(payload: unknown, alg = 'none'): string {
  return `${b64(JSON.stringify({ alg, typ: 'JWT' }))}.${b64(JSON.stringify(payload))}.`
}

const adminKey: SigningKey = { alg: 'HS256', secret: ADMIN, status: 'active' }
const policyOf = (over: Partial<JwtPolicy> = {}): JwtPolicy => ({
  workspaceId: WS,
  keys: [adminKey],
  ...over,
})
const clockAt = (seconds = NOW): FakeClock => new FakeClock(seconds * 1000)

async function rejection(p: Promise<unknown>): Promise<ServerError> {
  try {
    await p
  } catch (e) {
    if (e instanceof ServerError) return e
    throw e
  }
  throw new Error('did not reject')
}
async function expectInvalid(
  token: string,
  reason: string,
  policy = policyOf(),
  clock = clockAt(),
): Promise<ServerError> {
  const e = await rejection(verifyJwt(token, policy, clock))
  expect({ code: e.code, status: e.status, reason: e.details?.['reason'] }).toEqual({
    code: 'ERR_AUTH_TOKEN_INVALID',
    status: 403,
    reason,
  })
  expect(e.message).toMatch(/^invalid authentication token\. /)
  if (token !== '') expect(e.message).not.toContain(token)
  expect(e.message).not.toContain(ADMIN)
  expect(e.message).not.toContain(WS)
  return e
}

describe('verifyJwt: happy path and Tinybird parity', () => {
  it('accepts a token signed with jose and returns a frozen jwt principal', async () => {
    const token = await signHs(base({ limits: { rps: 10 } }))
    const p = await verifyJwt(token, policyOf(), clockAt())
    expect(p).toEqual({
      kind: 'jwt',
      name: 'frontend_jwt',
      expSeconds: NOW + 600,
      limits: { rps: 10 },
      scopes: [{ type: 'PIPES:READ', resource: 'top_pages', fixedParams: { org_id: 'acme' } }],
    })
    expect(Object.isFrozen(p)).toBe(true)
    expect(Object.isFrozen(p.scopes[0]?.fixedParams)).toBe(true)
  })

  it("accepts a token signed exactly as Tinybird's seeds do (jsonwebtoken, noTimestamp)", async () => {
    const token = jwt.sign(base(), ADMIN, { noTimestamp: true })
    const p = await verifyJwt(token, policyOf(), clockAt())
    expect(p.name).toBe('frontend_jwt')
    expect(pipeAccess(p, { id: 't_1', name: 'top_pages' })).toEqual({
      fixedParams: { org_id: 'acme' },
    })
    expect(pipeAccess(p, { id: 't_2', name: 'other_pipe' })).toBeNull()
  })

  it('ignores iat by default, even far in the future (Tinybird sets verify_iat False)', async () => {
    const token = jwt.sign(base({ iat: NOW + 86_400 }), ADMIN)
    await expect(verifyJwt(token, policyOf(), clockAt())).resolves.toMatchObject({ kind: 'jwt' })
    const bad = await signHs(base({ iat: 'yesterday' }))
    await expect(verifyJwt(bad, policyOf(), clockAt())).resolves.toMatchObject({ kind: 'jwt' })
  })

  it('ignores aud, iss, sub and unknown claims unless the policy requires them', async () => {
    const token = await signHs(base({ aud: 'someone', iss: 'x', sub: 'y', extra: { deep: [1] } }))
    await expect(verifyJwt(token, policyOf(), clockAt())).resolves.toMatchObject({ kind: 'jwt' })
  })

  it('accepts the seed spelling fixed_parameters as an alias', async () => {
    const token = await signHs(
      base({ scopes: [{ type: 'PIPES:READ', resource: 'p', fixed_parameters: { org: 7 } }] }),
    )
    const p = await verifyJwt(token, policyOf(), clockAt())
    expect(p.scopes).toEqual([{ type: 'PIPES:READ', resource: 'p', fixedParams: { org: 7 } }])
  })

  it('accepts a scope without fixed_params, by pipe id, and several scopes', async () => {
    const token = await signHs(
      base({
        scopes: [
          { type: 'PIPES:READ', resource: 't_b9427fe2' },
          { type: 'PIPES:READ', resource: 'b' },
        ],
      }),
    )
    const p = await verifyJwt(token, policyOf(), clockAt())
    expect(pipeAccess(p, { id: 't_b9427fe2', name: 'a' })).toEqual({ fixedParams: {} })
    expect(pipeAccess(p, { id: 'x', name: 'b' })).toEqual({ fixedParams: {} })
  })

  it('passes jti (a number as its decimal string) and kid through', async () => {
    const p = await verifyJwt(await signHs(base({ jti: 42 })), policyOf(), clockAt())
    expect(p).toMatchObject({ jti: '42' })
    const q = await verifyJwt(await signHs(base({ jti: 'abc' })), policyOf(), clockAt())
    expect(q).toMatchObject({ jti: 'abc' })
  })

  it('treats limits {} as no limit', async () => {
    const p = await verifyJwt(await signHs(base({ limits: {} })), policyOf(), clockAt())
    expect(p).not.toHaveProperty('limits')
  })
})

describe('verifyJwt: time', () => {
  it('rejects a token expired by 1 s with ERR_AUTH_TOKEN_EXPIRED', async () => {
    const token = await signHs(base({ exp: NOW - 1 }))
    const e = await rejection(verifyJwt(token, policyOf(), clockAt()))
    expect(e).toMatchObject({
      code: 'ERR_AUTH_TOKEN_EXPIRED',
      status: 403,
      message: 'invalid authentication token. Signature has expired',
      details: { reason: 'exp' },
    })
  })

  it('treats exp == now as expired (RFC 7519 §4.1.4: now must be before exp)', async () => {
    const e = await rejection(verifyJwt(await signHs(base({ exp: NOW })), policyOf(), clockAt()))
    expect(e.code).toBe('ERR_AUTH_TOKEN_EXPIRED')
  })

  it('accepts fractional exp and compares it against fractional now', async () => {
    const token = await signHs(base({ exp: NOW + 0.5 }))
    await expect(
      verifyJwt(token, policyOf(), new FakeClock(NOW * 1000 + 499)),
    ).resolves.toMatchObject({
      expSeconds: NOW + 0.5,
    })
    const e = await rejection(verifyJwt(token, policyOf(), new FakeClock(NOW * 1000 + 500)))
    expect(e.code).toBe('ERR_AUTH_TOKEN_EXPIRED')
  })

  it('honours leeway for exp', async () => {
    const token = await signHs(base({ exp: NOW - 5 }))
    await expect(
      verifyJwt(token, policyOf({ leewaySeconds: 10 }), clockAt()),
    ).resolves.toMatchObject({ kind: 'jwt' })
    const e = await rejection(verifyJwt(token, policyOf({ leewaySeconds: 5 }), clockAt()))
    expect(e.code).toBe('ERR_AUTH_TOKEN_EXPIRED')
  })

  it('rejects nbf in the future, accepts it within leeway', async () => {
    const token = await signHs(base({ nbf: NOW + 1 }))
    const e = await expectInvalid(token, 'nbf')
    expect(e.message).toBe('invalid authentication token. The token is not yet valid (nbf)')
    await expect(
      verifyJwt(token, policyOf({ leewaySeconds: 1 }), clockAt()),
    ).resolves.toMatchObject({ kind: 'jwt' })
    await expect(
      verifyJwt(await signHs(base({ nbf: NOW })), policyOf(), clockAt()),
    ).resolves.toMatchObject({
      kind: 'jwt',
    })
  })

  it('rejects a missing exp, a string exp and other non-numbers', async () => {
    const e = await expectInvalid(await signHs(without(base(), 'exp')), 'claims')
    expect(e.details).toMatchObject({ claim: 'exp' })
    for (const exp of [String(NOW + 600), null, true, [NOW + 600], { v: 1 }]) {
      const err = await expectInvalid(await signHs(base({ exp })), 'claims')
      expect(err.details).toMatchObject({ claim: 'exp' })
    }
  })

  it('rejects a non-numeric nbf', async () => {
    await expectInvalid(await signHs(base({ nbf: 'now' })), 'claims')
  })

  it('checks iat only when the policy sets a leeway > 0 or a max TTL', async () => {
    const future = await signHs(base({ iat: NOW + 10 }))
    // An explicit leeway of 0 is the Tinybird default: iat stays ignored.
    await expect(
      verifyJwt(future, policyOf({ leewaySeconds: 0 }), clockAt()),
    ).resolves.toMatchObject({
      kind: 'jwt',
    })
    await expectInvalid(future, 'iat', policyOf({ leewaySeconds: 5 }))
    await expectInvalid(future, 'iat', policyOf({ maxTtlSeconds: 3600 }))
    await expect(
      verifyJwt(future, policyOf({ leewaySeconds: 10 }), clockAt()),
    ).resolves.toMatchObject({ kind: 'jwt' })
    await expectInvalid(await signHs(base({ iat: 'x' })), 'claims', policyOf({ leewaySeconds: 1 }))
  })

  it('enforces maxTtlSeconds on exp - (iat ?? now)', async () => {
    const policy = policyOf({ maxTtlSeconds: 3600 })
    await expect(
      verifyJwt(await signHs(base({ exp: NOW + 3600 })), policy, clockAt()),
    ).resolves.toMatchObject({
      kind: 'jwt',
    })
    await expectInvalid(await signHs(base({ exp: NOW + 3601 })), 'ttl', policy)
    await expectInvalid(await signHs(base({ iat: NOW - 100, exp: NOW + 3550 })), 'ttl', policy)
    await expect(
      verifyJwt(await signHs(base({ iat: NOW - 100, exp: NOW + 3500 })), policy, clockAt()),
    ).resolves.toMatchObject({ kind: 'jwt' })
  })

  it('refuses a negative or non-finite leeway as a programming error', async () => {
    const token = await signHs(base())
    await expect(
      verifyJwt(token, policyOf({ leewaySeconds: -1 }), clockAt()),
    ).rejects.toBeInstanceOf(TypeError)
  })
})

describe('verifyJwt: signature, algorithm and shape', () => {
  let rsa: { publicKey: CryptoKey; privateKey: CryptoKey }
  let pem: string
  beforeAll(async () => {
    rsa = await generateKeyPair('RS256', { extractable: true })
    pem = await exportSPKI(rsa.publicKey)
  })

  it('rejects alg none (hand-built), in any spelling', async () => {
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      await expectInvalid(unsigned(base(), alg), 'alg')
    }
    const withFakeSig = `${unsigned(base())}c2ln`
    await expectInvalid(withFakeSig, 'alg')
  })

  it('rejects algorithms nobody pinned (HS512, HS384, PS256)', async () => {
    const hs512 = jwt.sign(base(), ADMIN, { algorithm: 'HS512', noTimestamp: true })
    await expectInvalid(hs512, 'alg')
    await expectInvalid(unsigned(base(), 'PS256'), 'alg')
  })

  it('rejects alg confusion: HS256 signed with the RSA public key PEM, against an RS256 key', async () => {
    const forged = jwt.sign(base(), pem, { algorithm: 'HS256', noTimestamp: true })
    const rsOnly = policyOf({
      keys: [{ alg: 'RS256', publicKey: rsa.publicKey, status: 'active' }],
    })
    await expectInvalid(forged, 'alg', rsOnly)
    const jwkOnly = policyOf({
      keys: [{ alg: 'RS256', publicKey: await exportJWK(rsa.publicKey), status: 'active' }],
    })
    await expectInvalid(forged, 'alg', jwkOnly)
    // With both an HS key and the RS key configured, the HS256 forgery only meets the HS secret, and fails.
    const both = policyOf({
      keys: [adminKey, { alg: 'RS256', publicKey: rsa.publicKey, status: 'active' }],
    })
    await expectInvalid(forged, 'signature', both)
  })

  it('rejects an RS256 token against an HS256-only policy', async () => {
    const token = await signWith(base(), 'RS256', rsa.privateKey)
    await expectInvalid(token, 'alg')
  })

  it('accepts RS256 with a CryptoKey or a public JWK, and ES256 / EdDSA keys', async () => {
    const token = await signWith(base(), 'RS256', rsa.privateKey)
    const viaKey = policyOf({
      keys: [{ alg: 'RS256', publicKey: rsa.publicKey, status: 'active' }],
    })
    const viaJwk = policyOf({
      keys: [{ alg: 'RS256', publicKey: await exportJWK(rsa.publicKey), status: 'active' }],
    })
    await expect(verifyJwt(token, viaKey, clockAt())).resolves.toMatchObject({ kind: 'jwt' })
    await expect(verifyJwt(token, viaJwk, clockAt())).resolves.toMatchObject({ kind: 'jwt' })
    for (const alg of ['ES256', 'EdDSA'] as const) {
      const pair = await generateKeyPair(alg)
      const t = await signWith(base(), alg, pair.privateKey, 'k')
      const policy = policyOf({
        keys: [{ kid: 'k', alg, publicKey: pair.publicKey, status: 'active' }],
      })
      await expect(verifyJwt(t, policy, clockAt())).resolves.toMatchObject({ kid: 'k' })
    }
  })

  it('rejects an RS256 token signed by another RSA key', async () => {
    const other = await generateKeyPair('RS256')
    const token = await signWith(base(), 'RS256', other.privateKey)
    await expectInvalid(
      token,
      'signature',
      policyOf({ keys: [{ alg: 'RS256', publicKey: rsa.publicKey, status: 'active' }] }),
    )
  })

  it('rejects a tampered payload carrying the old signature', async () => {
    const [h, , s] = (await signHs(base())).split('.')
    for (const over of [
      { workspace_id: WS, name: 'frontend_jwt', exp: NOW + 99_999 },
      { scopes: [{ type: 'PIPES:READ', resource: 'admin_pipe' }] },
    ]) {
      const forged = `${h}.${b64(JSON.stringify(base(over)))}.${s}`
      await expectInvalid(forged, 'signature')
    }
    const noFixed = `${h}.${b64(JSON.stringify(base({ scopes: [{ type: 'PIPES:READ', resource: 'top_pages' }] })))}.${s}`
    await expectInvalid(noFixed, 'signature')
  })

  it('rejects a truncated or missing signature', async () => {
    const token = await signHs(base())
    await expectInvalid(token.slice(0, -5), 'signature')
    await expectInvalid(token.slice(0, token.lastIndexOf('.') + 1), 'signature')
    await expectInvalid(`${token}AAAA`, 'signature')
  })

  it("rejects every other spelling of the signature's last character (pad bits, RFC 4648 §3.5)", async () => {
    const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    /** The spellings of `token` whose last character differs only in bits a lenient decoder ignores. */
    const padSpellings = (token: string): string[] => {
      const sig = token.slice(token.lastIndexOf('.') + 1)
      const padBits = { 2: 4, 3: 2 }[(sig.length % 4) as 2 | 3]
      const last = ALPHABET.indexOf(sig.at(-1)!)
      return Array.from(
        { length: 2 ** padBits - 1 },
        (_, i) => `${token.slice(0, -1)}${ALPHABET.charAt(last + i + 1)}`,
      )
    }
    const hs = await signHs(base())
    await expect(verifyJwt(hs, policyOf(), clockAt())).resolves.toMatchObject({ kind: 'jwt' })
    expect(padSpellings(hs)).toHaveLength(3)
    for (const t of padSpellings(hs)) {
      // The same signature bytes: a lenient decoder reads them as the valid signature.
      expect(Buffer.from(t.split('.')[2]!, 'base64url')).toEqual(
        Buffer.from(hs.split('.')[2]!, 'base64url'),
      )
      await expectInvalid(t, 'signature')
    }
    for (const alg of ['ES256', 'EdDSA'] as const) {
      const pair = await generateKeyPair(alg)
      const policy = policyOf({ keys: [{ alg, publicKey: pair.publicKey, status: 'active' }] })
      const t = await signWith(base(), alg, pair.privateKey)
      await expect(verifyJwt(t, policy, clockAt())).resolves.toMatchObject({ kind: 'jwt' })
      expect(padSpellings(t)).toHaveLength(15)
      for (const v of padSpellings(t)) await expectInvalid(v, 'signature', policy)
    }
  })

  it('rejects a token signed with another secret (e.g. a refreshed admin token)', async () => {
    await expectInvalid(await signHs(base(), generateStaticToken()), 'signature')
  })

  it('rejects malformed tokens without touching a key', async () => {
    for (const t of [
      '',
      'abc',
      'a.b',
      'a.b.c.d',
      'a.b.c.d.e',
      'p.static-token',
      'a b.c.d',
      '..',
      'a..c',
      '*.b.c',
    ]) {
      await expectInvalid(t, 'malformed')
    }
    await expectInvalid(`${b64('not json')}.${b64('{}')}.sig`, 'malformed')
    await expectInvalid(`${b64('[1]')}.${b64('{}')}.sig`, 'malformed')
  })

  it('rejects a validly signed payload that is not a JSON object or not UTF-8', async () => {
    const sign = (bytes: Uint8Array): Promise<string> =>
      new CompactSign(bytes).setProtectedHeader({ alg: 'HS256' }).sign(enc.encode(ADMIN))
    await expectInvalid(await sign(enc.encode('not json')), 'malformed')
    await expectInvalid(await sign(enc.encode('[1,2]')), 'malformed')
    await expectInvalid(await sign(enc.encode('"x"')), 'malformed')
    await expectInvalid(await sign(new Uint8Array([0x7b, 0xff, 0x7d])), 'malformed')
  })

  it('rejects an unknown crit header extension', async () => {
    const token = await new CompactSign(enc.encode(JSON.stringify(base())))
      .setProtectedHeader({ alg: 'HS256', crit: ['x-custom'], 'x-custom': 1 })
      .sign(enc.encode(ADMIN))
      .catch(() => undefined)
    if (token !== undefined) await expectInvalid(token, 'malformed')
    else {
      const raw = `${b64(JSON.stringify({ alg: 'HS256', crit: ['x-custom'], 'x-custom': 1 }))}.${b64(JSON.stringify(base()))}`
      const sig = createHmac('sha256', ADMIN).update(raw).digest('base64url')
      await expectInvalid(`${raw}.${sig}`, 'malformed')
    }
  })

  it('rejects a 100 KB token on size with 431, before any crypto', async () => {
    const big = await signHs(base({ pad: 'x'.repeat(100 * 1024) }))
    const e = await rejection(verifyJwt(big, policyOf(), clockAt()))
    expect(e).toMatchObject({
      code: 'ERR_AUTH_TOKEN_TOO_LARGE',
      status: 431,
      details: { reason: 'size', maxBytes: 8192 },
    })
    expect(e.message).toBe(
      'invalid authentication token. Token too large (the limit is 8192 bytes)',
    )
    const small = await rejection(
      verifyJwt(
        await signHs(base({ pad: 'x'.repeat(200) })),
        policyOf({ maxTokenBytes: 256 }),
        clockAt(),
      ),
    )
    expect(small).toMatchObject({ code: 'ERR_AUTH_TOKEN_TOO_LARGE', details: { maxBytes: 256 } })
  })
})

describe('verifyJwt: claims', () => {
  it('rejects a wrong workspace_id without echoing it', async () => {
    const e = await expectInvalid(await signHs(base({ workspace_id: 'other-ws-7' })), 'workspace')
    expect(e.message).toBe('invalid authentication token. Workspace not found')
    expect(e.message).not.toContain('other-ws-7')
  })

  it('rejects a missing or non-string workspace_id', async () => {
    const e = await expectInvalid(await signHs(without(base(), 'workspace_id')), 'workspace')
    expect(e.message).toBe('invalid authentication token. Workspace ID missing in JWT token')
    await expectInvalid(await signHs(base({ workspace_id: 7 })), 'workspace')
  })

  it.each<[string, unknown]>([
    ['empty scopes', []],
    ['missing scopes', undefined],
    ['scopes not an array', { type: 'PIPES:READ', resource: 'p' }],
    ['scope type DATASOURCES:READ', [{ type: 'DATASOURCES:READ', resource: 'p' }]],
    ['scope type ADMIN', [{ type: 'ADMIN' }]],
    ['scope as a string', ['PIPES:READ:p']],
    ['lower-case type', [{ type: 'pipes:read', resource: 'p' }]],
    ['missing resource', [{ type: 'PIPES:READ' }]],
    ['empty resource', [{ type: 'PIPES:READ', resource: '' }]],
    ['numeric resource', [{ type: 'PIPES:READ', resource: 7 }]],
    ['resource with ":"', [{ type: 'PIPES:READ', resource: 'p:1=1' }]],
    // Tinybird authenticates this token with no access info; we reject it outright.
    [
      'one valid, one invalid scope',
      [
        { type: 'PIPES:READ', resource: 'p' },
        { type: 'PIPES:DROP', resource: 'p' },
      ],
    ],
    ['fixed_params null', [{ type: 'PIPES:READ', resource: 'p', fixed_params: null }]],
    ['fixed_params array', [{ type: 'PIPES:READ', resource: 'p', fixed_params: ['a'] }]],
    [
      'fixed param value null',
      [{ type: 'PIPES:READ', resource: 'p', fixed_params: { org: null } }],
    ],
    [
      'fixed param value object',
      [{ type: 'PIPES:READ', resource: 'p', fixed_params: { org: { a: 1 } } }],
    ],
    [
      'fixed param nested array',
      [{ type: 'PIPES:READ', resource: 'p', fixed_params: { org: [['a']] } }],
    ],
    [
      'both fixed_params and fixed_parameters',
      [{ type: 'PIPES:READ', resource: 'p', fixed_params: {}, fixed_parameters: {} }],
    ],
  ])('rejects %s', async (_name, scopes) => {
    const e = await expectInvalid(await signHs(base({ scopes })), 'claims')
    expect(e.details).toMatchObject({ claim: 'scopes' })
  })

  it('accepts unicode names; rejects control characters, empty, unpaired surrogates and overlong names', async () => {
    for (const name of ['Zoë 🚀 用户', 'user@example.com', 'a'.repeat(256)]) {
      await expect(
        verifyJwt(await signHs(base({ name })), policyOf(), clockAt()),
      ).resolves.toMatchObject({ name })
    }
    for (const name of [
      'a\nb',
      'a\u0000b',
      '\u001b[31mred',
      'a\u007f',
      'a\u0085b',
      '',
      '\ud800',
      'a'.repeat(257),
    ]) {
      const e = await expectInvalid(await signHs(base({ name })), 'claims')
      expect(e.details).toMatchObject({ claim: 'name' })
    }
    for (const name of [undefined, 7, null, ['a']]) {
      await expectInvalid(await signHs(base({ name })), 'claims')
    }
  })

  it.each<[string, unknown]>([
    ['rps 0', { rps: 0 }],
    ['negative rps', { rps: -1 }],
    ['string rps', { rps: '10' }],
    ['limits not an object', 10],
    ['limits null', null],
  ])('rejects limits with %s', async (_name, limits) => {
    const e = await expectInvalid(await signHs(base({ limits })), 'claims')
    expect(e.details).toMatchObject({ claim: 'limits' })
  })

  it('requires aud and iss only when the policy sets them', async () => {
    const policy = policyOf({ audience: 'dunlin', issuer: 'https://auth.example' })
    await expectInvalid(await signHs(base({ iss: 'https://auth.example' })), 'aud', policy)
    await expectInvalid(
      await signHs(base({ aud: 'other', iss: 'https://auth.example' })),
      'aud',
      policy,
    )
    await expectInvalid(await signHs(base({ aud: 'dunlin' })), 'iss', policy)
    await expectInvalid(
      await signHs(base({ aud: 'dunlin', iss: 'https://evil.example' })),
      'iss',
      policy,
    )
    await expect(
      verifyJwt(
        await signHs(base({ aud: ['x', 'dunlin'], iss: 'https://auth.example' })),
        policy,
        clockAt(),
      ),
    ).resolves.toMatchObject({ kind: 'jwt' })
  })
})

describe('verifyJwt: keys, kid and revocation', () => {
  const k1: SigningKey = { kid: 'k1', alg: 'HS256', secret: 'secret-one', status: 'active' }
  const k2: SigningKey = { kid: 'k2', alg: 'HS256', secret: 'secret-two', status: 'verify-only' }
  const k3: SigningKey = { kid: 'k3', alg: 'HS256', secret: 'secret-three', status: 'revoked' }
  const policy = policyOf({ keys: [adminKey, k1, k2, k3] })

  it('uses only the key with the token kid', async () => {
    await expect(
      verifyJwt(await signHs(base(), 'secret-one', { kid: 'k1' }), policy, clockAt()),
    ).resolves.toMatchObject({
      kid: 'k1',
    })
    await expectInvalid(await signHs(base(), ADMIN, { kid: 'k1' }), 'signature', policy)
    await expectInvalid(await signHs(base(), 'secret-two', { kid: 'k1' }), 'signature', policy)
  })

  it('uses only kid-less keys for a token without kid', async () => {
    await expect(verifyJwt(await signHs(base()), policy, clockAt())).resolves.not.toHaveProperty(
      'kid',
    )
    await expectInvalid(await signHs(base(), 'secret-one'), 'signature', policy)
  })

  it('rejects an unknown or non-string kid', async () => {
    await expectInvalid(await signHs(base(), 'secret-one', { kid: 'nope' }), 'kid', policy)
    const raw = `${b64(JSON.stringify({ alg: 'HS256', kid: 1 }))}.${b64(JSON.stringify(base()))}`
    await expectInvalid(
      `${raw}.${createHmac('sha256', ADMIN).update(raw).digest('base64url')}`,
      'kid',
      policy,
    )
    await expectInvalid(await signHs(base()), 'kid', policyOf({ keys: [k1] }))
  })

  it("ignores a token's kid when no key has one (Tinybird verifies with the admin token regardless)", async () => {
    const token = jwt.sign(base(), ADMIN, { noTimestamp: true, keyid: 'some-kid' })
    await expect(verifyJwt(token, policyOf(), clockAt())).resolves.toMatchObject({
      kid: 'some-kid',
    })
    await expectInvalid(await signHs(base(), 'p.other', { kid: 'some-kid' }), 'signature')
  })

  it('still verifies with a verify-only key (rotation overlap)', async () => {
    await expect(
      verifyJwt(await signHs(base(), 'secret-two', { kid: 'k2' }), policy, clockAt()),
    ).resolves.toMatchObject({
      kid: 'k2',
    })
  })

  it('answers a token from a revoked key with ERR_AUTH_TOKEN_REVOKED, but a forgery under that kid is invalid', async () => {
    const e = await rejection(
      verifyJwt(await signHs(base(), 'secret-three', { kid: 'k3' }), policy, clockAt()),
    )
    expect(e).toMatchObject({
      code: 'ERR_AUTH_TOKEN_REVOKED',
      status: 403,
      details: { reason: 'key' },
    })
    await expectInvalid(await signHs(base(), 'guess', { kid: 'k3' }), 'signature', policy)
  })

  it('tries every kid-less key: old and new admin tokens during a refresh', async () => {
    const oldAdmin: SigningKey = { alg: 'HS256', secret: 'p.old-admin', status: 'verify-only' }
    const rotated = policyOf({ keys: [adminKey, oldAdmin] })
    await expect(
      verifyJwt(await signHs(base(), 'p.old-admin'), rotated, clockAt()),
    ).resolves.toMatchObject({ kind: 'jwt' })
    await expect(verifyJwt(await signHs(base()), rotated, clockAt())).resolves.toMatchObject({
      kind: 'jwt',
    })
  })

  it('revokes by name, by jti and by kid through policy.isRevoked, after the signature checks', async () => {
    const seen: unknown[] = []
    const revoking = policyOf({
      keys: [adminKey, k1],
      isRevoked: (c) => {
        seen.push(c)
        return c.name === 'leaked' || c.jti === 'j-9' || c.kid === 'k1'
      },
    })
    for (const token of [
      await signHs(base({ name: 'leaked' })),
      await signHs(base({ jti: 'j-9' })),
      await signHs(base(), 'secret-one', { kid: 'k1' }),
    ]) {
      const e = await rejection(verifyJwt(token, revoking, clockAt()))
      expect(e).toMatchObject({ code: 'ERR_AUTH_TOKEN_REVOKED', details: { reason: 'revoked' } })
    }
    expect(seen).toEqual([
      { name: 'leaked' },
      { name: 'frontend_jwt', jti: 'j-9' },
      { name: 'frontend_jwt', kid: 'k1' },
    ])
    seen.length = 0
    await expectInvalid(await signHs(base({ name: 'leaked' }), 'wrong'), 'signature', revoking)
    expect(seen).toEqual([])
  })

  it('answers a policy without keys or with a misconfigured key with ERR_AUTH_NOT_CONFIGURED', async () => {
    const token = await signHs(base())
    const none = await rejection(verifyJwt(token, policyOf({ keys: [] }), clockAt()))
    expect(none).toMatchObject({ code: 'ERR_AUTH_NOT_CONFIGURED', status: 500 })
    const noSecret = await rejection(
      verifyJwt(token, policyOf({ keys: [{ alg: 'HS256', status: 'active' }] }), clockAt()),
    )
    expect(noSecret.code).toBe('ERR_AUTH_NOT_CONFIGURED')
    const rsa = await generateKeyPair('RS256', { extractable: true })
    const rsToken = await signWith(base(), 'RS256', rsa.privateKey)
    const privateJwk = await exportJWK(rsa.privateKey)
    const priv = await rejection(
      verifyJwt(
        rsToken,
        policyOf({ keys: [{ alg: 'RS256', publicKey: privateJwk, status: 'active' }] }),
        clockAt(),
      ),
    )
    expect(priv.code).toBe('ERR_AUTH_NOT_CONFIGURED')
    const wrongType = await generateKeyPair('ES256')
    const mismatch = await rejection(
      verifyJwt(
        rsToken,
        policyOf({ keys: [{ alg: 'RS256', publicKey: wrongType.publicKey, status: 'active' }] }),
        clockAt(),
      ),
    )
    expect(mismatch.code).toBe('ERR_AUTH_NOT_CONFIGURED')
  })
})

describe('verifyJwtCached', () => {
  it('returns the cached principal on a hit', async () => {
    const cache = new JwtCache({ maxEntries: 10 })
    const token = await signHs(base())
    const a = await verifyJwtCached(token, policyOf(), clockAt(), cache)
    const b = await verifyJwtCached(token, policyOf(), clockAt(), cache)
    expect(b).toBe(a)
    expect(cache.size).toBe(1)
  })

  it('hits when the policy and its keys are rebuilt per request, reading the new key status', async () => {
    const cache = new JwtCache({ maxEntries: 10 })
    const token = await signHs(base())
    const fresh = (status: SigningKey['status']): JwtPolicy =>
      policyOf({ keys: [{ alg: 'HS256', secret: ADMIN, status }] })
    const a = await verifyJwtCached(token, fresh('active'), clockAt(), cache)
    expect(await verifyJwtCached(token, fresh('active'), clockAt(), cache)).toBe(a)
    expect(await verifyJwtCached(token, fresh('verify-only'), clockAt(), cache)).toBe(a)
    await expectCode(
      verifyJwtCached(token, fresh('revoked'), clockAt(), cache),
      'ERR_AUTH_TOKEN_REVOKED',
    )
  })

  it('matches asymmetric keys by the same CryptoKey or the same public JWK members', async () => {
    const pair = await generateKeyPair('ES256', { extractable: true })
    const jwk = await exportJWK(pair.publicKey)
    const token = await signWith(base(), 'ES256', pair.privateKey, 'e1')
    const cache = new JwtCache({ maxEntries: 10 })
    const withJwk = (k: typeof jwk): JwtPolicy =>
      policyOf({ keys: [{ kid: 'e1', alg: 'ES256', publicKey: { ...k }, status: 'active' }] })
    const a = await verifyJwtCached(token, withJwk(jwk), clockAt(), cache)
    expect(await verifyJwtCached(token, withJwk(jwk), clockAt(), cache)).toBe(a)
    const other = await exportJWK((await generateKeyPair('ES256', { extractable: true })).publicKey)
    await expectCode(
      verifyJwtCached(token, withJwk(other), clockAt(), cache),
      'ERR_AUTH_TOKEN_INVALID',
    )
  })

  it('still rejects a cached token once it expires, and drops it', async () => {
    const cache = new JwtCache({ maxEntries: 10 })
    const clock = clockAt()
    const token = await signHs(base({ exp: NOW + 60 }))
    await verifyJwtCached(token, policyOf(), clock, cache)
    clock.advanceSeconds(60)
    const e = await rejection(verifyJwtCached(token, policyOf(), clock, cache))
    expect(e.code).toBe('ERR_AUTH_TOKEN_EXPIRED')
    expect(cache.size).toBe(0)
  })

  it('re-checks revocation and key status on a hit', async () => {
    const cache = new JwtCache({ maxEntries: 10 })
    const revoked = new Set<string>()
    const key: SigningKey = { kid: 'k', alg: 'HS256', secret: 's', status: 'active' }
    const policy = policyOf({ keys: [key], isRevoked: (c) => revoked.has(c.name) })
    const token = await signHs(base(), 's', { kid: 'k' })
    await verifyJwtCached(token, policy, clockAt(), cache)
    revoked.add('frontend_jwt')
    expect((await rejection(verifyJwtCached(token, policy, clockAt(), cache))).code).toBe(
      'ERR_AUTH_TOKEN_REVOKED',
    )
    revoked.clear()
    await verifyJwtCached(token, policy, clockAt(), cache)
    key.status = 'revoked'
    expect(await rejection(verifyJwtCached(token, policy, clockAt(), cache))).toMatchObject({
      code: 'ERR_AUTH_TOKEN_REVOKED',
      details: { reason: 'key' },
    })
  })

  it('re-verifies when the key is gone, the workspace differs or the policy settings change', async () => {
    const cache = new JwtCache({ maxEntries: 10 })
    const token = await signHs(base({ exp: NOW + 7200 }))
    await verifyJwtCached(token, policyOf(), clockAt(), cache)
    const refreshed: SigningKey = { alg: 'HS256', secret: generateStaticToken(), status: 'active' }
    await expectCode(
      verifyJwtCached(token, policyOf({ keys: [refreshed] }), clockAt(), cache),
      'ERR_AUTH_TOKEN_INVALID',
    )
    await verifyJwtCached(token, policyOf(), clockAt(), cache)
    await expectCode(
      verifyJwtCached(token, policyOf({ workspaceId: 'other' }), clockAt(), cache),
      'ERR_AUTH_TOKEN_INVALID',
    )
    await verifyJwtCached(token, policyOf(), clockAt(), cache)
    await expectCode(
      verifyJwtCached(token, policyOf({ maxTtlSeconds: 60 }), clockAt(), cache),
      'ERR_AUTH_TOKEN_INVALID',
    )
  })

  it('caches nothing that failed, and rejects oversize tokens before hashing', async () => {
    const cache = new JwtCache({ maxEntries: 10 })
    await rejection(verifyJwtCached(await signHs(base(), 'wrong'), policyOf(), clockAt(), cache))
    await rejection(verifyJwtCached('x'.repeat(100_000), policyOf(), clockAt(), cache))
    expect(cache.size).toBe(0)
  })

  it('evicts the least recently used entry; maxEntries 0 disables caching', async () => {
    const cache = new JwtCache({ maxEntries: 2 })
    const [t1, t2, t3] = await Promise.all(['a', 'b', 'c'].map((name) => signHs(base({ name }))))
    const p1 = await verifyJwtCached(t1!, policyOf(), clockAt(), cache)
    await verifyJwtCached(t2!, policyOf(), clockAt(), cache)
    expect(await verifyJwtCached(t1!, policyOf(), clockAt(), cache)).toBe(p1) // t1 now most recent
    await verifyJwtCached(t3!, policyOf(), clockAt(), cache) // evicts t2
    expect(cache.size).toBe(2)
    expect(await verifyJwtCached(t1!, policyOf(), clockAt(), cache)).toBe(p1)
    const off = new JwtCache({ maxEntries: 0 })
    await verifyJwtCached(t1!, policyOf(), clockAt(), off)
    expect(off.size).toBe(0)
    expect(() => new JwtCache({ maxEntries: -1 })).toThrow(TypeError)
    cache.clear()
    expect(cache.size).toBe(0)
  })
})

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  expect((await rejection(p)).code).toBe(code)
}

describe('verifyJwt: forged and mutated tokens are never accepted (property)', () => {
  const AUTH_CODES = new Set([
    'ERR_AUTH_TOKEN_INVALID',
    'ERR_AUTH_TOKEN_EXPIRED',
    'ERR_AUTH_TOKEN_REVOKED',
  ])
  const policy = policyOf()
  const clock = clockAt()

  /** Independent oracle: is `token` an HS256 compact JWS whose signature node:crypto confirms with ADMIN? */
  function signedByAdmin(token: string): boolean {
    const parts = token.split('.')
    if (parts.length !== 3) return false
    const [h, p, s] = parts as [string, string, string]
    if (!/^[A-Za-z0-9_-]*$/.test(s)) return false
    const expected = createHmac('sha256', ADMIN).update(`${h}.${p}`).digest()
    return Buffer.from(s, 'base64url').equals(expected)
  }

  async function outcome(token: string): Promise<Principal | ServerError> {
    try {
      return await verifyJwt(token, policy, clock)
    } catch (e) {
      if (e instanceof ServerError && AUTH_CODES.has(e.code) && e.status === 403) return e
      throw e // anything else (a TypeError, a 500) fails the property
    }
  }

  it('mutations of a valid token are accepted only when they give back the same token', async () => {
    const original = await signHs(base())
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ '
    const char = fc.constantFrom(...alphabet.split(''))
    const mutation = fc.oneof(
      fc.record({ op: fc.constant('replace' as const), at: fc.nat(), c: char }),
      fc.record({ op: fc.constant('insert' as const), at: fc.nat(), c: char }),
      fc.record({ op: fc.constant('delete' as const), at: fc.nat(), c: char }),
      fc.record({ op: fc.constant('truncate' as const), at: fc.nat(), c: char }),
      fc.record({ op: fc.constant('swap' as const), at: fc.nat(), c: char }),
    )
    const apply = (t: string, m: { op: string; at: number; c: string }): string => {
      const i = m.at % (t.length + 1)
      switch (m.op) {
        case 'replace':
          return t.slice(0, i) + m.c + t.slice(i + 1)
        case 'insert':
          return t.slice(0, i) + m.c + t.slice(i)
        case 'delete':
          return t.slice(0, i) + t.slice(i + 1)
        case 'truncate':
          return t.slice(0, i)
        default: {
          const [h = '', p = '', s = ''] = t.split('.')
          return [p, h, s].join('.')
        }
      }
    }
    let accepted = 0
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), async (ms) => {
        const token = ms.reduce(apply, original)
        const r = await outcome(token)
        if (r instanceof ServerError) return
        accepted++
        // Only mutations that give back the original spelling may pass: not even a signature part that decodes
        // to the same bytes (base64url pad bits).
        expect(token).toBe(original)
        expect(signedByAdmin(token)).toBe(true)
        expect(r).toEqual(await verifyJwt(original, policy, clock))
      }),
      { numRuns: 2500 },
    )
    expect(accepted).toBeLessThan(2500)
  })

  it('random payloads are accepted exactly when validly signed and in scope', async () => {
    const field = <T>(...values: T[]): fc.Arbitrary<T> => fc.constantFrom(...values)
    const arb = fc.record({
      workspace_id: field<unknown>(WS, WS, 'other', 42, undefined),
      name: field<unknown>('n', 'n', '', 7, 'a\nb', undefined),
      exp: field<unknown>(NOW + 100, NOW + 0.5, NOW - 1, NOW, String(NOW + 100), undefined),
      nbf: field<unknown>(undefined, NOW - 10, NOW + 10, 'x'),
      scopes: field<unknown>(
        [{ type: 'PIPES:READ', resource: 'p' }],
        [{ type: 'PIPES:READ', resource: 'p', fixed_params: { org: 'a' } }],
        [],
        [{ type: 'DATASOURCES:READ', resource: 'p' }],
        [{ type: 'PIPES:READ' }],
        [
          { type: 'PIPES:READ', resource: 'p' },
          { type: 'PIPES:DROP', resource: 'p' },
        ],
        undefined,
      ),
      limits: field<unknown>(undefined, { rps: 5 }, { rps: 0 }),
      signer: field<'admin' | 'other' | 'none'>('admin', 'admin', 'admin', 'other', 'none'),
    })
    const valid = (c: Record<string, unknown>): boolean =>
      c['workspace_id'] === WS &&
      c['name'] === 'n' &&
      typeof c['exp'] === 'number' &&
      c['exp'] > NOW &&
      (c['nbf'] === undefined || c['nbf'] === NOW - 10) &&
      Array.isArray(c['scopes']) &&
      c['scopes'].length > 0 &&
      (c['scopes'] as { type?: unknown; resource?: unknown }[]).every(
        (s) => s.type === 'PIPES:READ' && s.resource === 'p',
      ) &&
      (c['limits'] === undefined || (c['limits'] as { rps: number }).rps > 0) &&
      c['signer'] === 'admin'
    await fc.assert(
      fc.asyncProperty(arb, async (c) => {
        const payload = Object.fromEntries(
          Object.entries(c).filter(([k, v]) => k !== 'signer' && v !== undefined),
        )
        const token =
          c.signer === 'none'
            ? unsigned(payload)
            : await signHs(payload, c.signer === 'admin' ? ADMIN : 'p.other')
        const r = await outcome(token)
        expect(!(r instanceof ServerError)).toBe(valid(c))
        if (!(r instanceof ServerError)) {
          expect(pipeAccess(r, { id: 't_p', name: 'p' })).not.toBeNull()
          expect(pipeAccess(r, { id: 't_q', name: 'q' })).toBeNull()
        }
      }),
      { numRuns: 1500 },
    )
  })

  it('arbitrary strings are never accepted and never throw anything but an auth error', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 300 }),
          fc.tuple(fc.base64String(), fc.base64String(), fc.base64String()).map((p) => p.join('.')),
          fc.tuple(fc.json(), fc.json()).map(([h, p]) => `${b64(h)}.${b64(p)}.`),
          fc.json().map((p) => `${b64(JSON.stringify({ alg: 'HS256' }))}.${b64(p)}.${b64('sig')}`),
        ),
        async (token) => {
          expect(await outcome(token)).toBeInstanceOf(ServerError)
        },
      ),
      { numRuns: 1000 },
    )
  })
})
