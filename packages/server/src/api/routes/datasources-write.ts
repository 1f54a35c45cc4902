/**
 * @module Data Sources API, write side: `POST /v0/datasources` (`mode=create|append|replace`), truncate,
 * delete rows, drop and description changes; URL imports and deletes run as jobs (`api/jobs.ts`). Appends go
 * through the same mapping, quarantine and batching as the Events API.
 */
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Context, Hono } from 'hono'
import { canAppend, hasScope, isAdmin, type Principal } from '../../auth/index.js'
import type { DatasourceEntry } from '../../catalog/index.js'
import { parseDatasource, type ColumnDef, type DatasourceFile } from '../../datafiles/index.js'
import { ServerError } from '../../errors.js'
import {
  compileRowMapper,
  maybeGunzip,
  parseCsv,
  readBody,
  splitLines,
  checkImportUrl,
  type MappedRows,
  type RowMapper,
} from '../../ingest/index.js'
import { escapeIdentifier, escapeString } from '../../template/index.js'
import { authenticate } from '../authn.js'
import type { AppDeps, AppEnv } from '../context.js'
import type { Job } from '../jobs.js'
import { logOperation, opsLogSourceUrl } from '../ops-log.js'
import { ingestFor, mapperFor } from './events.js'

/** Largest `url=` import, in bytes (held in memory). */
const MAX_URL_BYTES = 1024 * 1024 * 1024

/** Largest multipart upload, in bytes (Tinybird streams up to 10 GB; Dunlin holds one part in memory). */
const MAX_MULTIPART_BYTES = 512 * 1024 * 1024

const csvMappers = new WeakMap<DatasourceFile, RowMapper>()
function csvMapper(def: DatasourceFile): RowMapper {
  let m = csvMappers.get(def)
  if (m === undefined) {
    m = compileRowMapper(def.columns.map(({ jsonPath: _j, ...c }): ColumnDef => c))
    csvMappers.set(def, m)
  }
  return m
}

const canManage = (p: Principal): boolean => isAdmin(p) || hasScope(p, 'DATASOURCES:CREATE')

/** Query-string parameters, merged over a form-urlencoded body's (Tinybird accepts both). */
async function params(c: Context<AppEnv>): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  const ct = c.req.header('content-type') ?? ''
  if (ct.startsWith('application/x-www-form-urlencoded')) {
    const text = (await readBody(c.req.raw.body, c.get('config').limits.maxBodyBytes)).toString()
    for (const [k, v] of new URLSearchParams(text)) if (!out.has(k)) out.set(k, v)
  }
  for (const [k, v] of new URL(c.req.url).searchParams) out.set(k, v)
  return out
}

function findDs(deps: AppDeps, name: string): DatasourceEntry {
  const ds = deps.workspace.datasource(name)
  if (ds === undefined)
    throw new ServerError('ERR_REQUEST_NOT_FOUND', `Data Source "${name}" does not exist`)
  return ds
}

/** Splits a `schema` parameter at top-level commas (outside parentheses, quotes and backticks). */
function schemaLines(schema: string): string[] {
  const out: string[] = []
  let depth = 0
  let quote = ''
  let start = 0
  for (let i = 0; i < schema.length; i++) {
    const ch = schema[i]
    if (quote !== '') {
      if (ch === quote) quote = ''
    } else if (ch === "'" || ch === '"' || ch === '`') quote = ch
    else if (ch === '(') depth++
    else if (ch === ')') depth--
    else if (ch === ',' && depth === 0) {
      out.push(schema.slice(start, i).trim())
      start = i + 1
    }
  }
  out.push(schema.slice(start).trim())
  return out.filter((l) => l !== '')
}

const ENGINE_PARAMS: readonly [string, string][] = [
  ['engine_sorting_key', 'ENGINE_SORTING_KEY'],
  ['engine_partition_key', 'ENGINE_PARTITION_KEY'],
  ['engine_primary_key', 'ENGINE_PRIMARY_KEY'],
  ['engine_ttl', 'ENGINE_TTL'],
  ['engine_ver', 'ENGINE_VER'],
  ['engine_sign', 'ENGINE_SIGN'],
  ['engine_is_deleted', 'ENGINE_IS_DELETED'],
  ['engine_settings', 'ENGINE_SETTINGS'],
  ['engine_summing_columns', 'ENGINE_SUMMING_COLUMNS'],
]

