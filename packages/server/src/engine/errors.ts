/** @module Maps ClickHouse exception text to the error catalogue, by exception type name. */
import { ServerError, type ErrorCode } from '../errors.js'

/** The parts of a ClickHouse exception message. */
export interface ParsedEngineError {
  readonly engineCode: number | undefined
  readonly engineType: string | undefined
  /** The human part of the message, without `Code: N. DB::Exception:` and the `(TYPE)` marker. */
  readonly text: string
}

/**
 * Parses `Code: 62. DB::Exception: Syntax error: … (SYNTAX_ERROR)` (ClickHouse ≥ 20) and the older
 * `Code: 60, e.displayText() = DB::Exception: …, e.what() = DB::Exception` (18.x).
 *
 * @example
 * ```ts
 * parseEngineError('Code: 60. DB::Exception: Unknown table x. (UNKNOWN_TABLE)')
 * // → { engineCode: 60, engineType: 'UNKNOWN_TABLE', text: 'Unknown table x.' }
 * ```
 */
export function parseEngineError(message: string): ParsedEngineError {
  const modern =
    /^Code:\s*(\d+)\.\s*(?:DB::Exception:\s*)?([\s\S]*?)\s*\(([A-Z][A-Z0-9_]+)\)\s*(?:\(version [^)]*\))?\s*$/.exec(
      message.trim(),
    )
  if (modern)
    return { engineCode: Number(modern[1]), engineType: modern[3], text: (modern[2] ?? '').trim() }
  const old =
    /^Code:\s*(\d+),\s*e\.displayText\(\)\s*=\s*(?:DB::Exception:\s*)?([\s\S]*?)(?:,\s*e\.what\(\)[\s\S]*)?$/.exec(
      message.trim(),
    )
  if (old)
    return {
      engineCode: Number(old[1]),
      engineType: OLD_CODES[Number(old[1])],
      text: (old[2] ?? '').trim(),
    }
  return { engineCode: undefined, engineType: undefined, text: message }
}

/** Numbers of the types we map, for servers that do not print type names (18.x). */
const OLD_CODES: Record<number, string> = {
  47: 'UNKNOWN_IDENTIFIER',
  53: 'TYPE_MISMATCH',
  60: 'UNKNOWN_TABLE',
  62: 'SYNTAX_ERROR',
  81: 'UNKNOWN_DATABASE',
  43: 'ILLEGAL_TYPE_OF_ARGUMENT',
  46: 'UNKNOWN_FUNCTION',
  159: 'TIMEOUT_EXCEEDED',
  164: 'READONLY',
  182: 'ILLEGAL_PREWHERE',
  241: 'MEMORY_LIMIT_EXCEEDED',
  291: 'DATABASE_ACCESS_DENIED',
  202: 'TOO_MANY_SIMULTANEOUS_QUERIES',
  396: 'TOO_MANY_ROWS_OR_BYTES',
  42: 'NUMBER_OF_ARGUMENTS_DOESNT_MATCH',
  36: 'BAD_ARGUMENTS',
  6: 'CANNOT_PARSE_TEXT',
  192: 'UNKNOWN_USER',
  193: 'WRONG_PASSWORD',
  194: 'REQUIRED_PASSWORD',
  195: 'IP_ADDRESS_NOT_ALLOWED',
  516: 'AUTHENTICATION_FAILED',
  27: 'CANNOT_PARSE_INPUT_ASSERTION_FAILED',
}

const QUERY_INVALID = new Set([
  'SYNTAX_ERROR',
  'UNKNOWN_IDENTIFIER',
  'TYPE_MISMATCH',
  'ILLEGAL_TYPE_OF_ARGUMENT',
  'UNKNOWN_FUNCTION',
  'NUMBER_OF_ARGUMENTS_DOESNT_MATCH',
  'BAD_ARGUMENTS',
  'ILLEGAL_COLUMN',
  'NOT_AN_AGGREGATE',
  'ILLEGAL_AGGREGATION',
  'AMBIGUOUS_IDENTIFIER',
  'AMBIGUOUS_COLUMN_NAME',
  'UNKNOWN_AGGREGATE_FUNCTION',
  'CANNOT_CONVERT_TYPE',
  'NO_COMMON_TYPE',
  'DUPLICATE_COLUMN',
  'MULTIPLE_EXPRESSIONS_FOR_ALIAS',
  'UNKNOWN_SETTING',
  'ILLEGAL_DIVISION',
  'ARGUMENT_OUT_OF_BOUND',
  'TOO_DEEP_SUBQUERIES',
  'INCORRECT_QUERY',
  'UNKNOWN_TYPE',
  'LOGICAL_ERROR_IN_QUERY',
  'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE',
  'INVALID_JOIN_ON_EXPRESSION',
  'UNSUPPORTED_METHOD',
  'INCORRECT_DATA',
  'UNKNOWN_FORMAT',
  'ILLEGAL_PREWHERE',
  'ILLEGAL_FINAL',
  'SAMPLING_NOT_SUPPORTED',
  'CANNOT_PARSE_NUMBER',
])

