// Attack: an unsigned token (`alg: none`, and its case variants) must never be accepted.
import { describe, it } from 'vitest'
import { expectRefused, getPipe, rawJwt, read, useServer } from './lib.js'

const srv = useServer()

describe('alg: none', () => {
  it('refuses none, None, NONE and an empty alg, with or without a signature part', async () => {
    const t = srv()
    const payload = {
      workspace_id: t.workspaceId,
      name: 'none',
      exp: t.nowSeconds() + 60,
      scopes: [read('top_airlines')],
    }
    for (const alg of ['none', 'None', 'NONE', '']) {
      for (const sig of ['', 'AAAA']) {
        const token = rawJwt({ alg, typ: 'JWT' }, payload, sig)
        await expectRefused(
          await getPipe(t, 'top_airlines', token),
          403,
          'ERR_AUTH_TOKEN_INVALID',
          token,
        )
      }
    }
    const noAlg = rawJwt({ typ: 'JWT' }, payload, '')
    await expectRefused(
      await getPipe(t, 'top_airlines', noAlg),
      403,
      'ERR_AUTH_TOKEN_INVALID',
      noAlg,
    )
  })
})
