import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import type { Engine } from '../engine/index.js'
import { ServerError } from '../errors.js'
import {
  logOperation,
  opsLogError,
  opsLogRow,
  opsLogSourceUrl,
  OpsLogWriter,
  type OpsLogRow,
} from './ops-log.js'

const STARTED_MS = Date.UTC(2025, 5, 1, 10, 0, 0)

describe('opsLogRow', () => {
  it('fills Tinybird columns from an append', () => {
    expect(
      opsLogRow('ws1', {
        eventType: 'append',
        datasource: { id: 't_1', name: 'events' },
        startedMs: STARTED_MS,
        elapsedMs: 250,
        requestId: 'r1',
        importId: 'i1',
        rows: 10,
        rowsQuarantine: 2,
        options: { mode: 'append', format: 'csv' },
      }),
    ).toEqual({
      timestamp: 1_748_772_000, // 2025-06-01 10:00:00 UTC, an instant whatever the server's time zone
      event_type: 'append',
      datasource_id: 't_1',
      datasource_name: 'events',
      user_id: 'ws1',
      user_mail: '',
      result: 'ok',
      elapsed_time: 0.25,
      error: null,
      request_id: 'r1',
      import_id: 'i1',
      job_id: null,
      rows: 10,
      rows_quarantine: 2,
      blocks_ids: [],
      'Options.Names': ['mode', 'format'],
      'Options.Values': ['append', 'csv'],
      operation_id: 'i1',
      read_rows: 0,
      read_bytes: 0,
      written_rows: 10,
      written_bytes: 0,
      written_rows_quarantine: 2,
      written_bytes_quarantine: 0,
      pipe_id: '',
      pipe_name: '',
      release: '',
      cpu_time: 0,
      resource_tags: [],
    } satisfies OpsLogRow)
  })

  it('marks errors, keeps null rows null, and names the pipe of a job', () => {
    const row = opsLogRow('ws1', {
      eventType: 'copy',
      datasource: { id: 't_2', name: 'snap' },
      startedMs: STARTED_MS,
      elapsedMs: 5,
      error: 'boom',
      jobId: 'j1',
      pipe: { id: 'p_1', name: 'daily' },
    })
    expect(row).toMatchObject({
      result: 'error',
      error: 'boom',
      rows: null,
      rows_quarantine: null,
      written_rows: 0,
      job_id: 'j1',
      operation_id: 'j1',
      pipe_id: 'p_1',
      pipe_name: 'daily',
      request_id: '',
    })
  })
})

describe('opsLogError and opsLogSourceUrl', () => {
  it('keeps client-facing messages only', () => {
    expect(opsLogError(new ServerError('ERR_REQUEST_BODY', 'Bad body'))).toBe('Bad body')
    expect(opsLogError(new Error('https://u:secret@host/x failed'))).toBe('Internal error')
    expect(opsLogError(new Error('x'), 'The import failed')).toBe('The import failed')
  })

  it('drops credentials, query and fragment from an import URL', () => {
    expect(
      opsLogSourceUrl(
        new URL('https://u:p@bucket.s3.example.com:8443/d/a.csv?X-Amz-Signature=s#f'),
      ),
    ).toBe('https://bucket.s3.example.com:8443/d/a.csv')
  })
})

describe('logOperation and OpsLogWriter', () => {
  const writer = (): { w: OpsLogWriter; written: string[] } => {
    const written: string[] = []
    const engine = {
      insert: (table: string, body: string) => {
        written.push(table, body)
        return Promise.resolve({ rowsWritten: 1 })
      },
    } as unknown as Engine
    return { w: new OpsLogWriter(engine, 'db', 'ws1', pino({ level: 'silent' })), written }
  }
  const base = {
    eventType: 'truncate',
    datasource: { id: 't_1', name: 'events' },
  } as const

  it('records success with the outcome, and passes the result through', async () => {
    const { w, written } = writer()
    const n = await logOperation(
      w,
      { ...base, rows: 0 },
      () => Promise.resolve(7),
      (r) => ({ rows: r }),
    )
    expect(n).toBe(7)
    await w.flush()
    expect(written[0]).toBe('db.tinybird__datasources_ops_log')
    expect(JSON.parse(written[1] ?? '')).toMatchObject({ result: 'ok', rows: 7, user_id: 'ws1' })
  })

  it('records failure with the error text and rethrows', async () => {
    const { w, written } = writer()
    const err = new ServerError('ERR_REQUEST_PARAM', 'no')
    await expect(logOperation(w, base, () => Promise.reject(err))).rejects.toBe(err)
    await w.flush()
    expect(JSON.parse(written[1] ?? '')).toMatchObject({ result: 'error', error: 'no', rows: null })
  })

  it('runs the work without a writer', async () => {
    expect(await logOperation(undefined, base, () => Promise.resolve('ok'))).toBe('ok')
  })
})
