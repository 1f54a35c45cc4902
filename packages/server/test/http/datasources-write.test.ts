import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { count, ndjson, rows, tokenNamed } from '../ingest/helpers.js'

let t: TestServer
const auth = (tok?: string): Record<string, string> => ({
  Authorization: `Bearer ${tok ?? t.adminToken}`,
})
const post = (
  path: string,
  body?: string | Uint8Array | FormData,
  headers: Record<string, string> = {},
): Promise<Response> =>
  t.fetch(path, {
    method: 'POST',
    ...(body !== undefined ? { body } : {}),
    headers: { ...auth(), ...headers },
  })

beforeAll(async () => {
  t = await startTestServer()
})
afterAll(async () => {
  await t.close()
})

const SCHEMA = '`id` Int32, `name` String, `score` Nullable(Float64), `ts` DateTime DEFAULT now()'

describe('POST /v0/datasources?mode=create', () => {
  it('creates a data source from a schema parameter, with its quarantine table', async () => {
    const res = await post(
      `/v0/datasources?mode=create&name=people&schema=${encodeURIComponent(SCHEMA)}&engine_sorting_key=id`,
    )
    expect(res.status).toBe(200)
    const j = (await res.json()) as { datasource: { name: string; columns: { name: string }[] } }
    expect(j.datasource.name).toBe('people')
    expect(j.datasource.columns.map((c) => c.name)).toEqual(['id', 'name', 'score', 'ts'])
    expect(await count(t, 'people_quarantine')).toBe(0)
    const again = await post(
      `/v0/datasources?mode=create&name=people&schema=${encodeURIComponent(SCHEMA)}`,
    )
    expect(again.status).toBe(400)
    expect(((await again.json()) as { error: string }).error).toBe(
      'Data Source "people" already exists, use mode=append',
    )
  })

  it('creates a data source from a .datasource body and from a form body', async () => {
    const text =
      'SCHEMA >\n    `k` String `json:$.k`,\n    `v` Int64 `json:$.v`\n\nENGINE "MergeTree"\n'
    const a = await post('/v0/datasources?mode=create&name=kv', text)
    expect(a.status).toBe(200)
    const form = new URLSearchParams({ mode: 'create', name: 'formds', schema: '`a` String' })
    const b = await post('/v0/datasources', form.toString(), {
      'Content-Type': 'application/x-www-form-urlencoded',
    })
    expect(b.status).toBe(200)
  })

  it('refuses create without DATASOURCES:CREATE, and unknown formats', async () => {
    const tok = tokenNamed(t, 'events_append')
    const res = await t.fetch(
      `/v0/datasources?mode=create&name=x&schema=${encodeURIComponent(SCHEMA)}`,
      {
        method: 'POST',
        headers: auth(tok),
      },
    )
    expect(res.status).toBe(403)
    expect(((await res.json()) as { error: string }).error).toMatch(/create mode requires/)
    const fmt = await post('/v0/datasources?mode=append&name=people&format=xml', 'a')
    expect(fmt.status).toBe(400)
  })
})