/** Builds `.datasource` text from the API's `schema`, `engine*` and `description` parameters. */
function datafileFromParams(p: Map<string, string>, schema: string): string {
  const lines: string[] = []
  const description = p.get('description')
  if (description !== undefined && description !== '')
    lines.push('DESCRIPTION >', `    ${description.replace(/\n/g, '\n    ')}`, '')
  lines.push(
    'SCHEMA >',
    schemaLines(schema)
      .map((l) => `    ${l}`)
      .join(',\n'),
    '',
  )
  const engine = p.get('engine')
  if (engine !== undefined && engine !== '') lines.push(`ENGINE "${engine}"`)
  for (const [param, kw] of ENGINE_PARAMS) {
    const v = p.get(param)
    if (v !== undefined && v !== '') lines.push(`${kw} "${v.replaceAll('"', "'")}"`)
  }
  return lines.join('\n') + '\n'
}

/** Reads the data of an append: a multipart part (`csv`, `file`, `ndjson`) or the raw body; gunzipped. */
async function readData(
  c: Context<AppEnv>,
  format: string,
): Promise<{ data: Buffer; format: string }> {
  const cfg = c.get('config')
  const ct = c.req.header('content-type') ?? ''
  if (ct.startsWith('multipart/form-data')) {
    const len = Number(c.req.header('content-length') ?? '0')
    if (len > MAX_MULTIPART_BYTES) {
      throw new ServerError('ERR_REQUEST_TOO_LARGE', 'The multipart upload is too large', {
        details: { maxBytes: MAX_MULTIPART_BYTES },
      })
    }
    const form = await c.req.formData()
    for (const field of ['csv', 'file', 'ndjson', 'parquet']) {
      const part = form.get(field)
      if (part !== null && typeof part !== 'string' && part.size > 0) {
        const raw = Buffer.from(await part.arrayBuffer())
        const f = field === 'ndjson' ? 'ndjson' : field === 'parquet' ? 'parquet' : format
        return { data: await maybeGunzip(raw, undefined, MAX_MULTIPART_BYTES), format: f }
      }
    }
    throw new ServerError(
      'ERR_REQUEST_BODY',
      "Multipart requests require name field to be set to 'file', 'csv' or 'ndjson' and a non-empty file.",
    )
  }
  const raw = await readBodyOrClose(c, cfg.limits.maxBodyBytes)
  return {
    data: await maybeGunzip(raw, c.req.header('content-encoding'), cfg.ingest.maxRequestBytes * 10),
    format,
  }
}

/**
 * Reads the body; past the cap, asks the client to close the connection (the rest of the body is never
 * read, so the connection cannot be reused).
 */
async function readBodyOrClose(c: Context<AppEnv>, maxBytes: number): Promise<Buffer> {
  try {
    return await readBody(c.req.raw.body, maxBytes)
  } catch (e) {
    if (e instanceof ServerError && e.code === 'ERR_REQUEST_TOO_LARGE')
      c.header('Connection', 'close')
    throw e
  }
}

/** Maps CSV text onto a data source: a header row is used when it names the columns. */
function mapCsv(def: DatasourceFile, text: string, delimiter: string): MappedRows {
  const parsed = parseCsv(text, delimiter)
  const names = def.columns.map((col) => col.name)
  let records = parsed.records
  let order = names
  const first = records[0]
  if (first !== undefined && first.length > 0 && first.every((f) => names.includes(f.trim()))) {
    order = first.map((f) => f.trim())
    records = records.slice(1)
  }
  const mapped = csvMapper(def).mapRecords(records, order)
  if (parsed.unterminated !== undefined) {
    mapped.quarantine.push({
      values: {},
      errorColumns: [],
      errors: [
        `unterminated quoted field in the record starting at line ${String(parsed.unterminated.line)}`,
      ],
      line: parsed.unterminated.text.slice(0, 65_536),
    })
  }
  return mapped
}

