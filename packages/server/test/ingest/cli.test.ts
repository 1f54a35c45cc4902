import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dunlinCli } from '../helpers/cli.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { count, ndjson } from './helpers.js'

let t: TestServer
let dir: string

const dunlin = (...args: string[]): Promise<{ stdout: string; stderr: string }> =>
  dunlinCli(t, ...args)

beforeAll(async () => {
  t = await startTestServer()
  dir = mkdtempSync(join(tmpdir(), 'dunlin-cli-'))
})
afterAll(async () => {
  await t.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('dunlin append / datasource / mock', () => {
  it('appends a gzipped NDJSON file in several requests, printing progress lines off a TTY', async () => {
    const file = join(dir, 'rows.ndjson.gz')
    writeFileSync(file, gzipSync(ndjson(3000, 70_000)))
    const before = await count(t, 'events')
    const { stdout, stderr } = await dunlin('append', 'events', file, '--chunk-mb', '0.2')
    expect(stdout).toMatch(/^appended 3000 rows to events in [\d.]+ s: \d+ rows\/s, [\d.]+ MB\/s/)
    expect(stderr.split('\n').filter((l) => l.includes('rows/s')).length).toBeGreaterThan(1)
    expect(await count(t, 'events')).toBe(before + 3000)
  })

  it('appends a CSV file with a header and reports quarantined rows', async () => {
    await t.fetch(
      `/v0/datasources?mode=create&name=cli_people&schema=${encodeURIComponent('`id` Int32, `name` String')}`,
      { method: 'POST', headers: { Authorization: `Bearer ${t.adminToken}` } },
    )
    const file = join(dir, 'p.csv')
    writeFileSync(file, 'name,id\nann,1\nbob,x\n')
    const { stdout } = await dunlin('append', 'cli_people', file)
    expect(stdout).toMatch(/appended 1 rows to cli_people \(1 quarantined/)
  })

  it('appends a Parquet file in one multipart upload', async () => {
    const pq = await t.srv.engine.query(
      "SELECT toInt32(number + 900) AS id, 'pq' AS name FROM numbers(4)",
      { format: 'Parquet' },
    )
    const file = join(dir, 'p.parquet')
    writeFileSync(file, pq.body)
    const { stdout } = await dunlin('append', 'cli_people', file)
    expect(stdout).toMatch(/^appended 4 rows to cli_people/)
    await dunlin('datasource', 'truncate', 'cli_people_quarantine')
    await t.fetch('/v0/datasources/cli_people/delete?delete_condition=id%20%3E%3D%20900', {
      method: 'POST',
      headers: { Authorization: `Bearer ${t.adminToken}` },
    })
    await t.fetch(`/v0/datasources?mode=append&name=cli_people`, {
      method: 'POST',
      body: 'bad,row\n',
      headers: { Authorization: `Bearer ${t.adminToken}` },
    })
  })

  it('appends a Parquet file in one multipart upload', async () => {
    const pq = await t.srv.engine.query(
      "SELECT concat('cli_pq_', toString(number)) AS transaction_id, 'Fizz' AS airline FROM numbers(4)",
      { format: 'Parquet' },
    )
    const file = join(dir, 'rows.parquet')
    writeFileSync(file, pq.body)
    const { stdout } = await dunlin('append', 'events', file)
    expect(stdout).toMatch(/^appended 4 rows to events/)
    expect(await count(t, 'events', "startsWith(transaction_id, 'cli_pq_')")).toBe(4)
  })

  it('lists, truncates and removes data sources', async () => {
    const ls = await dunlin('datasource', 'ls')
    expect(ls.stdout).toMatch(/cli_people\s+csv\s+1\s+1/)
    await dunlin('datasource', 'truncate', 'cli_people')
    expect(await count(t, 'cli_people')).toBe(0)
    const rm = await dunlin('datasource', 'rm', 'cli_people')
    expect(rm.stdout).toBe('removed cli_people\n')
    expect(t.srv.workspace.datasource('cli_people')).toBeUndefined()
  })

  it('mocks schema-faithful events that all pass the type checks', async () => {
    const before = await count(t, 'events')
    const { stdout } = await dunlin(
      'mock',
      'events',
      '--rows',
      '2500',
      '--seed',
      '3',
      '--batch',
      '1000',
    )
    expect(stdout).toMatch(/^sent 2500 events to events/)
    await new Promise((r) => setTimeout(r, 1_500))
    expect(await count(t, 'events')).toBe(before + 2500)
    expect(await count(t, 'events_quarantine')).toBe(0)
  })

  it('paces mock events with --events-per-second', async () => {
    const t0 = performance.now()
    await dunlin('mock', 'events', '--rows', '300', '--events-per-second', '200')
    expect(performance.now() - t0).toBeGreaterThan(1_300)
  })
})
