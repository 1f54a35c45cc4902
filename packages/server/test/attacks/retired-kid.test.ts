// Attack: keep using a JWT signed by a named key after that key was retired (status `revoked`), or present an
// unknown kid, or a kid-less token signed with a named key's secret.
import { SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import type { TestServer } from '../helpers/server.js'
import { expectRefused, getPipe, read, useServer } from './lib.js'

const srv = useServer()
const sign = (t: TestServer, secret: string, kid?: string): Promise<string> =>
  new SignJWT({ workspace_id: t.workspaceId, name: 'k', scopes: [read('top_airlines')] })
    .setProtectedHeader({ alg: 'HS256', ...(kid !== undefined ? { kid } : {}) })
    .setExpirationTime(t.nowSeconds() + 600)
    .sign(new TextEncoder().encode(secret))

describe('retired kid', () => {
  it('refuses tokens of a retired key with ERR_AUTH_TOKEN_REVOKED on the next request', async () => {
    const t = srv()
    const { secret } = await t.srv.workspace.addSigningKey('old')
    const token = await sign(t, secret, 'old')
    expect((await getPipe(t, 'top_airlines', token)).status).toBe(200)
    const res = await t.fetch('/v0/keys/old?status=revoked', {
      method: 'PUT',
      headers: { Authorization: `Bearer ${t.adminToken}` },
    })
    expect(res.status).toBe(200)
    await expectRefused(
      await getPipe(t, 'top_airlines', token),
      403,
      'ERR_AUTH_TOKEN_REVOKED',
      token,
    )
  })

  it('refuses an unknown kid and a kid-less token signed with a named key', async () => {
    const t = srv()
    const { secret } = await t.srv.workspace.addSigningKey('live')
    const unknown = await sign(t, secret, 'nope')
    await expectRefused(
      await getPipe(t, 'top_airlines', unknown),
      403,
      'ERR_AUTH_TOKEN_INVALID',
      unknown,
    )
    const kidless = await sign(t, secret)
    await expectRefused(
      await getPipe(t, 'top_airlines', kidless),
      403,
      'ERR_AUTH_TOKEN_INVALID',
      kidless,
    )
    // The admin token signs kid-less tokens only: it cannot be used under a named kid.
    const adminUnderKid = await sign(t, t.adminToken, 'live')
    await expectRefused(
      await getPipe(t, 'top_airlines', adminUnderKid),
      403,
      'ERR_AUTH_TOKEN_INVALID',
      adminUnderKid,
    )
  })
})
