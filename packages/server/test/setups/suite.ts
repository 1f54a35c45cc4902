/**
 * One integration suite, run unchanged on every engine setup (`chdb.test.ts`, `server.test.ts`,
 * `cluster.test.ts`): the `examples/flights` project with its real data, plus a materialized view, served over
 * HTTP. Every assertion is what a user sees, and every expected number is the same on every setup.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { recordForeignJob } from '../helpers/jobs.js'
import { startTestServer, type TestServer } from '../helpers/server.js'

const EXAMPLE = join(import.meta.dirname, '..', '..', '..', '..', 'examples', 'flights')
/** Three routes (origin, destination, n) as Parquet, written by chdb. */
const PARQUET = join(import.meta.dirname, '..', 'fixtures', 'routes.parquet')

/** Where a setup's engine is. */
export interface EngineSetup {
  /** ClickHouse server URL; undefined for the embedded engine. */
  readonly clickhouseUrl?: string
  /** Cluster name in cluster mode. */
  readonly cluster?: string
  /** A second node of the same server/cluster, when there is one. */
  readonly otherNodeUrl?: string
  stop(): Promise<void> | void
}

/** A materialized view over `events`, in the Tinybird datafile shape, added to the example for this suite. */
const MV_TARGET = `SCHEMA >
    \`airline\` String,
    \`bookings\` AggregateFunction(count)

ENGINE "AggregatingMergeTree"
ENGINE_SORTING_KEY "airline"
`
const MV_PIPE = `NODE per_airline
SQL >
    SELECT airline, countState() AS bookings
    FROM events
    GROUP BY airline
TYPE materialized
DATASOURCE airline_bookings_mv
`
const MV_ENDPOINT = `NODE endpoint
SQL >
    SELECT airline, countMerge(bookings) AS bookings
    FROM airline_bookings_mv
    GROUP BY airline
    ORDER BY bookings DESC, airline
TYPE endpoint
`

interface JsonBody<T> {
  meta: { name: string; type: string }[]
  data: T[]
  rows: number
}