/** Maps `data` (CSV or NDJSON, already gunzipped) onto `ds` and writes it; resolves after the write. */
async function ingestData(
  deps: AppDeps,
  ds: DatasourceEntry,
  data: Buffer,
  format: string,
  p: Map<string, string>,
  importId: string,
): Promise<{ successfulRows: number; quarantinedRows: number }> {
  const state = ingestFor(deps)
  if (format === 'parquet' || isParquet(data)) return insertParquet(deps, ds, data)
  let mapped: MappedRows
  const { lines, invalidUtf8 } = splitLines(data)
  if (format === 'ndjson') {
    const def = ds.def
    mapped = (
      def.columns.some((col) => col.jsonPath !== undefined) ? mapperFor(state, def) : csvMapper(def)
    ).mapLines(lines, invalidUtf8)
  } else {
    if (invalidUtf8.size > 0) {
      throw new ServerError('ERR_REQUEST_BODY', 'The CSV body is not valid UTF-8', {
        details: { line: Math.min(...invalidUtf8) + 1 },
      })
    }
    const delimiter = p.get('dialect_delimiter') ?? ','
    if (delimiter.length !== 1)
      throw new ServerError('ERR_REQUEST_PARAM', 'dialect_delimiter must be one character')
    mapped = mapCsv(ds.def, lines.join('\n'), delimiter)
  }
  return state.service.append(deps.workspace.database, ds.name, mapped, importId, {
    wait: true,
    api: 'datasources',
  })
}

/** Counts a finished Data Sources API append in `dunlin_ingest_*{api="datasources"}`. */
function countAppend(
  deps: AppDeps,
  ds: DatasourceEntry,
  bytes: number,
  out: { successfulRows: number; quarantinedRows: number },
): void {
  const labels = { datasource: ds.name, api: 'datasources' }
  deps.metrics.ingestBytes.inc(labels, bytes)
  deps.metrics.ingestRows.inc(labels, out.successfulRows)
  deps.metrics.ingestQuarantinedRows.inc(labels, out.quarantinedRows)
}

/** True when `data` has Parquet's `PAR1` magic at both ends. */
function isParquet(data: Buffer): boolean {
  return (
    data.length >= 8 &&
    data.subarray(0, 4).toString('latin1') === 'PAR1' &&
    data.subarray(-4).toString('latin1') === 'PAR1'
  )
}

/**
 * Inserts a Parquet file: the engine reads it from a temp file (`INSERT … SELECT … FROM file(…, Parquet)`),
 * columns matched by name, the rest left to their defaults. The engine does the casting, so a bad file fails
 * as a whole (400) instead of quarantining rows. With a ClickHouse server, which cannot read this machine's
 * files, the embedded file engine reads it and the rows go to the server as TSV (DateTimes as Unix timestamps).
 *
 * @throws {ServerError} `ERR_REQUEST_BODY` (400) when the file is not readable Parquet or shares no column
 *   with the data source; engine errors as mapped.
 */
