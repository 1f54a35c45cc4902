// Attack: a token not valid yet (`nbf` in the future), and a future `iat` once iat checks are on.
import { describe, expect, it } from 'vitest'
import { expectRefused, getPipe, read, useServer } from './lib.js'

const srv = useServer()

describe('nbf in the future', () => {
  it('refuses nbf = now + 60 and accepts nbf = now - 1', async () => {
    const t = srv()
    const future = await t.signJwt({
      exp: t.nowSeconds() + 600,
      nbf: t.nowSeconds() + 60,
      scopes: [read('top_airlines')],
    })
    await expectRefused(
      await getPipe(t, 'top_airlines', future),
      403,
      'ERR_AUTH_TOKEN_INVALID',
      future,
    )
    const past = await t.signJwt({
      exp: t.nowSeconds() + 600,
      nbf: t.nowSeconds() - 1,
      scopes: [read('top_airlines')],
    })
    expect((await getPipe(t, 'top_airlines', past)).status).toBe(200)
  })

  it('refuses a string nbf', async () => {
    const t = srv()
    const token = await t.signJwt({
      exp: t.nowSeconds() + 600,
      nbf: String(t.nowSeconds() - 10),
      scopes: [read('top_airlines')],
    })
    await expectRefused(
      await getPipe(t, 'top_airlines', token),
      403,
      'ERR_AUTH_TOKEN_INVALID',
      token,
    )
  })
})
