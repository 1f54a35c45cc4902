/**
 * @module Chart routes: Tinybird's chart definitions (`/v0/pipes/<pipe>/endpoint/charts[/<id>]`), the
 * embeddable page (`/endpoints/<pipe>/charts/<id>`) and its static assets (`/charts/assets/<file>`).
 */
import { randomUUID } from 'node:crypto'
import type { Context, Hono } from 'hono'
import { isAdmin, pipeAccess, type Principal } from '../../auth/index.js'
import { endpointNode, type ChartEntry, type PipeEntry } from '../../catalog/index.js'
import {
  CHART_PAGE_HEADERS,
  chartAssets,
  parseWireSpec,
  readStoredSpec,
  renderChartPage,
  specToWire,
  type ChartSpec,
} from '../../charts/index.js'
import { ServerError } from '../../errors.js'
import { authenticate, requireAdmin } from '../authn.js'
import type { AppEnv } from '../context.js'

const DENIED = "The token you have provided doesn't have access to this resource"

/** The pipe with an endpoint, or 404. */
function endpointPipe(c: Context<AppEnv>, name: string): PipeEntry {
  const pipe = c.get('deps').workspace.pipe(name)
  if (pipe === undefined)
    throw new ServerError('ERR_REQUEST_NOT_FOUND', `The pipe '${name}' does not exist`)
  if (endpointNode(pipe) === undefined) {
    throw new ServerError(
      'ERR_REQUEST_NOT_FOUND',
      `The pipe '${pipe.name}' does not have an endpoint yet`,
    )
  }
  return pipe
}

const mayRead = (p: Principal, pipe: PipeEntry): boolean =>
  isAdmin(p) || pipeAccess(p, { id: pipe.id, name: pipe.name }) !== null

function findChart(c: Context<AppEnv>, pipe: PipeEntry, id: string): ChartEntry {
  const chart = c.get('deps').workspace.charts.find((x) => x.id === id && x.pipe === pipe.name)
  if (chart === undefined) {
    throw new ServerError('ERR_REQUEST_NOT_FOUND', `Chart '${id}' not found in pipe '${pipe.name}'`)
  }
  return chart
}

/** The wire spec of a stored chart (camelCase → snake_case). */
function wireSpec(chart: ChartEntry): Record<string, unknown> {
  const spec = readStoredSpec(chart.spec)
  if (spec === undefined) {
    throw new ServerError(
      'ERR_INTERNAL',
      `Chart '${chart.id}' has a definition this server cannot read`,
    )
  }
  return specToWire(spec)
}

/** A chart as the API returns it: its wire spec plus id, pipe, origin, times and the embed URL. */
function chartJson(chart: ChartEntry, pipe: PipeEntry, publicUrl: string): Record<string, unknown> {
  return {
    id: chart.id,
    pipe_id: pipe.id,
    pipe: pipe.name,
    ...wireSpec(chart),
    origin: chart.origin,
    url: `${publicUrl}/endpoints/${encodeURIComponent(pipe.name)}/charts/${chart.id}`,
    created_at: chart.createdAt,
    updated_at: chart.updatedAt,
  }
}

