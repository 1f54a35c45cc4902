/**
 * Auth benchmark. (1) Verification cost per call, in µs: HS256 and ES256 JWTs through the real verifier, uncached and
 * cached (the server's `JwtCache`), and a static token lookup. (2) Endpoint throughput with a JWT versus with a
 * static token, 16 concurrent clients on loopback, in the same process and run (phases interleaved static → JWT →
 * static → JWT so drift hits both). The default endpoint is the test fixture's `custom_errors` (one row from
 * `numbers(1)`), so the request cost is HTTP + auth + a trivial query and the auth difference is visible; pass
 * `--project examples/flights --pipe top_airlines --data-dir bench/.data` for the 1M-row aggregate, where the engine
 * dominates. Writes bench/results/auth.json.
 *
 * Targets (issue 5): cached verification under 20 µs; JWT throughput ≥ 0.95× static.
 *
 * Usage: npx tsx bench/auth.ts [--seconds 10 --clients 16 --iterations 20000 --project <dir> --pipe <name>]
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { parseArgs } from 'node:util'
import { join } from 'node:path'
import { SignJWT, exportJWK, generateKeyPair } from 'jose'
import { pino } from 'pino'
import { createServer } from '../packages/server/src/server.js'
import {
  JwtCache,
  hashToken,
  parseScope,
  systemClock,
  verifyJwt,
  verifyJwtCached,
  verifyStaticToken,
  type JwtPolicy,
} from '../packages/server/src/auth/index.js'
import { load, writeResult, type LoadResult } from './lib.js'

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    clients: { type: 'string', default: '16' },
    iterations: { type: 'string', default: '20000' },
    'data-dir': { type: 'string', default: mkdtempSync(join(tmpdir(), 'dunlin-bench-auth-')) },
    project: {
      type: 'string',
      default: join(import.meta.dirname, '..', 'packages/server/test/fixtures/datafiles/bookings'),
    },
    pipe: { type: 'string', default: 'custom_errors' },
  },
})
const pipeName = values.pipe
const seconds = Number(values.seconds)
const clients = Number(values.clients)
const iterations = Number(values.iterations)

/** Mean µs per call of `fn` over `n` calls, after a warm-up of n/10. */
async function perCall(n: number, fn: () => unknown): Promise<number> {
  for (let i = 0; i < n / 10; i++) await fn()
  const t0 = performance.now()
  for (let i = 0; i < n; i++) await fn()
  return Math.round(((performance.now() - t0) * 1000 * 100) / n) / 100
}

// (1) Verification micro-benchmarks, pure (no HTTP).
const workspaceId = '00000000-0000-4000-8000-000000000001'
const adminSecret = `p.${'x'.repeat(120)}`
const payload = {
  workspace_id: workspaceId,
  name: 'bench',
  scopes: [{ type: 'PIPES:READ', resource: 'top_airlines', fixed_params: { org_id: 'acme' } }],
}
const exp = Math.floor(Date.now() / 1000) + 3600
const hsToken = await new SignJWT(payload)
  .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
  .setExpirationTime(exp)
  .sign(new TextEncoder().encode(adminSecret))
const es = await generateKeyPair('ES256', { extractable: true })
const esToken = await new SignJWT(payload)
  .setProtectedHeader({ alg: 'ES256', kid: 'es1' })
  .setExpirationTime(exp)
  .sign(es.privateKey)
const policy: JwtPolicy = {
  workspaceId,
  keys: [
    { alg: 'HS256', secret: adminSecret, status: 'active' },
    { kid: 'es1', alg: 'ES256', publicKey: await exportJWK(es.publicKey), status: 'active' },
  ],
  isRevoked: () => false,
}
const hsCache = new JwtCache({ maxEntries: 10_000 })
const esCache = new JwtCache({ maxEntries: 10_000 })
const staticValue = `p.${'s'.repeat(40)}`
const staticRecord = {
  id: 't1',
  name: 'static',
  hash: hashToken(staticValue),
  scopes: [parseScope('PIPES:READ:top_airlines')],
}
const verify = {
  hs256UncachedUs: await perCall(iterations, () => verifyJwt(hsToken, policy, systemClock)),
  hs256CachedUs: await perCall(iterations, () =>
    verifyJwtCached(hsToken, policy, systemClock, hsCache),
  ),
  es256UncachedUs: await perCall(Math.min(iterations, 5000), () =>
    verifyJwt(esToken, policy, systemClock),
  ),
  es256CachedUs: await perCall(iterations, () =>
    verifyJwtCached(esToken, policy, systemClock, esCache),
  ),
  staticTokenUs: await perCall(iterations, () =>
    verifyStaticToken(staticValue, (h) => (h === staticRecord.hash ? staticRecord : undefined)),
  ),
}
console.error('verification µs/call', verify)

// (2) Endpoint throughput: JWT vs static token, same server, same run.
const srv = await createServer({
  dataDir: values['data-dir'],
  project: values.project,
  port: 0,
  logger: pino({ level: 'warn' }),
})
const ws = srv.workspace
const { value: staticToken } = await ws.upsertToken(
  'bench_static',
  [`PIPES:READ:${pipeName}`],
  'cli',
)
const jwt = await new SignJWT({
  workspace_id: ws.info.id,
  name: 'bench',
  scopes: [{ type: 'PIPES:READ', resource: pipeName }],
})
  .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
  .setExpirationTime(Math.floor(Date.now() / 1000) + 3600)
  .sign(new TextEncoder().encode(ws.adminToken()))
const base = `${srv.url!}/v0/pipes/${pipeName}.json`
const get = (token: string) => async (): Promise<boolean> => {
  const res = await fetch(base, { headers: { Authorization: `Bearer ${token}` } })
  await res.arrayBuffer()
  return res.ok
}
for (let i = 0; i < 30; i++) {
  await get(jwt)()
  await get(staticToken)()
}
const phases: { kind: 'static' | 'jwt'; result: LoadResult }[] = []
for (const kind of ['static', 'jwt', 'static', 'jwt'] as const) {
  const result = await load(clients, seconds / 2, get(kind === 'jwt' ? jwt : staticToken))
  console.error(kind.padEnd(7), result)
  phases.push({ kind, result })
}
const total = (kind: 'static' | 'jwt'): { requests: number; seconds: number; errors: number } =>
  phases
    .filter((p) => p.kind === kind)
    .reduce(
      (a, p) => ({
        requests: a.requests + p.result.requests,
        seconds: a.seconds + p.result.seconds,
        errors: a.errors + p.result.errors,
      }),
      { requests: 0, seconds: 0, errors: 0 },
    )
const s = total('static')
const j = total('jwt')
const staticRps = Math.round((s.requests / s.seconds) * 10) / 10
const jwtRps = Math.round((j.requests / j.seconds) * 10) / 10
const ratio = Math.round((jwtRps / staticRps) * 1000) / 1000
console.error(`throughput: static ${staticRps} req/s, JWT ${jwtRps} req/s, JWT/static ${ratio}`)
await srv.close()

const file = writeResult('auth', {
  params: { seconds, clients, iterations, project: values.project, pipe: pipeName },
  verification: verify,
  endpoint: {
    staticRps,
    jwtRps,
    jwtOverStatic: ratio,
    errors: { static: s.errors, jwt: j.errors },
    phases,
  },
  targets: {
    cachedVerificationUnder20us: verify.hs256CachedUs < 20 && verify.es256CachedUs < 20,
    jwtThroughputAtLeast095: ratio >= 0.95,
  },
})
console.error(`wrote ${file}`)
