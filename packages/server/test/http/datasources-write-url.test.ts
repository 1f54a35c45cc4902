import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { count, ndjson } from '../ingest/helpers.js'

let t: TestServer
let files: Server
let base: string
const auth = (): Record<string, string> => ({ Authorization: `Bearer ${t.adminToken}` })

beforeAll(async () => {
  // Local mode: loopback URLs are allowed (a dev machine importing from itself).
  t = await startTestServer({ config: { local: true } })
  files = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]
    if (path === '/rows.ndjson.gz') res.end(gzipSync(ndjson(25, 80_000)))
    else if (path === '/redirect') {
      res.writeHead(302, { Location: 'http://169.254.169.254/' })
      res.end()
    } else {
      res.writeHead(404)
      res.end()
    }
  })
  await new Promise<void>((r) => files.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${String((files.address() as AddressInfo).port)}`
})
afterAll(async () => {
  await t.close()
  await new Promise((r) => files.close(r))
})

async function job(
  id: string,
): Promise<{ status: string; rows_affected?: number; error?: string }> {
  for (;;) {
    const res = await t.fetch(`/v0/jobs/${id}`, { headers: auth() })
    const j = (await res.json()) as { status: string; rows_affected?: number; error?: string }
    if (j.status === 'done' || j.status === 'error') return j
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('POST /v0/datasources?mode=append&url=', () => {
  it('imports a gzipped NDJSON URL as a job', async () => {
    const before = await count(t, 'events')
    const res = await t.fetch(
      `/v0/datasources?mode=append&name=events&format=ndjson&url=${encodeURIComponent(`${base}/rows.ndjson.gz`)}`,
      { method: 'POST', headers: auth() },
    )
    expect(res.status).toBe(200)
    const started = (await res.json()) as { id: string; job_url: string; status: string }
    expect(started.job_url).toMatch(/\/v0\/jobs\//)
    expect(await job(started.id)).toMatchObject({ status: 'done', rows_affected: 25 })
    expect(await count(t, 'events')).toBe(before + 25)
  })

  it("keeps a presigned URL's signature out of the job and tinybird.jobs_log", async () => {
    const signed = `${base}/rows.ndjson.gz?X-Amz-Signature=s3cr3tsig&X-Amz-Credential=AKIAEXAMPLE`
    const res = await t.fetch(
      `/v0/datasources?mode=append&name=events&format=ndjson&url=${encodeURIComponent(signed)}`,
      { method: 'POST', headers: auth() },
    )
    expect(res.status).toBe(200)
    const started = (await res.json()) as { id: string }
    expect(await job(started.id)).toMatchObject({
      status: 'done',
      url: `${base}/rows.ndjson.gz`,
    })
    const q = `SELECT job_metadata FROM tinybird.jobs_log WHERE job_id = '${started.id}'`
    const logged = await t.fetch(`/v0/sql?q=${encodeURIComponent(q)}`, { headers: auth() })
    const text = await logged.text()
    expect(text).toContain('rows.ndjson.gz')
    expect(text).not.toContain('s3cr3tsig')
    expect(text).not.toContain('AKIAEXAMPLE')
  })

  it('refuses private, link-local and non-http URLs, and does not follow redirects', async () => {
    for (const url of [
      'http://169.254.169.254/latest',
      'http://10.0.0.1/x',
      'file:///etc/passwd',
    ]) {
      const res = await t.fetch(
        `/v0/datasources?mode=append&name=events&url=${encodeURIComponent(url)}`,
        { method: 'POST', headers: auth() },
      )
      expect(res.status).toBe(400)
      expect(((await res.json()) as { error: string }).error).toMatch(/^Invalid url/)
    }
    const res = await t.fetch(
      `/v0/datasources?mode=append&name=events&url=${encodeURIComponent(`${base}/redirect`)}`,
      { method: 'POST', headers: auth() },
    )
    const started = (await res.json()) as { id: string }
    expect(await job(started.id)).toMatchObject({ status: 'error' })
  })

  it('records imports in datasources_ops_log with the job id and the URL without its query', async () => {
    const start = async (url: string): Promise<string> => {
      const res = await t.fetch(
        `/v0/datasources?mode=append&name=events&format=ndjson&url=${encodeURIComponent(url)}`,
        { method: 'POST', headers: auth() },
      )
      const { id } = (await res.json()) as { id: string }
      await job(id)
      return id
    }
    const ok = await start(`${base}/rows.ndjson.gz?X-Amz-Signature=s3cr3t`)
    const failed = await start(`${base}/redirect`)
    const q = `SELECT job_id, import_id, event_type, result, error, rows, rows_quarantine, Options.Names, Options.Values FROM tinybird.datasources_ops_log WHERE job_id IN ('${ok}', '${failed}')`
    let rows: Record<string, unknown>[] = []
    for (let i = 0; i < 50 && rows.length < 2; i++) {
      const res = await t.fetch(`/v0/sql?q=${encodeURIComponent(q)}`, { headers: auth() })
      rows = ((await res.json()) as { data: Record<string, unknown>[] }).data
      if (rows.length < 2) await new Promise((r) => setTimeout(r, 100))
    }
    expect(rows.find((r) => r['job_id'] === ok)).toEqual({
      job_id: ok,
      import_id: ok,
      event_type: 'append',
      result: 'ok',
      error: null,
      rows: 25,
      rows_quarantine: 0,
      'Options.Names': ['mode', 'format', 'source'],
      'Options.Values': ['append', 'ndjson', `${base}/rows.ndjson.gz`],
    })
    expect(rows.find((r) => r['job_id'] === failed)).toMatchObject({
      result: 'error',
      error: 'Invalid url: redirects are not followed',
      rows: 0,
    })
    expect(JSON.stringify(rows)).not.toContain('s3cr3t')
  })
})
