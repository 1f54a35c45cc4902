import { randomBytes } from 'node:crypto'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { FIXTURES, startTestServer, type TestServer } from '../helpers/server.js'

const project = mkdtempSync(join(tmpdir(), 'dunlin-project-'))
const dataDir = mkdtempSync(join(tmpdir(), 'dunlin-data-'))
cpSync(join(FIXTURES, 'datafiles', 'bookings'), project, { recursive: true })
const dsFile = join(project, 'datasources', 'events.datasource')
let t: TestServer | undefined

afterAll(async () => {
  await t?.close()
  rmSync(project, { recursive: true, force: true })
  rmSync(dataDir, { recursive: true, force: true })
})

const count = async (s: TestServer): Promise<number> => {
  const res = await s.fetch(`/v0/sql?q=${encodeURIComponent('SELECT count() AS n FROM events')}`, {
    headers: { Authorization: `Bearer ${s.adminToken}` },
  })
  return ((await res.json()) as { data: { n: number }[] }).data[0]!.n
}

describe('restarts and re-deploys', () => {
  it('keeps data, the workspace, pipe ids and tokens across a restart', async () => {
    t = await startTestServer({ project, dataDir })
    expect(t.srv.firstStart).toBe(true)
    const before = {
      ws: t.workspaceId,
      admin: t.adminToken,
      pipeId: t.srv.workspace.pipe('top_airlines')!.id,
      rows: await count(t),
    }
    const readToken = t.srv.workspace.tokenValue(
      t.srv.workspace.tokens.find((x) => x.name === 'top_airlines_read_static')!,
    )
    t = await t.restart()
    expect(t.srv.firstStart).toBe(false)
    expect({
      ws: t.workspaceId,
      admin: t.adminToken,
      pipeId: t.srv.workspace.pipe('top_airlines')!.id,
      rows: await count(t),
    }).toEqual(before)
    // fixtures are loaded only into empty data sources: no duplicate rows after a restart
    expect(before.rows).toBe(200)
    expect((await t.fetch(`/v0/pipes/top_airlines.json?token=${readToken}`)).status).toBe(200)
  })

  it('never writes a token in clear to catalog.json', () => {
    const catalog = readFileSync(join(dataDir, 'catalog.json'), 'utf8')
    expect(catalog).not.toContain(t!.adminToken)
    expect(catalog).toContain('"hash"')
  })

  it('refuses to start with another or a malformed secret key, and loses nothing', async () => {
    const before = { admin: t!.adminToken, rows: await count(t!) }
    await t!.srv.close()
    const refusal = (secretKey: string): Promise<unknown> =>
      startTestServer({ project, dataDir, secretKey }).then(
        () => 'started',
        (e: unknown) => e,
      )
    const other = randomBytes(32).toString('base64')
    const mismatch = await refusal(other)
    expect(mismatch).toMatchObject({ code: 'ERR_AUTH_SEALING_KEY_MISMATCH' })
    expect((mismatch as Error).message).not.toContain(other)
    expect(await refusal('too-short')).toMatchObject({ code: 'ERR_AUTH_SEALING_KEY_INVALID' })
    // The data dir's own key still opens everything.
    t = await startTestServer({ project, dataDir })
    expect({ admin: t.adminToken, rows: await count(t) }).toEqual(before)
  })

  it('applies an added column without losing rows', async () => {
    const text = readFileSync(dsFile, 'utf8').replace(
      '`org_id` String `json:$.org_id`',
      "`org_id` String `json:$.org_id`,\n    `seat` String `json:$.seat` DEFAULT 'none'",
    )
    writeFileSync(dsFile, text)
    const report = await t!.srv.reload()
    expect(report.altered).toEqual(['events'])
    expect(await count(t!)).toBe(200)
    const res = await t!.fetch(
      `/v0/sql?q=${encodeURIComponent('SELECT DISTINCT seat FROM events')}`,
      { headers: { Authorization: `Bearer ${t!.adminToken}` } },
    )
    expect(await res.json()).toMatchObject({ data: [{ seat: 'none' }] })
  })

  it('refuses a change that would drop data unless forced', async () => {
    writeFileSync(
      dsFile,
      readFileSync(dsFile, 'utf8').replace('`passport_number` Int32', '`passport_number` Int64'),
    )
    await expect(t!.srv.reload()).rejects.toMatchObject({
      code: 'ERR_DATAFILE_CONFLICT',
      status: 409,
    })
    expect(await count(t!)).toBe(200)
    const forced = await t!.srv.reload({ force: true })
    expect(forced.recreated).toEqual(['events'])
  })
})

describe('local mode', () => {
  it('serves GET /tokens on loopback with the admin token', async () => {
    await t?.close()
    t = await startTestServer({ project, config: { local: true } })
    const res = await t.fetch('/tokens')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({
      admin_token: t.adminToken,
      user_token: t.adminToken,
      workspace_admin_token: t.adminToken,
    })
  })
})
