/** @module The only place errors become HTTP responses. */
import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { CATALOGUE, CustomTemplateError, ServerError } from '../errors.js'
import type { AppEnv } from './context.js'

/** Codes that say the token itself is bad (refreshing it may help); they turn into 401 in 401 mode. */
const TOKEN_LEVEL = new Set([
  'ERR_AUTH_TOKEN_MISSING',
  'ERR_AUTH_TOKEN_INVALID',
  'ERR_AUTH_TOKEN_EXPIRED',
  'ERR_AUTH_TOKEN_REVOKED',
])

/** Tinybird's `documentation` link per status, so Tinybird clients see the body they expect. */
function documentation(status: number): string {
  if (status === 403 || status === 401)
    return 'https://docs.tinybird.co/api-reference/overview#authentication'
  if ([408, 411, 413, 429].includes(status))
    return 'https://docs.tinybird.co/api-reference/api-reference.html#limits'
  return 'https://docs.tinybird.co/api-reference/overview'
}

/** RFC 6750 §3 challenge for auth failures. */
function bearerChallenge(e: ServerError): string | undefined {
  if (e.code === 'ERR_AUTH_TOKEN_MISSING') return 'Bearer realm="dunlin"'
  if (e.code === 'ERR_AUTH_TOKEN_EXPIRED')
    return 'Bearer realm="dunlin", error="invalid_token", error_description="token expired"'
  if (TOKEN_LEVEL.has(e.code)) return 'Bearer realm="dunlin", error="invalid_token"'
  if (e.code === 'ERR_AUTH_SCOPE_DENIED' || e.code === 'ERR_AUTH_JWT_NOT_ALLOWED')
    return 'Bearer realm="dunlin", error="insufficient_scope"'
  return undefined
}

/**
 * Renders any thrown value. Expected failures (`ServerError`) answer `{error, code, documentation}` with the
 * catalogue's status and `X-Error-Code`; a template's `custom_error` answers its own status and body;
 * anything else is a 500 `ERR_INTERNAL`, logged with the request id, whose body says nothing more.
 */
export function renderError(err: unknown, c: Context<AppEnv>): Response {
  if (err instanceof CustomTemplateError) {
    const status = err.status as ContentfulStatusCode
    return typeof err.body === 'string'
      ? c.text(err.body, status)
      : c.json(err.body as object, status)
  }
  const e =
    err instanceof ServerError
      ? err
      : new ServerError('ERR_INTERNAL', 'Internal error', { cause: err })
  const log = c.get('log')
  if (e.status >= 500)
    log.error({ code: e.code, requestId: c.get('requestId'), err: e.cause ?? e }, 'request failed')
  let status: number = e.status
  const cfg = c.get('config')
  if (cfg.auth.failureStatus === 401 && TOKEN_LEVEL.has(e.code)) status = 401
  c.header('X-Error-Code', e.code)
  const challenge = bearerChallenge(e)
  if (challenge !== undefined && (status === 401 || e.status === 403))
    c.header('WWW-Authenticate', challenge)
  if (
    e.code === 'ERR_ENGINE_OVERLOADED' ||
    e.code === 'ERR_ENGINE_UNREACHABLE' ||
    e.code === 'ERR_UNAVAILABLE'
  )
    c.header('Retry-After', '1')
  // Engine messages must not name the workspace's internal database.
  const db = c.get('deps').workspace.database
  const message =
    CATALOGUE[e.code].area === 'engine'
      ? e.message.split(`\`${db}\`.`).join('').split(`${db}.`).join('').split(db).join('')
      : e.message
  const body: Record<string, unknown> = {
    error: message,
    code: e.code,
    documentation: documentation(status),
  }
  if (cfg.verboseErrors && e.details !== undefined) body['details'] = e.details
  return c.json(body, status as ContentfulStatusCode)
}