/** Registers the suite for one setup; `start` brings the engine up (and is stopped after). */
export function describeEngineSetup(name: string, start: () => Promise<EngineSetup> | EngineSetup) {
  describe(`examples/flights on ${name}`, () => {
    let setup: EngineSetup | undefined
    let t: TestServer | undefined
    let project: string
    const server = (): TestServer => {
      if (t === undefined) throw new Error('the server did not start')
      return t
    }
    const admin = (): Record<string, string> => ({ Authorization: `Bearer ${server().adminToken}` })
    const sql = async <T>(q: string): Promise<T[]> => {
      const res = await server().fetch(`/v0/sql?q=${encodeURIComponent(`${q} FORMAT JSON`)}`, {
        headers: admin(),
      })
      expect(res.status, await res.clone().text()).toBe(200)
      return ((await res.json()) as JsonBody<T>).data
    }
    const pipe = async <T>(
      path: string,
      token?: string,
    ): Promise<{ status: number; body: JsonBody<T> }> => {
      const res = await server().fetch(`/v0/pipes/${path}`, {
        headers: { Authorization: `Bearer ${token ?? server().adminToken}` },
      })
      return { status: res.status, body: (await res.json()) as JsonBody<T> }
    }

    beforeAll(async () => {
      setup = await start()
      // A copy next to the example, so its fixtures' relative paths (../../../node_modules) still resolve.
      project = mkdtempSync(join(EXAMPLE, '..', '.test-flights-'))
      cpSync(EXAMPLE, project, { recursive: true })
      writeFileSync(join(project, 'datasources', 'airline_bookings_mv.datasource'), MV_TARGET)
      writeFileSync(join(project, 'pipes', 'airline_bookings_by_airline.pipe'), MV_PIPE)
      writeFileSync(join(project, 'endpoints', 'airline_bookings.pipe'), MV_ENDPOINT)
      t = await startTestServer({
        project,
        populate: true,
        ...(setup.clickhouseUrl !== undefined ? { clickhouseUrl: setup.clickhouseUrl } : {}),
        ...(setup.cluster !== undefined ? { cluster: setup.cluster } : {}),
      })
    })
    afterAll(async () => {
      await t?.close()
      await setup?.stop()
      rmSync(project, { recursive: true, force: true })
    })

    it('loads the real data from the fixtures, every row and every timestamp intact', async () => {
      const [flights] = await sql<{ n: number; first: string; last: string; delay: number }>(
        'SELECT count() AS n, toString(min(date)) AS first, toString(max(date)) AS last, sum(delay) AS delay FROM flights',
      )
      expect(flights).toEqual({
        n: 3_000_000,
        first: '2001-01-01 00:01:00',
        last: '2001-07-01 00:00:00',
        delay: FLIGHTS_DELAY_SUM,
      })
      const [counts] = await sql<{ events: number; airports: number }>(
        'SELECT (SELECT count() FROM events) AS events, (SELECT count() FROM airports) AS airports',
      )
      expect(counts).toEqual({ events: 1_000_000, airports: 3376 })
    })

    it('serves the seed endpoint: top airlines by bookings', async () => {
      const { status, body } = await pipe<{ airline: string; bookings: number }>(
        'top_airlines.json',
      )
      expect(status).toBe(200)
      expect(body.meta.map((m) => m.name)).toEqual(['airline', 'bookings'])
      expect(body.data.slice(0, 3)).toEqual(TOP_AIRLINES.slice(0, 3))
    })

    it('serves a multi-node endpoint with a JOIN the same way', async () => {
      const { status, body } = await pipe<Record<string, unknown>>(
        'airport_detail.json?airport=SFO&start_date=2001-03-01&end_date=2001-03-31',
      )
      expect(status).toBe(200)
      expect(body.data).toHaveLength(1)
      expect(body.data[0]).toMatchObject(SFO_MARCH)
      // topK is approximate: its order among close counts depends on how blocks arrive; the leader does not.
      const top = (body.data[0] as { top_destinations: string[] }).top_destinations
      expect(top).toHaveLength(3)
      expect(top[0]).toBe('LAX')
    })

    it('pins a JWT fixed param: a tenant cannot read another tenant by passing the param', async () => {
      const jwt = await server().signJwt({
        exp: server().nowSeconds() + 60,
        scopes: [
          { type: 'PIPES:READ', resource: 'airport_detail', fixed_params: { airport: 'JFK' } },
        ],
      })
      const { status, body } = await pipe<{ iata: string }>('airport_detail.json?airport=SFO', jwt)
      expect(status).toBe(200)
      expect(body.data.map((r) => r.iata)).toEqual(['JFK'])
      const escape = await server().fetch(
        `/v0/pipes/airport_detail.json?token=${jwt}&q=${encodeURIComponent('SELECT * FROM flights')}`,
      )
      expect(escape.status).toBe(403)
    })

    it('keeps a materialized view in step with ingested events, populate included', async () => {
      const before = await pipe<{ airline: string; bookings: number }>('airline_bookings.json')
      expect(before.status).toBe(200)
      // populate filled it from the 1,000,000 fixture events
      expect(before.body.data.slice(0, 3)).toEqual(TOP_AIRLINES.slice(0, 3))
      const rows = Array.from({ length: 40 }, (_, i) =>
        booking({
          airline: i % 4 === 0 ? 'Dunlin Test Air' : 'Fizz',
          transaction_id: `tx-${String(i)}`,
        }),
      )
      const res = await server().fetch('/v0/events?name=events&wait=true', {
        method: 'POST',
        headers: admin(),
        body: rows.join('\n'),
      })
      expect(res.status).toBe(200)
      expect(await res.json()).toMatchObject({ successful_rows: 40, quarantined_rows: 0 })
      const after = await pipe<{ airline: string; bookings: number }>('airline_bookings.json')
      const by = new Map(after.body.data.map((r) => [r.airline, r.bookings]))
      expect(by.get('Dunlin Test Air')).toBe(10)
      expect(by.get('Fizz')).toBe((TOP_AIRLINES[0]?.bookings ?? 0) + 30)
      const top = await pipe<{ airline: string; bookings: number }>('top_airlines.json')
      expect(top.body.data[0]).toEqual({
        airline: 'Fizz',
        bookings: (TOP_AIRLINES[0]?.bookings ?? 0) + 30,
      })
    })

    it('quarantines a bad event and keeps the good ones', async () => {
      const res = await server().fetch('/v0/events?name=events&wait=true', {
        method: 'POST',
        headers: admin(),
        body: [
          booking({ airline: 'Quarantine Air', age: 'not a number', transaction_id: 'bad-1' }),
          booking({ airline: 'Quarantine Air', age: 30, transaction_id: 'good-1' }),
        ].join('\n'),
      })
      expect(res.status).toBe(200)
      expect(await res.json()).toMatchObject({ successful_rows: 1, quarantined_rows: 1 })
      const q = await sql<{ transaction_id: string; c__error: string[] }>(
        "SELECT transaction_id, c__error FROM events_quarantine WHERE airline = 'Quarantine Air'",
      )
      expect(q.map((r) => r.transaction_id)).toEqual(['bad-1'])
      expect(q[0]?.c__error).toEqual(["column 'age': expected Int16, got a string"])
    })

    it('creates, appends to, deletes from, truncates and drops a data source through the API', async () => {
      const create = await server().fetch(
        `/v0/datasources?mode=create&name=routes_scratch&schema=${encodeURIComponent('origin String, destination String, n UInt32')}`,
        { method: 'POST', headers: admin() },
      )
      expect(create.status, await create.clone().text()).toBe(200)
      const append = await server().fetch(
        '/v0/datasources?mode=append&name=routes_scratch&format=csv',
        {
          method: 'POST',
          headers: admin(),
          body: 'ORD,JFK,1\nORD,SFO,2\nLAX,SEA,3\nSEA,LAX,4\n',
        },
      )
      expect(append.status, await append.clone().text()).toBe(200)
      // A Parquet body: the engine (or, with a server, this machine's embedded one) reads it.
      const parquet = await server().fetch(
        '/v0/datasources?mode=append&name=routes_scratch&format=parquet',
        { method: 'POST', headers: admin(), body: readFileSync(PARQUET) },
      )
      expect(parquet.status, await parquet.clone().text()).toBe(200)
      expect(
        await sql('SELECT origin, sum(n) AS n FROM routes_scratch GROUP BY origin ORDER BY origin'),
      ).toEqual([
        { origin: 'JFK', n: 7 },
        { origin: 'LAX', n: 3 },
        { origin: 'ORD', n: 3 },
        { origin: 'SEA', n: 4 },
        { origin: 'SFO', n: 11 },
      ])
      const del = await server().fetch(
        `/v0/datasources/routes_scratch/delete?delete_condition=${encodeURIComponent("origin = 'ORD'")}`,
        { method: 'POST', headers: admin() },
      )
      expect(del.status, await del.clone().text()).toBe(201)
      expect(await del.json()).toMatchObject({ status: 'done' })
      expect(await sql('SELECT count() AS n FROM routes_scratch')).toEqual([{ n: 5 }])
      const truncate = await server().fetch('/v0/datasources/routes_scratch/truncate', {
        method: 'POST',
        headers: admin(),
      })
      expect(truncate.status).toBe(205)
      expect(await sql('SELECT count() AS n FROM routes_scratch')).toEqual([{ n: 0 }])
      const drop = await server().fetch('/v0/datasources/routes_scratch', {
        method: 'DELETE',
        headers: admin(),
      })
      expect(drop.status).toBe(204)
      const gone = await server().fetch(
        `/v0/sql?q=${encodeURIComponent('SELECT count() FROM routes_scratch')}`,
        { headers: admin() },
      )
      expect(gone.status).toBe(404)
    })

    it('lists its jobs and answers a job another process recorded (Jobs API over tinybird.jobs_log)', async () => {
      const res = await server().fetch('/v0/jobs?kind=delete_data&status=done', {
        headers: admin(),
      })
      expect(res.status, await res.clone().text()).toBe(200)
      const { jobs } = (await res.json()) as {
        jobs: { datasource: { name: string }; rows_affected: number }[]
      }
      expect(jobs.map((j) => [j.datasource.name, j.rows_affected])).toEqual([['routes_scratch', 2]])
      const id = await recordForeignJob(server(), 'events', [
        { status: 'done', rows_affected: 3 },
        { status: 'working' },
      ])
      const job = await server().fetch(`/v0/jobs/${id}`, { headers: admin() })
      expect(job.status).toBe(200)
      expect(await job.json()).toMatchObject({ id, status: 'done', rows_affected: 3 })
    })

    it('answers an unknown column with the same error code', async () => {
      const res = await server().fetch(
        `/v0/sql?q=${encodeURIComponent('SELECT no_such_column FROM flights')}`,
        { headers: admin() },
      )
      expect(res.status).toBe(400)
      expect(await res.json()).toMatchObject({ code: 'ERR_ENGINE_QUERY_INVALID' })
    })
  })
}

