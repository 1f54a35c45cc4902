// Attack: `q=` on an endpoint the token may read, used to read another data source, another pipe, the
// quarantine table, the internal database or system tables.
import { describe, expect, it } from 'vitest'
import { getPipe, read, useServer } from './lib.js'

const srv = useServer()

describe('q= reading another data source', () => {
  it('refuses every route out of _ with 403 and no rows', async () => {
    const t = srv()
    const token = await t.signJwt({ exp: t.nowSeconds() + 60, scopes: [read('top_airlines')] })
    const db = t.srv.workspace.database
    const attempts = [
      'SELECT * FROM events',
      'SELECT * FROM events_quarantine',
      'SELECT * FROM airline_counts',
      'SELECT * FROM top_routes',
      `SELECT * FROM ${db}.events`,
      `SELECT * FROM \`${db}\`.\`events\``,
      'SELECT * FROM _ WHERE airline IN (SELECT airline FROM events)',
      'WITH x AS (SELECT * FROM events) SELECT * FROM x',
      'SELECT * FROM _ JOIN events USING (airline)',
      'SELECT * FROM system.tables',
      "SELECT * FROM remote('127.0.0.1', system.one)",
      "SELECT * FROM merge(currentDatabase(), '.*')",
      'SELECT * FROM numbers(10) WHERE 0 UNION ALL SELECT name FROM events',
    ]
    for (const sql of attempts) {
      const res = await getPipe(t, 'top_airlines', token, `&q=${encodeURIComponent(sql)}`)
      const text = await res.text()
      expect([400, 403, 404], `${sql} → ${res.status} ${text}`).toContain(res.status)
      expect(text, sql).not.toContain('org_')
      expect(text, sql).not.toContain('passport')
      expect(text, sql).not.toContain(db)
    }
  })
})
