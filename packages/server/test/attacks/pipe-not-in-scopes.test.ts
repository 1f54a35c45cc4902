// Attack: a valid JWT reading a pipe its scopes do not name (by name, by id, by case variant), or with no
// usable scope at all (Tinybird's snapshot would authenticate such a token; we refuse it).
import { describe, it } from 'vitest'
import { expectRefused, getPipe, read, useServer } from './lib.js'

const srv = useServer()

describe('pipe not in scopes', () => {
  it('answers ERR_AUTH_SCOPE_DENIED for another pipe, by name or id', async () => {
    const t = srv()
    const token = await t.signJwt({ exp: t.nowSeconds() + 60, scopes: [read('top_airlines')] })
    await expectRefused(await getPipe(t, 'top_routes', token), 403, 'ERR_AUTH_SCOPE_DENIED', token)
    const id = t.srv.workspace.pipe('org_bookings')!.id
    await expectRefused(await getPipe(t, id, token), 403, 'ERR_AUTH_SCOPE_DENIED', token)
  })

  it('refuses case variants, wildcard-looking and non-PIPES:READ scopes', async () => {
    const t = srv()
    const scoped = async (scopes: unknown[]): Promise<string> =>
      t.signJwt({ exp: t.nowSeconds() + 60, scopes })
    const denied = await scoped([read('TOP_ROUTES'), read('*'), read('top_routes ')])
    await expectRefused(
      await getPipe(t, 'top_routes', denied),
      403,
      'ERR_AUTH_SCOPE_DENIED',
      denied,
    )
    for (const scopes of [
      [],
      [{ type: 'ADMIN' }],
      [{ type: 'DATASOURCES:READ', resource: 'events' }],
      [{ type: 'PIPES:READ' }],
      [{ type: 'PIPES:READ', resource: 'top_routes:1=1' }],
    ]) {
      const token = await scoped(scopes)
      await expectRefused(
        await getPipe(t, 'top_routes', token),
        403,
        'ERR_AUTH_TOKEN_INVALID',
        token,
      )
    }
  })
})
