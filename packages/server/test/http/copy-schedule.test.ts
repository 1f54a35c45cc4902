import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FIXTURES, startTestServer, type TestServer } from '../helpers/server.js'

// Its own file: chdb allows one data dir per process, and this test starts its own server.
const scalar = async (s: TestServer, q: string): Promise<number> => {
  const res = await s.fetch(`/v0/sql?q=${encodeURIComponent(q)}`, {
    headers: { Authorization: `Bearer ${s.adminToken}` },
  })
  return Number(((await res.json()) as { data: { v: number | string }[] }).data[0]!.v)
}

describe('scheduled copies and --populate', () => {
  it('runs a copy pipe on its COPY_SCHEDULE, and populates views at start with populate', async () => {
    const project = mkdtempSync(join(tmpdir(), 'dunlin-copy-'))
    cpSync(join(FIXTURES, 'datafiles', 'bookings'), project, { recursive: true })
    const file = join(project, 'pipes', 'daily_snapshot.pipe')
    // croner's seconds field: every second, so the test does not wait minutes.
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace('COPY_SCHEDULE @on-demand', 'COPY_SCHEDULE * * * * * *'),
    )
    const s = await startTestServer({ project, populate: true })
    try {
      expect(await scalar(s, 'SELECT sum(bookings) AS v FROM airline_counts')).toBe(200)
      let copied = 0
      for (let i = 0; i < 50 && copied === 0; i++) {
        await new Promise((r) => setTimeout(r, 100))
        copied = await scalar(s, 'SELECT sum(bookings) AS v FROM bookings_snapshot')
      }
      expect(copied).toBe(200)
    } finally {
      await s.close()
      rmSync(project, { recursive: true, force: true })
    }
  })
})
