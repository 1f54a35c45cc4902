/** @module Runs a read and writes its result with the right headers. */
import type { Context } from 'hono'
import type { AppEnv } from './context.js'
import { jsonResultRows } from './pipe-stats.js'

/** Databases user SQL may never name directly: the engine's (read at start) and the well-known ones. */
export function protectedDatabases(c: Context<AppEnv>): string[] {
  const deps = c.get('deps')
  return [
    ...deps.protectedDatabases,
    deps.workspace.database,
    'system',
    'information_schema',
    'INFORMATION_SCHEMA',
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
  deps.metrics.engineSeconds.observe({ kind: 'read' }, result.elapsedSeconds)
  const stats = c.get('stats')
  if (stats !== undefined) {
    stats.readRows = result.rowsRead
    stats.readBytes = result.bytesRead
    stats.resultRows = engineFormat === 'JSON' ? jsonResultRows(result.body) : 0
  }
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
