/**
 * @module Pipe jobs: run a copy pipe (`POST /v0/pipes/<pipe>/copy`) and populate a materialized node
 * (`POST /v0/pipes/<pipe>/nodes/<node>/population`). Both answer Tinybird's job JSON; the job has finished when
 * the response is sent, and `GET /v0/jobs/<id>` shows it afterwards.
 */
import type { Context, Hono } from 'hono'
import { ServerError } from '../../errors.js'
import { isAdmin, pipeAccess } from '../../auth/index.js'
import type { PipeEntry } from '../../catalog/index.js'
import { authenticate } from '../authn.js'
import type { AppDeps, AppEnv } from '../context.js'
import { logOperation } from '../ops-log.js'
import { readParams } from '../params.js'
import type { Job } from '../jobs.js'

/**
 * Runs `work` as a job: records it as working, then done or error, and returns it. Also records it in
 * `tinybird.datasources_ops_log` (event type `kind`, on the target data source, with the pipe and job id).
 *
 * @param opts.requestId - The HTTP request that started the job; `''` for scheduled copies. Default `''`.
 */
export async function runPipeJob(
  deps: AppDeps,
  kind: 'copy' | 'populateview',
  pipe: PipeEntry,
  target: string,
  work: () => Promise<{ rows: number }>,
  opts: { requestId?: string } = {},
): Promise<Job> {
  const ds = deps.workspace.datasource(target)
  const job = await deps.jobs.start({
    kind,
    datasource: { id: ds?.id ?? target, name: target },
    pipe: { id: pipe.id, name: pipe.name },
  })
  try {
    const { rows } = await logOperation(
      deps.opsLog,
      {
        eventType: kind,
        datasource: job.datasource,
        requestId: opts.requestId ?? '',
        jobId: job.id,
        pipe: { id: pipe.id, name: pipe.name },
        rows: 0,
        rowsQuarantine: 0,
      },
      work,
      (r) => ({ rows: r.rows }),
    )
    return await deps.jobs.finish(job, { status: 'done', rows_affected: rows })
  } catch (e) {
    deps.log.error({ err: e, pipe: pipe.name, kind }, 'pipe job failed')
    await deps.jobs.finish(job, {
      status: 'error',
      error: e instanceof ServerError ? e.message : 'Internal error',
    })
    throw e
  }
}

const jobJson = (job: Job): Record<string, unknown> => ({
  id: job.id,
  job_id: job.job_id,
  job_url: job.job_url,
  job,
  status: job.status,
})

async function copy(c: Context<AppEnv>): Promise<Response> {
  const deps = c.get('deps')
  const params = await readParams(c)
  const principal = await authenticate(c, { allowJwt: false, bodyToken: params.bodyToken })
  const pipe = deps.workspace.pipe(c.req.param('pipe') ?? '')
  if (pipe === undefined)
    throw new ServerError('ERR_REQUEST_NOT_FOUND', `Pipe '${c.req.param('pipe') ?? ''}' not found`)
  const access = pipeAccess(principal, { id: pipe.id, name: pipe.name })
  if (access === null)
    throw new ServerError('ERR_AUTH_SCOPE_DENIED', `token has no READ scope for ${pipe.name}`)
  const node = pipe.def.nodes.find((n) => n.type === 'copy')
  if (node === undefined)
    throw new ServerError('ERR_REQUEST_NOT_FOUND', `The pipe '${pipe.name}' is not a copy pipe`)
  const args = { ...params.args, ...access.fixedParams }
  const job = await runPipeJob(
    deps,
    'copy',
    pipe,
    node.targetDatasource ?? '',
    () => deps.workspace.runCopy(pipe.name, args),
    { requestId: c.get('requestId') },
  )
  return c.json(jobJson(job))
}

async function population(c: Context<AppEnv>): Promise<Response> {
  const deps = c.get('deps')
  const principal = await authenticate(c, { allowJwt: false })
  if (!isAdmin(principal)) throw new ServerError('ERR_AUTH_SCOPE_DENIED', 'token needs scope admin')
  const pipe = deps.workspace.pipe(c.req.param('pipe') ?? '')
  if (pipe === undefined)
    throw new ServerError('ERR_REQUEST_NOT_FOUND', `Pipe '${c.req.param('pipe') ?? ''}' not found`)
  const nodeName = c.req.param('node') ?? ''
  const node = pipe.def.nodes.find((n) => n.name === nodeName && n.type === 'materialized')
  if (node?.datasource === undefined) {
    throw new ServerError(
      'ERR_REQUEST_NOT_FOUND',
      `Materialized node '${nodeName}' of pipe '${pipe.name}' not found`,
    )
  }
  const job = await runPipeJob(
    deps,
    'populateview',
    pipe,
    node.datasource,
    () => deps.workspace.populate(pipe.name, nodeName),
    { requestId: c.get('requestId') },
  )
  return c.json(jobJson(job))
}

/** Registers the pipe job routes. */
export function pipeJobRoutes(app: Hono<AppEnv>): void {
  app.post('/v0/pipes/:pipe/copy', copy)
  app.post('/v0/pipes/:pipe/nodes/:node/population', population)
}