/** The JSON object body of a request, or 400. */
async function jsonBody(c: Context<AppEnv>): Promise<Record<string, unknown>> {
  const max = c.get('config').limits.maxBodyBytes
  const raw = await c.req.text()
  if (Buffer.byteLength(raw) > max)
    throw new ServerError('ERR_REQUEST_TOO_LARGE', `The request body is larger than ${max} bytes`)
  let body: unknown
  try {
    body = JSON.parse(raw)
  } catch {
    throw new ServerError('ERR_REQUEST_BODY', 'The body must be a JSON object')
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new ServerError('ERR_REQUEST_BODY', 'The body must be a JSON object')
  return body as Record<string, unknown>
}

/** Fields the API returns but a client may not set. */
const READ_ONLY = ['id', 'pipe_id', 'pipe', 'origin', 'url', 'created_at', 'updated_at']

function validate(wire: Record<string, unknown>): ChartSpec {
  const clean = Object.fromEntries(Object.entries(wire).filter(([k]) => !READ_ONLY.includes(k)))
  const r = parseWireSpec(clean)
  if (!r.ok) {
    throw new ServerError(
      'ERR_REQUEST_BODY',
      `Invalid chart: ${r.problems.map((p) => p.message).join('; ')}`,
      { details: { problems: r.problems } },
    )
  }
  return r.spec
}

function refuseDatafileChart(chart: ChartEntry): void {
  if (chart.origin === 'datafile') {
    throw new ServerError(
      'ERR_REQUEST_CONFLICT',
      `Chart '${chart.id}' is defined in a .chart datafile; change the file instead`,
    )
  }
}

function assertUniqueName(c: Context<AppEnv>, pipe: PipeEntry, name: string, id: string): void {
  const clash = c
    .get('deps')
    .workspace.charts.find(
      (x) => x.pipe === pipe.name && x.id !== id && readStoredSpec(x.spec)?.name === name,
    )
  if (clash !== undefined) {
    throw new ServerError(
      'ERR_REQUEST_CONFLICT',
      `Pipe '${pipe.name}' already has a chart named '${name}'`,
    )
  }
}

/** `?theme=dark|light` (default light). */
const themeOf = (c: Context<AppEnv>): 'light' | 'dark' =>
  c.req.query('theme') === 'dark' ? 'dark' : 'light'

/**
 * The embeddable page. Refusals (bad token, no access, unknown chart) render the same page with the
 * message visible and the error's status, so the iframe is never blank and can renew its token.
 */
async function chartPage(c: Context<AppEnv>): Promise<Response> {
  const deps = c.get('deps')
  const pipeName = c.req.param('pipe') ?? ''
  const id = c.req.param('id') ?? ''
  let spec: Record<string, unknown> | undefined
  let error: { error: string; code: string } | undefined
  let status: 200 | 401 | 403 | 404 | 500 = 200
  try {
    const principal = await authenticate(c, { allowJwt: true })
    const pipe = endpointPipe(c, pipeName)
    if (!mayRead(principal, pipe)) throw new ServerError('ERR_AUTH_SCOPE_DENIED', DENIED)
    spec = wireSpec(findChart(c, pipe, id))
  } catch (e) {
    if (!(e instanceof ServerError)) throw e
    error = { error: e.message, code: e.code }
    const tokenLevel = e.code.startsWith('ERR_AUTH_TOKEN_')
    status =
      deps.config.auth.failureStatus === 401 && tokenLevel
        ? 401
        : e.status === 401 || e.status === 403 || e.status === 404
          ? e.status
          : 500
    c.header('X-Error-Code', e.code)
  }
  for (const [k, v] of Object.entries(CHART_PAGE_HEADERS)) c.header(k, v)
  return c.html(
    renderChartPage({ pipe: pipeName, chartId: id, spec, error, theme: themeOf(c) }),
    status,
  )
}

/** Registers the chart routes (before the pipe routes: `/v0/pipes/:pipe` would shadow them). */
export function chartRoutes(app: Hono<AppEnv>): void {
  const base = '/v0/pipes/:pipe/endpoint/charts'

  app.get(base, async (c) => {
    const principal = await authenticate(c, { allowJwt: true })
    const pipe = endpointPipe(c, c.req.param('pipe'))
    if (!mayRead(principal, pipe)) throw new ServerError('ERR_AUTH_SCOPE_DENIED', DENIED)
    const deps = c.get('deps')
    const charts = deps.workspace.charts
      .filter((x) => x.pipe === pipe.name)
      .map((x) => chartJson(x, pipe, deps.publicUrl))
    return c.json({ charts })
  })

  app.get(`${base}/:id`, async (c) => {
    const principal = await authenticate(c, { allowJwt: true })
    const pipe = endpointPipe(c, c.req.param('pipe'))
    if (!mayRead(principal, pipe)) throw new ServerError('ERR_AUTH_SCOPE_DENIED', DENIED)
    return c.json(chartJson(findChart(c, pipe, c.req.param('id')), pipe, c.get('deps').publicUrl))
  })

  app.post(base, async (c) => {
    requireAdmin(await authenticate(c, { allowJwt: false }))
    const pipe = endpointPipe(c, c.req.param('pipe'))
    const body = await jsonBody(c)
    const id = randomUUID()
    const spec = validate({ name: `chart_${id.slice(0, 8)}`, ...body })
    assertUniqueName(c, pipe, spec.name, id)
    const now = new Date().toISOString()
    const chart: ChartEntry = {
      id,
      pipe: pipe.name,
      origin: 'api',
      spec,
      createdAt: now,
      updatedAt: now,
    }
    const deps = c.get('deps')
    await deps.workspace.upsertChart(chart)
    return c.json(chartJson(chart, pipe, deps.publicUrl), 201)
  })

  app.put(`${base}/:id`, async (c) => {
    requireAdmin(await authenticate(c, { allowJwt: false }))
    const pipe = endpointPipe(c, c.req.param('pipe'))
    const existing = findChart(c, pipe, c.req.param('id'))
    refuseDatafileChart(existing)
    const body = await jsonBody(c)
    const spec = validate({ ...wireSpec(existing), ...body })
    assertUniqueName(c, pipe, spec.name, existing.id)
    const chart: ChartEntry = { ...existing, spec, updatedAt: new Date().toISOString() }
    const deps = c.get('deps')
    await deps.workspace.upsertChart(chart)
    return c.json(chartJson(chart, pipe, deps.publicUrl))
  })

  app.delete(`${base}/:id`, async (c) => {
    requireAdmin(await authenticate(c, { allowJwt: false }))
    const pipe = endpointPipe(c, c.req.param('pipe'))
    const existing = findChart(c, pipe, c.req.param('id'))
    refuseDatafileChart(existing)
    await c.get('deps').workspace.deleteChart(existing.id)
    return c.body(null, 204)
  })

  app.get('/endpoints/:pipe/charts/:id', chartPage)

  app.get('/charts/assets/:file', (c) => {
    const a = chartAssets().get(c.req.param('file'))
    if (a === undefined) throw new ServerError('ERR_REQUEST_NOT_FOUND', 'No such chart asset')
    const gzip = /\bgzip\b/.test(c.req.header('accept-encoding') ?? '')
    const etag = gzip ? `${a.etag.slice(0, -1)}-gz"` : a.etag
    c.header('ETag', etag)
    c.header('Vary', 'Accept-Encoding')
    c.header('Cache-Control', 'public, max-age=86400')
    c.header('X-Content-Type-Options', 'nosniff')
    const inm = c.req.header('if-none-match')
    if (inm?.split(',').some((t) => t.trim().replace(/^W\//, '') === etag) === true) {
      return c.body(null, 304)
    }
    c.header('Content-Type', a.contentType)
    if (gzip) c.header('Content-Encoding', 'gzip')
    return c.body((gzip ? a.gzip : a.body) as Uint8Array<ArrayBuffer>, 200)
  })
}
