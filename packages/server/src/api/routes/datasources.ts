/** @module Data Sources API, read side: `GET /v0/datasources[/<name>]`. */
import type { Hono } from 'hono'
import { ServerError } from '../../errors.js'
import { datasourceReadAccess, hasScope, isAdmin, type Principal } from '../../auth/index.js'
import type { DatasourceEntry } from '../../catalog/index.js'
import { escapeString } from '../../template/index.js'
import { authenticate } from '../authn.js'
import type { AppEnv, AppDeps } from '../context.js'

const canRead = (p: Principal, d: DatasourceEntry): boolean =>
  isAdmin(p) ||
  hasScope(p, 'DATASOURCES:CREATE') ||
  datasourceReadAccess(p, { id: d.id, name: d.name }) !== null

async function statistics(
  deps: AppDeps,
  names: readonly string[],
): Promise<Map<string, { rows: number; bytes: number }>> {
  const out = new Map<string, { rows: number; bytes: number }>()
  if (names.length === 0) return out
  const r = await deps.engine.query(
    `SELECT name, toUInt64(coalesce(total_rows, 0)) AS rows, toUInt64(coalesce(total_bytes, 0)) AS bytes FROM system.tables WHERE database = ${escapeString(deps.workspace.database)}`,
    { format: 'JSON' },
  )
  for (const row of (r.json() as { data: { name: string; rows: number; bytes: number }[] }).data) {
    out.set(row.name, { rows: row.rows, bytes: row.bytes })
  }
  return out
}

/** The data source JSON Tinybird returns. */
function datasourceJson(
  d: DatasourceEntry,
  stats: { rows: number; bytes: number } | undefined,
  quarantine: number | undefined,
): Record<string, unknown> {
  const e = d.def.engine
  return {
    id: d.id,
    name: d.name,
    description: d.def.description ?? '',
    type: d.def.columns.some((c) => c.jsonPath !== undefined) ? 'ndjson' : 'csv',
    created_at: d.createdAt,
    updated_at: d.updatedAt,
    tags: d.def.tags,
    engine: {
      engine: e.type,
      ...(e.sortingKey !== undefined ? { engine_sorting_key: e.sortingKey } : {}),
      ...(e.partitionKey !== undefined ? { engine_partition_key: e.partitionKey } : {}),
      ...(e.ttl !== undefined ? { engine_ttl: e.ttl } : {}),
      ...(e.ver !== undefined ? { engine_ver: e.ver } : {}),
    },
    columns: d.def.columns.map((c) => ({
      name: c.name,
      type: c.type,
      nullable: c.type.startsWith('Nullable('),
      jsonpath: c.jsonPath ?? null,
      default_value: c.defaultExpr ?? null,
      codec: c.codec ?? null,
    })),
    statistics: { row_count: stats?.rows ?? 0, bytes: stats?.bytes ?? 0 },
    quarantine_rows: quarantine ?? 0,
  }
}

/** The quarantine data source of `d` (`<ds>_quarantine`): every column as text, plus the error columns. */
function quarantineJson(
  d: DatasourceEntry,
  stats: { rows: number; bytes: number } | undefined,
): Record<string, unknown> {
  const text = (name: string): Record<string, unknown> => ({
    name,
    type: 'Nullable(String)',
    nullable: true,
    jsonpath: null,
    default_value: null,
    codec: null,
  })
  return {
    id: `${d.id}_quarantine`,
    name: `${d.name}_quarantine`,
    description: `Rows of ${d.name} that could not be ingested, with the reason`,
    type: 'quarantine',
    quarantine_of: d.name,
    created_at: d.createdAt,
    updated_at: d.updatedAt,
    tags: [],
    engine: { engine: 'MergeTree', engine_sorting_key: 'insertion_date' },
    columns: [
      ...d.def.columns.map((c) => text(c.name)),
      { ...text('c__error_column'), type: 'Array(String)', nullable: false },
      { ...text('c__error'), type: 'Array(String)', nullable: false },
      text('c__import_id'),
      { ...text('insertion_date'), type: 'DateTime', nullable: false },
      text('c__line'),
    ],
    statistics: { row_count: stats?.rows ?? 0, bytes: stats?.bytes ?? 0 },
  }
}

/** Registers the read routes of the Data Sources API. */
export function datasourceRoutes(app: Hono<AppEnv>): void {
  app.get('/v0/datasources', async (c) => {
    const principal = await authenticate(c, { allowJwt: false })
    const deps = c.get('deps')
    const visible = deps.workspace.datasources.filter((d) => canRead(principal, d))
    const stats = await statistics(
      deps,
      visible.map((d) => d.name),
    )
    return c.json({
      datasources: visible.flatMap((d) => [
        datasourceJson(d, stats.get(d.name), stats.get(`${d.name}_quarantine`)?.rows),
        quarantineJson(d, stats.get(`${d.name}_quarantine`)),
      ]),
    })
  })
  app.get('/v0/datasources/:name', async (c) => {
    const principal = await authenticate(c, { allowJwt: false })
    const deps = c.get('deps')
    const name = c.req.param('name')
    const quarantine = name.endsWith('_quarantine')
    const baseName = quarantine ? name.slice(0, -'_quarantine'.length) : name
    const d = deps.workspace.datasources.find((x) => x.name === baseName || x.id === baseName)
    if (d === undefined)
      throw new ServerError('ERR_REQUEST_NOT_FOUND', `Data Source "${name}" does not exist`)
    if (!canRead(principal, d))
      throw new ServerError('ERR_AUTH_SCOPE_DENIED', `token has no READ scope for ${d.name}`)
    const stats = await statistics(deps, [d.name])
    if (quarantine) return c.json(quarantineJson(d, stats.get(`${d.name}_quarantine`)))
    return c.json(datasourceJson(d, stats.get(d.name), stats.get(`${d.name}_quarantine`)?.rows))
  })
}