// Expected values, the same on every setup (measured once on the embedded engine).
const FLIGHTS_DELAY_SUM = 20_003_603
const TOP_AIRLINES = [
  { airline: 'Fizz', bookings: 223_092 },
  { airline: 'Red Balloon', bookings: 156_677 },
  { airline: 'BrianAir', bookings: 119_186 },
]
const SFO_MARCH = {
  iata: 'SFO',
  name: 'San Francisco International',
  state: 'CA',
  departures: 10_109,
  arrivals: 10_098,
  avg_departure_delay: 8.17,
  p50_departure_delay: -1,
  p90_departure_delay: 41,
  pct_delayed_15min: 21.2,
  destinations_served: 47,
  avg_departure_distance: 1244.3,
}

/** A complete booking event (every column of `events`), with some fields set. */
function booking(fields: Record<string, unknown>): string {
  return JSON.stringify({
    age: 40,
    airline: 'Fizz',
    email: 'traveller@example.com',
    extra_bags: 0,
    flight_from: 'ORD',
    flight_to: 'JFK',
    meal_choice: 'none',
    name: 'A Traveller',
    passport_number: 1234567,
    priority_boarding: 0,
    timestamp: '2025-06-02 10:00:00',
    transaction_id: 'tx',
    ...fields,
  })
}
