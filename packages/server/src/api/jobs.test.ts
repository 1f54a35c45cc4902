/** @module Unit tests for who may see a job and which filter values are jobs' kinds and states. */
import { describe, expect, it } from 'vitest'
import type { Principal } from '../auth/principal.js'
import type { Scope } from '../auth/scopes.js'
import { canSeeJob, isJobStatus, type Job } from './jobs.js'

const token = (...scopes: Scope[]): Principal => ({
  kind: 'static',
  tokenId: 't1',
  name: 'x',
  scopes,
})

const job = (over: Partial<Job> = {}): Job => ({
  id: 'j',
  job_id: 'j',
  kind: 'copy',
  status: 'done',
  created_at: '2026-11-23T10:00:00.000Z',
  updated_at: '2026-11-23T10:00:01.000Z',
  job_url: 'http://localhost:7181/v0/jobs/j',
  datasource: { id: 't_ds', name: 'snapshot' },
  pipe: { id: 't_pipe', name: 'daily_copy' },
  ...over,
})

describe('canSeeJob', () => {
  it('shows every job to admins and DATASOURCES:CREATE holders', () => {
    expect(canSeeJob(token({ type: 'ADMIN' }), job())).toBe(true)
    expect(canSeeJob(token({ type: 'DATASOURCES:CREATE' }), job())).toBe(true)
  })

  it('shows a job to a token scoped on its data source or pipe, by name or id', () => {
    for (const s of [
      { type: 'DATASOURCES:APPEND', resource: 'snapshot' },
      { type: 'DATASOURCES:READ', resource: 't_ds' },
      { type: 'PIPES:READ', resource: 'daily_copy' },
      { type: 'PIPES:READ', resource: 't_pipe' },
    ] as const) {
      expect(canSeeJob(token(s), job()), s.resource).toBe(true)
    }
  })

  it('hides it from tokens scoped elsewhere or with no resource', () => {
    expect(canSeeJob(token({ type: 'PIPES:READ', resource: 'top_airlines' }), job())).toBe(false)
    expect(canSeeJob(token({ type: 'PIPES:CREATE' }), job())).toBe(false)
    expect(canSeeJob(token(), job({ pipe: undefined }))).toBe(false)
    // A pipe scope says nothing about a job that has no pipe.
    expect(
      canSeeJob(token({ type: 'PIPES:READ', resource: 'daily_copy' }), job({ pipe: undefined })),
    ).toBe(false)
  })
})

describe('isJobStatus', () => {
  it("accepts Tinybird's four states only", () => {
    expect(['waiting', 'working', 'done', 'error'].every(isJobStatus)).toBe(true)
    expect(['finished', 'DONE', ''].some(isJobStatus)).toBe(false)
  })
})
