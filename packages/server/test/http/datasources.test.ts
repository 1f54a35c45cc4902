import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../helpers/server.js'

let t: TestServer
const admin = (): Record<string, string> => ({ Authorization: `Bearer ${t.adminToken}` })

beforeAll(async () => {
  t = await startTestServer()
})
afterAll(async () => {
  await t.close()
})

describe('GET /v0/datasources', () => {
  it('lists data sources with schema, engine and row counts', async () => {
    const res = await t.fetch('/v0/datasources', { headers: admin() })
    expect(res.status).toBe(200)
    const { datasources } = (await res.json()) as {
      datasources: {
        name: string
        id: string
        columns: { name: string; type: string; jsonpath: string }[]
        statistics: { row_count: number }
        engine: { engine: string; engine_sorting_key: string }
      }[]
    }
    const events = datasources.find((d) => d.name === 'events')!
    expect(events.id).toMatch(/^t_[0-9a-f]{32}$/)
    expect(events.statistics.row_count).toBe(200)
    expect(events.engine).toMatchObject({
      engine: 'MergeTree',
      engine_sorting_key: 'airline, timestamp',
    })
    expect(events.columns[0]).toMatchObject({
      name: 'timestamp',
      type: 'DateTime',
      jsonpath: '$.timestamp',
    })
  })

  it('returns one data source, 404 for an unknown one, 403 without read scope', async () => {
    expect((await t.fetch('/v0/datasources/events', { headers: admin() })).status).toBe(200)
    const missing = await t.fetch('/v0/datasources/nope', { headers: admin() })
    expect(missing.status).toBe(404)
    const pipeToken = t.srv.workspace.tokenValue(
      t.srv.workspace.tokens.find((x) => x.name === 'top_airlines_read_static')!,
    )
    expect((await t.fetch(`/v0/datasources/events?token=${pipeToken}`)).status).toBe(403)
  })

  it('lists each quarantine data source and describes it', async () => {
    const { datasources } = (await (
      await t.fetch('/v0/datasources', { headers: admin() })
    ).json()) as { datasources: { name: string; type: string }[] }
    expect(datasources.find((d) => d.name === 'events_quarantine')).toMatchObject({
      type: 'quarantine',
    })
    const one = await t.fetch('/v0/datasources/events_quarantine', { headers: admin() })
    expect(one.status).toBe(200)
    expect(await one.json()).toMatchObject({
      name: 'events_quarantine',
      quarantine_of: 'events',
      statistics: { row_count: 0 },
    })
  })

  it('keeps a quarantine table per data source, readable through SQL', async () => {
    const res = await t.fetch(
      `/v0/sql?q=${encodeURIComponent('SELECT count() AS n FROM events_quarantine')}`,
      { headers: admin() },
    )
    expect(await res.json()).toMatchObject({ data: [{ n: 0 }] })
  })
})

describe('/v1/workspace and local-mode /tokens', () => {
  it('returns the workspace id and name', async () => {
    const res = await t.fetch('/v1/workspace', { headers: admin() })
    expect(await res.json()).toEqual({ id: t.workspaceId, name: 'dunlin' })
  })
  it('does not serve /tokens outside local mode', async () => {
    expect((await t.fetch('/tokens')).status).toBe(404)
  })
})
