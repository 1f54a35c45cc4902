/** @module Runs a read and writes its result with the right headers. */
import type { Context } from 'hono'
import type { AppEnv } from './context.js'

/** Databases user SQL may never name directly. */
export function protectedDatabases(workspaceDb: string): string[] {
  return [
    workspaceDb,
    'system',
    'information_schema',
    'default',
    'tinybird',
    '_temporary_and_external_tables',
  ]
}

/**
 * Runs `sql` read-only with the configured time and size limits and answers with the engine's bytes
 * (ClickHouse's own `JSON` shape for JSON, passed through unchanged).
 *
 * @param settings - Extra engine settings (template `max_threads`, output flags).
 * @throws {ServerError} `ERR_ENGINE_*` from the engine.
 */
export async function respondWithResult(
  c: Context<AppEnv>,
  sql: string,
  engineFormat: string,
  contentType: string,
  settings: Record<string, string | number>,
): Promise<Response> {
  const deps = c.get('deps')
  const result = await deps.engine.query(sql, {
    format: engineFormat,
    timeoutMs: deps.config.limits.queryTimeoutMs,
    maxResultBytes: deps.config.limits.maxResultBytes,
    settings,
  })
  c.header('Content-Type', contentType)
  c.header(
    'X-TB-Statistics',
    JSON.stringify({
      elapsed: result.elapsedSeconds,
      rows_read: result.rowsRead,
      bytes_read: result.bytesRead,
    }),
  )
  return c.body(result.body as Uint8Array<ArrayBuffer>, 200)
}
