/**
 * @module Typed errors of `@dunlin/client`: {@link DunlinApiError} for an error answer from the server and
 * {@link DunlinClientError} for a failure decided on this side (a refused JWT, a token provider that failed, a
 * network that stayed down). Imports nothing. No message or property ever holds a token: server texts are
 * redacted before they are stored (Tinybird echoes the token in some messages).
 */

/**
 * Error codes the Dunlin server answers with (`code` in the JSON body and the `X-Error-Code` header). Open
 * union: a newer server may send a code this version does not know, and Tinybird sends none at all.
 *
 * @see docs/errors.md in the Dunlin repository (one row per code)
 *
 * @example
 * ```ts
 * if (err instanceof DunlinApiError && err.code === 'ERR_AUTH_SCOPE_DENIED') showForbidden()
 * ```
 */
export type ServerErrorCode =
  | 'ERR_AUTH_TOKEN_MISSING'
  | 'ERR_AUTH_TOKEN_INVALID'
  | 'ERR_AUTH_TOKEN_EXPIRED'
  | 'ERR_AUTH_TOKEN_REVOKED'
  | 'ERR_AUTH_JWT_NOT_ALLOWED'
  | 'ERR_AUTH_SCOPE_DENIED'
  | 'ERR_AUTH_FIXED_PARAM'
  | 'ERR_REQUEST_NOT_FOUND'
  | 'ERR_REQUEST_RATE_LIMITED'
  | 'ERR_TEMPLATE_PARAM_MISSING'
  | 'ERR_TEMPLATE_PARAM_TYPE'
  | 'ERR_ENGINE_TIMEOUT'
  | 'ERR_ENGINE_OVERLOADED'
  | 'ERR_INTERNAL'
  | (`ERR_${string}` & {})

/**
 * Codes of failures decided by the client itself, never sent by a server.
 *
 * - `ERR_JWT_EXPIRY`: `expiresIn` is missing, not positive, or not `<n>s|m|h|d` ({@link createJWT} refuses).
 * - `ERR_JWT_SCOPES`: the scope list is empty, or a scope has an unknown type or an empty resource.
 * - `ERR_JWT_FIXED_PARAM`: a fixed param is `null`, `undefined`, `''`, `NaN` or an empty list, or the
 *   `fixedParams` object is empty (a tenant id that came out `undefined` would otherwise widen the token).
 * - `ERR_JWT_CLAIM`: `name` or `workspaceId` is empty, or `limits.rps` is not a positive integer.
 * - `ERR_JWT_KEY`: the signing key is an empty string.
 * - `ERR_CLIENT_TOKEN_REFRESH`: the token provider threw or returned something other than a non-empty string.
 * - `ERR_CLIENT_NETWORK`: `fetch` kept failing (a `TypeError`) after the allowed retries.
 * - `ERR_CLIENT_RESPONSE`: a 2xx answer whose body is not the expected JSON.
 * - `ERR_CLIENT_CLOSED`: the client was closed with `close()`.
 *
 * @example
 * ```ts
 * if (err instanceof DunlinClientError && err.code === 'ERR_CLIENT_TOKEN_REFRESH') redirectToLogin()
 * ```
 */
export type ClientErrorCode =
  | 'ERR_JWT_EXPIRY'
  | 'ERR_JWT_SCOPES'
  | 'ERR_JWT_FIXED_PARAM'
  | 'ERR_JWT_CLAIM'
  | 'ERR_JWT_KEY'
  | 'ERR_CLIENT_TOKEN_REFRESH'
  | 'ERR_CLIENT_NETWORK'
  | 'ERR_CLIENT_RESPONSE'
  | 'ERR_CLIENT_CLOSED'

/**
 * An error answer from the server (any non-2xx status), built from its body: Dunlin's JSON
 * `{ error, code }` (plus `X-Error-Code`), Tinybird's JSON `{ error, documentation }`, or the `text/plain` body
 * of the Events API.
 *
 * Shape: `{ name: 'DunlinApiError', status, code, message, retryAfterSeconds }`. `code` is `undefined` when
 * the server sent none (Tinybird). `retryAfterSeconds` is the `Retry-After` header in seconds, when present
 * and parsable. The message never contains a token: anything that looks like one is replaced by
 * `[redacted]`.
 *
 * @example
 * ```ts
 * import { DunlinApiError } from '@dunlin/client'
 *
 * try {
 *   await client.pipe('top_airlines')
 * } catch (err) {
 *   if (err instanceof DunlinApiError && err.code === 'ERR_AUTH_SCOPE_DENIED') showForbidden()
 *   else throw err
 * }
 * ```
 */
export class DunlinApiError extends Error {
  /** HTTP status of the answer, e.g. 403. */
  readonly status: number
  /** Stable error code from the body or `X-Error-Code`; `undefined` when the server sent none. */
  readonly code: ServerErrorCode | undefined
  /** `Retry-After` in seconds (an HTTP date is converted), when the answer carried one. */
  readonly retryAfterSeconds: number | undefined

