/**
 * @module Builders for the template language's errors: every failure the lexer, parser and evaluator raise is a
 * {@link ServerError} with a stable `ERR_TEMPLATE_*` code. Messages name parameters and template text (written by
 * the pipe's author) but never a request value. Imports only `../errors.js`.
 */
import { ServerError } from '../errors.js'

/** Tinybird prefixes its template exceptions with this text; Dunlin keeps it so clients see the same wording. */
export const MESSAGE_PREFIX = 'Template Syntax Error: '

/** A 1-based position in the node SQL exactly as given to the renderer (the `%` line counts). */
export interface SourcePos {
  readonly line: number
  readonly column: number
}

/** Maps string offsets of one node's SQL to 1-based line/column positions. */
export class LineIndex {
  readonly #starts: number[]

  constructor(source: string) {
    const starts = [0]
    for (let i = 0; i < source.length; i++) if (source.charCodeAt(i) === 10) starts.push(i + 1)
    this.#starts = starts
  }

  /**
   * The 1-based line and column of `offset` (a UTF-16 index into the source).
   *
   * @example
   * ```ts
   * new LineIndex('ab\ncd').positionAt(3) // → { line: 2, column: 1 }
   * ```
   */
  positionAt(offset: number): SourcePos {
    const starts = this.#starts
    let lo = 0
    let hi = starts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if ((starts[mid] ?? 0) <= offset) lo = mid
      else hi = mid - 1
    }
    return { line: lo + 1, column: offset - (starts[lo] ?? 0) + 1 }
  }
}

/**
 * `ERR_TEMPLATE_SYNTAX` (400): the template does not parse, uses a forbidden construct, or fails while it runs
 * (a wrong type in an operation, an unknown function, a resource limit). `details` = `{ line, column }` when known.
 *
 * @example
 * ```ts
 * syntaxError('Extra {% end %} block', { line: 2, column: 5 }) // → ServerError { code: 'ERR_TEMPLATE_SYNTAX', details: { line: 2, column: 5 } }
 * ```
 */
export function syntaxError(message: string, pos?: SourcePos): ServerError {
  return new ServerError(
    'ERR_TEMPLATE_SYNTAX',
    message,
    pos ? { details: { line: pos.line, column: pos.column } } : {},
  )
}

/**
 * `ERR_TEMPLATE_PARAM_TYPE` (400): a typed helper rejected a value. The message names the parameter and the
 * expected type, never the value. `details` = `{ param, expected, ...extra }`.
 *
 * @example
 * ```ts
 * paramTypeError('n', 'Int32').message // → "Template Syntax Error: Error validating parameter 'n' to type Int32"
 * ```
 */
export function paramTypeError(
  param: string,
  expected: string,
  extra: Record<string, unknown> = {},
): ServerError {
  return new ServerError(
    'ERR_TEMPLATE_PARAM_TYPE',
    `${MESSAGE_PREFIX}Error validating parameter '${param}' to type ${expected}`,
    { details: { param, expected, ...extra } },
  )
}

/**
 * Joins names the way Tinybird does: `a`, `a and b`, `a, b and c`.
 *
 * @example
 * ```ts
 * joinNames(['a', 'b', 'c']) // → 'a, b and c'
 * joinNames(['a']) // → 'a'
 * ```
 */
export function joinNames(names: readonly string[]): string {
  if (names.length <= 1) return names[0] ?? ''
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1] ?? ''}`
}

/**
 * `ERR_TEMPLATE_PARAM_MISSING` (400): a parameter without a default was not sent. `details` = `{ params }`.
 *
 * @example
 * ```ts
 * paramMissingError(['a', 'b']).message // → 'Template Syntax Error: Required parameter is not defined. Check the parameters a and b. Please provide a value or set a default value in the pipe code.'
 * ```
 */
export function paramMissingError(params: readonly string[]): ServerError {
  return new ServerError(
    'ERR_TEMPLATE_PARAM_MISSING',
    `${MESSAGE_PREFIX}Required parameter is not defined. Check the parameters ${joinNames(params)}. ` +
      'Please provide a value or set a default value in the pipe code.',
    { details: { params: [...params] } },
  )
}
