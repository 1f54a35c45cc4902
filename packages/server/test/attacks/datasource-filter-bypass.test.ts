// Attack: a static token with `DATASOURCES:READ:events:org_id = 'org_a'` trying to see other tenants' rows through
// /v0/sql joins, subqueries, CTEs, UNIONs, aliases, the quarantine table, FINAL/SAMPLE, database-qualified names
// and table functions.
import { describe, expect, it } from 'vitest'
import type { TestServer } from '../helpers/server.js'
import { useServer } from './lib.js'

const srv = useServer()
let token: string | undefined

async function filtered(t: TestServer): Promise<string> {
  if (token !== undefined) return token
  const { value } = await t.srv.workspace.upsertToken(
    'filtered_reader',
    ["DATASOURCES:READ:events:org_id = 'org_a'"],
    'api',
  )
  token = value
  return value
}

async function sql(t: TestServer, q: string): Promise<Response> {
  return t.fetch(`/v0/sql?q=${encodeURIComponent(q)}`, {
    headers: { Authorization: `Bearer ${await filtered(t)}` },
  })
}

describe('DATASOURCES:READ filter bypass through /v0/sql', () => {
  it('sees only org_a in plain reads, joins, subqueries, CTEs and unions', async () => {
    const t = srv()
    const queries = [
      'SELECT DISTINCT org_id FROM events',
      'SELECT DISTINCT e.org_id FROM events AS e',
      'SELECT DISTINCT a.org_id FROM events a JOIN events b ON a.airline = b.airline',
      'SELECT DISTINCT b.org_id FROM events a CROSS JOIN events b',
      'SELECT DISTINCT org_id FROM (SELECT * FROM events)',
      'SELECT DISTINCT org_id FROM (SELECT * FROM (SELECT org_id FROM events WHERE 1 OR 1))',
      'WITH x AS (SELECT org_id FROM events) SELECT DISTINCT org_id FROM x',
      'SELECT DISTINCT org_id FROM events UNION DISTINCT SELECT org_id FROM events',
      "SELECT DISTINCT org_id FROM events WHERE org_id = 'org_b' OR 1 = 1",
      'SELECT DISTINCT org_id FROM events FINAL',
      "SELECT DISTINCT org_id FROM events WHERE org_id IN (SELECT 'org_b')",
      'SELECT DISTINCT arrayJoin([org_id]) AS org_id FROM events',
    ]
    for (const q of queries) {
      const res = await sql(t, `${q} FORMAT JSON`)
      const text = await res.text()
      if (res.status === 200) {
        const rows = (JSON.parse(text) as { data: Record<string, unknown>[] }).data
        const orgs = rows.map((r) => Object.values(r)[0])
        expect(
          orgs.every((o) => o === 'org_a'),
          q,
        ).toBe(true)
      } else {
        expect([400, 403], `${q}: ${text}`).toContain(res.status)
      }
      expect(text, q).not.toContain('"org_b"')
      expect(text, q).not.toContain('"org_c"')
    }
  })

  it('PREWHERE over the filtered table leaks nothing (the engine refuses it)', async () => {
    const t = srv()
    const res = await sql(t, 'SELECT DISTINCT org_id FROM events PREWHERE 1 FORMAT JSON')
    const text = await res.text()
    // ClickHouse refuses PREWHERE over the filter subquery (ILLEGAL_PREWHERE): a 400, and nothing leaks.
    expect(res.status).toBe(400)
    expect(text).toContain('ERR_ENGINE_QUERY_INVALID')
    expect(text).not.toContain('"org_')
  })

  it('cannot reach the table unfiltered by other names or table functions', async () => {
    const t = srv()
    const db = t.srv.workspace.database
    const attempts = [
      `SELECT org_id FROM ${db}.events`,
      "SELECT * FROM merge(currentDatabase(), '^events$')",
      `SELECT * FROM merge('${db}', 'events')`,
      "SELECT * FROM remote('localhost', currentDatabase(), 'events')",
      "SELECT * FROM clusterAllReplicas('default', currentDatabase(), 'events')",
      'SELECT * FROM org_bookings',
      'SELECT * FROM airline_counts',
      "SELECT * FROM file('catalog.json', 'LineAsString')",
    ]
    for (const q of attempts) {
      const res = await sql(t, q)
      const text = await res.text()
      expect([400, 403, 404], `${q}: ${res.status} ${text}`).toContain(res.status)
      expect(text, q).not.toContain('"org_b"')
    }
  })

  it('counts match the filter: aggregates leak nothing about other tenants', async () => {
    const t = srv()
    const all = await t.fetch(
      `/v0/sql?q=${encodeURIComponent("SELECT count() AS n FROM events WHERE org_id = 'org_a' FORMAT JSON")}`,
      { headers: { Authorization: `Bearer ${t.adminToken}` } },
    )
    const expected = (await all.json()) as { data: { n: number | string }[] }
    const mine = await sql(t, 'SELECT count() AS n FROM events FORMAT JSON')
    const got = (await mine.json()) as { data: { n: number | string }[] }
    expect(Number(got.data[0]?.n)).toBe(Number(expected.data[0]?.n))
  })
})
