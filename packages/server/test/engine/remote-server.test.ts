import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openClickHouseEngine } from '../../src/engine/index.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { hasClickHouseServer, startClickHouse, type TestClickHouse } from '../helpers/clickhouse.js'

// Dunlin over a real ClickHouse server (Debian's 18.16 in CI): the same datafiles, tokens and endpoints.
describe.skipIf(!hasClickHouseServer)('Dunlin over a ClickHouse server', () => {
  let ch: TestClickHouse
  let t: TestServer
  const admin = (): Record<string, string> => ({ Authorization: `Bearer ${t.adminToken}` })

  beforeAll(async () => {
    ch = startClickHouse(28323)
    // Another application's data on the same server, in its own database and in `default`.
    const other = await openClickHouseEngine({ url: ch.url })
    await other.command('CREATE DATABASE IF NOT EXISTS other_app')
    await other.command(
      'CREATE TABLE IF NOT EXISTS other_app.secrets (x String) ENGINE = MergeTree ORDER BY x',
    )
    await other.command(
      'CREATE TABLE IF NOT EXISTS default.leak (x String) ENGINE = MergeTree ORDER BY x',
    )
    await other.insert('other_app.secrets', '{"x":"s3cr3t-other-app"}\n', 'JSONEachRow')
    await other.insert('default.leak', '{"x":"s3cr3t-default"}\n', 'JSONEachRow')
    await other.close()
    t = await startTestServer({ clickhouseUrl: ch.url })
  })
  afterAll(async () => {
    await t.close()
    ch.stop()
  })

  it('serves the seed endpoint with the JSON shape', async () => {
    const res = await t.fetch('/v0/pipes/top_airlines.json', { headers: admin() })
    expect(res.status).toBe(200)
    const body = (await res.json()) as {
      meta: { name: string }[]
      rows: number
      data: { bookings: number }[]
    }
    expect(body.meta.map((m) => m.name)).toEqual(['airline', 'bookings'])
    expect(body.rows).toBe(5)
    expect(body.data.reduce((s, r) => s + r.bookings, 0)).toBe(200)
  })

  it('composes templated nodes and pins JWT fixed params', async () => {
    const jwt = await t.signJwt({
      exp: t.nowSeconds() + 60,
      scopes: [{ type: 'PIPES:READ', resource: 'org_bookings', fixed_params: { org_id: 'org_b' } }],
    })
    const res = await t.fetch(`/v0/pipes/org_bookings.json?token=${jwt}&org_id=org_a`)
    expect(res.status).toBe(200)
    const body = (await res.json()) as { data: { org_id: string; bookings: number }[] }
    expect(new Set(body.data.map((r) => r.org_id))).toEqual(new Set(['org_b']))
    expect(body.data.reduce((s, r) => s + r.bookings, 0)).toBe(50)
  })

  it('confines q= and the SQL API the same way', async () => {
    const jwt = await t.signJwt({
      exp: t.nowSeconds() + 60,
      scopes: [{ type: 'PIPES:READ', resource: 'top_airlines' }],
    })
    const escape = await t.fetch(
      `/v0/pipes/top_airlines.json?token=${jwt}&q=${encodeURIComponent('SELECT * FROM events')}`,
    )
    expect(escape.status).toBe(403)
    const sql = await t.fetch(
      `/v0/sql?q=${encodeURIComponent('SELECT count() AS n FROM events FORMAT CSV')}`,
      { headers: admin() },
    )
    expect((await sql.text()).trim()).toBe('200')
  })

  it('maps server errors to the same codes', async () => {
    const res = await t.fetch(
      `/v0/pipes/top_airlines.json?q=${encodeURIComponent('SELECT nope FROM _')}`,
      { headers: admin() },
    )
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ code: 'ERR_ENGINE_QUERY_INVALID' })
  })

  it("never reaches the server's other databases, whatever the SQL shape", async () => {
    for (const q of [
      'SELECT * FROM other_app.secrets',
      'SELECT (SELECT any(x) FROM other_app.secrets) AS x',
      'SELECT x FROM events AS e WHERE e.airline IN (SELECT x FROM other_app.secrets)',
      'SELECT * FROM default.leak',
      // the shared catalog: token hashes and sealed values
      'SELECT * FROM dunlin_catalog.catalog',
      'SELECT value FROM events AS e, dunlin_catalog.catalog AS c LIMIT 1',
      // a CTE name used outside its scope reaches the server unqualified
      'SELECT * FROM (WITH leak AS (SELECT 1 AS x) SELECT x FROM leak) AS a, leak',
      'SELECT * FROM (WITH secrets AS (SELECT 1 AS x) SELECT x FROM secrets) AS a, secrets',
    ]) {
      const res = await t.fetch(`/v0/sql?q=${encodeURIComponent(q)}`, { headers: admin() })
      const text = await res.text()
      expect(res.status, q).not.toBe(200)
      expect(text, q).not.toContain('s3cr3t')
    }
  })

  // Last: it stops the server.
  it('stays live but not ready while the ClickHouse server is down', async () => {
    expect((await t.fetch('/ready')).status).toBe(200)
    ch.stop()
    // stop() blocked the event loop past the server's keep-alive timeout: let the client see its closed socket.
    await new Promise((r) => setTimeout(r, 200))
    const ready = await t.fetch('/ready')
    expect(ready.status).toBe(503)
    expect(await ready.json()).toMatchObject({ code: 'ERR_UNAVAILABLE' })
    expect((await t.fetch('/health')).status).toBe(200)
    // A request meanwhile is told to retry, not handed a 500 or the server's address.
    const pipe = await t.fetch('/v0/pipes/top_airlines.json', { headers: admin() })
    expect(pipe.status).toBe(503)
    expect(pipe.headers.get('retry-after')).toBe('1')
    const body = await pipe.text()
    expect(JSON.parse(body)).toMatchObject({ code: 'ERR_ENGINE_UNREACHABLE' })
    expect(body).not.toContain('127.0.0.1')
  })
})
