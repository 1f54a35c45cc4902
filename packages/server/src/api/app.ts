/**
 * @module `createApp(deps)`: the Hono app. Request pipeline: request id → CORS → route (authenticate,
 * resolve, authorize, compose, run) → one error renderer. Binds no port (see `serve.ts`).
 */
import { randomUUID } from 'node:crypto'
import { Hono, type Context } from 'hono'
import { routePath } from 'hono/route'
import { ServerError } from '../errors.js'
import type { AppDeps, AppEnv } from './context.js'
import { renderError } from './on-error.js'
import { dateTimeValue } from './row-writer.js'
import { chartRoutes } from './routes/charts.js'
import { datasourceRoutes } from './routes/datasources.js'
import { datasourceWriteRoutes } from './routes/datasources-write.js'
import { eventsRoutes } from './routes/events.js'
import { pipeJobRoutes } from './routes/pipe-jobs.js'
import { jobRoutes } from './routes/jobs.js'
import { tokenRoutes } from './routes/tokens.js'
import { pipeRoutes } from './routes/pipes.js'
import { sqlRoutes } from './routes/sql.js'
import { workspaceRoutes } from './routes/workspace.js'

/** CORS headers as Tinybird sends them, plus the headers our clients read. */
const CORS: Record<string, string> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Headers': 'Authorization, Content-Type, X-Requested-With, X-Tb-Warning',
  'Access-Control-Expose-Headers':
    'X-Tb-Warning, X-Request-ID, X-Error-Code, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset',
  'Access-Control-Allow-Methods': 'GET, POST, PUT, DELETE, OPTIONS',
  'Access-Control-Max-Age': '86400',
}

/** The URL without its `token` parameter, as Tinybird logs it (`cutURLParameter(url, 'token')`). */
export function strippedUrl(url: string): string {
  const u = new URL(url)
  u.searchParams.delete('token')
  return u.toString()
}

/** The URL with `token` removed, for logs: a token never reaches a log line. */
export function redactedPath(url: string): string {
  const u = new URL(url)
  if (u.searchParams.has('token')) u.searchParams.set('token', '[redacted]')
  return u.pathname + u.search
}

/**
 * Builds the HTTP app over a workspace and an engine.
 *
 * @example
 * ```ts
 * const app = createApp(deps)
 * const res = await app.request('/v0/pipes/top_airlines.json?token=' + token)
 * ```
 */
export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>()

  app.use('*', async (c: Context<AppEnv>, next) => {
    const requestId = randomUUID()
    const started = performance.now()
    c.set('requestId', requestId)
    c.set('deps', deps)
    c.set('config', deps.config)
    c.set('log', deps.log.child({ requestId }))
    c.set('principal', undefined)
    c.set('stats', undefined)
    for (const [k, v] of Object.entries(CORS)) c.header(k, v)
    c.header('X-Request-ID', requestId)
    const url = c.req.url
    if (url.length > 16_384) {
      throw new ServerError(
        'ERR_REQUEST_URL_TOO_LONG',
        'The URL is too long; send the parameters in a POST body',
      )
    }
    await next()
    const p = c.get('principal')
    const stats = c.get('stats')
    const seconds = (performance.now() - started) / 1000
    // The handler's route pattern (the last matched route), not this middleware's `*`.
    const route = routePath(c, -1)
    const errorCode = c.res.headers.get('X-Error-Code') ?? ''
    deps.metrics.requests.inc({
      route,
      method: c.req.method,
      status: String(c.res.status),
      code: errorCode,
    })
    deps.metrics.requestSeconds.observe({ route }, seconds)
    if (errorCode.startsWith('ERR_AUTH_')) deps.metrics.authFailures.inc({ code: errorCode })
    if (c.res.status === 429) deps.metrics.rateLimited.inc({ pipe: stats?.pipeName ?? '' })
    if (stats !== undefined) deps.metrics.pipeSeconds.observe({ pipe: stats.pipeName }, seconds)
    if (stats !== undefined && deps.pipeStats !== undefined) {
      deps.pipeStats.record({
        start_datetime: dateTimeValue(Date.now() - (performance.now() - started)),
        user_id: deps.workspace.info.id,
        request_id: requestId,
        url: strippedUrl(url),
        pipe_id: stats.pipeId,
        pipe_name: stats.pipeName,
        status_code: c.res.status,
        error: c.res.status > 399 ? 1 : 0,
        token: p?.kind === 'static' ? p.tokenId : '',
        token_name: p?.name ?? '',
        duration: (performance.now() - started) / 1000,
        read_bytes: stats.readBytes,
        read_rows: stats.readRows,
        billable: c.req.query('from') === 'ui' ? 0 : 1,
        result_rows: stats.resultRows,
        parameters: stats.parameters,
        method: c.req.method,
        release: '',
        user_agent: c.req.header('user-agent') ?? null,
        resource_tags: [],
        cpu_time: 0,
      })
    }
    c.get('log').info(
      {
        method: c.req.method,
        path: redactedPath(url),
        status: c.res.status,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
        ...(p ? { tokenName: p.name, tokenKind: p.kind } : {}),
        ...(c.res.headers.get('X-Error-Code') ? { code: c.res.headers.get('X-Error-Code') } : {}),
      },
      'request',
    )
  })

  app.options('*', (c) => c.body(null, 204))

  // Order matters only where paths overlap: specific routes first.
  eventsRoutes(app)
  datasourceWriteRoutes(app)
  tokenRoutes(app)
  chartRoutes(app)
  pipeJobRoutes(app)
  jobRoutes(app)
  pipeRoutes(app)
  sqlRoutes(app)
  datasourceRoutes(app)
  workspaceRoutes(app)

  app.notFound((c) =>
    renderError(
      new ServerError(
        'ERR_REQUEST_NOT_FOUND',
        `Route ${c.req.method} ${new URL(c.req.url).pathname} not found`,
      ),
      c,
    ),
  )
  app.onError((err, c) => renderError(err, c))
  return app
}
