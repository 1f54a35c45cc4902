import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { ndjson } from '../ingest/helpers.js'

let t: TestServer
const auth = (tok: string): Record<string, string> => ({ Authorization: `Bearer ${tok}` })

beforeAll(async () => {
  t = await startTestServer({ config: { ingest: { requestsPerSecond: 2, bytesPerSecond: 4096 } } })
})
afterAll(async () => {
  await t.close()
})

describe('POST /v0/events: limits', () => {
  it('answers 429 with Retry-After past the per-data-source request rate', async () => {
    const limited = t
    try {
      const statuses: number[] = []
      let retry: string | null = null
      for (let i = 0; i < 8; i++) {
        const r = await limited.fetch('/v0/events?name=events', {
          method: 'POST',
          body: ndjson(1, 9000 + i),
          headers: auth(limited.adminToken),
        })
        statuses.push(r.status)
        if (r.status === 429) {
          retry = r.headers.get('retry-after')
          expect(await r.text()).toBe('Too many requests\n')
        }
      }
      expect(statuses).toContain(429)
      expect(Number(retry)).toBeGreaterThanOrEqual(1)
    } finally {
      // closed in afterAll
    }
  })

  it('answers 429 past the per-data-source byte rate', async () => {
    await new Promise((r) => setTimeout(r, 3_000))
    const body = ndjson(40, 20000)
    let limited = false
    for (let i = 0; i < 4 && !limited; i++) {
      const r = await t.fetch('/v0/events?name=events', {
        method: 'POST',
        body,
        headers: auth(t.adminToken),
      })
      limited = r.status === 429
      if (limited) expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    }
    expect(limited).toBe(true)
  })
})
