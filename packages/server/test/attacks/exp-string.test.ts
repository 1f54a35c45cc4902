// Attack: `exp` as a string (or other non-number) that a lax verifier might coerce or skip.
import { describe, it } from 'vitest'
import { expectRefused, getPipe, read, useServer } from './lib.js'

const srv = useServer()

describe('exp of the wrong type', () => {
  it('refuses string, boolean, array, object and huge-string exp values', async () => {
    const t = srv()
    const far = t.nowSeconds() + 3600
    for (const exp of [String(far), `${far}.0`, true, [far], { v: far }, '9'.repeat(40)]) {
      const token = await t.signJwt({ exp, scopes: [read('top_airlines')] })
      await expectRefused(
        await getPipe(t, 'top_airlines', token),
        403,
        'ERR_AUTH_TOKEN_INVALID',
        token,
      )
    }
  })
})
