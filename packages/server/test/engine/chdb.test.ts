import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  openChdbEngine,
  parseEngineError,
  scrubEngineText,
  type Engine,
} from '../../src/engine/index.js'

const dir = mkdtempSync(join(tmpdir(), 'dunlin-engine-'))
let engine: Engine
beforeAll(async () => {
  engine = await openChdbEngine({ dataDir: dir, hide: ['secret_db'] })
})
afterAll(async () => {
  await engine.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('chdb engine', () => {
  it('parses a real ClickHouse exception into code and type', async () => {
    const err = await engine.query('SELEC 1').catch((e: unknown) => e)
    expect(err).toMatchObject({
      code: 'ERR_ENGINE_QUERY_INVALID',
      status: 400,
      details: { engineCode: 62, engineType: 'SYNTAX_ERROR' },
    })
  })
  it('maps an unknown table to ERR_ENGINE_TABLE_NOT_FOUND and hides internal names', async () => {
    await engine.command('CREATE DATABASE IF NOT EXISTS secret_db')
    const err = await engine.query('SELECT * FROM secret_db.nope').catch((e: unknown) => e)
    expect(err).toMatchObject({
      code: 'ERR_ENGINE_TABLE_NOT_FOUND',
      status: 404,
      details: { engineType: 'UNKNOWN_TABLE' },
    })
    expect((err as Error).message).not.toContain('secret_db')
  })
  it('enforces the time limit with TIMEOUT_EXCEEDED → 408', async () => {
    const err = await engine
      .query('SELECT sleepEachRow(1) FROM numbers(3)', { timeoutMs: 200 })
      .catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'ERR_ENGINE_TIMEOUT', status: 408 })
  })
  it('enforces the result size limit', async () => {
    const err = await engine
      .query('SELECT number FROM numbers(100000)', { maxResultBytes: 1000 })
      .catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'ERR_ENGINE_RESULT_TOO_LARGE', status: 400 })
  })
  it('runs reads read-only', async () => {
    const err = await engine
      .query("SELECT * FROM file('/etc/hostname', 'LineAsString')")
      .catch((e: unknown) => e)
    expect(err).toMatchObject({
      code: 'ERR_AUTH_SCOPE_DENIED',
      details: { engineType: 'READONLY' },
    })
  })
  it('keeps the event loop free during a query', async () => {
    let ticks = 0
    const timer = setInterval(() => ticks++, 10)
    await engine.query('SELECT count() FROM numbers(40000000) WHERE sipHash64(number) % 7 = 1', {
      timeoutMs: 30_000,
    })
    clearInterval(timer)
    expect(ticks).toBeGreaterThan(3)
  })
  it('returns 64-bit integers as JSON numbers', async () => {
    const r = await engine.query('SELECT toUInt64(1) AS x')
    expect((r.json() as { data: { x: unknown }[] }).data[0]!.x).toBe(1)
  })
})

describe('parseEngineError()', () => {
  it.each([
    [
      'Code: 60. DB::Exception: Unknown table expression identifier x. (UNKNOWN_TABLE)',
      60,
      'UNKNOWN_TABLE',
    ],
    [
      'Code: 62, e.displayText() = DB::Exception: Syntax error: failed at position 1, e.what() = DB::Exception',
      62,
      'SYNTAX_ERROR',
    ],
    ['socket hang up', undefined, undefined],
  ])('%s', (msg, code, type) => {
    expect(parseEngineError(msg)).toMatchObject({ engineCode: code, engineType: type })
  })
})

describe('scrubEngineText()', () => {
  it('drops the composed statement but keeps the explanation and the hint', () => {
    const raw =
      "Unknown expression identifier `nope` in scope SELECT nope FROM (SELECT org_id FROM db.events WHERE org_id = 'org_a'). Maybe you meant: ['org_id']"
    const out = scrubEngineText(raw)
    expect(out).toBe("Unknown expression identifier `nope`. Maybe you meant: ['org_id']")
    expect(out).not.toContain('org_a')
  })
})

describe('time zone', () => {
  it('runs in UTC whatever the host zone is', async () => {
    const r = await engine.query(
      "SELECT timezone() AS tz, toDate(toDateTime('2001-01-01 23:30:00')) AS day",
    )
    expect((r.json() as { data: unknown[] }).data[0]).toEqual({ tz: 'UTC', day: '2001-01-01' })
  })
})

describe('after a failed statement', () => {
  it("does not leak the failed statement's partial output into the next result", async () => {
    await expect(
      engine.query('SELECT number FROM numbers(100000)', { maxResultBytes: 1000 }),
    ).rejects.toMatchObject({ code: 'ERR_ENGINE_RESULT_TOO_LARGE' })
    const r = await engine.query('SELECT 1 AS x')
    expect(r.json()).toMatchObject({ data: [{ x: 1 }], rows: 1 })
  })
  it('keeps concurrent statements apart when one of them fails', async () => {
    const results = await Promise.allSettled([
      engine.query('SELECT number FROM numbers(100000)', { maxResultBytes: 1000 }),
      engine.query('SELECT 2 AS y'),
      engine.query('SELECT 3 AS z'),
    ])
    expect(results[0].status).toBe('rejected')
    expect(
      results
        .slice(1)
        .map((r): unknown => (r.status === 'fulfilled' ? r.value.json() : String(r.reason))),
    ).toMatchObject([{ data: [{ y: 2 }] }, { data: [{ z: 3 }] }])
  })
})