  /**
   * @param status - HTTP status, e.g. 429.
   * @param message - Server text; redact it first with {@link redactTokens}.
   * @param code - Stable code, if any.
   * @param retryAfterSeconds - Seconds to wait before retrying, if the server said.
   */
  constructor(status: number, message: string, code?: ServerErrorCode, retryAfterSeconds?: number) {
    super(message)
    this.name = 'DunlinApiError'
    this.status = status
    this.code = code
    this.retryAfterSeconds = retryAfterSeconds
  }
}

/**
 * A failure decided by the client: a JWT {@link createJWT} refuses to sign, a token provider that failed, a
 * network that stayed down, or a closed client. `cause` holds the underlying error where there is one (the
 * provider's own error, the `TypeError` from `fetch`).
 *
 * Shape: `{ name: 'DunlinClientError', code: ClientErrorCode, message, cause? }`.
 *
 * @example
 * ```ts
 * import { DunlinClientError, createJWT } from '@dunlin/client'
 *
 * try {
 *   await createJWT(key, { workspaceId, name: 'app', expiresIn: '10m', scopes: [] })
 * } catch (err) {
 *   if (err instanceof DunlinClientError) console.log(err.code) // → 'ERR_JWT_SCOPES'
 * }
 * ```
 */
export class DunlinClientError extends Error {
  /** Stable code, see {@link ClientErrorCode}. */
  readonly code: ClientErrorCode

  /**
   * @param code - Stable code.
   * @param message - A fixed sentence: never a token, key or parameter value.
   * @param options - `cause`: the underlying error, if any.
   */
  constructor(code: ClientErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'DunlinClientError'
    this.code = code
  }
}

// A JWT (three base64url parts, the first two starting with `eyJ`, i.e. '{"') or a Tinybird static token
// (`p.` + two base64url parts).
const TOKEN_LIKE = /\beyJ[\w-]*\.eyJ[\w-]*\.[\w-]*|\bp\.eyJ[\w-]*\.[\w-]+/g

/**
 * Remove tokens from a text: every exact occurrence of the given secrets, and anything shaped like a JWT or a
 * Tinybird static token, becomes `[redacted]`.
 *
 * @param text - Any text, typically a server error message.
 * @param secrets - Exact strings to remove as well (the token a request was sent with).
 * @returns The text with tokens replaced.
 * @example
 * ```ts
 * redactTokens("Invalid token b'eyJhbGciOi.eyJleHAiOjF9.c2ln'", []) // → "Invalid token b'[redacted]'"
 * ```
 */
export function redactTokens(text: string, secrets: readonly string[]): string {
  let out = text
  for (const secret of secrets) {
    if (secret.length > 0) out = out.split(secret).join('[redacted]')
  }
  return out.replace(TOKEN_LIKE, '[redacted]')
}

/**
 * Parse a `Retry-After` header value: delay-seconds or an HTTP date.
 *
 * @param value - The header value, or `null` when absent.
 * @param nowMs - Current time in milliseconds since the epoch (for the HTTP-date form).
 * @returns Seconds to wait (never negative), or `undefined` when absent or unparsable.
 * @see RFC 9110 §10.2.3
 * @example
 * ```ts
 * parseRetryAfter('3', Date.now()) // → 3
 * ```
 */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined
  const trimmed = value.trim()
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed)
  const dateMs = Date.parse(trimmed)
  if (Number.isNaN(dateMs)) return undefined
  return Math.max(0, Math.ceil((dateMs - nowMs) / 1000))
}

const MAX_MESSAGE_CHARS = 1000

/**
 * Build a {@link DunlinApiError} from a non-2xx response, consuming its body. Reads JSON `{ error, code }` when
 * the body parses as JSON with a string `error`, else the trimmed text; the code comes from the body or the
 * `X-Error-Code` header.
 *
 * @param res - The failed response (its body is read).
 * @param secrets - Tokens to redact from the message (the one the request was sent with).
 * @param nowMs - Current time in milliseconds (for an HTTP-date `Retry-After`).
 * @returns The error; never throws.
 * @example
 * ```ts
 * const err = await apiErrorFromResponse(res, [token], Date.now())
 * ```
 */
export async function apiErrorFromResponse(
  res: Response,
  secrets: readonly string[],
  nowMs: number,
): Promise<DunlinApiError> {
  let text = ''
  try {
    text = await res.text()
  } catch {
    text = ''
  }
  let message = text.trim()
  let code: string | undefined = res.headers.get('x-error-code') ?? undefined
  if (message.startsWith('{')) {
    try {
      const body: unknown = JSON.parse(message)
      if (typeof body === 'object' && body !== null) {
        const record = body as Record<string, unknown>
        const error = record['error']
        if (typeof error === 'string') message = error
        const bodyCode = record['code']
        if (typeof bodyCode === 'string') code = bodyCode
      }
    } catch {
      // not JSON after all: keep the text
    }
  }
  if (message === '') message = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`
  // Redact before truncating, so that no partial token survives the cut.
  message = redactTokens(message, secrets)
  if (message.length > MAX_MESSAGE_CHARS) message = `${message.slice(0, MAX_MESSAGE_CHARS)}…`
  const serverCode = code?.startsWith('ERR_') === true ? (code as ServerErrorCode) : undefined
  return new DunlinApiError(
    res.status,
    message,
    serverCode,
    parseRetryAfter(res.headers.get('retry-after'), nowMs),
  )
}