describe('POST /v0/datasources?mode=append|replace', () => {
  it('appends CSV with and without a header, quarantining bad records', async () => {
    const withHeader = 'name,id,score\nann,1,1.5\nbob,2,\n'
    const a = await post('/v0/datasources?mode=append&name=people', withHeader)
    expect(a.status).toBe(200)
    expect(await a.json()).toMatchObject({ successful_rows: 2, quarantined_rows: 0 })
    const plain = '3,cy,2.5,2025-01-01 00:00:00\nnot_a_number,dee,1,2025-01-01 00:00:00\n'
    const b = await post('/v0/datasources?mode=append&name=people', plain)
    expect(await b.json()).toMatchObject({ successful_rows: 1, quarantined_rows: 1 })
    expect(await count(t, 'people')).toBe(3)
    expect(await count(t, 'people_quarantine')).toBe(1)
  })

  it('keeps the good records of a CSV with a broken quote and quarantines the rest', async () => {
    const res = await post(
      '/v0/datasources?mode=append&name=people',
      '4,eve,1\n5,"fay,2\n6,gus,3\n',
    )
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ successful_rows: 1, quarantined_rows: 1 })
    const q = await rows<{ c__error: string[] }>(
      t,
      "SELECT c__error FROM {db}.people_quarantine WHERE c__error[1] LIKE 'unterminated%'",
    )
    expect(q[0]!.c__error[0]).toMatch(/line 2/)
  })

  it('appends NDJSON (gzip) through multipart, and CSV through the csv field', async () => {
    const form = new FormData()
    form.set('ndjson', new Blob([gzipSync(ndjson(7, 100))]), 'rows.ndjson.gz')
    const before = await count(t, 'events')
    const res = await post('/v0/datasources?mode=append&name=events&format=ndjson', form)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ successful_rows: 7, quarantined_rows: 0 })
    expect(await count(t, 'events')).toBe(before + 7)
    const csv = new FormData()
    csv.set('csv', new Blob(['10,multi,0.5\n']), 'p.csv')
    const r2 = await post('/v0/datasources?mode=append&name=people', csv)
    expect(await r2.json()).toMatchObject({ successful_rows: 1 })
    const bad = new FormData()
    bad.set('data', new Blob(['x']), 'x')
    expect((await post('/v0/datasources?mode=append&name=people', bad)).status).toBe(400)
  })

  it('appends a Parquet body (by format and by magic bytes in a csv multipart field)', async () => {
    const pq = await t.srv.engine.query(
      "SELECT toInt32(number + 500) AS id, concat('pq', toString(number)) AS name FROM numbers(3)",
      { format: 'Parquet' },
    )
    const res = await post('/v0/datasources?mode=append&name=people&format=parquet', pq.body)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ successful_rows: 3, quarantined_rows: 0 })
    const form = new FormData()
    form.set('csv', new Blob([pq.body]), 'x.parquet')
    const viaForm = await post('/v0/datasources?mode=append&name=people', form)
    expect(await viaForm.json()).toMatchObject({ successful_rows: 3 })
    expect(await count(t, 'people', 'id >= 500')).toBe(6)
    const bad = await post('/v0/datasources?mode=append&name=people&format=parquet', 'PAR1nope')
    expect(bad.status).toBe(400)
  })

  it('replaces the contents with mode=replace', async () => {
    const res = await post('/v0/datasources?mode=replace&name=people', 'id,name\n100,only\n')
    expect(res.status).toBe(200)
    expect(await rows(t, 'SELECT id, name FROM {db}.people')).toEqual([{ id: 100, name: 'only' }])
  })

  it('refuses appends without the scope, and to unknown data sources', async () => {
    const tok = tokenNamed(t, 'events_append')
    const res = await t.fetch('/v0/datasources?mode=append&name=people', {
      method: 'POST',
      body: '1,a\n',
      headers: auth(tok),
    })
    expect(res.status).toBe(403)
    expect(((await res.json()) as { error: string }).error).toBe(
      'Token does not have DATASOURCES:APPEND scope for Data Source "people"',
    )
    const missing = await post('/v0/datasources?mode=append&name=nope&format=ndjson', '{}')
    expect(missing.status).toBe(404)
  })

  it('refuses loopback URLs outside local mode', async () => {
    const res = await post(
      `/v0/datasources?mode=append&name=people&url=${encodeURIComponent('http://127.0.0.1:1/x.csv')}`,
    )
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: string }).error).toMatch(/^Invalid url/)
  })

  it('answers 413 past the body limit', async () => {
    const res = await post('/v0/datasources?mode=append&name=people', 'x'.repeat(9 * 1024 * 1024))
    expect(res.status).toBe(413)
  })
})

describe('truncate, delete, drop', () => {
  it('deletes rows by condition: dry run counts, then a finished job', async () => {
    await post('/v0/datasources?mode=append&name=people', '1,a\n2,b\n3,c\n')
    const dry = await post(
      `/v0/datasources/people/delete?delete_condition=${encodeURIComponent('id < 3')}&dry_run=true`,
    )
    expect(dry.status).toBe(200)
    expect(await dry.json()).toEqual({ rows_to_be_deleted: 2 })
    const del = await post(
      `/v0/datasources/people/delete?delete_condition=${encodeURIComponent('id < 3')}`,
    )
    expect(del.status).toBe(201)
    const job = (await del.json()) as { id: string; status: string; job_url: string }
    expect(job.status).toBe('done')
    expect(await count(t, 'people', 'id < 3')).toBe(0)
    const polled = await t.fetch(`/v0/jobs/${job.id}`, { headers: auth() })
    expect(((await polled.json()) as { kind: string }).kind).toBe('delete_data')
    const missing = await post('/v0/datasources/people/delete')
    expect(missing.status).toBe(400)
    const bad = await post(
      `/v0/datasources/people/delete?delete_condition=${encodeURIComponent('1; DROP TABLE people')}`,
    )
    expect(bad.status).toBe(400)
  })

  it('truncates a data source and its quarantine with 205 and an empty body', async () => {
    const res = await post('/v0/datasources/people/truncate')
    expect(res.status).toBe(205)
    expect(await res.text()).toBe('')
    expect(await count(t, 'people')).toBe(0)
    const q = await post('/v0/datasources/people_quarantine/truncate')
    expect(q.status).toBe(205)
    expect(await count(t, 'people_quarantine')).toBe(0)
    const nope = await post('/v0/datasources/nope/truncate')
    expect(nope.status).toBe(404)
    expect(((await nope.json()) as { error: string }).error).toBe(
      'Data Source "nope" does not exist',
    )
  })

  it('changes a description with PUT', async () => {
    const res = await t.fetch('/v0/datasources/people?description=hello', {
      method: 'PUT',
      headers: auth(),
    })
    expect(res.status).toBe(200)
    expect(t.srv.workspace.datasource('people')?.def.description).toBe('hello')
  })

  it('drops a data source (admin or DROP scope only)', async () => {
    const tok = tokenNamed(t, 'events_append')
    const denied = await t.fetch('/v0/datasources/people', { method: 'DELETE', headers: auth(tok) })
    expect(denied.status).toBe(403)
    const res = await t.fetch('/v0/datasources/people', { method: 'DELETE', headers: auth() })
    expect(res.status).toBe(204)
    expect(t.srv.workspace.datasource('people')).toBeUndefined()
  })
})
