/**
 * Ingest benchmark: 1,000,000 generated bookings (the `events` schema of examples/flights) sent to the Events
 * API by 8 concurrent senders in 1 MB NDJSON requests, versus the raw engine's `INSERT … FORMAT JSONEachRow` of
 * the same bytes (8 MiB chunks, the server's flush size) into a clone of the table, in the same process and
 * run. Measures rows/s, MB/s, the ratio, and the p99 of `top_airlines.json` reads during the API ingest.
 * Writes bench/results/ingest.json.
 *
 * Usage: npx tsx bench/ingest.ts [--rows 1000000 --senders 8 --request-mb 1 --read-interval-ms 20 --no-reads
 *   --data-dir $TMPDIR/dunlin-bench-ingest] (the data dir is recreated on every run)
 */
import { rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { Worker } from 'node:worker_threads'
import { pino } from 'pino'
import { createServer } from '../packages/server/src/server.js'
import { percentile, writeResult } from './lib.js'

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    senders: { type: 'string', default: '8' },
    'request-mb': { type: 'string', default: '1' },
    'data-dir': { type: 'string', default: join(tmpdir(), 'dunlin-bench-ingest') },
    'read-interval-ms': { type: 'string', default: '20' },
    'no-reads': { type: 'boolean', default: false },
  },
})
const total = Number(values.rows)
const senders = Number(values.senders)
const requestBytes = Number(values['request-mb']) * 1024 * 1024

// A fresh data dir each run: the comparison needs the same starting table sizes.
rmSync(values['data-dir'], { recursive: true, force: true })
const srv = await createServer({
  dataDir: values['data-dir'],
  project: join(import.meta.dirname, '..', 'examples', 'flights'),
  port: 0,
  logger: pino({ level: 'warn' }),
  // Per-data-source limits off: this measures the pipeline, not Tinybird's 20 MB/s quota.
  config: { ingest: { requestsPerSecond: 1e6, bytesPerSecond: 1e12 } },
})
const ws = srv.workspace
const db = ws.database
const admin = ws.adminToken()
const base = await ws.countRows('events')

// ---- data: deterministic rows, cut into ~1 MB NDJSON requests at line boundaries.
const AIRLINES = ['BrianAir', 'FlyBird', 'SkyLark', 'Dunlin Air', 'Puffin Wings', 'Heron Jet']
const AIRPORTS = ['SFO', 'LAX', 'JFK', 'ORD', 'ATL', 'DFW', 'SEA', 'BOS', 'MIA', 'DEN']
const MEALS = ['vegetarian', 'vegan', 'chicken', 'fish', 'none']
const lines: string[] = []
for (let i = 0; i < total; i++) {
  const d = new Date(Date.UTC(2025, 0, 1) + i * 1000)
  lines.push(
    JSON.stringify({
      age: 18 + (i % 62),
      airline: AIRLINES[i % AIRLINES.length],
      email: `p${String(i)}@example.com`,
      extra_bags: i % 4,
      flight_from: AIRPORTS[i % AIRPORTS.length],
      flight_to: AIRPORTS[(i * 7 + 3) % AIRPORTS.length],
      meal_choice: MEALS[i % MEALS.length],
      name: `Passenger ${String(i)}`,
      passport_number: 100_000 + (i % 900_000),
      priority_boarding: i % 3 === 0 ? 1 : 0,
      timestamp: d.toISOString().slice(0, 19).replace('T', ' '),
      transaction_id: `bench_${String(i)}`,
    }),
  )
}
const requests: Buffer[] = []
{
  let cur: string[] = []
  let size = 0
  for (const l of lines) {
    cur.push(l)
    size += l.length + 1
    if (size >= requestBytes) {
      requests.push(Buffer.from(cur.join('\n') + '\n'))
      cur = []
      size = 0
    }
  }
  if (cur.length > 0) requests.push(Buffer.from(cur.join('\n') + '\n'))
}
const bytes = requests.reduce((n, b) => n + b.length, 0)
const mb = bytes / 1024 / 1024
console.error(
  `${total.toLocaleString('en-US')} rows, ${mb.toFixed(1)} MB in ${String(requests.length)} requests; events has ${base.toLocaleString('en-US')} rows`,
)

