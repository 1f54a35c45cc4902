/** @module The SQL API: `GET|POST /v0/sql`, read-only and confined to what the token may read. */
import type { Context, Hono } from 'hono'
import { ServerError } from '../../errors.js'
import { pipeAccess } from '../../auth/index.js'
import { composePipe, confineSql, endpointNode } from '../../catalog/index.js'
import { renderTemplate, type TemplateValue } from '../../template/index.js'
import { authenticate, readPolicy } from '../authn.js'
import type { AppEnv } from '../context.js'
import { outputSettings, sqlFormat } from '../formats.js'
import { readParams } from '../params.js'
import { protectedDatabases, respondWithResult } from '../respond.js'

/** Query args that are API options, not template variables (tinybird-compat.md §3.6). */
const SQL_API_PARAMS = new Set([
  'q',
  'token',
  'from',
  'max_threads',
  'pipeline',
  'tag',
  'semver',
  'playground',
  'finalize_aggregations',
  'release_replacements',
  'time',
  'test',
  '__tb__semver',
  'template_parameters',
])

async function sqlApi(c: Context<AppEnv>): Promise<Response> {
  const deps = c.get('deps')
  const params = await readParams(c)
  const principal = await authenticate(c, { allowJwt: false, bodyToken: params.bodyToken })
  c.set('stats', {
    pipeId: 'query_api',
    pipeName: 'query_api',
    parameters: {},
    readRows: 0,
    readBytes: 0,
    resultRows: 0,
  })
  let q: string = params.q ?? ''
  if (q.trim() === '') {
    throw new ServerError(
      'ERR_REQUEST_PARAM',
      c.req.method === 'GET'
        ? 'missing q parameter. example q=select%201'
        : 'The request body should contain a query',
      { details: { param: 'q' } },
    )
  }
  if (Buffer.byteLength(q) > deps.config.limits.maxSqlBytes) {
    throw new ServerError(
      'ERR_REQUEST_TOO_LARGE',
      `The maximum size for a SQL query is ${deps.config.limits.maxSqlBytes / 1024}KB.`,
    )
  }
  const args: Record<string, TemplateValue> = {}
  for (const [k, v] of Object.entries(params.args))
    if (!SQL_API_PARAMS.has(k) && !k.startsWith('output_format_')) args[k] = v
  const tp = c.req.query('template_parameters')
  if (tp !== undefined) {
    try {
      Object.assign(args, JSON.parse(tp) as Record<string, TemplateValue>)
    } catch {
      throw new ServerError('ERR_REQUEST_PARAM', 'template_parameters must be a well-formed JSON', {
        details: { param: 'template_parameters' },
      })
    }
  }
  if (q.trimStart().startsWith('%')) {
    q = renderTemplate(q, args, { testMode: Object.keys(args).length === 0 }).sql
  }
  const policy = readPolicy(principal)
  let underscore: string | undefined
  const pipelineName: string | undefined = c.req.query('pipeline')
  if (pipelineName !== undefined && pipelineName !== '') {
    const pipe = deps.workspace.pipe(pipelineName)
    const access =
      pipe === undefined ? null : pipeAccess(principal, { id: pipe.id, name: pipe.name })
    if (pipe === undefined || access === null) {
      throw new ServerError('ERR_AUTH_SCOPE_DENIED', `Resource '${pipelineName}' not found`, {
        details: { resource: pipelineName },
      })
    }
    const node = endpointNode(pipe)
    underscore = composePipe(
      deps.workspace,
      pipe,
      { ...args, ...access.fixedParams },
      node ? { nodeName: node.name } : {},
    ).sql
  }
  const confined = confineSql(deps.workspace, q, policy, {
    ...(underscore !== undefined ? { underscore } : {}),
    args,
    protectedDatabases: protectedDatabases(c),
  })
  const fmt = sqlFormat(confined.format)
  const settings = { ...confined.composed.settings, ...outputSettings((n) => c.req.query(n)) }
  return respondWithResult(c, confined.sql, fmt.engine, fmt.contentType, settings)
}

/** Registers `/v0/sql`. */
export function sqlRoutes(app: Hono<AppEnv>): void {
  app.get('/v0/sql', sqlApi)
  app.post('/v0/sql', sqlApi)
}
