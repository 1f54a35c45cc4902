/**
 * @module Runs copy pipes on their `COPY_SCHEDULE` (cron, UTC) with croner. `@on-demand` pipes only run through
 * `POST /v0/pipes/<pipe>/copy`. A run that is still going when the next one is due is skipped, not stacked.
 */
import { Cron } from 'croner'
import type { AppDeps } from './context.js'
import { runPipeJob } from './routes/pipe-jobs.js'

/** Started schedules; `reschedule` after a project re-apply, `stop` at shutdown. */
export interface CopyScheduler {
  /** Pipe name → cron pattern currently scheduled. */
  readonly scheduled: ReadonlyMap<string, string>
  reschedule(): void
  stop(): void
}

/**
 * Schedules every copy pipe of the workspace that has a cron `COPY_SCHEDULE`. An invalid pattern is logged and
 * skipped (`dunlin check` reports it too).
 */
export function startCopyScheduler(deps: AppDeps): CopyScheduler {
  const jobs = new Map<string, { pattern: string; cron: Cron }>()
  const scheduled = new Map<string, string>()
  const reschedule = (): void => {
    const wanted = new Map<string, string>()
    for (const p of deps.config.copySchedules ? deps.workspace.pipes : []) {
      const node = p.def.nodes.find((n) => n.type === 'copy')
      const pattern = node?.copySchedule?.trim()
      if (pattern !== undefined && pattern !== '' && !pattern.startsWith('@on-demand'))
        wanted.set(p.name, pattern)
    }
    for (const [name, j] of jobs) {
      if (wanted.get(name) !== j.pattern) {
        j.cron.stop()
        jobs.delete(name)
        scheduled.delete(name)
      }
    }
    for (const [name, pattern] of wanted) {
      if (jobs.has(name)) continue
      try {
        const cron = new Cron(
          pattern,
          { timezone: 'UTC', protect: true, catch: true },
          async () => {
            const pipe = deps.workspace.pipe(name)
            const target = pipe?.def.nodes.find((n) => n.type === 'copy')?.targetDatasource
            if (pipe === undefined || target === undefined) return
            const job = await runPipeJob(deps, 'copy', pipe, target, () =>
              deps.workspace.runCopy(name),
            ).catch(() => undefined)
            if (job !== undefined)
              deps.log.info(
                { pipe: name, rows: job.rows_affected, job: job.id },
                'scheduled copy done',
              )
          },
        )
        jobs.set(name, { pattern, cron })
        scheduled.set(name, pattern)
      } catch (e) {
        deps.log.warn(
          { pipe: name, err: e instanceof Error ? e.message : String(e) },
          'invalid COPY_SCHEDULE; not scheduled',
        )
      }
    }
  }
  reschedule()
  return {
    scheduled,
    reschedule,
    stop: () => {
      for (const j of jobs.values()) j.cron.stop()
      jobs.clear()
      scheduled.clear()
    },
  }
}
