// Attack: a token without `exp` would never expire; Tinybird requires it, so do we.
import { describe, it } from 'vitest'
import { expectRefused, getPipe, read, useServer } from './lib.js'

const srv = useServer()

describe('missing exp', () => {
  it('refuses a validly signed token without exp, and with exp null', async () => {
    const t = srv()
    for (const extra of [{}, { exp: null }]) {
      const token = await t.signJwt({ ...extra, scopes: [read('top_airlines')] })
      await expectRefused(
        await getPipe(t, 'top_airlines', token),
        403,
        'ERR_AUTH_TOKEN_INVALID',
        token,
      )
    }
  })
})
