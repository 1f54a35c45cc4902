// Attack: keep using a JWT after its `name` (or `jti`) was revoked; the revocation must apply on the very next
// request, including for a token already in the verified-token cache.
import { describe, expect, it } from 'vitest'
import { expectRefused, getPipe, read, useServer } from './lib.js'

const srv = useServer()

describe('revoked name', () => {
  it('refuses a cached token right after its name is revoked, and other names still work', async () => {
    const t = srv()
    const token = await t.signJwt({
      name: 'kiosk_7',
      exp: t.nowSeconds() + 600,
      scopes: [read('top_airlines')],
    })
    const other = await t.signJwt({
      name: 'kiosk_8',
      exp: t.nowSeconds() + 600,
      scopes: [read('top_airlines')],
    })
    expect((await getPipe(t, 'top_airlines', token)).status).toBe(200)
    const rev = await t.fetch('/v0/revocations?type=name&value=kiosk_7', {
      method: 'POST',
      headers: { Authorization: `Bearer ${t.adminToken}` },
    })
    expect(rev.status).toBe(200)
    await expectRefused(
      await getPipe(t, 'top_airlines', token),
      403,
      'ERR_AUTH_TOKEN_REVOKED',
      token,
    )
    expect((await getPipe(t, 'top_airlines', other)).status).toBe(200)
    // A fresh token with the same name is revoked too (name is the unit, as Tinybird's rate-limit bucket).
    const again = await t.signJwt({
      name: 'kiosk_7',
      exp: t.nowSeconds() + 60,
      scopes: [read('top_airlines')],
    })
    await expectRefused(
      await getPipe(t, 'top_airlines', again),
      403,
      'ERR_AUTH_TOKEN_REVOKED',
      again,
    )
  })

  it('survives a restart (the revocation is in the catalog) and only an admin may revoke', async () => {
    const t = srv()
    const pipeTok = t.srv.workspace.tokenValue(t.srv.workspace.token('top_airlines_read_static')!)
    const denied = await t.fetch('/v0/revocations?type=name&value=x', {
      method: 'POST',
      headers: { Authorization: `Bearer ${pipeTok}` },
    })
    await expectRefused(denied, 403, 'ERR_AUTH_SCOPE_DENIED', pipeTok)
    expect(t.srv.workspace.revocations.some((r) => r.value === 'kiosk_7')).toBe(true)
  })
})
