// Attack: a signature cut short, emptied, padded, with one character flipped, or respelled with a pad bit set.
import { describe, it } from 'vitest'
import { expectRefused, getPipe, read, useServer } from './lib.js'

const srv = useServer()

describe('truncated or altered signature', () => {
  it('refuses every variant with ERR_AUTH_TOKEN_INVALID', async () => {
    const t = srv()
    const token = await t.signJwt({ exp: t.nowSeconds() + 60, scopes: [read('top_airlines')] })
    const [h, p, s] = token.split('.') as [string, string, string]
    const flip = (c: string): string => (c === 'A' ? 'B' : 'A')
    // The same 32 bytes spelled with a pad bit set in the last character (RFC 4648 §3.5).
    const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const padBitSet = B64URL.charAt(B64URL.indexOf(s.at(-1)!) | 1)
    const variants = [
      `${h}.${p}.${s.slice(0, -1)}`,
      `${h}.${p}.${s.slice(0, 10)}`,
      `${h}.${p}.`,
      `${h}.${p}`,
      `${h}.${p}.${s}A`,
      `${h}.${p}.${s}==`,
      `${h}.${p}.${flip(s[0]!)}${s.slice(1)}`,
      `${h}.${p}.${s.slice(0, -1)}${flip(s.at(-1)!)}`,
      `${h}.${p}.${s}.${s}`,
      `${h}.${p}.${s.slice(0, -1)}${padBitSet}`,
    ]
    for (const v of variants) {
      await expectRefused(await getPipe(t, 'top_airlines', v), 403, 'ERR_AUTH_TOKEN_INVALID', v)
    }
  })
})
