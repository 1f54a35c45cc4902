/**
 * Writes jobs into `tinybird.jobs_log` the way another Dunlin process would, so a test can check that this
 * process answers jobs it never ran.
 */
import { randomUUID } from 'node:crypto'
import type { TestServer } from './server.js'

/**
 * Records an `import` job on `datasource` as another process would: one row per state, all in the same second,
 * in the order given (so a test can write the finished row first). Returns the job id.
 */
export async function recordForeignJob(
  t: TestServer,
  datasource: string,
  states: readonly { status: string; rows_affected?: number }[],
): Promise<string> {
  const id = randomUUID()
  const at = new Date().toISOString()
  const seconds = Math.floor(Date.parse(at) / 1000)
  const table = `${t.srv.workspace.database}.tinybird__jobs_log`
  for (const state of states) {
    const job = {
      id,
      job_id: id,
      kind: 'import',
      created_at: at,
      updated_at: at,
      job_url: `http://other-process:7181/v0/jobs/${id}`,
      datasource: {
        id: t.srv.workspace.datasource(datasource)?.id ?? datasource,
        name: datasource,
      },
      url: 'https://example.com/rows.csv',
      ...state,
    }
    const row = {
      job_id: id,
      job_type: 'import',
      workspace_id: t.workspaceId,
      pipe_id: '',
      pipe_name: '',
      created_at: seconds,
      updated_at: seconds,
      started_at: seconds,
      status: state.status,
      error: null,
      job_metadata: JSON.stringify(job),
    }
    await t.srv.engine.insert(table, JSON.stringify(row), 'JSONEachRow')
  }
  return id
}
