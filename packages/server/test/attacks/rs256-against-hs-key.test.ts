// Attack: an RS256 (or ES256/EdDSA) token presented to a server whose only key is the HS256 admin token.
import { SignJWT, generateKeyPair } from 'jose'
import { describe, it } from 'vitest'
import { expectRefused, getPipe, read, useServer } from './lib.js'

const srv = useServer()

describe('asymmetric token against the HS256 admin key', () => {
  it('refuses RS256, ES256 and EdDSA tokens with ERR_AUTH_TOKEN_INVALID', async () => {
    const t = srv()
    for (const alg of ['RS256', 'ES256', 'EdDSA'] as const) {
      const { privateKey } = await generateKeyPair(alg)
      const token = await new SignJWT({
        workspace_id: t.workspaceId,
        name: 'asym',
        exp: t.nowSeconds() + 60,
        scopes: [read('top_airlines')],
      })
        .setProtectedHeader({ alg })
        .sign(privateKey)
      await expectRefused(
        await getPipe(t, 'top_airlines', token),
        403,
        'ERR_AUTH_TOKEN_INVALID',
        token,
      )
    }
  })
})
