/**
 * @module Jobs (`GET /v0/jobs`, `GET /v0/jobs/<id>`): the URL imports, deletes, copies and populates this server
 * runs in the background, shared by every Dunlin process through `tinybird.jobs_log`. Each state change is one
 * row; the process that runs a job also keeps it in memory, so its own answers never wait for the engine.
 * Imports the engine port, the catalog's service names, auth's principal and the template's escaping.
 *
 * @see https://www.tinybird.co/docs/api-reference/jobs-api
 * @see https://www.tinybird.co/docs/monitoring/jobs (`tinybird.jobs_log`)
 */
import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import { serviceTable } from '../catalog/index.js'
import { hasScope, isAdmin, type Principal } from '../auth/principal.js'
import type { Engine } from '../engine/index.js'
import { escapeString } from '../template/index.js'
import { dateTimeValue, RowBatchWriter } from './row-writer.js'

/** What a job does, by Tinybird's `kind`. */
export type JobKind = 'delete_data' | 'import' | 'copy' | 'populateview'

/** Where a job is: Tinybird's four states. */
export type JobStatus = 'waiting' | 'working' | 'done' | 'error'

/** A job as `GET /v0/jobs/<id>` shows it. Times are ISO 8601 strings. */
export interface Job {
  readonly id: string
  readonly job_id: string
  readonly kind: JobKind
  readonly status: JobStatus
  readonly created_at: string
  readonly updated_at: string
  readonly job_url: string
  readonly datasource: { readonly id: string; readonly name: string }
  readonly pipe?: { readonly id: string; readonly name: string }
  readonly delete_condition?: string
  /** The imported URL without credentials or query string (it may hold a presigned signature). */
  readonly url?: string
  readonly rows_affected?: number
  readonly quarantine_rows?: number
  /** The error the client would have seen; never an exception's text. */
  readonly error?: string
}

/** What identifies a new job: its kind, its data source and any kind-specific fields. */
export type JobFields = Pick<Job, 'kind' | 'datasource'> &
  Partial<Pick<Job, 'pipe' | 'url' | 'delete_condition'>>

/** How a job ended. */
export type JobOutcome =
  | { readonly status: 'done'; readonly rows_affected?: number; readonly quarantine_rows?: number }
  | { readonly status: 'error'; readonly error: string }

/** Filters of `GET /v0/jobs` (Tinybird's query parameters); all optional, combined with AND. */
export interface JobFilter {
  /** A Tinybird job kind; one Dunlin never runs (`query`, `sink`) matches nothing. */
  readonly kind?: string
  readonly status?: JobStatus
  readonly pipeId?: string
  readonly pipeName?: string
  /** Jobs created at or after this time, in milliseconds since the epoch. */
  readonly createdAfterMs?: number
  /** Jobs created before this time, in milliseconds since the epoch. */
  readonly createdBeforeMs?: number
}

/** Jobs `GET /v0/jobs` lists at most, newest first (Tinybird). */
export const JOB_LIST_LIMIT = 100
/** How far back `GET /v0/jobs` looks, in hours (Tinybird). */
export const JOB_LIST_HOURS = 48
/** Finished jobs one process keeps in memory; older ones are read from `tinybird.jobs_log`. */
const MAX_FINISHED_IN_MEMORY = 1_000

/** One row of `tinybird.jobs_log`, as written (JSONEachRow). */
interface JobsLogRow {
  job_id: string
  job_type: JobKind
  workspace_id: string
  pipe_id: string
  pipe_name: string
  /** Seconds since the epoch, like `updated_at` and `started_at`. */
  created_at: number
  updated_at: number
  started_at: number
  status: JobStatus
  error: string | null
  job_metadata: string
}

const JOB_STATUSES: ReadonlySet<string> = new Set<JobStatus>([
  'waiting',
  'working',
  'done',
  'error',
])
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** True when `s` is one of Tinybird's job states. */
export function isJobStatus(s: string): s is JobStatus {
  return JOB_STATUSES.has(s)
}

/**
 * True when `principal` may see `job`: an admin, a `DATASOURCES:CREATE` holder, or a token with any scope on the
 * job's data source or pipe (by name or id): whoever could have started it. A job holds a delete condition or
 * an import URL, so a token scoped elsewhere sees nothing of it.
 */
export function canSeeJob(principal: Principal, job: Job): boolean {
  if (isAdmin(principal) || hasScope(principal, 'DATASOURCES:CREATE')) return true
  const names = new Set([job.datasource.id, job.datasource.name])
  if (job.pipe !== undefined) {
    names.add(job.pipe.id)
    names.add(job.pipe.name)
  }
  return principal.scopes.some((s) => s.resource !== undefined && names.has(s.resource))
}

/** The newest row of a job wins; within one second, a finished row beats `working`, which beats `waiting`. */
const ORDER_KEY =
  "toUInt64(toUInt32(updated_at)) * 4 + multiIf(status IN ('done', 'error'), 2, status = 'working', 1, 0)"

/**
 * The jobs of one workspace: started and finished here, recorded in `tinybird.jobs_log` (one row per state
 * change, written at once rather than batched, so another process polling `GET /v0/jobs/<id>` sees the job
 * while it runs), and read back from there for jobs another process runs.
 *
 * A failed write to `jobs_log` is logged and never fails the job; the job is then visible only on its process.
 */
export class JobRegistry extends RowBatchWriter<JobsLogRow> {
  private readonly local = new Map<string, Job>()
  private readonly finished: string[] = []
  private readonly workspaceId: string
  private readonly publicUrl: () => string