async function insertParquet(
  deps: AppDeps,
  ds: DatasourceEntry,
  data: Buffer,
): Promise<{ successfulRows: number; quarantinedRows: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'dunlin-parquet-'))
  const file = join(dir, 'data.parquet')
  const reader = deps.fileEngine
  try {
    await writeFile(file, data)
    const src = `file(${escapeString(file)}, 'Parquet')`
    let fileColumns: string[]
    let rows: number
    try {
      // file() needs readonly=0; the path is ours and the statement is a plain read.
      const d = await reader.query(`SELECT * FROM ${src} LIMIT 0`, {
        format: 'JSON',
        readonly: false,
      })
      fileColumns = (d.json() as { meta: { name: string }[] }).meta.map((m) => m.name)
      const n = await reader.query(`SELECT count() AS n FROM ${src}`, {
        format: 'JSONEachRow',
        readonly: false,
      })
      rows = Number((JSON.parse(n.text()) as { n: number | string }).n)
    } catch (e) {
      throw new ServerError('ERR_REQUEST_BODY', 'The body is not a readable Parquet file', {
        cause: e,
      })
    }
    const cols = ds.def.columns.map((c) => c.name).filter((n) => fileColumns.includes(n))
    if (cols.length === 0)
      throw new ServerError(
        'ERR_REQUEST_BODY',
        'The Parquet file has none of the data source columns',
      )
    const list = cols.map((n) => escapeIdentifier(n)).join(', ')
    const table = `${escapeIdentifier(deps.workspace.database)}.${escapeIdentifier(ds.name)}`
    if (reader === deps.engine) {
      await deps.engine.command(`INSERT INTO ${table} (${list}) SELECT ${list} FROM ${src}`)
    } else {
      // Cast on this side to the data source's types, so the server gets values it parses as they are.
      const typed = ds.def.columns
        .filter((c) => cols.includes(c.name))
        .map((c) => `CAST(${escapeIdentifier(c.name)} AS ${c.type}) AS ${escapeIdentifier(c.name)}`)
        .join(', ')
      const tsv = await reader.query(`SELECT ${typed} FROM ${src}`, {
        format: 'TSV',
        readonly: false,
        maxResultBytes: 0,
        timeoutMs: 600_000,
        settings: { date_time_output_format: 'unix_timestamp' },
      })
      await deps.engine.insert(`${deps.workspace.database}.${ds.name}`, tsv.body, 'TSV', {
        columns: cols,
      })
    }
    return { successfulRows: rows, quarantinedRows: 0 }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/**
 * Appends a request body to `ds` and waits for the write; records it in `datasources_ops_log` as `mode`
 * (`append` or `replace`), ok or error.
 */
async function appendData(
  c: Context<AppEnv>,
  ds: DatasourceEntry,
  p: Map<string, string>,
  mode: 'append' | 'replace',
): Promise<Response> {
  const deps = c.get('deps')
  const importId = randomUUID()
  const { outcome } = await logOperation(
    deps.opsLog,
    {
      eventType: mode,
      datasource: { id: ds.id, name: ds.name },
      requestId: c.get('requestId'),
      importId,
      rows: 0,
      rowsQuarantine: 0,
      options: { mode, format: p.get('format') ?? 'csv' },
    },
    async () => {
      const { data, format } = await readData(c, p.get('format') ?? 'csv')
      const fmt = format === 'parquet' || isParquet(data) ? 'parquet' : format
      const out = await ingestData(deps, ds, data, format, p, importId)
      countAppend(deps, ds, data.length, out)
      return { outcome: out, format: fmt }
    },
    (r) => ({
      rows: r.outcome.successfulRows,
      rowsQuarantine: r.outcome.quarantinedRows,
      options: { mode, format: r.format },
    }),
  )
  return c.json({
    id: importId,
    import_id: importId,
    datasource: { id: ds.id, name: ds.name },
    successful_rows: outcome.successfulRows,
    quarantined_rows: outcome.quarantinedRows,
    quarantine_rows: outcome.quarantinedRows,
    invalid_lines: 0,
    error: false,
  })
}

/**
 * Starts an import job from `url` (SSRF-checked, no redirects, at most {@link MAX_URL_BYTES}) and answers the
 * job at once, as Tinybird does; `GET /v0/jobs/<id>` shows its progress.
 */
async function importFromUrl(
  c: Context<AppEnv>,
  ds: DatasourceEntry,
  p: Map<string, string>,
  rawUrl: string,
  mode: 'append' | 'replace',
): Promise<Response> {
  const deps = c.get('deps')
  const url = await checkImportUrl(rawUrl, {
    allowLoopback: deps.config.local,
    allowHosts: deps.config.ingest.allowUrlHosts,
  })
  const job = await deps.jobs.start({
    kind: 'import',
    datasource: { id: ds.id, name: ds.name },
    url: opsLogSourceUrl(url),
  })
  const { id } = job
  const format =
    p.get('format') ?? (/\.(ndjson|jsonl)(\.gz)?$/i.test(url.pathname) ? 'ndjson' : 'csv')
  const requestId = c.get('requestId')
  const run = async (): Promise<void> => {
    try {
      const out = await logOperation(
        deps.opsLog,
        {
          eventType: mode,
          datasource: { id: ds.id, name: ds.name },
          requestId,
          importId: id,
          jobId: id,
          rows: 0,
          rowsQuarantine: 0,
          options: { mode, format, source: opsLogSourceUrl(url) },
        },
        async () => {
          const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(600_000) })
          if (res.status >= 300 && res.status < 400)
            throw new ServerError('ERR_REQUEST_PARAM', 'Invalid url: redirects are not followed')
          if (!res.ok)
            throw new ServerError('ERR_REQUEST_PARAM', `The url answered ${String(res.status)}`)
          const raw = await readBody(res.body, MAX_URL_BYTES)
          const data = await maybeGunzip(
            raw,
            res.headers.get('content-encoding') ?? undefined,
            MAX_URL_BYTES,
          )
          const ingested = await ingestData(deps, ds, data, format, p, id)
          countAppend(deps, ds, data.length, ingested)
          return ingested
        },
        (o) => ({ rows: o.successfulRows, rowsQuarantine: o.quarantinedRows }),
        'The import failed',
      )
      await deps.jobs.finish(job, {
        status: 'done',
        rows_affected: out.successfulRows,
        quarantine_rows: out.quarantinedRows,
      })
    } catch (e) {
      if (!(e instanceof ServerError)) deps.log.error({ err: e, job: id }, 'url import failed')
      await deps.jobs.finish(job, {
        status: 'error',
        error: e instanceof ServerError ? e.message : 'The import failed',
      })
    }
  }
  void run()
  return c.json({
    id,
    job_id: id,
    job_url: job.job_url,
    job: { ...job },
    status: 'waiting',
    import_id: id,
  })
}

