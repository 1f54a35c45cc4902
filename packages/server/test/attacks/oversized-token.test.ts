// Attack: a 100 KB token (CPU and memory on decode, log flooding). It is refused before any decoding: in a header
// by Node's 16 KB header limit (431), in the URL by the 16 KB URL limit (414), in a POST body by the JWT size
// cap (431 ERR_AUTH_TOKEN_TOO_LARGE); a token just over the 8 KB cap is refused the same way.
import { describe, expect, it } from 'vitest'
import { b64, expectRefused, read, useServer } from './lib.js'

const srv = useServer()

describe('100 KB token', () => {
  it('is refused in the Authorization header with 431 and in the URL with 414/431', async () => {
    const t = srv()
    const big = `${b64({ alg: 'HS256' })}.${'A'.repeat(100 * 1024)}.sig`
    const header = await t.fetch('/v0/pipes/top_airlines.json', {
      headers: { Authorization: `Bearer ${big}` },
    })
    expect(header.status).toBe(431)
    const url = await t.fetch(`/v0/pipes/top_airlines.json?token=${big}`)
    // Node counts the request line in its 16 KB header limit, so a 100 KB URL never reaches the app.
    expect([414, 431]).toContain(url.status)
    expect(await url.text()).not.toContain(big.slice(0, 200))
  })

  it('is refused in a POST body by the size cap, signed or not', async () => {
    const t = srv()
    const signed = await t.signJwt({
      exp: t.nowSeconds() + 60,
      scopes: [read('top_airlines')],
      padding: 'x'.repeat(100 * 1024),
    })
    const res = await t.fetch('/v0/pipes/top_airlines.json', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: signed }).toString(),
    })
    await expectRefused(res, 431, 'ERR_AUTH_TOKEN_TOO_LARGE', signed)
  })

  it('refuses a validly signed token just over the 8 KB cap, in a header', async () => {
    const t = srv()
    const token = await t.signJwt({
      exp: t.nowSeconds() + 60,
      scopes: [read('top_airlines')],
      padding: 'x'.repeat(8 * 1024),
    })
    const res = await t.fetch('/v0/pipes/top_airlines.json', {
      headers: { Authorization: `Bearer ${token}` },
    })
    await expectRefused(res, 431, 'ERR_AUTH_TOKEN_TOO_LARGE', token)
  })
})
