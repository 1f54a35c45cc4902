/**
 * How Dunlin reaches a real ClickHouse server (Debian's 18.16, in Tokyo time): a user and password given apart from
 * the URL, a database prefix, and HTTPS with mutual TLS; what an operator reads when one of them is wrong; and
 * service rows stored as instants whatever the server's time zone.
 */
import { rmSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hasClickHouseServer, startClickHouse, type TestClickHouse } from '../helpers/clickhouse.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { hasOpenssl, makeCertificates, type TestCertificates } from '../helpers/tls.js'

/** The test cluster's users.xml has this user besides `default`. */
const USER = 'app'
const PASSWORD = 'app_pw'

async function refusal(p: Promise<TestServer>): Promise<{ code?: string; message: string }> {
  const outcome = await p.then(
    async (t) => {
      await t.close()
      return undefined
    },
    (e: unknown) => e as { code?: string; message: string },
  )
  expect(outcome, 'the server started').toBeDefined()
  return outcome!
}

describe.skipIf(!hasClickHouseServer || !hasOpenssl)('connecting to a ClickHouse server', () => {
  let ch: TestClickHouse
  let certs: TestCertificates

  beforeAll(() => {
    certs = makeCertificates()
    // Not UTC, so a time written as a wall-clock string instead of an instant would show up shifted.
    ch = startClickHouse(28923, { tlsDir: certs.dir, timezone: 'Asia/Tokyo' })
  })
  afterAll(() => {
    ch.stop()
    rmSync(certs.dir, { recursive: true, force: true })
  })

  it('logs in with a user and password given apart from the URL, under a database prefix', async () => {
    const t = await startTestServer({
      clickhouseUrl: ch.url,
      clickhouseUser: USER,
      clickhousePassword: PASSWORD,
      databasePrefix: 'staging_',
    })
    try {
      const res = await t.fetch('/v0/pipes/top_airlines.json', {
        headers: { Authorization: `Bearer ${t.adminToken}` },
      })
      expect(res.status).toBe(200)
      expect(t.srv.workspace.database).toMatch(/^staging_[0-9a-f]{16}$/)
      const r = await t.srv.engine.query(
        "SELECT name FROM system.databases WHERE name LIKE 'staging\\\\_%' OR name LIKE 'dunlin\\\\_%' ORDER BY name",
        { format: 'JSONEachRow' },
      )
      const names = r
        .text()
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { name: string }).name)
      expect(names).toEqual(['staging_catalog', t.srv.workspace.database, 'staging_sandbox'].sort())
    } finally {
      await t.close()
    }
  })

  it("stores service rows' times as instants on a server outside UTC", async () => {
    const t = await startTestServer({ clickhouseUrl: ch.url, databasePrefix: 'tz_' })
    const admin = { Authorization: `Bearer ${t.adminToken}` }
    try {
      const startedAt = Date.now()
      const del = await t.fetch(
        `/v0/datasources/events/delete?delete_condition=${encodeURIComponent("org_id = 'nobody'")}`,
        { method: 'POST', headers: admin },
      )
      expect(del.status).toBe(201)
      const { id } = (await del.json()) as { id: string }
      const after = new Date(startedAt - 60_000).toISOString()
      const listed = await t.fetch(`/v0/jobs?created_after=${after}`, { headers: admin })
      expect(((await listed.json()) as { jobs: { id: string }[] }).jobs.map((j) => j.id)).toContain(
        id,
      )
      const q = `SELECT toUnixTimestamp(timestamp) AS t FROM tinybird.datasources_ops_log WHERE job_id = '${id}'`
      let seconds: number | undefined
      for (let i = 0; i < 50 && seconds === undefined; i++) {
        const res = await t.fetch(`/v0/sql?q=${encodeURIComponent(q)}`, { headers: admin })
        seconds = ((await res.json()) as { data: { t: number }[] }).data[0]?.t
        if (seconds === undefined) await new Promise((r) => setTimeout(r, 100))
      }
      expect(Math.abs(seconds! - startedAt / 1000)).toBeLessThan(120)
    } finally {
      await t.close()
    }
  })

  it('refuses to start with a wrong password, saying why without printing it', async () => {
    const e = await refusal(
      startTestServer({
        clickhouseUrl: ch.url,
        clickhouseUser: USER,
        clickhousePassword: 'not-the-password',
      }),
    )
    expect(e.code).toBe('ERR_ENGINE_UNREACHABLE')
    expect(e.message).toContain(`Cannot use the ClickHouse server at ${ch.url}`)
    expect(e.message).toContain('Wrong password for user app')
    expect(e.message).not.toContain('not-the-password')
  })

  it('serves over HTTPS with mutual TLS', async () => {
    const t = await startTestServer({
      clickhouseUrl: ch.httpsUrl,
      clickhouseCa: certs.ca,
      clickhouseCert: certs.clientCert,
      clickhouseKey: certs.clientKey,
      databasePrefix: 'tls_',
    })
    try {
      const res = await t.fetch('/v0/pipes/top_airlines.json', {
        headers: { Authorization: `Bearer ${t.adminToken}` },
      })
      expect(res.status).toBe(200)
      expect(((await res.json()) as { rows: number }).rows).toBeGreaterThan(0)
    } finally {
      await t.close()
    }
  })

  it('says which side of TLS failed: no client certificate, or a server signed by another CA', async () => {
    const noClientCert = await refusal(
      startTestServer({ clickhouseUrl: ch.httpsUrl, clickhouseCa: certs.ca }),
    )
    expect(noClientCert.code).toBe('ERR_ENGINE_UNREACHABLE')
    expect(noClientCert.message).toMatch(
      /certificate required|handshake|socket hang up|ECONNRESET/i,
    )
    const otherCa = await refusal(
      startTestServer({
        clickhouseUrl: ch.httpsUrl,
        clickhouseCa: certs.otherCa,
        clickhouseCert: certs.clientCert,
        clickhouseKey: certs.clientKey,
      }),
    )
    expect(otherCa.code).toBe('ERR_ENGINE_UNREACHABLE')
    expect(otherCa.message).toMatch(/certificate/i)
  })

  it('checks TLS settings before connecting', async () => {
    for (const [opts, setting] of [
      [{ clickhouseUrl: ch.url, clickhouseCa: certs.ca }, 'DUNLIN_CLICKHOUSE_CA'],
      [
        { clickhouseUrl: ch.httpsUrl, clickhouseCa: certs.ca, clickhouseCert: certs.clientCert },
        'DUNLIN_CLICKHOUSE_KEY',
      ],
      [
        { clickhouseUrl: ch.httpsUrl, clickhouseCa: `${certs.dir}/missing.crt` },
        'DUNLIN_CLICKHOUSE_CA',
      ],
    ] as const) {
      const e = await refusal(startTestServer(opts))
      expect(e.code).toBe('ERR_CONFIG_INVALID')
      expect(e.message.startsWith(`${setting}:`)).toBe(true)
    }
  })
})
