// Attack: timing side channels on token comparison. Static tokens are looked up by their SHA-256 and confirmed
// with crypto.timingSafeEqual, so the time never depends on how many leading characters of a guess are right;
// JWT signatures are checked by jose with WebCrypto's HMAC verify (constant time). This file checks both the code
// path and, coarsely, the live server.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { hashToken, verifyStaticToken } from '../../src/auth/index.js'
import { read, useServer } from './lib.js'

const srv = useServer()

describe('constant-time compare', () => {
  it('static tokens: lookup by hash, confirmation with timingSafeEqual, no string equality on tokens', () => {
    const src = readFileSync(
      fileURLToPath(new URL('../../src/auth/static-token.ts', import.meta.url)),
      'utf8',
    )
    expect(src).toMatch(/timingSafeEqual\(/)
    expect(src).not.toMatch(/token\s*===\s*/)
    // A store that returns a record for the wrong hash (a collision, a bug) is still refused.
    const seen: string[] = []
    expect(() =>
      verifyStaticToken('p.guess', (h) => {
        seen.push(h)
        return { id: 'x', name: 'x', hash: hashToken('p.other'), scopes: [] }
      }),
    ).toThrow(/invalid authentication token/)
    expect(seen).toEqual([hashToken('p.guess')])
  })

  it('a signature wrong in its first or last character takes about the same time', async () => {
    const t = srv()
    const token = await t.signJwt({ exp: t.nowSeconds() + 600, scopes: [read('top_airlines')] })
    const [h, p, s] = token.split('.') as [string, string, string]
    const flip = (c: string): string => (c === 'A' ? 'B' : 'A')
    const early = `${h}.${p}.${flip(s[0]!)}${s.slice(1)}`
    const late = `${h}.${p}.${s.slice(0, -2)}${flip(s.at(-2)!)}${s.at(-1)!}`
    const time = async (tok: string): Promise<number> => {
      const started = performance.now()
      const res = await t.fetch('/v0/pipes/top_airlines.json', {
        headers: { Authorization: `Bearer ${tok}` },
      })
      await res.arrayBuffer()
      expect(res.status).toBe(403)
      return performance.now() - started
    }
    const a: number[] = []
    const b: number[] = []
    for (let i = 0; i < 60; i++) {
      a.push(await time(early))
      b.push(await time(late))
    }
    const median = (xs: number[]): number => xs.sort((x, y) => x - y)[xs.length >> 1]!
    const ratio = median(a) / median(b)
    // Loose bounds: this guards against a gross early-exit compare, not nanosecond leaks.
    expect(ratio).toBeGreaterThan(0.5)
    expect(ratio).toBeLessThan(2)
  })
})
