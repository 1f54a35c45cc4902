import { exportJWK, generateKeyPair } from 'jose'
import { describe, expect, it } from 'vitest'
import { JwksSource, cacheMaxAgeMs, jwkAlgorithm, parseJwks } from './jwks.js'

function fakeClock(start = 1_000_000): { nowMs: () => number; advance: (ms: number) => void } {
  let now = start
  return { nowMs: () => now, advance: (ms) => (now += ms) }
}

describe('jwkAlgorithm / parseJwks', () => {
  it('pins public keys to one algorithm and skips symmetric, private and encryption keys', async () => {
    const ec = await exportJWK((await generateKeyPair('ES256', { extractable: true })).publicKey)
    const rsa = await exportJWK((await generateKeyPair('RS256', { extractable: true })).publicKey)
    const ed = await exportJWK((await generateKeyPair('EdDSA', { extractable: true })).publicKey)
    const priv = await exportJWK((await generateKeyPair('ES256', { extractable: true })).privateKey)
    expect(jwkAlgorithm(ec)).toBe('ES256')
    expect(jwkAlgorithm(rsa)).toBe('RS256')
    expect(jwkAlgorithm(ed)).toBe('EdDSA')
    expect(jwkAlgorithm({ kty: 'oct', k: 'c2VjcmV0' })).toBeUndefined()
    expect(jwkAlgorithm(priv)).toBeUndefined()
    expect(jwkAlgorithm({ ...ec, use: 'enc' })).toBeUndefined()
    expect(jwkAlgorithm({ ...rsa, alg: 'HS256' })).toBeUndefined()
    const keys = parseJwks(
      JSON.stringify({ keys: [{ ...ec, kid: 'a' }, { kty: 'oct', k: 'eA', kid: 'h' }, priv, 'x'] }),
    )
    expect(keys).toHaveLength(1)
    expect(keys[0]).toMatchObject({ kid: 'a', alg: 'ES256', status: 'active' })
    expect(keys[0]?.publicKey).not.toHaveProperty('d')
    expect(() => parseJwks('{"nope":1}')).toThrow(TypeError)
  })

  it('reads max-age and no-store from Cache-Control', () => {
    expect(cacheMaxAgeMs('public, max-age=600')).toBe(600_000)
    expect(cacheMaxAgeMs('no-store')).toBe(0)
    expect(cacheMaxAgeMs('public')).toBeUndefined()
    expect(cacheMaxAgeMs(undefined)).toBeUndefined()
  })
})

describe('JwksSource', () => {
  const doc = (kids: string[]): string =>
    JSON.stringify({
      keys: kids.map((kid) => ({
        kty: 'OKP',
        crv: 'Ed25519',
        x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
        kid,
      })),
    })

  it('caches per max-age, refetches unknown kids once per cooldown, one fetch in flight', async () => {
    const clock = fakeClock()
    let kids = ['a']
    let loads = 0
    const src = new JwksSource({
      clock,
      cooldownMs: 10_000,
      load: async () => {
        loads++
        await new Promise((r) => setTimeout(r, 5))
        return { body: doc(kids), cacheControl: 'max-age=60' }
      },
    })
    await Promise.all([src.refresh(), src.refresh('a'), src.refresh('zzz')])
    expect(loads).toBe(1)
    expect(src.has('a')).toBe(true)
    await src.refresh('zzz')
    expect(loads).toBe(1) // cooldown
    kids = ['a', 'b']
    clock.advance(10_000)
    await Promise.all([src.refresh('b'), src.refresh('b')])
    expect(loads).toBe(2)
    expect(src.has('b')).toBe(true)
    await src.refresh('a')
    expect(loads).toBe(2) // fresh
    clock.advance(61_000)
    await src.refresh()
    expect(loads).toBe(3) // stale
  })

  it('keeps the last good keys when a load fails, and retries after the cooldown', async () => {
    const clock = fakeClock()
    let fail = false
    const src = new JwksSource({
      clock,
      cooldownMs: 1_000,
      defaultMaxAgeMs: 1_000,
      load: () =>
        fail ? Promise.reject(new Error('down')) : Promise.resolve({ body: doc(['a']) }),
    })
    await src.refresh()
    fail = true
    clock.advance(2_000)
    await src.refresh()
    expect(src.lastError).toBe('down')
    expect(src.has('a')).toBe(true)
    fail = false
    clock.advance(2_000)
    await src.refresh()
    expect(src.lastError).toBeUndefined()
    expect(src.fetches).toBe(3)
  })
})
