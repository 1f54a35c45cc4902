/**
 * @module The error catalogue: every expected failure has a stable `ERR_*` code, and this file is the only
 * place an HTTP status is decided. May be imported from anywhere; imports nothing.
 */

/** One row of the catalogue: the HTTP status a code answers with, and the area that raises it. */
export interface CatalogueEntry {
  readonly status:
    | 400
    | 401
    | 403
    | 404
    | 405
    | 406
    | 408
    | 409
    | 411
    | 413
    | 414
    | 422
    | 429
    | 431
    | 500
    | 501
    | 503
  readonly area:
    'auth' | 'request' | 'template' | 'datafile' | 'ingest' | 'engine' | 'api' | 'config'
  /** Retired codes stay here so that no code is ever reused. */
  readonly retired?: true
}

/**
 * Every error code Dunlin answers with. Codes never change meaning and are never reused; `docs/errors.md`
 * has one row per code (checked by `errors.test.ts`).
 *
 * Auth failures are 403 by default, as Tinybird answers them; `auth.failureStatus: 401` turns the
 * token-level ones into RFC 6750 401s at render time (see `api/on-error.ts`).
 */
export const CATALOGUE = {
  ERR_AUTH_TOKEN_MISSING: { status: 403, area: 'auth' },
  ERR_AUTH_TOKEN_INVALID: { status: 403, area: 'auth' },
  ERR_AUTH_TOKEN_EXPIRED: { status: 403, area: 'auth' },
  ERR_AUTH_TOKEN_REVOKED: { status: 403, area: 'auth' },
  ERR_AUTH_TOKEN_TOO_LARGE: { status: 431, area: 'auth' },
  ERR_AUTH_JWT_NOT_ALLOWED: { status: 403, area: 'auth' },
  ERR_AUTH_SCOPE_DENIED: { status: 403, area: 'auth' },
  ERR_AUTH_FIXED_PARAM: { status: 403, area: 'auth' },
  ERR_AUTH_NOT_CONFIGURED: { status: 500, area: 'auth' },
  ERR_AUTH_SEALING_KEY_MISMATCH: { status: 500, area: 'auth' },
  ERR_AUTH_SEALING_KEY_INVALID: { status: 500, area: 'auth' },
  ERR_REQUEST_NOT_FOUND: { status: 404, area: 'request' },
  ERR_REQUEST_METHOD: { status: 405, area: 'request' },
  ERR_REQUEST_BODY: { status: 400, area: 'request' },
  ERR_REQUEST_PARAM: { status: 400, area: 'request' },
  ERR_REQUEST_FORMAT: { status: 400, area: 'request' },
  ERR_REQUEST_TOO_LARGE: { status: 413, area: 'request' },
  ERR_REQUEST_URL_TOO_LONG: { status: 414, area: 'request' },
  ERR_REQUEST_RATE_LIMITED: { status: 429, area: 'request' },
  ERR_REQUEST_CONFLICT: { status: 409, area: 'request' },
  ERR_TEMPLATE_SYNTAX: { status: 400, area: 'template' },
  ERR_TEMPLATE_PARAM_MISSING: { status: 400, area: 'template' },
  ERR_TEMPLATE_PARAM_TYPE: { status: 400, area: 'template' },
  ERR_TEMPLATE_RESERVED_NAME: { status: 400, area: 'template' },
  ERR_TEMPLATE_ERROR: { status: 400, area: 'template' },
  ERR_DATAFILE_SYNTAX: { status: 400, area: 'datafile' },
  ERR_DATAFILE_INVALID: { status: 400, area: 'datafile' },
  ERR_DATAFILE_CONFLICT: { status: 409, area: 'datafile' },
  ERR_INGEST_ROWS_REJECTED: { status: 400, area: 'ingest' },
  ERR_ENGINE_QUERY_INVALID: { status: 400, area: 'engine' },
  ERR_ENGINE_TABLE_NOT_FOUND: { status: 404, area: 'engine' },
  ERR_ENGINE_TIMEOUT: { status: 408, area: 'engine' },
  ERR_ENGINE_RESULT_TOO_LARGE: { status: 400, area: 'engine' },
  ERR_ENGINE_OVERLOADED: { status: 503, area: 'engine' },
  ERR_ENGINE_CLUSTER_UNAVAILABLE: { status: 503, area: 'engine' },
  ERR_ENGINE_UNREACHABLE: { status: 503, area: 'engine' },
  ERR_UNAVAILABLE: { status: 503, area: 'api' },
  ERR_CONFIG_INVALID: { status: 500, area: 'config' },
  ERR_INTERNAL: { status: 500, area: 'api' },
} as const satisfies Record<`ERR_${string}`, CatalogueEntry>

/** A stable error code: the keys of {@link CATALOGUE}. */
export type ErrorCode = keyof typeof CATALOGUE

/**
 * An expected failure with a stable code. Throw sites choose the code and a fixed-sentence message (never a
 * token, a key, SQL or a parameter value); the status comes from {@link CATALOGUE}.
 *
 * Shape on the wire (rendered by `api/on-error.ts`): `{ error: message, code, details? }`, where `details`
 * is sent only in verbose mode.
 */
export class ServerError extends Error {
  readonly code: ErrorCode
  readonly status: CatalogueEntry['status']
  readonly details: Readonly<Record<string, unknown>> | undefined

  constructor(
    code: ErrorCode,
    message: string,
    opts: { details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, { cause: opts.cause })
    this.name = 'ServerError'
    this.code = code
    this.status = CATALOGUE[code].status
    this.details = opts.details
  }
}

/**
 * The template's `custom_error(obj, code)`: the user's pipe chose both the status and the raw body, so this
 * is the one error that bypasses the catalogue. The body is `obj` as JSON (object) or text (string).
 *
 * @see tinybird-compat.md §3.5: "custom_error(obj, code=400) → HTTP `code`, the raw `obj`"
 */
export class CustomTemplateError extends Error {
  readonly status: number
  readonly body: unknown

  constructor(body: unknown, status: number) {
    super('custom_error raised by the pipe template')
    this.name = 'CustomTemplateError'
    this.status = status >= 400 && status <= 599 ? Math.trunc(status) : 400
    this.body = body
  }
}

/** True when `e` is a {@link ServerError} with one of `codes` (any code when none given). */
export function isServerError(e: unknown, ...codes: ErrorCode[]): e is ServerError {
  return e instanceof ServerError && (codes.length === 0 || codes.includes(e.code))
}
