import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { hasClickHouseServer, startClickHouse, type TestClickHouse } from '../helpers/clickhouse.js'

// tinybird.datasources_ops_log uses only types ClickHouse 18.16 has, so it is recorded on old servers too (without
// TTL, which 18.16 lacks).
describe.skipIf(!hasClickHouseServer)('datasources_ops_log over a ClickHouse server', () => {
  let ch: TestClickHouse
  let t: TestServer
  const admin = (): Record<string, string> => ({ Authorization: `Bearer ${t.adminToken}` })

  beforeAll(async () => {
    ch = startClickHouse(28723)
    t = await startTestServer({ clickhouseUrl: ch.url })
  })
  afterAll(async () => {
    await t.close()
    ch.stop()
  })

  it('records data source operations and serves them through the SQL API', async () => {
    const schema = encodeURIComponent('`id` Int32, `name` String')
    const created = await t.fetch(`/v0/datasources?mode=create&name=remote_ops&schema=${schema}`, {
      method: 'POST',
      headers: admin(),
    })
    expect(created.status).toBe(200)
    const truncated = await t.fetch('/v0/datasources/remote_ops/truncate', {
      method: 'POST',
      headers: admin(),
    })
    expect(truncated.status).toBe(205)
    const q = encodeURIComponent(
      "SELECT event_type, result, rows, error, Options.Names FROM tinybird.datasources_ops_log WHERE datasource_name = 'remote_ops' ORDER BY event_type",
    )
    let data: Record<string, unknown>[] = []
    for (let i = 0; i < 50 && data.length < 2; i++) {
      const r = await t.fetch(`/v0/sql?q=${q}`, { headers: admin() })
      expect(r.status).toBe(200)
      data = ((await r.json()) as { data: Record<string, unknown>[] }).data
      if (data.length < 2) await new Promise((r) => setTimeout(r, 100))
    }
    expect(data).toEqual([
      { event_type: 'create', result: 'ok', rows: 0, error: null, 'Options.Names': [] },
      { event_type: 'truncate', result: 'ok', rows: null, error: null, 'Options.Names': [] },
    ])
  })
})
