/**
 * @module Jobs API: `GET /v0/jobs` (the latest jobs, filtered) and `GET /v0/jobs/<id>` (one job), over every
 * process's jobs (`api/jobs.ts`). Static tokens only; a token sees the jobs of the data sources and pipes it has a
 * scope on.
 *
 * @see https://www.tinybird.co/docs/api-reference/jobs-api
 */
import type { Context, Hono } from 'hono'
import { ServerError } from '../../errors.js'
import { authenticate } from '../authn.js'
import type { AppEnv } from '../context.js'
import { canSeeJob, isJobStatus, type JobFilter } from '../jobs.js'

const KIND = /^[a-z_]{1,64}$/

function badParam(param: string, sentence: string): ServerError {
  return new ServerError('ERR_REQUEST_PARAM', sentence, { details: { param } })
}

/** A `created_after` / `created_before` value (ISO 8601, e.g. `2026-11-23T10:00:00Z`) in milliseconds. */
function timeParam(c: Context<AppEnv>, name: string): number | undefined {
  const raw = c.req.query(name)
  if (raw === undefined || raw === '') return undefined
  const ms = Date.parse(raw)
  // A ClickHouse DateTime holds 1970 to 2106 (UInt32 seconds).
  if (Number.isNaN(ms) || ms < 0 || ms >= 2 ** 32 * 1000)
    throw badParam(
      name,
      `Invalid ${name}: expected an ISO 8601 date-time, e.g. 2026-11-23T10:00:00Z`,
    )
  return ms
}

/**
 * Reads Tinybird's filters. A `kind` Dunlin never runs (Tinybird's `query`, `sink`) matches nothing rather than
 * failing, so scripts written for Tinybird keep working.
 *
 * @throws {ServerError} `ERR_REQUEST_PARAM` (400), `details.param` naming the filter, for a malformed value.
 */
function filterOf(c: Context<AppEnv>): JobFilter {
  const kind = c.req.query('kind')
  const status = c.req.query('status')
  const pipeId = c.req.query('pipe_id')
  const pipeName = c.req.query('pipe_name')
  if (kind !== undefined && kind !== '' && !KIND.test(kind))
    throw badParam('kind', 'Invalid kind: expected a job kind such as import, copy or populateview')
  if (status !== undefined && status !== '' && !isJobStatus(status))
    throw badParam('status', 'Invalid status: expected waiting, working, done or error')
  const createdAfterMs = timeParam(c, 'created_after')
  const createdBeforeMs = timeParam(c, 'created_before')
  return {
    ...(kind ? { kind } : {}),
    ...(status ? { status } : {}),
    ...(pipeId ? { pipeId } : {}),
    ...(pipeName ? { pipeName } : {}),
    ...(createdAfterMs !== undefined ? { createdAfterMs } : {}),
    ...(createdBeforeMs !== undefined ? { createdBeforeMs } : {}),
  }
}

/**
 * Registers the Jobs API.
 *
 * - `GET /v0/jobs[?kind=&status=&pipe_id=&pipe_name=&created_after=&created_before=]`: 200 `{jobs: [...]}`, the
 *   newest 100 of the last 48 hours (`JOB_LIST_LIMIT`, `JOB_LIST_HOURS`), minus those the token may not see.
 * - `GET /v0/jobs/<id>`: 200 with the job, from whichever process ran it; 404 `Job "<id>" does not exist` for an
 *   unknown job or one the token has no scope on.
 *
 * @throws {ServerError} `ERR_AUTH_JWT_NOT_ALLOWED` (403) for a JWT, `ERR_REQUEST_NOT_FOUND` (404),
 *   `ERR_REQUEST_PARAM` (400) for a malformed filter.
 */
export function jobRoutes(app: Hono<AppEnv>): void {
  app.get('/v0/jobs', async (c) => {
    const principal = await authenticate(c, { allowJwt: false })
    const filter = filterOf(c)
    const jobs = await c.get('deps').jobs.list(filter)
    return c.json({ jobs: jobs.filter((j) => canSeeJob(principal, j)) })
  })

  app.get('/v0/jobs/:id', async (c) => {
    const principal = await authenticate(c, { allowJwt: false })
    const id = c.req.param('id')
    const job = await c.get('deps').jobs.get(id)
    if (job === undefined || !canSeeJob(principal, job))
      throw new ServerError('ERR_REQUEST_NOT_FOUND', `Job "${id}" does not exist`)
    return c.json(job)
  })
}
