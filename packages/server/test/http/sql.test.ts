import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../helpers/server.js'

let t: TestServer
let appendToken: string
let pipeToken: string
const admin = (): Record<string, string> => ({ Authorization: `Bearer ${t.adminToken}` })

beforeAll(async () => {
  t = await startTestServer()
  const ws = t.srv.workspace
  appendToken = ws.tokenValue(ws.tokens.find((x) => x.name === 'events_append')!)
  pipeToken = ws.tokenValue(ws.tokens.find((x) => x.name === 'top_airlines_read_static')!)
})
afterAll(async () => {
  await t.close()
})

const sql = (q: string, token: string, init: RequestInit = {}): Promise<Response> =>
  t.fetch(`/v0/sql?q=${encodeURIComponent(q)}`, {
    ...init,
    headers: { Authorization: `Bearer ${token}` },
  })

describe('/v0/sql', () => {
  it('runs SELECT over data sources by name and answers JSON by default', async () => {
    const res = await sql('SELECT count() AS n FROM events', t.adminToken)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ data: [{ n: 200 }], rows: 1 })
  })

  it('honours a FORMAT clause from the allowed list and refuses others', async () => {
    const csv = await sql(
      'SELECT airline FROM events ORDER BY airline LIMIT 1 FORMAT CSVWithNames',
      t.adminToken,
    )
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/)
    expect((await csv.text()).split('\n')[0]).toBe('"airline"')
    const bad = await sql('SELECT 1 FORMAT XML', t.adminToken)
    expect(bad.status).toBe(400)
    expect(await bad.json()).toMatchObject({ code: 'ERR_REQUEST_FORMAT' })
  })

  it('accepts POST bodies: raw SQL, JSON and form', async () => {
    const raw = await t.fetch('/v0/sql', {
      method: 'POST',
      headers: { ...admin(), 'Content-Type': 'text/plain' },
      body: 'SELECT 1 AS one',
    })
    expect(await raw.json()).toMatchObject({ data: [{ one: 1 }] })
    const json = await t.fetch('/v0/sql', {
      method: 'POST',
      headers: { ...admin(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ q: 'SELECT 2 AS two' }),
    })
    expect(await json.json()).toMatchObject({ data: [{ two: 2 }] })
    const form = await t.fetch('/v0/sql', {
      method: 'POST',
      headers: { ...admin(), 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'q=SELECT%203%20AS%20three',
    })
    expect(await form.json()).toMatchObject({ data: [{ three: 3 }] })
  })

  it('reads pipes as tables and supports pipeline= with _', async () => {
    const viaName = await sql('SELECT count() AS n FROM top_airlines', t.adminToken)
    expect(await viaName.json()).toMatchObject({ data: [{ n: 5 }] })
    const res = await t.fetch(
      `/v0/sql?pipeline=top_airlines&q=${encodeURIComponent('SELECT max(bookings) > 0 AS ok FROM _')}`,
      { headers: admin() },
    )
    expect(await res.json()).toMatchObject({ data: [{ ok: 1 }] })
  })

  it('renders templated queries with the other query args', async () => {
    const res = await t.fetch(
      `/v0/sql?q=${encodeURIComponent('% SELECT {{ Int32(n, 1) }} + 1 AS x')}&n=41`,
      { headers: admin() },
    )
    expect(await res.json()).toMatchObject({ data: [{ x: 42 }] })
  })

  it('answers 400 for a missing query, more than one statement, or a non-SELECT', async () => {
    const none = await t.fetch('/v0/sql', { headers: admin() })
    expect(none.status).toBe(400)
    expect(await none.json()).toMatchObject({
      code: 'ERR_REQUEST_PARAM',
      error: 'missing q parameter. example q=select%201',
    })
    expect((await sql('SELECT 1; SELECT 2', t.adminToken)).status).toBe(400)
    expect((await sql('DROP TABLE events', t.adminToken)).status).toBe(400)
    expect((await sql('INSERT INTO events SELECT * FROM events', t.adminToken)).status).toBe(400)
  })

  it('refuses a query over 8 KB with 413', async () => {
    const res = await sql(`SELECT '${'x'.repeat(9000)}'`, t.adminToken)
    expect(res.status).toBe(413)
    expect(await res.json()).toMatchObject({ code: 'ERR_REQUEST_TOO_LARGE' })
  })

  it('refuses file(), url() and settings that lift limits, even for admin', async () => {
    for (const q of [
      "SELECT * FROM file('/etc/passwd', 'LineAsString')",
      "SELECT file('/etc/hostname')",
      "SELECT * FROM url('http://127.0.0.1:1/', CSV)",
      'SELECT * FROM (SELECT 1 SETTINGS readonly = 0)',
      'SELECT * FROM events SETTINGS max_execution_time = 1000',
      'SELECT * FROM system.tables',
    ]) {
      const res = await sql(q, t.adminToken)
      expect([400, 403, 404], q).toContain(res.status)
      expect(res.status, q).not.toBe(200)
    }
  })

  it('lets a static token read only its resources', async () => {
    const own = await sql('SELECT count() AS n FROM top_airlines', pipeToken)
    expect(own.status).toBe(200)
    const other = await sql('SELECT count() FROM events', pipeToken)
    expect(other.status).toBe(403)
    expect(await other.json()).toMatchObject({ code: 'ERR_AUTH_SCOPE_DENIED' })
    const sub = await sql(
      'SELECT * FROM top_airlines WHERE airline IN (SELECT airline FROM events)',
      pipeToken,
    )
    expect(sub.status).toBe(403)
    const append = await sql('SELECT count() FROM events', appendToken)
    expect(append.status).toBe(403)
  })

  it('does not reveal whether a resource exists to a non-admin token', async () => {
    const missing = await sql('SELECT * FROM does_not_exist', pipeToken)
    const hidden = await sql('SELECT * FROM events', pipeToken)
    expect(missing.status).toBe(hidden.status)
    expect(((await missing.json()) as { code: string }).code).toBe(
      ((await hidden.json()) as { code: string }).code,
    )
  })
})

describe('static token scopes on endpoints', () => {
  it('a PIPES:READ token reads its pipe and no other', async () => {
    expect((await t.fetch(`/v0/pipes/top_airlines.json?token=${pipeToken}`)).status).toBe(200)
    const other = await t.fetch(`/v0/pipes/top_routes.json?token=${pipeToken}`)
    expect(other.status).toBe(403)
    expect(await other.json()).toMatchObject({
      code: 'ERR_AUTH_SCOPE_DENIED',
      error: "The token you have provided doesn't have access to this resource",
    })
  })

  it('an unknown static token is refused', async () => {
    const res = await t.fetch('/v0/pipes/top_airlines.json?token=p.unknown')
    expect(res.status).toBe(403)
    expect(await res.json()).toMatchObject({ code: 'ERR_AUTH_TOKEN_INVALID' })
  })

  it('a token never appears in logs', async () => {
    await t.fetch(`/v0/pipes/top_airlines.json?token=${pipeToken}`)
    await t.fetch(`/v0/pipes/top_airlines.json?token=${t.adminToken}x`)
    const logs = t.logs.join('')
    expect(logs).toContain('top_airlines_read_static')
    expect(logs).not.toContain(pipeToken)
    expect(logs).not.toContain(t.adminToken)
  })
})