// ---- raw engine: the same bytes, 8 MiB chunks, into a clone of `events` (no views).
await srv.engine.command(`CREATE TABLE \`${db}\`.events_raw AS \`${db}\`.events`)
const all = Buffer.concat(requests)
const rawChunks: Buffer[] = []
for (let at = 0; at < all.length;) {
  let end = Math.min(all.length, at + 8 * 1024 * 1024)
  if (end < all.length) end = all.indexOf(0x0a, end) + 1
  rawChunks.push(all.subarray(at, end))
  at = end
}
const r0 = performance.now()
for (const c of rawChunks) {
  await srv.engine.insert(`${db}.events_raw`, c, 'JSONEachRow', {
    settings: { date_time_input_format: 'best_effort' },
  })
}
const rawSeconds = (performance.now() - r0) / 1000
const raw = {
  seconds: Math.round(rawSeconds * 100) / 100,
  rowsPerSecond: Math.round(total / rawSeconds),
  mbPerSecond: Math.round((mb / rawSeconds) * 10) / 10,
}
console.error('raw engine  ', raw)

// ---- Events API: 8 senders and a top_airlines reader in a worker thread (clients are other processes in
// production; sharing the server's event loop would measure the bench's fetch calls, not the server).
const url = srv.url!
const offsets = [0]
for (const r of requests) offsets.push((offsets.at(-1) ?? 0) + r.byteLength)
const shared = new SharedArrayBuffer(all.byteLength)
new Uint8Array(shared).set(all)
const WORKER = `
const { workerData, parentPort } = require('node:worker_threads')
const { url, token, buf, offsets, senders, readIntervalMs, reads } = workerData
let next = 0, retries = 0, sending = true
const latencies = []
const auth = { Authorization: 'Bearer ' + token }
async function sender() {
  for (let i = next++; i < offsets.length - 1; i = next++) {
    const body = new Uint8Array(buf, offsets[i], offsets[i + 1] - offsets[i]).slice()
    for (;;) {
      const res = await fetch(url + '/v0/events?name=events', { method: 'POST', body, headers: auth })
      await res.arrayBuffer()
      if (res.status === 202) break
      retries++
      if (res.status !== 429 && res.status !== 503) throw new Error('HTTP ' + res.status)
      await new Promise((r) => setTimeout(r, 100))
    }
  }
}
async function reader() {
  while (reads && sending) {
    const t0 = performance.now()
    const res = await fetch(url + '/v0/pipes/top_airlines.json', { headers: auth })
    await res.arrayBuffer()
    latencies.push(performance.now() - t0)
    await new Promise((r) => setTimeout(r, readIntervalMs))
  }
}
const r = reader()
Promise.all(Array.from({ length: senders }, sender)).then(
  async () => { sending = false; await r; parentPort.postMessage({ retries, latencies }) },
  (e) => parentPort.postMessage({ error: String(e) }),
)
`
const a0 = performance.now()
const worker = new Worker(WORKER, {
  eval: true,
  workerData: {
    url,
    token: admin,
    buf: shared,
    offsets,
    senders,
    readIntervalMs: Number(values['read-interval-ms']),
    reads: !values['no-reads'],
  },
})
const done = await new Promise<{ retries: number; latencies: number[]; error?: string }>(
  (resolve, reject) => {
    worker.once('message', resolve)
    worker.once('error', reject)
  },
)
await worker.terminate()
if (done.error !== undefined) throw new Error(done.error)
const acceptedSeconds = (performance.now() - a0) / 1000
while ((await ws.countRows('events')) < base + total) await new Promise((r) => setTimeout(r, 20))
const apiSeconds = (performance.now() - a0) / 1000
const retries = done.retries
const readLatencies = done.latencies
readLatencies.sort((x, y) => x - y)
const api = {
  seconds: Math.round(apiSeconds * 100) / 100,
  acceptedSeconds: Math.round(acceptedSeconds * 100) / 100,
  rowsPerSecond: Math.round(total / apiSeconds),
  mbPerSecond: Math.round((mb / apiSeconds) * 10) / 10,
  retries,
}
console.error('Events API  ', api)
const reads = {
  count: readLatencies.length,
  p50Ms: Math.round(percentile(readLatencies, 50) * 10) / 10,
  p99Ms: Math.round(percentile(readLatencies, 99) * 10) / 10,
}
console.error('top_airlines during ingest', reads)
const ratio = Math.round((api.mbPerSecond / raw.mbPerSecond) * 100) / 100
const targets = { mbPerSecondAtLeast: 20, ratioAtLeast: 0.5 }
const finalRows = await ws.countRows('events')
console.log(
  JSON.stringify({ rows: total, mb: Math.round(mb * 10) / 10, raw, api, ratio, reads, targets }),
)
console.error(
  `Events API ${String(api.mbPerSecond)} MB/s (target ≥ ${String(targets.mbPerSecondAtLeast)}), ${String(ratio)}× raw (target ≥ ${String(targets.ratioAtLeast)}); events now ${finalRows.toLocaleString('en-US')} rows`,
)
console.error(
  `written ${writeResult('ingest', { rows: total, mb: Math.round(mb * 10) / 10, senders, requestBytes, requests: requests.length, raw, api, ratio, reads, targets })}`,
)
await srv.close()