function codeFor(type: string | undefined): ErrorCode {
  if (type === undefined) return 'ERR_INTERNAL'
  if (QUERY_INVALID.has(type) || type.startsWith('CANNOT_PARSE')) return 'ERR_ENGINE_QUERY_INVALID'
  switch (type) {
    case 'UNKNOWN_TABLE':
    case 'UNKNOWN_DATABASE':
      return 'ERR_ENGINE_TABLE_NOT_FOUND'
    case 'TIMEOUT_EXCEEDED':
      return 'ERR_ENGINE_TIMEOUT'
    case 'TOO_MANY_ROWS_OR_BYTES':
      return 'ERR_ENGINE_RESULT_TOO_LARGE'
    case 'READONLY':
    case 'ACCESS_DENIED':
    case 'DATABASE_ACCESS_DENIED':
      return 'ERR_AUTH_SCOPE_DENIED'
    case 'MEMORY_LIMIT_EXCEEDED':
    case 'TOO_MANY_SIMULTANEOUS_QUERIES':
      return 'ERR_ENGINE_OVERLOADED'
    case 'UNKNOWN_USER':
    case 'WRONG_PASSWORD':
    case 'REQUIRED_PASSWORD':
    case 'IP_ADDRESS_NOT_ALLOWED':
    case 'AUTHENTICATION_FAILED':
      return 'ERR_ENGINE_UNREACHABLE'
    default:
      return 'ERR_INTERNAL'
  }
}

const FIXED_MESSAGES: Partial<Record<ErrorCode, string>> = {
  ERR_ENGINE_TIMEOUT:
    'The query took longer than the time limit. Narrow it (date range, filters) or add a LIMIT',
  ERR_ENGINE_RESULT_TOO_LARGE:
    'The result is larger than the size limit. Add a LIMIT or filter the query',
  ERR_AUTH_SCOPE_DENIED: 'The query tried to write or change settings in read-only mode',
  ERR_ENGINE_OVERLOADED: 'The engine is out of memory or busy; retry later',
  ERR_ENGINE_UNREACHABLE: 'The engine cannot be reached; retry later',
  ERR_INTERNAL: 'Internal error',
}

/**
 * Keeps ClickHouse's explanation and drops what would reveal the composed statement: the stack trace, the
 * `In scope SELECT …` dump of the whole query and `While processing …` clauses (they would show a pipe's
 * SQL, and the values of other nodes, to a browser holding a JWT). A "Maybe you meant" hint is kept.
 */
export function scrubEngineText(text: string): string {
  const hint = /(Maybe you meant:? \[[^\]]*\])/.exec(text)?.[1]
  let t = (text.split('\nStack trace')[0] ?? '').replace(/\s+/g, ' ')
  t = t.replace(/\s*[Ii]n scope [\s\S]*$/, '').replace(/\s*While processing [\s\S]*$/, '')
  t = t.replace(/\s*:\s*While executing [\s\S]*$/, '')
  if (hint !== undefined && !t.includes(hint)) t = `${t.replace(/[.\s]+$/, '')}. ${hint}`
  return t.slice(0, 500)
}

/**
 * Turns an engine failure into a {@link ServerError}. For invalid SQL and unknown tables the message is
 * ClickHouse's own explanation (the caller's SQL is theirs to debug) with `hide` strings (internal
 * database names) removed; every other code gets a fixed sentence. `details` = `{ engineCode, engineType }`.
 */
export function toServerError(err: unknown, hide: readonly string[] = []): ServerError {
  if (err instanceof ServerError) return err
  if (isConnectionFailure(err)) {
    return new ServerError('ERR_ENGINE_UNREACHABLE', FIXED_MESSAGES.ERR_ENGINE_UNREACHABLE ?? '', {
      details: { reason: err.code },
      cause: err,
    })
  }
  const message = err instanceof Error ? err.message : String(err)
  const parsed = parseEngineError(message)
  const code = codeFor(parsed.engineType)
  let text = FIXED_MESSAGES[code]
  if (text === undefined) {
    text = scrubEngineText(parsed.text)
    for (const h of hide) text = text.split(`${h}.`).join('').split(h).join('')
  }
  return new ServerError(code, text, {
    details: { engineCode: parsed.engineCode, engineType: parsed.engineType },
    cause: err,
  })
}

/** Node's network and DNS errors, OpenSSL's and X.509 verification's codes. */
const CONNECTION_CODES =
  /^(E(CONNREFUSED|CONNRESET|CONNABORTED|TIMEDOUT|HOSTUNREACH|NETUNREACH|HOSTDOWN|PIPE|NOTFOUND|AI_AGAIN|PROTO)|ERR_SSL_[A-Z0-9_]+|ERR_TLS_[A-Z0-9_]+|[A-Z_]*CERT[A-Z_]*|UNABLE_TO_[A-Z_]+)$/

/**
 * True for a failure below ClickHouse, by the error's `code`: a refused or reset connection, a DNS failure, or a
 * TLS handshake or certificate failure (`ECONNREFUSED`, `ENOTFOUND`, `SELF_SIGNED_CERT_IN_CHAIN`, `ERR_SSL_…`).
 * ClickHouse exceptions (numeric codes) and chdb's own codes (`CHDB_…`) are not.
 */
export function isConnectionFailure(err: unknown): err is Error & { code: string } {
  if (!(err instanceof Error) || !('code' in err)) return false
  const code = (err as { code: unknown }).code
  return typeof code === 'string' && CONNECTION_CODES.test(code)
}

/**
 * Why a connection attempt failed, for the operator at start: the network or TLS error's own words (`connect
 * ECONNREFUSED 127.0.0.1:8123`, `self-signed certificate in certificate chain`) or ClickHouse's refusal (`Wrong
 * password for user app`). Neither ever contains the password.
 */
export function connectionFailureReason(err: unknown): string {
  if (isConnectionFailure(err)) {
    // OpenSSL's message is a raw error line; its `reason` is the readable part ("tlsv13 alert certificate required").
    const reason = (err as { reason?: unknown }).reason
    return `${typeof reason === 'string' ? reason : err.message.trim()} (${err.code})`
  }
  const message = err instanceof Error ? err.message : String(err)
  return scrubEngineText(parseEngineError(message).text)
}
