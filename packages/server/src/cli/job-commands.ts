/**
 * @module CLI commands for jobs, over HTTP only: `dunlin job ls [--status] [--kind]` and `dunlin job details <id>`,
 * as Tinybird's `tb job ls` and `tb job details`.
 *
 * @see https://www.tinybird.co/docs/forward/dev-reference/commands/tb-job
 */
import type { Command } from 'commander'
import { Option } from 'commander'
import type { Io } from './commands.js'
import { call, resolveTarget, withTarget } from './http.js'

interface JobRow {
  id: string
  kind: string
  status: string
  created_at: string
  updated_at: string
  datasource?: { name: string }
  pipe?: { name: string }
  rows_affected?: number
  error?: string
}

/** One line per job: id, kind, status, when, what it worked on, rows or error. */
export function jobLine(j: JobRow): string {
  const seconds = (Date.parse(j.updated_at) - Date.parse(j.created_at)) / 1000
  const target = [j.pipe?.name, j.datasource?.name].filter((x) => x !== undefined).join(' → ')
  const outcome =
    j.status === 'error'
      ? (j.error ?? '')
      : j.rows_affected !== undefined
        ? `${String(j.rows_affected)} rows`
        : ''
  return [
    j.id,
    j.kind.padEnd(12),
    j.status.padEnd(7),
    j.created_at.slice(0, 19).replace('T', ' '),
    `${seconds.toFixed(1)} s`.padStart(8),
    target,
    outcome,
  ].join('  ')
}

/** Adds `job ls` and `job details` to `program`. */
export function registerJobCommands(program: Command, io: Io): void {
  const job = program
    .command('job')
    .description('background jobs (imports, copies, populates, deletes)')
  withTarget(
    job
      .command('ls')
      .description('list the jobs of the last 48 hours, newest first (100 at most)')
      .addOption(
        new Option('--status <status>', 'only jobs in this state').choices([
          'waiting',
          'working',
          'done',
          'error',
        ]),
      )
      .option('--kind <kind>', 'only jobs of this kind: import, copy, populateview, delete_data'),
  ).action(async (o: { host?: string; token?: string; status?: string; kind?: string }) => {
    const target = await resolveTarget(o)
    const q = new URLSearchParams()
    if (o.status !== undefined) q.set('status', o.status)
    if (o.kind !== undefined) q.set('kind', o.kind)
    const res = await call(target, `/v0/jobs${q.size > 0 ? `?${q.toString()}` : ''}`)
    const { jobs } = (await res.json()) as { jobs: JobRow[] }
    if (jobs.length === 0) io.out('no jobs')
    for (const j of jobs) io.out(jobLine(j))
  })
  withTarget(
    job
      .command('details')
      .description('one job, as JSON')
      .argument('<job_id>', 'the id a job-starting call answered with'),
  ).action(async (id: string, o: { host?: string; token?: string }) => {
    const target = await resolveTarget(o)
    const res = await call(target, `/v0/jobs/${encodeURIComponent(id)}`)
    io.out(JSON.stringify(await res.json(), null, 2))
  })
}
