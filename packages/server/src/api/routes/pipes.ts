/** @module Pipe routes: endpoint data (`/v0/pipes/<name>.<fmt>`), pipe listing and definitions. */
import type { Context, Hono } from 'hono'
import { ServerError } from '../../errors.js'
import { hasScope, isAdmin, pipeAccess, type Principal } from '../../auth/index.js'
import { composePipe, confineSql, endpointNode, type PipeEntry } from '../../catalog/index.js'
import { templateParams } from '../../template/index.js'
import { authenticate, authorizePipeRead, readPolicy } from '../authn.js'
import type { AppEnv } from '../context.js'
import { ENDPOINT_FORMATS, outputSettings, type OutputFormat } from '../formats.js'
import { readParams } from '../params.js'
import { openApiDocument } from '../openapi.js'
import { protectedDatabases, respondWithResult } from '../respond.js'

const DATA_ROUTE = /^(.+)\.(json|csv|ndjson|parquet)$/

/**
 * Serves a pipe's endpoint: authenticate (JWTs allowed), find the pipe (404 first, as Tinybird), check the
 * token's PIPES:READ (403), merge params with fixed params winning, compose, optionally apply `q`, run
 * read-only with the request's limits, answer in the asked format.
 *
 * @see tinybird-compat.md §3.1–3.5 and §10 items 4, 6–8, 10
 */
async function endpointData(
  c: Context<AppEnv>,
  nameOrId: string,
  ext: OutputFormat,
): Promise<Response> {
  const deps = c.get('deps')
  const params = await readParams(c)
  const principal = await authenticate(c, { allowJwt: true, bodyToken: params.bodyToken })
  const pipe = deps.workspace.pipe(nameOrId)
  if (pipe === undefined)
    throw new ServerError('ERR_REQUEST_NOT_FOUND', `The pipe '${nameOrId}' does not exist`)
  if (endpointNode(pipe) === undefined) {
    throw new ServerError(
      'ERR_REQUEST_NOT_FOUND',
      `The pipe '${pipe.name}' does not have an endpoint yet`,
    )
  }
  const args = authorizePipeRead(c, principal, pipe, params.args)
  c.set('stats', {
    pipeId: pipe.id,
    pipeName: pipe.name,
    parameters: c.req.method === 'GET' ? stringParams(args) : {},
    readRows: 0,
    readBytes: 0,
    resultRows: 0,
  })
  const composed = composePipe(deps.workspace, pipe, args)
  let sql = composed.sql
  if (params.q !== undefined && params.q.trim() !== '') {
    if (params.q.trimStart().startsWith('%')) {
      throw new ServerError('ERR_REQUEST_PARAM', "'q' parameter doesn't support templates", {
        details: { param: 'q' },
      })
    }
    if (Buffer.byteLength(params.q) > deps.config.limits.maxSqlBytes) {
      throw new ServerError(
        'ERR_REQUEST_TOO_LARGE',
        `The maximum size for a SQL query is ${deps.config.limits.maxSqlBytes / 1024}KB.`,
      )
    }
    const confined = confineSql(deps.workspace, params.q, readPolicy(principal), {
      underscore: sql,
      args,
      protectedDatabases: protectedDatabases(c),
    })
    if (confined.format !== undefined) {
      throw new ServerError(
        'ERR_REQUEST_FORMAT',
        'Use the URL extension (.json, .csv, .ndjson, .parquet) instead of a FORMAT clause in q',
      )
    }
    sql = confined.sql
  }
  const fmt = ENDPOINT_FORMATS[ext]
  const settings = { ...composed.settings, ...outputSettings((n) => c.req.query(n)) }
  if (composed.warnings.length > 0) c.header('X-Tb-Warning', JSON.stringify(composed.warnings))
  return respondWithResult(c, sql, fmt.engine, fmt.contentType, settings)
}

/** Params as `pipe_stats_rt.parameters` stores them: every value a string (arrays comma-joined). */
function stringParams(args: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(args)) {
    out[k] = Array.isArray(v)
      ? v.map(String).join(',')
      : typeof v === 'string'
        ? v
        : JSON.stringify(v)
  }
  return out
}