  /**
   * @param database - The workspace database, where `tinybird__jobs_log` lives.
   * @param workspaceId - Tinybird's `workspace_id` column.
   * @param publicUrl - The server's base URL for `job_url`, read when a job starts (it may be known only once
   *   the port is bound).
   */
  constructor(
    engine: Engine,
    database: string,
    workspaceId: string,
    publicUrl: () => string,
    log: Logger,
  ) {
    const table = `${database}.${serviceTable('jobs_log')}`
    super(engine, table, log)
    this.workspaceId = workspaceId
    this.publicUrl = publicUrl
  }

  /**
   * Creates a job in the `working` state with a fresh id, keeps it, and records it, so `GET /v0/jobs/<id>` on any
   * process shows it. Resolves once the row is written (or its write failed and was logged).
   */
  async start(fields: JobFields): Promise<Job> {
    const id = randomUUID()
    const at = new Date().toISOString()
    const job: Job = {
      id,
      job_id: id,
      status: 'working',
      created_at: at,
      updated_at: at,
      job_url: `${this.publicUrl()}/v0/jobs/${id}`,
      ...fields,
    }
    this.local.set(id, job)
    await this.write(job)
    return job
  }

  /** Records how `job` ended; returns the job as it now is. Resolves once the row is written or logged as lost. */
  async finish(job: Job, outcome: JobOutcome): Promise<Job> {
    const done: Job = { ...job, ...outcome, updated_at: new Date().toISOString() }
    this.local.set(job.id, done)
    this.finished.push(job.id)
    while (this.finished.length > MAX_FINISHED_IN_MEMORY) {
      const old = this.finished.shift()
      if (old !== undefined) this.local.delete(old)
    }
    await this.write(done)
    return done
  }

  /**
   * The job with this id: this process's own, else the newest state in `tinybird.jobs_log`; undefined when
   * neither knows it (or `id` is not a job id).
   *
   * @throws {ServerError} from the engine when `jobs_log` cannot be read (`ERR_ENGINE_*`).
   */
  async get(id: string): Promise<Job | undefined> {
    const mine = this.local.get(id)
    if (mine !== undefined) return mine
    if (!UUID.test(id)) return undefined
    const r = await this.engine.query(
      `SELECT job_metadata FROM ${this.table} WHERE job_id = ${escapeString(id)} ` +
        `ORDER BY ${ORDER_KEY} DESC LIMIT 1`,
      { format: 'JSONEachRow' },
    )
    const line = r.text().trim()
    if (line === '') return undefined
    return JSON.parse((JSON.parse(line) as { job_metadata: string }).job_metadata) as Job
  }

  /**
   * The newest {@link JOB_LIST_LIMIT} jobs of the last {@link JOB_LIST_HOURS} hours that match `filter`, newest
   * first, each in its latest state. Jobs this process runs are shown as it knows them.
   *
   * @throws {ServerError} from the engine when `jobs_log` cannot be read (`ERR_ENGINE_*`).
   */
  async list(filter: JobFilter = {}): Promise<Job[]> {
    const where = [`created_at >= now() - INTERVAL ${JOB_LIST_HOURS} HOUR`]
    if (filter.kind !== undefined) where.push(`job_type = ${escapeString(filter.kind)}`)
    if (filter.pipeId !== undefined) where.push(`pipe_id = ${escapeString(filter.pipeId)}`)
    if (filter.pipeName !== undefined) where.push(`pipe_name = ${escapeString(filter.pipeName)}`)
    if (filter.createdAfterMs !== undefined)
      where.push(`created_at >= toDateTime(${Math.floor(filter.createdAfterMs / 1000)})`)
    if (filter.createdBeforeMs !== undefined)
      where.push(`created_at < toDateTime(${Math.ceil(filter.createdBeforeMs / 1000)})`)
    const having =
      filter.status === undefined ? '' : ` HAVING latest_status = ${escapeString(filter.status)}`
    const r = await this.engine.query(
      `SELECT job_id, argMax(job_metadata, k) AS job, argMax(status, k) AS latest_status, ` +
        `min(created_at) AS created FROM (SELECT job_id, job_metadata, status, created_at, ${ORDER_KEY} AS k ` +
        `FROM ${this.table} WHERE ${where.join(' AND ')}) GROUP BY job_id${having} ` +
        `ORDER BY created DESC, job_id LIMIT ${JOB_LIST_LIMIT}`,
      { format: 'JSONEachRow' },
    )
    const jobs = r
      .text()
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => {
        const row = JSON.parse(l) as { job_id: string; job: string }
        return this.local.get(row.job_id) ?? (JSON.parse(row.job) as Job)
      })
    // The table's times are whole seconds; the jobs' own are milliseconds.
    return jobs.sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at))
  }

  private async write(job: Job): Promise<void> {
    this.push({
      job_id: job.id,
      job_type: job.kind,
      workspace_id: this.workspaceId,
      pipe_id: job.pipe?.id ?? '',
      pipe_name: job.pipe?.name ?? '',
      created_at: dateTimeValue(Date.parse(job.created_at)),
      updated_at: dateTimeValue(Date.parse(job.updated_at)),
      started_at: dateTimeValue(Date.parse(job.created_at)),
      status: job.status,
      error: job.error ?? null,
      job_metadata: JSON.stringify(job),
    })
    await this.flush()
  }
}
