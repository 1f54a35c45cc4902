// Property: of a few thousand randomized tokens (random strings, random headers and claims, random keys, random
// edits of a valid token), the live server accepts exactly those that are validly signed with a workspace key,
// carry valid claims and name the pipe; everything else is a 403 with an ERR_AUTH_* code and no rows.
import fc from 'fast-check'
import { SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import type { TestServer } from '../helpers/server.js'
import { b64, useServer } from './lib.js'

const srv = useServer()
const PIPE = 'top_airlines'
const RUNS = Number(process.env['DUNLIN_PROPERTY_RUNS'] ?? 1500)

interface Spec {
  key: 'admin' | 'other' | 'empty'
  alg: string
  kid: string | undefined
  workspace: 'own' | 'other' | 'missing'
  expDelta: number | string | null
  resource: string
  scopeType: string
  name: unknown
  mutate: 'none' | 'payload' | 'signature' | 'header' | 'truncate'
}

// Control characters and unpaired surrogates (an independent spelling of the verifier's rule).
const UNSAFE =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/** What the server must do with a token built from `s`, computed independently of the server. */
function mustAccept(s: Spec): boolean {
  return (
    s.key === 'admin' &&
    s.alg === 'HS256' &&
    s.workspace === 'own' &&
    typeof s.expDelta === 'number' &&
    s.expDelta >= 2 &&
    s.resource === PIPE &&
    s.scopeType === 'PIPES:READ' &&
    typeof s.name === 'string' &&
    s.name !== '' &&
    s.name.length <= 256 &&
    !UNSAFE.test(s.name) &&
    s.mutate === 'none'
  )
}

async function build(t: TestServer, s: Spec): Promise<string> {
  const exp = typeof s.expDelta === 'number' ? t.nowSeconds() + s.expDelta : s.expDelta
  const payload: Record<string, unknown> = {
    name: s.name,
    exp,
    scopes: [{ type: s.scopeType, resource: s.resource }],
  }
  if (s.workspace === 'own') payload['workspace_id'] = t.workspaceId
  if (s.workspace === 'other') payload['workspace_id'] = '00000000-0000-4000-8000-000000000000'
  const secret = s.key === 'admin' ? t.adminToken : s.key === 'other' ? 'p.other-secret' : ''
  let token: string
  if (s.alg === 'HS256' && secret !== '') {
    token = await new SignJWT(payload)
      .setProtectedHeader({ alg: 'HS256', ...(s.kid !== undefined ? { kid: s.kid } : {}) })
      .sign(new TextEncoder().encode(secret))
  } else {
    token = `${b64({ alg: s.alg, ...(s.kid !== undefined ? { kid: s.kid } : {}) })}.${b64(payload)}.${b64('sig')}`
  }
  const [h, p, sig] = token.split('.') as [string, string, string]
  switch (s.mutate) {
    case 'payload':
      return `${h}.${b64({ ...payload, scopes: [{ type: 'PIPES:READ', resource: 'top_routes' }] })}.${sig}`
    case 'signature':
      return `${h}.${p}.${sig.startsWith('A') ? 'B' : 'A'}${sig.slice(1)}`
    case 'header':
      return `${b64({ alg: 'HS256', typ: 'JWT', x: 1 })}.${p}.${sig}`
    case 'truncate':
      return `${h}.${p}.${sig.slice(0, Math.max(0, sig.length - 5))}`
    default:
      return token
  }
}

const rep = <T>(n: number, v: T): T[] => Array.from({ length: n }, () => v)

const specArb: fc.Arbitrary<Spec> = fc.record({
  key: fc.constantFrom<Spec['key']>(...rep<Spec['key']>(8, 'admin'), 'other', 'empty'),
  alg: fc.constantFrom(...rep(12, 'HS256'), 'none', 'RS256', 'HS512', 'ES256', ''),
  kid: fc.option(fc.constantFrom('k1', 'admin', ''), { nil: undefined, freq: 3 }),
  workspace: fc.constantFrom<Spec['workspace']>(
    ...rep<Spec['workspace']>(8, 'own'),
    'other',
    'missing',
  ),
  expDelta: fc.oneof(
    { weight: 5, arbitrary: fc.integer({ min: 2, max: 3600 }) },
    { weight: 1, arbitrary: fc.integer({ min: -3600, max: -1 }) },
    { weight: 1, arbitrary: fc.constantFrom('9999999999', null) },
  ),
  resource: fc.constantFrom(...rep(12, PIPE), 'top_routes', 'TOP_AIRLINES', '*', ''),
  scopeType: fc.constantFrom(...rep(8, 'PIPES:READ'), 'DATASOURCES:READ', 'ADMIN'),
  name: fc.oneof(
    { weight: 6, arbitrary: fc.string({ minLength: 1, maxLength: 40 }) },
    { weight: 1, arbitrary: fc.constantFrom('', 'a\nb', '\u0000', 42, null) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }) },
  ),
  mutate: fc.constantFrom<Spec['mutate']>(
    ...rep<Spec['mutate']>(12, 'none'),
    'payload',
    'signature',
    'header',
    'truncate',
  ),
})

describe('randomized tokens against the live server', () => {
  it(`accepts only validly signed, in-scope tokens (${RUNS} structured + random strings)`, async () => {
    const t = srv()
    let accepted = 0
    await fc.assert(
      fc.asyncProperty(specArb, async (s) => {
        const token = await build(t, s)
        const res = await t.fetch(`/v0/pipes/${PIPE}.json`, {
          headers: { Authorization: `Bearer ${token}` },
        })
        const text = await res.text()
        if (mustAccept(s)) {
          expect(res.status, text).toBe(200)
          accepted++
        } else {
          expect(res.status, `${JSON.stringify(s)} → ${text}`).toBe(403)
          expect(text).toMatch(/"code":"ERR_AUTH_[A-Z_]+"/)
          expect(text).not.toContain('"data"')
        }
      }),
      { numRuns: RUNS },
    )
    // Sanity: the generator does produce valid tokens (about 10% of runs).
    expect(accepted).toBeGreaterThan(0)

    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ minLength: 1, maxLength: 300 }),
          fc.tuple(fc.base64String(), fc.base64String(), fc.base64String()).map((p) => p.join('.')),
          fc.string({ minLength: 1, maxLength: 60 }).map((s) => `p.${s}`),
        ),
        async (token) => {
          const res = await t.fetch(`/v0/pipes/${PIPE}.json?token=${encodeURIComponent(token)}`)
          const text = await res.text()
          expect(res.status, token).toBe(403)
          expect(text).not.toContain('"data"')
        },
      ),
      { numRuns: Math.round(RUNS / 2) },
    )
  })
})
