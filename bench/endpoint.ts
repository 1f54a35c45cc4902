/**
 * Endpoint benchmark: `top_airlines.json` read with a JWT by 16 concurrent clients over loopback, versus the same
 * rendered SQL through the raw engine, in the same process and run. Prints requests/s, p50, p99 and the ratios;
 * writes bench/results/endpoint.json.
 *
 * Usage: npm run bench [-- --seconds 20 --clients 16 --data-dir bench/.data]
 */
import { parseArgs } from 'node:util'
import { join } from 'node:path'
import { SignJWT } from 'jose'
import { pino } from 'pino'
import { createServer } from '../packages/server/src/server.js'
import { composePipe } from '../packages/server/src/catalog/index.js'
import { load, writeResult } from './lib.js'

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    clients: { type: 'string', default: '16' },
    'data-dir': { type: 'string', default: join(import.meta.dirname, '.data') },
  },
})
const seconds = Number(values.seconds)
const clients = Number(values.clients)

const srv = await createServer({
  dataDir: values['data-dir'],
  project: join(import.meta.dirname, '..', 'examples', 'flights'),
  port: 0,
  logger: pino({ level: 'warn' }),
})
const ws = srv.workspace
const rows = await ws.countRows('events')
const pipe = ws.pipe('top_airlines')!
const { sql } = composePipe(ws, pipe, {})
const token = await new SignJWT({
  workspace_id: ws.info.id,
  name: 'bench',
  scopes: [{ type: 'PIPES:READ', resource: 'top_airlines' }],
})
  .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
  .setExpirationTime(Math.floor(Date.now() / 1000) + 3600)
  .sign(new TextEncoder().encode(ws.adminToken()))
const url = `${srv.url!}/v0/pipes/top_airlines.json?token=${token}`

// Warm up both paths (page cache, JWT cache, connection pool).
for (let i = 0; i < 20; i++) {
  await srv.engine.query(sql)
  await (await fetch(url)).arrayBuffer()
}

console.error(
  `events: ${rows.toLocaleString('en-US')} rows; ${clients} clients × ${seconds} s per phase`,
)
const raw = await load(clients, seconds, async () => {
  await srv.engine.query(sql, { format: 'JSON' })
  return true
})
console.error('raw engine   ', raw)
const http = await load(clients, seconds, async () => {
  const res = await fetch(url)
  await res.arrayBuffer()
  return res.status === 200
})
console.error('HTTP + JWT   ', http)

const ratios = {
  throughput: Math.round((http.rps / raw.rps) * 100) / 100,
  p99: Math.round((http.p99Ms / raw.p99Ms) * 100) / 100,
}
const targets = { throughputAtLeast: 0.8, p99AtMost: 2 }
console.log(JSON.stringify({ rows, raw, http, ratios, targets }))
console.error(
  `throughput ${ratios.throughput}× raw (target ≥ ${targets.throughputAtLeast}), p99 ${ratios.p99}× raw (target ≤ ${targets.p99AtMost})`,
)
console.error(
  `written ${writeResult('endpoint', { rows, clients, seconds, raw, http, ratios, targets })}`,
)
await srv.close()
