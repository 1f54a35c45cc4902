/**
 * @module Events API: `POST /v0/events?name=<ds>[&wait=true]`, NDJSON ingest with JSONPath mapping, type
 * checks, quarantine, batching and per-data-source limits. Errors are plain text, as Tinybird's HFI answers
 * them, with `X-Error-Code` set. Also owns the per-app {@link IngestService} the write routes share.
 */
import { randomUUID } from 'node:crypto'
import type { Context, Hono } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { canAppend, hasScope, isAdmin, RateLimiter, type Principal } from '../../auth/index.js'
import type { DatasourceEntry } from '../../catalog/index.js'
import { isValidName, type DatasourceFile } from '../../datafiles/index.js'
import { ServerError } from '../../errors.js'
import {
  ByteBudget,
  compileRowMapper,
  inferDatasource,
  IngestService,
  maybeGunzip,
  readBody,
  splitLines,
  type FlushReport,
  type RowMapper,
} from '../../ingest/index.js'
import { authenticate } from '../authn.js'
import type { AppDeps, AppEnv } from '../context.js'
import { opsLogError } from '../ops-log.js'

interface IngestState {
  readonly service: IngestService
  readonly requests: RateLimiter
  readonly bytes: ByteBudget
  readonly mappers: WeakMap<DatasourceFile, RowMapper>
}

const states = new WeakMap<AppDeps, IngestState>()

/**
 * The ingest state of an app: its {@link IngestService} (created on first use, drained at shutdown),
 * rate limiters and compiled mappers.
 */
export function ingestFor(deps: AppDeps): IngestState {
  let s = states.get(deps)
  if (s === undefined) {
    const service = new IngestService(deps.engine, {
      flushIntervalMs: deps.config.ingest.flushIntervalMs,
      flushBytes: deps.config.ingest.flushBytes,
      onError: (err, table, rows) => {
        deps.log.error({ err, table, rows }, 'ingest flush failed')
      },
      onFlushed: (r) => {
        onFlushed(deps, r)
      },
    })
    deps.metrics.watchIngestBuffers(() =>
      service.bufferDepths().map((d) => ({ datasource: d.table, rows: d.rows, bytes: d.bytes })),
    )
    s = {
      service,
      requests: new RateLimiter(deps.clock),
      bytes: new ByteBudget({ nowMs: () => deps.clock.nowMs() }),
      mappers: new WeakMap(),
    }
    states.set(deps, s)
    // The last flushes record ops log rows: write those too before the engine closes.
    deps.onShutdown(async () => {
      await service.close()
      await deps.opsLog?.flush()
    })
  }
  return s
}

/**
 * Counts what an Events API flush wrote (`dunlin_ingest_*{api="events"}`) and records it in
 * `tinybird.datasources_ops_log` as one `append-hfi` row per flush and data source, as Tinybird's HFI logger does.
 * Data Sources API appends are counted and recorded by their route, once per request.
 *
 * @see tinybird-compat.md §6.2
 */
function onFlushed(deps: AppDeps, r: FlushReport): void {
  if (r.api !== 'events') return
  const labels = { datasource: r.table, api: 'events' }
  deps.metrics.ingestRows.inc(labels, r.rows)
  deps.metrics.ingestQuarantinedRows.inc(labels, r.quarantinedRows)
  deps.opsLog?.record({
    eventType: 'append-hfi',
    datasource: { id: deps.workspace.datasource(r.table)?.id ?? '', name: r.table },
    startedMs: r.startedMs,
    elapsedMs: r.elapsedMs,
    error: r.error === undefined ? undefined : opsLogError(r.error),
    rows: r.rows,
    rowsQuarantine: r.quarantinedRows,
  })
}

/** The compiled row mapper of a data source definition (cached per definition object). */
export function mapperFor(state: IngestState, def: DatasourceFile): RowMapper {
  let m = state.mappers.get(def)
  if (m === undefined) {
    m = compileRowMapper(def.columns)
    state.mappers.set(def, m)
  }
  return m
}

/** A plain-text error answer, Tinybird HFI style, with our `X-Error-Code`. */
function text(
  c: Context<AppEnv>,
  status: ContentfulStatusCode,
  body: string,
  code: string,
): Response {
  c.header('X-Error-Code', code)
  return c.text(body, status)
}

class TextError extends Error {
  readonly status: ContentfulStatusCode
  readonly body: string
  readonly code: string
  readonly headers: Record<string, string>
  constructor(
    status: ContentfulStatusCode,
    body: string,
    code: string,
    headers: Record<string, string> = {},
  ) {
    super(body.trim())
    this.status = status
    this.body = body
    this.code = code
    this.headers = headers
  }
}

const isTrue = (v: string | undefined): boolean => v !== undefined && /^(true|1)$/i.test(v)

/**
 * Registers `POST /v0/events`.
 *
 * Answers 202 `{"successful_rows":N,"quarantined_rows":M}` (200 with `wait=true`, after the rows are written).
 * Errors (plain text): 400 `Missing 'name' parameter`, 403 `Invalid token`, 403 `Invalid token for DS
 * autocreation`, 400 `Data Source must be of type JSON`, 413 (body over `ingest.maxRequestBytes`), 429 `Too many
 * requests` with `Retry-After`, 400 for a corrupt gzip body, 503 while shutting down.
 *
 * @see tinybird-compat.md §4.1, §10 items 11–12
 * @see https://www.tinybird.co/docs/get-data-in/ingest-apis/events-api
 */
