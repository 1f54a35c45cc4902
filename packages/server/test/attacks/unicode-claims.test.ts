// Attack: unicode and control characters in claims (log injection through `name`, odd resources and fixed param
// keys, lone surrogates, bidi overrides). Control characters are refused; plain unicode is data, never markup,
// and nothing raw reaches the log stream.
import { describe, expect, it } from 'vitest'
import { expectRefused, getPipe, orgsIn, read, useServer } from './lib.js'

const srv = useServer()

describe('unicode and control characters in claims', () => {
  it('refuses control characters and lone surrogates in name, resource and fixed param keys', async () => {
    const t = srv()
    const bad: Record<string, unknown>[] = [
      { name: 'evil\n{"level":60,"msg":"forged"}' },
      { name: 'tab\there' },
      { name: 'nul\u0000' },
      { name: 'c1\u0085' },
      { name: '\ud800' },
      { name: '' },
      { name: 'x'.repeat(300) },
      { scopes: [read('top_airlines\n')] },
      { scopes: [read('top_airlines', { 'org\u0000id': 'a' })] },
    ]
    for (const claims of bad) {
      const token = await t.signJwt({
        exp: t.nowSeconds() + 60,
        scopes: [read('top_airlines')],
        ...claims,
      })
      await expectRefused(
        await getPipe(t, 'top_airlines', token),
        403,
        'ERR_AUTH_TOKEN_INVALID',
        token,
      )
    }
    expect(t.logs.join('')).not.toContain('"msg":"forged"')
  })

  it('accepts unicode names and treats unicode fixed values as data', async () => {
    const t = srv()
    const named = await t.signJwt({
      name: 'tableau de bord \u2014 caf\u00e9 \u{1F426} \u202Eevil',
      exp: t.nowSeconds() + 60,
      scopes: [read('top_airlines')],
    })
    expect((await getPipe(t, 'top_airlines', named)).status).toBe(200)
    const tenant = await t.signJwt({
      exp: t.nowSeconds() + 60,
      scopes: [read('org_bookings', { org_id: 'org_a\u2019 OR 1=1 --\u0301' })],
    })
    expect(await orgsIn(await getPipe(t, 'org_bookings', tenant))).toEqual([])
    for (const line of t.logs) expect(() => JSON.parse(line) as unknown).not.toThrow()
  })
})
