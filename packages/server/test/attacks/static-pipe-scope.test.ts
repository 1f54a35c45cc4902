// Attack: a static token with PIPES:READ:a reading pipe b, through the endpoint, the SQL API, q= and the
// pipe metadata routes.
import { describe, expect, it } from 'vitest'
import type { TestServer } from '../helpers/server.js'
import { expectRefused, getPipe, useServer } from './lib.js'

const srv = useServer()
const staticToken = (t: TestServer): string =>
  t.srv.workspace.tokenValue(t.srv.workspace.token('top_airlines_read_static')!)

describe('static PIPES:READ:a reading b', () => {
  it('reads a, and is refused b by name, id and through q=', async () => {
    const t = srv()
    const token = staticToken(t)
    expect((await getPipe(t, 'top_airlines', token)).status).toBe(200)
    await expectRefused(await getPipe(t, 'top_routes', token), 403, 'ERR_AUTH_SCOPE_DENIED', token)
    const id = t.srv.workspace.pipe('org_bookings')!.id
    await expectRefused(await getPipe(t, id, token), 403, 'ERR_AUTH_SCOPE_DENIED', token)
    const viaQ = await getPipe(
      t,
      'top_airlines',
      token,
      `&q=${encodeURIComponent('SELECT * FROM org_bookings')}`,
    )
    expect([400, 403]).toContain(viaQ.status)
  })

  it('is refused b through /v0/sql, joins and subqueries', async () => {
    const t = srv()
    const token = staticToken(t)
    for (const sql of [
      'SELECT * FROM top_routes',
      'SELECT * FROM top_airlines JOIN top_routes ON 1',
      'SELECT * FROM top_airlines WHERE airline IN (SELECT airline FROM org_bookings)',
    ]) {
      const res = await t.fetch(`/v0/sql?q=${encodeURIComponent(sql)}`, {
        headers: { Authorization: `Bearer ${token}` },
      })
      await expectRefused(res, 403, 'ERR_AUTH_SCOPE_DENIED', token)
    }
  })
})