function dsSummary(d: DatasourceEntry): Record<string, unknown> {
  return {
    id: d.id,
    name: d.name,
    type: d.def.columns.some((col) => col.jsonPath !== undefined) ? 'ndjson' : 'csv',
    description: d.def.description ?? '',
    columns: d.def.columns.map((col) => ({
      name: col.name,
      type: col.type,
      jsonpath: col.jsonPath ?? null,
      default_value: col.defaultExpr ?? null,
    })),
    created_at: d.createdAt,
    updated_at: d.updatedAt,
  }
}

/**
 * Registers the write routes of the Data Sources API.
 *
 * - `POST /v0/datasources?mode=create&name=&schema=` (or a `.datasource` body): 200 `{datasource}`.
 *   Needs `DATASOURCES:CREATE` or admin; 400 `Data Source "<n>" already exists, use mode=append`.
 * - `POST /v0/datasources?mode=append|replace&name=&format=csv|ndjson` with the data as body or multipart
 *   (`csv`/`file`/`ndjson`): 200 `{successful_rows, quarantined_rows, import_id, datasource}`; replace
 *   needs CREATE and empties the table first.
 * - `POST /v0/datasources/<name>/truncate`: 205 empty (also `<ds>_quarantine`).
 * - `POST /v0/datasources/<name>/delete?delete_condition=…[&dry_run=true]`: 200 `{rows_to_be_deleted}` or
 *   201 with a finished `delete_data` job.
 * - `DELETE /v0/datasources/<name>`: 204; `DATASOURCES:DROP:<name>` or admin.
 * - `PUT /v0/datasources/<name>?description=`: 200 `{datasource}`.
 *
 * @throws {ServerError} `ERR_AUTH_SCOPE_DENIED` (403), `ERR_REQUEST_NOT_FOUND` (404), `ERR_REQUEST_PARAM`
 *   (400), `ERR_REQUEST_CONFLICT` (409), `ERR_REQUEST_TOO_LARGE` (413), `ERR_ENGINE_QUERY_INVALID` (400) for
 *   a bad delete condition.
 * @see tinybird-compat.md §4.3, §10 item 14
 * @see https://www.tinybird.co/docs/api-reference/datasource-api
 */
