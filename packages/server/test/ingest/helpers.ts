/** Shared helpers of the ingest integration tests. */
import type { TestServer } from '../helpers/server.js'

/** One booking row of the fixture's `events` schema, deterministic in `i`. */
export function booking(i: number, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    timestamp: `2025-06-${String((i % 28) + 1).padStart(2, '0')} 10:00:00`,
    transaction_id: `itx${String(i)}`,
    name: `P ${String(i)}`,
    email: `p${String(i)}@example.com`,
    age: 20 + (i % 50),
    passport_number: 200000 + i,
    flight_from: 'SFO',
    flight_to: 'JFK',
    extra_bags: i % 3,
    priority_boarding: i % 2,
    meal_choice: 'veg',
    airline: ['Fizz', 'Buzz', 'Zap'][i % 3],
    org_id: 'org_a',
    ...over,
  }
}

/** NDJSON of `n` bookings starting at `from`. */
export function ndjson(n: number, from = 0): string {
  let s = ''
  for (let i = from; i < from + n; i++) s += JSON.stringify(booking(i)) + '\n'
  return s
}

/** Runs a read through the engine and returns JSONEachRow rows. */
export async function rows<T = Record<string, unknown>>(t: TestServer, sql: string): Promise<T[]> {
  const db = t.srv.workspace.database
  const r = await t.srv.engine.query(sql.replaceAll('{db}', `\`${db}\``), { format: 'JSONEachRow' })
  return r
    .text()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as T)
}

/** `SELECT count()` of a workspace table. */
export async function count(t: TestServer, table: string, where = '1'): Promise<number> {
  const [r] = await rows<{ n: string | number }>(
    t,
    `SELECT count() AS n FROM {db}.\`${table}\` WHERE ${where}`,
  )
  return Number(r?.n ?? 0)
}

/** A datafile token's value by name. */
export function tokenNamed(t: TestServer, name: string): string {
  const e = t.srv.workspace.tokens.find((x) => x.name === name)
  if (e === undefined) throw new Error(`no token ${name}`)
  return t.srv.workspace.tokenValue(e)
}
