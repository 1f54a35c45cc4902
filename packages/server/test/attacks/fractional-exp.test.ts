// Compatibility: a fractional `exp` (NumericDate allows it, RFC 7519 §2) is accepted while in the future and
// refused once past; Tinybird (PyJWT) behaves the same.
import { describe, expect, it } from 'vitest'
import { expectRefused, getPipe, read, useServer } from './lib.js'

const srv = useServer()

describe('fractional exp', () => {
  it('accepts now + 30.75 and refuses now - 0.5', async () => {
    const t = srv()
    const ok = await t.signJwt({ exp: Date.now() / 1000 + 30.75, scopes: [read('top_airlines')] })
    const res = await getPipe(t, 'top_airlines', ok)
    expect(res.status).toBe(200)
    const past = await t.signJwt({ exp: Date.now() / 1000 - 0.5, scopes: [read('top_airlines')] })
    await expectRefused(await getPipe(t, 'top_airlines', past), 403, 'ERR_AUTH_TOKEN_EXPIRED', past)
  })
})
