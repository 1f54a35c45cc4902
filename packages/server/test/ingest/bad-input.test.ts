import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { booking, count, ndjson, rows } from './helpers.js'

let t: TestServer
const headers = (): Record<string, string> => ({ Authorization: `Bearer ${t.adminToken}` })

beforeAll(async () => {
  t = await startTestServer()
})
afterAll(async () => {
  await t.close()
})

describe('bad input', () => {
  it('quarantines a row with a wrong type in every column, naming every column', async () => {
    const wrong = {
      timestamp: 'not a date',
      transaction_id: 'wrong_all',
      name: 1,
      email: true,
      age: 'x',
      passport_number: 1e12,
      flight_from: 1,
      flight_to: 2,
      extra_bags: 'many',
      priority_boarding: -1,
      meal_choice: 3,
      airline: 4,
      org_id: 5,
    }
    const res = await t.fetch('/v0/events?name=events&wait=true', {
      method: 'POST',
      body: JSON.stringify(wrong) + '\n' + JSON.stringify(booking(1, { transaction_id: 'ok_mix' })),
      headers: headers(),
    })
    expect(await res.json()).toEqual({ successful_rows: 1, quarantined_rows: 1 })
    const [q] = await rows<{ c__error_column: string[] }>(
      t,
      "SELECT c__error_column FROM {db}.events_quarantine WHERE transaction_id = 'wrong_all'",
    )
    // String columns take numbers and booleans as text, as ClickHouse does.
    expect(q?.c__error_column).toEqual([
      'timestamp',
      'age',
      'passport_number',
      'extra_bags',
      'priority_boarding',
    ])
    expect(await count(t, 'events', "transaction_id = 'ok_mix'")).toBe(1)
  })

  it('finds the rows the engine refuses in a batch, quarantines them and keeps the rest', async () => {
    // Passes the JS date check (shape only) but not the engine's parser.
    const bad = JSON.stringify(
      booking(2, { transaction_id: 'engine_bad', timestamp: '2025-13-45 99:99:99' }),
    )
    const goods = Array.from({ length: 9 }, (_, i) =>
      JSON.stringify(booking(i, { transaction_id: `engine_ok_${String(i)}` })),
    )
    const res = await t.fetch('/v0/events?name=events&wait=true', {
      method: 'POST',
      body: [...goods.slice(0, 4), bad, ...goods.slice(4)].join('\n'),
      headers: headers(),
    })
    expect(await res.json()).toEqual({ successful_rows: 9, quarantined_rows: 1 })
    expect(await count(t, 'events', "startsWith(transaction_id, 'engine_ok_')")).toBe(9)
    const [q] = await rows<{ c__error: string[] }>(
      t,
      "SELECT c__error FROM {db}.events_quarantine WHERE c__line LIKE '%engine_bad%'",
    )
    expect(q?.c__error[0]).toMatch(/^the engine refused the row/)
  })

  it('answers 413 to a 50 MB line and keeps serving', async () => {
    const line = '{"name":"' + 'x'.repeat(50 * 1024 * 1024) + '"}\n'
    const res = await t.fetch('/v0/events?name=events', {
      method: 'POST',
      body: line,
      headers: headers(),
    })
    expect(res.status).toBe(413)
    const ok = await t.fetch('/v0/events?name=events&wait=true', {
      method: 'POST',
      body: ndjson(1, 50_000),
      headers: headers(),
    })
    expect(ok.status).toBe(200)
  })

  it('answers 404 to a truncate of an unknown data source', async () => {
    const res = await t.fetch('/v0/datasources/nope/truncate', {
      method: 'POST',
      headers: headers(),
    })
    expect(res.status).toBe(404)
  })

  it('keeps the materialized view consistent after appends through the Events API and the Data Sources API', async () => {
    await t.fetch('/v0/events?name=events&wait=true', {
      method: 'POST',
      body: ndjson(30, 60_000),
      headers: headers(),
    })
    await t.fetch('/v0/datasources?mode=append&name=events&format=ndjson', {
      method: 'POST',
      body: ndjson(20, 61_000),
      headers: headers(),
    })
    await t.fetch('/v0/events?name=events', {
      method: 'POST',
      body: ndjson(10, 62_000),
      headers: headers(),
    })
    await new Promise((r) => setTimeout(r, 1_500))
    const [r] = await rows<{ a: number; b: number }>(
      t,
      "SELECT (SELECT countIf(transaction_id NOT LIKE 'tx%') FROM {db}.events) AS a, (SELECT sum(bookings) FROM {db}.airline_counts) AS b",
    )
    expect(Number(r?.a)).toBe(Number(r?.b))
    expect(Number(r?.a)).toBeGreaterThanOrEqual(61)
  })
})