/** The pipe JSON Tinybird returns from `GET /v0/pipes/<name>`. */
function pipeJson(pipe: PipeEntry, publicUrl: string, full: boolean): Record<string, unknown> {
  const endpoint = endpointNode(pipe)
  return {
    id: pipe.id,
    name: pipe.name,
    description: pipe.def.description ?? '',
    type: endpoint
      ? 'endpoint'
      : pipe.def.nodes.some((n) => n.type === 'materialized')
        ? 'materialized'
        : 'default',
    endpoint: endpoint ? `${pipe.id}_${endpoint.name}` : null,
    created_at: pipe.createdAt,
    updated_at: pipe.updatedAt,
    parent: null,
    tags: pipe.def.tags,
    url: endpoint ? `${publicUrl}/v0/pipes/${pipe.name}.json` : undefined,
    nodes: pipe.def.nodes.map((n) => ({
      id: `${pipe.id}_${n.name}`,
      name: n.name,
      description: n.description ?? null,
      ...(full ? { sql: n.sql } : {}),
      node_type: n.type,
      materialized: n.type === 'materialized' ? (n.datasource ?? null) : null,
      params: templateParams(n.sql).map((p) => ({
        name: p.name,
        type: p.type,
        ...(p.default !== undefined ? { default: p.default } : {}),
        required: p.required,
        ...(p.description !== undefined ? { description: p.description } : {}),
        ...(p.example !== undefined ? { example: p.example } : {}),
        ...(p.enum !== undefined ? { enum: p.enum } : {}),
      })),
    })),
  }
}

const canSeeDefinition = (p: Principal): boolean => isAdmin(p) || hasScope(p, 'PIPES:CREATE')

/** Registers the pipe routes. */
export function pipeRoutes(app: Hono<AppEnv>): void {
  app.get('/v0/pipes', async (c) => {
    const principal = await authenticate(c, { allowJwt: false })
    const deps = c.get('deps')
    const full = canSeeDefinition(principal)
    const pipes = deps.workspace.pipes.filter(
      (p) => full || pipeAccess(principal, { id: p.id, name: p.name }) !== null,
    )
    return c.json({ pipes: pipes.map((p) => pipeJson(p, deps.publicUrl, full)) })
  })

  app.get('/v0/pipes/openapi.json', async (c) => {
    const principal = await authenticate(c, { allowJwt: true })
    const deps = c.get('deps')
    const readable = deps.workspace.pipes.filter(
      (p) => pipeAccess(principal, { id: p.id, name: p.name }) !== null,
    )
    return c.json(
      await openApiDocument(
        deps.engine,
        deps.workspace,
        readable,
        deps.publicUrl,
        `${deps.workspace.info.name} endpoints`,
      ),
    )
  })

  // One pipe's document, for generating a client of just that endpoint.
  app.get('/v0/pipes/:pipe/openapi.json', async (c) => {
    const principal = await authenticate(c, { allowJwt: true })
    const deps = c.get('deps')
    const pipe = deps.workspace.pipe(c.req.param('pipe'))
    // An unreadable pipe answers like a missing one: its existence is not disclosed.
    if (pipe === undefined || pipeAccess(principal, { id: pipe.id, name: pipe.name }) === null)
      throw new ServerError('ERR_REQUEST_NOT_FOUND', `Pipe '${c.req.param('pipe')}' not found`)
    return c.json(
      await openApiDocument(
        deps.engine,
        deps.workspace,
        [pipe],
        deps.publicUrl,
        `${pipe.name} endpoint`,
      ),
    )
  })

  const data = async (c: Context<AppEnv>): Promise<Response> => {
    const raw = c.req.param('pipe') ?? ''
    const m = DATA_ROUTE.exec(raw)
    if (m?.[1] !== undefined) return endpointData(c, decodeURIComponent(m[1]), m[2] as OutputFormat)
    if (c.req.method !== 'GET')
      throw new ServerError('ERR_REQUEST_METHOD', 'Use GET to read a pipe definition')
    const principal = await authenticate(c, { allowJwt: false })
    const deps = c.get('deps')
    const pipe = deps.workspace.pipe(decodeURIComponent(raw))
    if (pipe === undefined)
      throw new ServerError('ERR_REQUEST_NOT_FOUND', `Pipe '${raw}' not found`)
    const full = canSeeDefinition(principal)
    if (!full && pipeAccess(principal, { id: pipe.id, name: pipe.name }) === null) {
      throw new ServerError('ERR_AUTH_SCOPE_DENIED', `token has no READ scope for ${pipe.name}`)
    }
    return c.json(pipeJson(pipe, deps.publicUrl, full))
  }
  app.get('/v0/pipes/:pipe', data)
  app.post('/v0/pipes/:pipe', data)
}
