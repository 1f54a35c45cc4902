/** @module Request parameters: query string and POST bodies merged the way Tinybird merges them. */
import type { Context } from 'hono'
import { ServerError } from '../errors.js'
import type { TemplateArgs, TemplateValue } from '../template/index.js'
import type { AppEnv } from './context.js'

/** Parameters of a request, before fixed params. */
export interface RequestParams {
  /** Template variables: the first value of each query key (an array when a key repeats), then the JSON body on top. */
  readonly args: Record<string, TemplateValue>
  /** `q` from the query string, the JSON body, or a non-JSON body. */
  readonly q: string | undefined
  /** The token passed in a form or JSON body (Tinybird's `get_argument` reads bodies too). */
  readonly bodyToken: string | undefined
}

/** Names that are never template variables. */
const NOT_ARGS = new Set(['token', 'q'])

/**
 * Reads query args and, for POST, the body: a JSON object is merged over the query args keeping its JSON
 * types; a form body adds its fields; any other body is the `q` SQL.
 *
 * @throws {ServerError} `ERR_REQUEST_TOO_LARGE` (413) for a body over `limits.maxBodyBytes`;
 *   `ERR_REQUEST_BODY` (400) for JSON that is not an object.
 * @see tinybird-compat.md §3.3
 */
export async function readParams(c: Context<AppEnv>): Promise<RequestParams> {
  const args: Record<string, TemplateValue> = {}
  const url = new URL(c.req.url)
  const seen = new Set<string>()
  for (const key of url.searchParams.keys()) {
    if (seen.has(key)) continue
    seen.add(key)
    const all = url.searchParams.getAll(key)
    if (!NOT_ARGS.has(key)) args[key] = all.length > 1 ? all : (all[0] ?? '')
  }
  let q = url.searchParams.get('q') ?? undefined
  let bodyToken: string | undefined
  if (c.req.method === 'POST') {
    const max = c.get('config').limits.maxBodyBytes
    const declared = Number(c.req.header('content-length') ?? '0')
    if (declared > max)
      throw new ServerError('ERR_REQUEST_TOO_LARGE', `The request body is larger than ${max} bytes`)
    const raw = await c.req.text()
    if (Buffer.byteLength(raw) > max)
      throw new ServerError('ERR_REQUEST_TOO_LARGE', `The request body is larger than ${max} bytes`)
    const type = (c.req.header('content-type') ?? '').toLowerCase()
    const trimmed = raw.trim()
    if (type.includes('application/x-www-form-urlencoded')) {
      for (const [k, v] of new URLSearchParams(raw)) {
        if (k === 'q') q = v
        else if (k === 'token') bodyToken = v
        else args[k] = v
      }
    } else if (trimmed.startsWith('{') || type.includes('application/json')) {
      let body: unknown
      try {
        body = trimmed === '' ? {} : JSON.parse(trimmed)
      } catch {
        throw new ServerError('ERR_REQUEST_BODY', 'The request body is not valid JSON')
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new ServerError('ERR_REQUEST_BODY', 'The JSON body must be an object of parameters')
      }
      for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
        if (k === 'q' && typeof v === 'string') q = v
        else if (k === 'token' && typeof v === 'string') bodyToken = v
        else if (!NOT_ARGS.has(k) && v !== undefined) args[k] = v as TemplateValue
      }
    } else if (trimmed !== '') {
      q = raw
    }
  }
  return { args, q, bodyToken }
}

/** The args as the template sees them (read-only view). */
export function templateArgs(args: Record<string, TemplateValue>): TemplateArgs {
  return args
}
