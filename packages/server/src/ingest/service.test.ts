import { describe, expect, it } from 'vitest'
import type { Engine } from '../engine/index.js'
import { ServerError } from '../errors.js'
import { IngestService, type FlushReport } from './service.js'
import type { MappedRows } from './row-mapper.js'

/** An engine that records inserts; `fail` makes the next insert into the main table throw. */
function fakeEngine(opts: { fail?: Error } = {}): { engine: Engine; inserts: string[] } {
  const inserts: string[] = []
  const engine = {
    insert: (table: string) => {
      if (opts.fail !== undefined && !table.endsWith('_quarantine'))
        return Promise.reject(opts.fail)
      inserts.push(table)
      return Promise.resolve({ rowsWritten: 0 })
    },
    command: () => Promise.resolve(),
  } as unknown as Engine
  return { engine, inserts }
}

const mapped = (good: number, bad = 0): MappedRows => ({
  good: Array.from({ length: good }, (_, i) => `{"i":${String(i)}}`),
  goodBytes: good * 8,
  quarantine: Array.from({ length: bad }, () => ({
    values: {},
    errorColumns: [],
    errors: ['bad'],
    line: 'x',
  })),
})

describe('IngestService: onFlushed and bufferDepths', () => {
  it('reports one flush per table and API with written and quarantined rows', async () => {
    const reports: FlushReport[] = []
    const { engine } = fakeEngine()
    const svc = new IngestService(engine, {
      flushIntervalMs: 60_000,
      flushBytes: 1 << 30,
      onFlushed: (r) => reports.push(r),
    })
    await svc.append('db', 't', mapped(2, 1), 'i1', { wait: false })
    await svc.append('db', 't', mapped(3), 'i2', { wait: false, api: 'datasources' })
    expect(svc.bufferDepths()).toEqual([{ database: 'db', table: 't', rows: 5, bytes: 42 }])
    await svc.flushAll()
    expect(svc.bufferDepths()).toEqual([{ database: 'db', table: 't', rows: 0, bytes: 0 }])
    expect(reports.map(({ startedMs: _s, elapsedMs: _e, ...r }) => r)).toEqual([
      {
        database: 'db',
        table: 't',
        api: 'events',
        rows: 2,
        quarantinedRows: 1,
        bytes: 16,
        error: undefined,
      },
      {
        database: 'db',
        table: 't',
        api: 'datasources',
        rows: 3,
        quarantinedRows: 0,
        bytes: 24,
        error: undefined,
      },
    ])
  })

  it('reports a failed write with its error and nothing written', async () => {
    const reports: FlushReport[] = []
    const fail = new ServerError('ERR_INTERNAL', 'disk full')
    const svc = new IngestService(fakeEngine({ fail }).engine, {
      flushIntervalMs: 60_000,
      flushBytes: 1 << 30,
      onFlushed: (r) => reports.push(r),
      onError: () => undefined,
    })
    await svc.append('db', 't', mapped(2, 1), 'i1', { wait: false })
    await svc.flushAll()
    expect(reports).toHaveLength(1)
    expect(reports[0]).toMatchObject({ rows: 0, quarantinedRows: 0, error: fail })
  })

  it('forgets the buffer of a dropped table once it is empty', async () => {
    const svc = new IngestService(fakeEngine().engine, {
      flushIntervalMs: 60_000,
      flushBytes: 1 << 30,
    })
    await svc.append('db', 't', mapped(1), 'i1', { wait: true })
    svc.forget('db', 't')
    expect(svc.bufferDepths()).toEqual([])
  })
})
