import { describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { startCopyScheduler } from './copy-scheduler.js'
import { DEFAULT_CONFIG } from './context.js'
import type { AppDeps } from './context.js'

// The scheduler reads only the workspace's pipes and the config: a plain object stands in for them.
function depsWith(copySchedules: boolean): AppDeps {
  const pipe = {
    name: 'nightly',
    def: { nodes: [{ name: 'n', type: 'copy', copySchedule: '0 3 * * *', targetDatasource: 't' }] },
  }
  return {
    config: { ...DEFAULT_CONFIG, copySchedules },
    workspace: { pipes: [pipe], pipe: () => pipe },
    log: pino({ level: 'silent' }),
  } as unknown as AppDeps
}

describe('startCopyScheduler', () => {
  it('schedules every COPY_SCHEDULE by default', () => {
    const s = startCopyScheduler(depsWith(true))
    expect([...s.scheduled]).toEqual([['nightly', '0 3 * * *']])
    s.stop()
  })

  it('schedules nothing with copySchedules off (another process runs them)', () => {
    const s = startCopyScheduler(depsWith(false))
    s.reschedule()
    expect(s.scheduled.size).toBe(0)
    s.stop()
  })
})