export function eventsRoutes(app: Hono<AppEnv>): void {
  app.post('/v0/events', async (c) => {
    try {
      return await handle(c)
    } catch (e) {
      if (e instanceof TextError) {
        for (const [k, v] of Object.entries(e.headers)) c.header(k, v)
        return text(c, e.status, e.body, e.code)
      }
      if (e instanceof ServerError) {
        // The rest of an oversized body is never read: the connection cannot be reused.
        if (e.code === 'ERR_REQUEST_TOO_LARGE') c.header('Connection', 'close')
        if (e.status >= 500)
          c.get('log').error({ err: e.cause ?? e, code: e.code }, 'events failed')
        return text(c, e.status, `${e.message}\n`, e.code)
      }
      c.get('log').error({ err: e }, 'events failed')
      return text(c, 500, 'Unhandled exception\n', 'ERR_INTERNAL')
    }
  })
}

async function handle(c: Context<AppEnv>): Promise<Response> {
  const deps = c.get('deps')
  const cfg = deps.config.ingest
  const name = c.req.query('name')?.trim() ?? ''
  if (name === '') throw new TextError(400, "Missing 'name' parameter\n", 'ERR_REQUEST_PARAM')
  let principal: Principal
  try {
    principal = await authenticate(c, { allowJwt: false })
  } catch (e) {
    throw new TextError(
      403,
      'Invalid token\n',
      e instanceof ServerError ? e.code : 'ERR_AUTH_TOKEN_INVALID',
    )
  }
  const format = c.req.query('format') ?? 'ndjson'
  if (format !== 'ndjson' && format !== 'json') {
    throw new TextError(
      400,
      `Format '${format}' is not supported, use ndjson\n`,
      'ERR_REQUEST_FORMAT',
    )
  }
  const wait = isTrue(c.req.query('wait'))
  const state = ingestFor(deps)
  let ds: DatasourceEntry | undefined = deps.workspace.datasource(name)
  if (ds !== undefined) {
    if (ds.name.endsWith('_quarantine') && ds.name !== ds.def.name) {
      throw new TextError(400, 'Cannot append to a quarantine Data Source\n', 'ERR_REQUEST_PARAM')
    }
    if (!canAppend(principal, ds.name) && !canAppend(principal, ds.id)) {
      throw new TextError(403, 'Invalid token\n', 'ERR_AUTH_SCOPE_DENIED')
    }
    if (!ds.def.columns.some((col) => col.jsonPath !== undefined)) {
      throw new TextError(400, 'Data Source must be of type JSON\n', 'ERR_REQUEST_PARAM')
    }
  } else if (!isAdmin(principal) && !hasScope(principal, 'DATASOURCES:CREATE')) {
    throw new TextError(403, 'Invalid token for DS autocreation\n', 'ERR_AUTH_SCOPE_DENIED')
  } else if (!isValidName(name) || deps.workspace.pipe(name) !== undefined) {
    throw new TextError(400, `Invalid Data Source name "${name}"\n`, 'ERR_REQUEST_PARAM')
  }

  const key = ds?.id ?? name
  const rl = state.requests.check(`events:${key}`, cfg.requestsPerSecond, cfg.requestsPerSecond)
  c.header('X-RateLimit-Limit', String(rl.limit))
  c.header('X-RateLimit-Remaining', String(rl.remaining))
  c.header('X-RateLimit-Reset', String(rl.resetSeconds))
  if (!rl.allowed) {
    throw new TextError(429, 'Too many requests\n', 'ERR_REQUEST_RATE_LIMITED', {
      'Retry-After': String(rl.retryAfterSeconds),
    })
  }

  const raw = await readBody(c.req.raw.body, cfg.maxRequestBytes)
  const body = await maybeGunzip(raw, c.req.header('content-encoding'), cfg.maxRequestBytes)
  const budget = state.bytes.take(
    `events:${key}`,
    body.length,
    cfg.bytesPerSecond,
    cfg.maxRequestBytes,
  )
  if (!budget.allowed) {
    throw new TextError(429, 'Too many requests\n', 'ERR_REQUEST_RATE_LIMITED', {
      'Retry-After': String(budget.retryAfterSeconds),
    })
  }
  const { lines, invalidUtf8 } = splitLines(body)

  if (ds === undefined) {
    const def = inferDatasource(name, lines)
    if (def === undefined) {
      throw new TextError(
        400,
        'Analysis error, invalid data. We could not infer the schema, please create the datasource manually and try again.\n',
        'ERR_REQUEST_BODY',
      )
    }
    const startedMs = Date.now()
    const started = performance.now()
    try {
      ds = await deps.workspace.createDatasource(def)
      deps.opsLog?.record({
        eventType: 'create',
        datasource: { id: ds.id, name: ds.name },
        startedMs,
        elapsedMs: performance.now() - started,
        requestId: c.get('requestId'),
        rows: 0,
        rowsQuarantine: 0,
      })
    } catch (e) {
      // A concurrent request created it first.
      ds = deps.workspace.datasource(name)
      if (ds === undefined) throw e
    }
  }

  const mapped = mapperFor(state, ds.def).mapLines(lines, invalidUtf8)
  const importId = randomUUID()
  const outcome = await state.service.append(deps.workspace.database, ds.name, mapped, importId, {
    wait,
    api: 'events',
  })
  deps.metrics.ingestBytes.inc({ datasource: ds.name, api: 'events' }, body.length)
  return c.json(
    { successful_rows: outcome.successfulRows, quarantined_rows: outcome.quarantinedRows },
    wait ? 200 : 202,
  )
}
