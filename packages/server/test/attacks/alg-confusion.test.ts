// Attack: algorithm confusion. A server configured with an ES256 public key must not accept an HS256 token whose
// HMAC secret is that public key (PEM, JWK JSON or raw SPKI bytes).
import { SignJWT, exportJWK, exportSPKI, generateKeyPair, type JWK } from 'jose'
import { describe, expect, it } from 'vitest'
import { expectRefused, getPipe, read, useServer } from './lib.js'

const pair = await generateKeyPair('ES256', { extractable: true })
const pub: JWK = await exportJWK(pair.publicKey)
const pem = await exportSPKI(pair.publicKey)
const srv = useServer({
  config: { auth: { signingKeys: [{ kid: 'ec1', alg: 'ES256', publicKey: pub }] } },
})

describe('alg confusion: HS256 signed with the public key', () => {
  it('accepts the genuine ES256 token (control)', async () => {
    const t = srv()
    const token = await new SignJWT({
      workspace_id: t.workspaceId,
      name: 'ec',
      exp: t.nowSeconds() + 60,
      scopes: [read('top_airlines')],
    })
      .setProtectedHeader({ alg: 'ES256', kid: 'ec1' })
      .sign(pair.privateKey)
    expect((await getPipe(t, 'top_airlines', token)).status).toBe(200)
  })

  it('refuses HS256 tokens keyed with the PEM, the JWK or the DER of the public key', async () => {
    const t = srv()
    const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64')
    const secrets: Uint8Array[] = [
      new TextEncoder().encode(pem),
      new TextEncoder().encode(JSON.stringify(pub)),
      new Uint8Array(der),
    ]
    for (const secret of secrets) {
      for (const kid of ['ec1', undefined]) {
        const token = await new SignJWT({
          workspace_id: t.workspaceId,
          name: 'confused',
          exp: t.nowSeconds() + 60,
          scopes: [read('top_airlines')],
        })
          .setProtectedHeader({ alg: 'HS256', ...(kid ? { kid } : {}) })
          .sign(secret)
        await expectRefused(
          await getPipe(t, 'top_airlines', token),
          403,
          'ERR_AUTH_TOKEN_INVALID',
          token,
        )
      }
    }
  })
})
