// Attack: override a JWT's fixed param (the tenant) through the query string, a JSON or form POST body,
// repeated keys, differently-cased or encoded keys, and `q=`. The tenant must stay pinned every time.
import { describe, expect, it } from 'vitest'
import type { TestServer } from '../helpers/server.js'
import { expectRefused, getPipe, orgsIn, read, useServer } from './lib.js'

const srv = useServer()
const tenant = (t: TestServer): Promise<string> =>
  t.signJwt({ exp: t.nowSeconds() + 600, scopes: [read('org_bookings', { org_id: 'org_a' })] })

describe('fixed_params override attempts', () => {
  it('via the query string, repeated keys and encoded keys', async () => {
    const t = srv()
    const token = await tenant(t)
    for (const extra of [
      '&org_id=org_b',
      '&org_id=org_b&org_id=org_c',
      '&org_id=org_a&org_id=org_b',
      '&org%5Fid=org_b',
      '&org_id[]=org_b',
      '&ORG_ID=org_b',
      `&org_id=${encodeURIComponent("org_a' OR '1'='1")}`,
    ]) {
      expect(await orgsIn(await getPipe(t, 'org_bookings', token, extra)), extra).toEqual(['org_a'])
    }
  })

  it('via a JSON body, a form body and a body token', async () => {
    const t = srv()
    const token = await tenant(t)
    const json = await t.fetch(`/v0/pipes/org_bookings.json?token=${token}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ org_id: 'org_b', __proto__: { org_id: 'org_c' } }),
    })
    expect(await orgsIn(json)).toEqual(['org_a'])
    const form = await t.fetch('/v0/pipes/org_bookings.json', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, org_id: 'org_b' }).toString(),
    })
    expect(await orgsIn(form)).toEqual(['org_a'])
    const arr = await t.fetch(`/v0/pipes/org_bookings.json?token=${token}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ org_id: ['org_b', 'org_c'] }),
    })
    expect(await orgsIn(arr)).toEqual(['org_a'])
  })

  it('via q= over _ (pinned) and q= reading the table (refused)', async () => {
    const t = srv()
    const token = await tenant(t)
    const q = (sql: string): string => `&q=${encodeURIComponent(sql)}`
    expect(
      await orgsIn(
        await getPipe(t, 'org_bookings', token, q("SELECT * FROM _ WHERE org_id = 'org_b' OR 1")),
      ),
    ).toEqual(['org_a'])
    // The token's own pipe, read by name inside q, is composed with the same fixed params.
    expect(
      await orgsIn(await getPipe(t, 'org_bookings', token, q('SELECT org_id FROM org_bookings'))),
    ).toEqual(['org_a'])
    for (const sql of [
      'SELECT org_id FROM events',
      'SELECT org_id FROM by_org',
      "SELECT * FROM _ UNION ALL SELECT org_id, airline, 1 FROM events WHERE org_id = 'org_b'",
    ]) {
      const res = await getPipe(t, 'org_bookings', token, q(sql))
      expect([400, 403], sql).toContain(res.status)
      const text = await res.text()
      expect(text).not.toContain('"org_b"')
      expect(text).not.toContain('"org_c"')
    }
  })

  it('refuses a fixed param given as an empty value (isolation would silently fail)', async () => {
    const t = srv()
    for (const v of ['', []]) {
      const token = await t.signJwt({
        exp: t.nowSeconds() + 60,
        scopes: [read('org_bookings', { org_id: v })],
      })
      await expectRefused(
        await getPipe(t, 'org_bookings', token),
        403,
        'ERR_AUTH_FIXED_PARAM',
        token,
      )
    }
    const nul = await t.signJwt({
      exp: t.nowSeconds() + 60,
      scopes: [read('org_bookings', { org_id: null })],
    })
    await expectRefused(await getPipe(t, 'org_bookings', nul), 403, 'ERR_AUTH_TOKEN_INVALID', nul)
  })

  it('refuses a fixed param the pipe does not use (strictFixedParams, default on)', async () => {
    const t = srv()
    const typo = await t.signJwt({
      exp: t.nowSeconds() + 60,
      scopes: [read('org_bookings', { orgid: 'org_a' })],
    })
    await expectRefused(await getPipe(t, 'org_bookings', typo), 403, 'ERR_AUTH_FIXED_PARAM', typo)
  })
})
