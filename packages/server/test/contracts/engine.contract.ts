/**
 * The engine contract: behaviour every `Engine` adapter must have, as users see it through the API. Each
 * adapter's test file calls {@link engineContract}; a skipped case names the missing capability.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Engine } from '../../src/engine/index.js'
import { mergeTreeParts, singleNodeLayout, type TableLayout } from '../../src/catalog/index.js'

interface JsonBody {
  meta: { name: string; type: string }[]
  data: Record<string, unknown>[]
  rows: number
  statistics?: { elapsed: number; rows_read: number; bytes_read: number }
}

/**
 * Registers the contract suite for an adapter. `open` returns a fresh engine; the suite closes it. With a
 * cluster `layout`, the suite's table is a local table per shard behind a `Distributed` one, as Dunlin lays out
 * data sources in cluster mode.
 */
export function engineContract(
  name: string,
  open: () => Promise<Engine>,
  opts: { layout?: TableLayout } = {},
): void {
  describe(`engine contract: ${name}`, () => {
    let engine: Engine
    const db = `contract_${Math.random().toString(36).slice(2, 8)}`
    const layout = opts.layout ?? singleNodeLayout()
    beforeAll(async () => {
      engine = await open()
      for (const sql of [
        ...layout.createDatabase(db),
        ...layout.createTable({
          database: db,
          name: 'events',
          parts: mergeTreeParts(
            ['ts DateTime', 'airline String', 'n UInt64'],
            ['ORDER BY (airline, ts)'],
          ),
        }),
      ])
        await engine.command(sql)
    })
    afterAll(async () => {
      const on = layout.cluster === undefined ? '' : ` ON CLUSTER ${layout.cluster}`
      await engine.command(`DROP DATABASE IF EXISTS ${db}${on}`).catch(() => undefined)
      await engine.close()
      await engine.close() // idempotent
    })

    it('reports its version', () => {
      expect(engine.capabilities.version).toMatch(/^\d+\.\d+/)
    })

    it("answers ClickHouse's JSON shape with 64-bit integers as numbers", async () => {
      const r = await engine.query(
        'SELECT toUInt64(18446744073709551615) AS big, 1 AS one, toString(2) AS two',
      )
      const body = r.json() as JsonBody
      expect(body.meta.map((m) => m.name)).toEqual(['big', 'one', 'two'])
      expect(body.rows).toBe(1)
      expect(body.data[0]).toMatchObject({ one: 1, two: '2' })
      expect(typeof body.data[0]!['big']).toBe('number')
    })

    it('inserts JSONEachRow and CSVWithNames payloads the engine parses', async () => {
      await engine.insert(
        `${db}.events`,
        '{"ts":"2025-01-01 00:00:00","airline":"Fizz","n":1}\n{"ts":"2025-01-01 00:00:01","airline":"Buzz","n":2}\n',
        'JSONEachRow',
      )
      await engine.insert(
        `${db}.events`,
        'ts,airline,n\n2025-01-02 00:00:00,Fizz,3\n',
        'CSVWithNames',
      )
      const r = await engine.query(
        `SELECT airline, sum(n) AS total FROM ${db}.events GROUP BY airline ORDER BY airline`,
      )
      expect((r.json() as JsonBody).data).toEqual([
        { airline: 'Buzz', total: 2 },
        { airline: 'Fizz', total: 4 },
      ])
    })

    it('maps a syntax error to ERR_ENGINE_QUERY_INVALID', async () => {
      await expect(engine.query('SELEC 1')).rejects.toMatchObject({
        code: 'ERR_ENGINE_QUERY_INVALID',
        status: 400,
        details: { engineType: 'SYNTAX_ERROR' },
      })
    })

    it('maps an unknown table to ERR_ENGINE_TABLE_NOT_FOUND', async () => {
      await expect(engine.query(`SELECT * FROM ${db}.nope`)).rejects.toMatchObject({
        code: 'ERR_ENGINE_TABLE_NOT_FOUND',
        status: 404,
      })
    })

    it('stops a query at the time limit with ERR_ENGINE_TIMEOUT', async () => {
      await expect(
        engine.query('SELECT count() FROM system.numbers', { timeoutMs: 300 }),
      ).rejects.toMatchObject({ code: 'ERR_ENGINE_TIMEOUT', status: 408 })
    })

    it('stops a result at the size limit with ERR_ENGINE_RESULT_TOO_LARGE', async () => {
      await expect(
        engine.query('SELECT number FROM system.numbers LIMIT 100000', { maxResultBytes: 1000 }),
      ).rejects.toMatchObject({ code: 'ERR_ENGINE_RESULT_TOO_LARGE' })
    })

    it('runs reads read-only: a table function that reads files is refused', async () => {
      await expect(
        engine.query("SELECT * FROM file('/etc/hostname', 'TSV', 'line String')"),
      ).rejects.toMatchObject({ status: 403 })
    })

    it('keeps a SETTINGS clause inside the statement valid', async () => {
      const r = await engine.query(
        'SELECT number FROM system.numbers LIMIT 3 SETTINGS max_threads = 1',
      )
      expect((r.json() as JsonBody).rows).toBe(3)
    })
  })
}