export function datasourceWriteRoutes(app: Hono<AppEnv>): void {
  app.post('/v0/datasources', async (c) => {
    const principal = await authenticate(c, { allowJwt: false })
    const deps = c.get('deps')
    const p = await params(c)
    const mode = p.get('mode') ?? 'create'
    const format = p.get('format') ?? 'csv'
    if (!['csv', 'ndjson', 'parquet'].includes(format))
      throw new ServerError('ERR_REQUEST_PARAM', `Invalid format ${format}.`)
    const name = p.get('name') ?? ''
    if (mode === 'create') {
      if (!canManage(principal)) {
        throw new ServerError(
          'ERR_AUTH_SCOPE_DENIED',
          'Token does not have DATASOURCES:CREATE scope, create mode requires the DATASOURCES:CREATE scope',
        )
      }
      const schema = p.get('schema')
      let text: string
      if (schema !== undefined && schema.trim() !== '') text = datafileFromParams(p, schema)
      else {
        text = (await readBody(c.req.raw.body, deps.config.limits.maxBodyBytes)).toString('utf8')
        if (!/^\s*(DESCRIPTION|SCHEMA|VERSION|TOKEN|TAGS)\b/m.test(text)) {
          throw new ServerError(
            'ERR_REQUEST_PARAM',
            format === 'csv'
              ? "mode=create needs a 'schema' parameter or a .datasource body"
              : `mode=create with format=${format} requires to set parameter 'schema'.`,
          )
        }
      }
      if (name === '')
        throw new ServerError('ERR_REQUEST_PARAM', "The 'name' parameter is required")
      const def = parseDatasource(text, `${name}.datasource`)
      if (deps.workspace.datasource(name) !== undefined) {
        throw new ServerError(
          'ERR_REQUEST_PARAM',
          `Data Source "${name}" already exists, use mode=append`,
        )
      }
      const entry = await logOperation(
        deps.opsLog,
        {
          eventType: 'create',
          datasource: { id: '', name },
          requestId: c.get('requestId'),
          rows: 0,
          rowsQuarantine: 0,
        },
        () => deps.workspace.createDatasource(def),
        (e) => ({ datasource: { id: e.id, name: e.name } }),
      )
      return c.json({ datasource: dsSummary(entry) })
    }
    if (mode !== 'append' && mode !== 'replace')
      throw new ServerError(
        'ERR_REQUEST_PARAM',
        `Invalid mode ${mode}; use create, append or replace`,
      )
    const ds = deps.workspace.datasource(name)
    if (ds === undefined || ds.name !== ds.def.name) {
      if (!canManage(principal)) {
        throw new ServerError(
          'ERR_AUTH_SCOPE_DENIED',
          "You must provide a Data Source name when appending (and you don't have CREATE scope)",
        )
      }
      throw new ServerError(
        'ERR_REQUEST_NOT_FOUND',
        format === 'csv'
          ? `Data Source "${name}" does not exist; create it first with mode=create`
          : "NDJSON/Parquet Data Sources must be created first with 'mode=create' and including `jsonpath` in the schema in the form: `column_name` type `json:$.<jsonpath>`.",
      )
    }
    if (mode === 'replace') {
      if (!canManage(principal)) {
        throw new ServerError(
          'ERR_AUTH_SCOPE_DENIED',
          'Token does not have DATASOURCES:CREATE scope, replace mode requires the DATASOURCES:CREATE scope because is a destructive action',
        )
      }
      await ingestFor(deps).service.flushAll()
      await deps.workspace.truncateDatasource(ds.name)
    } else if (!canAppend(principal, ds.name) && !canAppend(principal, ds.id)) {
      throw new ServerError(
        'ERR_AUTH_SCOPE_DENIED',
        `Token does not have DATASOURCES:APPEND scope for Data Source "${ds.name}"`,
      )
    }
    const url = p.get('url')
    if (url !== undefined && url !== '') return importFromUrl(c, ds, p, url, mode)
    return appendData(c, ds, p, mode)
  })

  app.post('/v0/datasources/:name/truncate', async (c) => {
    const principal = await authenticate(c, { allowJwt: false })
    const deps = c.get('deps')
    const ds = findDs(deps, c.req.param('name'))
    if (!canManage(principal))
      throw new ServerError('ERR_AUTH_SCOPE_DENIED', 'token needs scope DATASOURCES:CREATE')
    await logOperation(
      deps.opsLog,
      {
        eventType: 'truncate',
        datasource: { id: ds.id, name: ds.name },
        requestId: c.get('requestId'),
      },
      async () => {
        await ingestFor(deps).service.flushAll()
        await deps.workspace.truncateDatasource(ds.name)
      },
    )
    return c.body(null, 205)
  })

  app.post('/v0/datasources/:name/delete', async (c) => {
    const principal = await authenticate(c, { allowJwt: false })
    const deps = c.get('deps')
    const ds = findDs(deps, c.req.param('name'))
    if (!canManage(principal))
      throw new ServerError('ERR_AUTH_SCOPE_DENIED', 'token needs scope DATASOURCES:CREATE')
    const p = await params(c)
    const cond = p.get('delete_condition')?.trim() ?? ''
    if (cond === '')
      throw new ServerError(
        'ERR_REQUEST_PARAM',
        "The delete_condition='delete_statement' is mandatory",
      )
    const table = `${escapeIdentifier(deps.workspace.database)}.${escapeIdentifier(ds.name)}`
    // A read-only count validates the condition (one expression, no DDL) before anything is deleted.
    const r = await deps.engine.query(`SELECT count() AS n FROM ${table} WHERE (${cond})`, {
      format: 'JSONEachRow',
    })
    const n = Number((JSON.parse(r.text()) as { n: number | string }).n)
    if (/^(true|1)$/i.test(p.get('dry_run') ?? '')) return c.json({ rows_to_be_deleted: n })
    await ingestFor(deps).service.flushAll()
    const started = await deps.jobs.start({
      kind: 'delete_data',
      datasource: { id: ds.id, name: ds.name },
      delete_condition: cond,
    })
    const { id } = started
    let job: Job
    try {
      await logOperation(
        deps.opsLog,
        {
          eventType: 'delete_data',
          datasource: { id: ds.id, name: ds.name },
          requestId: c.get('requestId'),
          jobId: id,
          rows: 0,
          rowsQuarantine: 0,
        },
        () => deps.workspace.deleteRows(ds.name, cond),
        () => ({ rows: n }),
      )
      job = await deps.jobs.finish(started, { status: 'done', rows_affected: n })
    } catch (e) {
      await deps.jobs.finish(started, {
        status: 'error',
        error: e instanceof ServerError ? e.message : 'Internal error',
      })
      throw e
    }
    return c.json({ ...job, job: { ...job }, delete_id: id }, 201)
  })

  app.delete('/v0/datasources/:name', async (c) => {
    const principal = await authenticate(c, { allowJwt: false })
    const deps = c.get('deps')
    const name = c.req.param('name')
    const ds = deps.workspace.datasources.find((d) => d.name === name || d.id === name)
    if (ds === undefined)
      throw new ServerError('ERR_REQUEST_NOT_FOUND', `Data Source "${name}" does not exist`)
    const allowed =
      isAdmin(principal) ||
      principal.scopes.some(
        (s) => s.type === 'DATASOURCES:DROP' && (s.resource === ds.name || s.resource === ds.id),
      )
    if (!allowed) {
      throw new ServerError(
        'ERR_AUTH_SCOPE_DENIED',
        `User does not have permissions to drop Data Source "${ds.name}", set DROP scope`,
      )
    }
    const state = ingestFor(deps)
    await logOperation(
      deps.opsLog,
      {
        eventType: 'delete',
        datasource: { id: ds.id, name: ds.name },
        requestId: c.get('requestId'),
      },
      async () => {
        await state.service.flushAll()
        await deps.workspace.dropDatasource(ds.name)
      },
    )
    state.service.forget(deps.workspace.database, ds.name)
    return c.body(null, 204)
  })

  app.put('/v0/datasources/:name', async (c) => {
    const principal = await authenticate(c, { allowJwt: false })
    const deps = c.get('deps')
    const name = c.req.param('name')
    const ds = deps.workspace.datasources.find((d) => d.name === name || d.id === name)
    if (ds === undefined)
      throw new ServerError('ERR_REQUEST_NOT_FOUND', `Data Source "${name}" does not exist`)
    if (!canManage(principal))
      throw new ServerError('ERR_AUTH_SCOPE_DENIED', 'token needs scope DATASOURCES:CREATE')
    const p = await params(c)
    const description = p.get('description')
    if (description === undefined)
      throw new ServerError('ERR_REQUEST_PARAM', "Nothing to change: pass 'description'")
    const entry = await deps.workspace.updateDatasourceDef(ds.name, { ...ds.def, description })
    return c.json({ datasource: dsSummary(entry) })
  })
}
