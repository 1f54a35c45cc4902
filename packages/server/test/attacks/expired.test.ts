// Attack: an expired token. Expired by 1 s is refused with ERR_AUTH_TOKEN_EXPIRED (the code clients refresh on);
// within a configured leeway it is accepted, past it refused; in 401 mode the status is 401 with a challenge.
import { describe, expect, it } from 'vitest'
import { expectRefused, getPipe, read, useServer } from './lib.js'

const srv = useServer()

describe('expired tokens', () => {
  it('refuses a token expired by 1 s (leeway 0, Tinybird)', async () => {
    const t = srv()
    const token = await t.signJwt({ exp: t.nowSeconds() - 1, scopes: [read('top_airlines')] })
    await expectRefused(
      await getPipe(t, 'top_airlines', token),
      403,
      'ERR_AUTH_TOKEN_EXPIRED',
      token,
    )
  })

  it('refuses a token whose exp is exactly now', async () => {
    const t = srv()
    const token = await t.signJwt({ exp: t.nowSeconds(), scopes: [read('top_airlines')] })
    await expectRefused(
      await getPipe(t, 'top_airlines', token),
      403,
      'ERR_AUTH_TOKEN_EXPIRED',
      token,
    )
  })

  it('with leeway 5 s: accepts expired by 1 s, refuses expired by 10 s, and 401 mode answers 401', async () => {
    const t = await srv().restart({ config: { auth: { leewaySeconds: 5, failureStatus: 401 } } })
    const within = await t.signJwt({ exp: t.nowSeconds() - 1, scopes: [read('top_airlines')] })
    expect((await getPipe(t, 'top_airlines', within)).status).toBe(200)
    const past = await t.signJwt({ exp: t.nowSeconds() - 10, scopes: [read('top_airlines')] })
    const res = await getPipe(t, 'top_airlines', past)
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"')
    await expectRefused(res, 401, 'ERR_AUTH_TOKEN_EXPIRED', past)
    await t.close()
  })
})
