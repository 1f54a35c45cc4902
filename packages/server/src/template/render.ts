/**
 * @module The template language's entry points: detect a templated node (`%` first), render it against request
 * parameters, and list its parameters. Parsed templates are cached by source text. Pure (no I/O); imports only
 * siblings and `../errors.js`.
 */
import { ServerError } from '../errors.js'
import { analyze, type Analysis, type TemplateParam } from './analysis.js'
import type { TemplateNode } from './ast.js'
import { Evaluator, tooLarge } from './evaluator.js'
import { LineIndex, syntaxError } from './template-errors.js'
import { parseTemplate } from './template-parser.js'
import type { TemplateValue } from './values.js'

/** Request parameters: GET values are strings (first value of repeated keys) or string[]; POST JSON values keep JSON types. */
export type TemplateArgs = Readonly<Record<string, TemplateValue | undefined>>

/** Options of {@link renderTemplate}. */
export interface RenderOptions {
  /**
   * Tinybird "test mode" (previews, `/v0/sql` without parameters): parameters that were not sent become
   * placeholders (`'__no_value__'`, `0`, `0.0`, `'2019-01-01'`, `[0,0]`, `['']`…), `error()` and `custom_error()` do
   * nothing, and a loop over a missing parameter runs 3 times. Default false.
   */
  testMode?: boolean
  /** Upper bound on the rendered SQL, in bytes (UTF-8). Default 1_048_576. */
  maxSqlBytes?: number
}

/** The result of {@link renderTemplate}. */
export interface Rendered {
  /** Plain ClickHouse SQL: no template syntax left, every request value escaped or type-checked. */
  sql: string
  /** Request parameter names the render looked up, in first-use order (sent or not). */
  usedParams: string[]
  /** ClickHouse settings requested by the template, e.g. `{ max_threads: 2 }` from `max_threads(2)`. */
  settings: Record<string, string | number>
  /** From `cache_ttl('5m')`, in seconds. */
  cacheTtlSeconds?: number
  /** Human-readable warnings, e.g. for reserved parameter names, for the `X-Tb-Warning` header. */
  warnings: string[]
}

/** Default of {@link RenderOptions.maxSqlBytes}: 1 MiB. */
export const DEFAULT_MAX_SQL_BYTES = 1_048_576

interface Parsed {
  readonly body: readonly TemplateNode[]
  readonly lines: LineIndex
  readonly analysis: Analysis
}

const CACHE_SIZE = 512
const cache = new Map<string, Parsed>()

const TEMPLATE_MARK = /^\s*%/

/**
 * Whether a node's SQL is a template: its first non-blank character is `%`.
 *
 * @param nodeSql - The node's SQL exactly as stored in the `.pipe` file.
 * @see tinybird-compat.md §5.2 ("`%`: first character of a node's SQL: the node is templated")
 * @example
 * ```ts
 * isTemplated('%\nSELECT {{x}}') // → true
 * isTemplated('  %\nSELECT 1') // → true
 * isTemplated('SELECT {{x}}') // → false
 * ```
 */
export function isTemplated(nodeSql: string): boolean {
  return TEMPLATE_MARK.test(nodeSql)
}

/** Offset where the template body starts: after the `%` line when the rest of it is blank, else right after `%`. */
function bodyStart(nodeSql: string): number {
  const mark = nodeSql.indexOf('%')
  const eol = nodeSql.indexOf('\n', mark)
  const restOfLine = nodeSql.slice(mark + 1, eol < 0 ? nodeSql.length : eol)
  if (restOfLine.trim() === '') return eol < 0 ? nodeSql.length : eol + 1
  return mark + 1 + (restOfLine.length - restOfLine.trimStart().length)
}

function parse(nodeSql: string): Parsed {
  const hit = cache.get(nodeSql)
  if (hit) {
    cache.delete(nodeSql)
    cache.set(nodeSql, hit)
    return hit
  }
  const lines = new LineIndex(nodeSql)
  const body = parseTemplate(nodeSql, bodyStart(nodeSql), lines)
  const parsed = { body, lines, analysis: analyze(body) }
  cache.set(nodeSql, parsed)
  if (cache.size > CACHE_SIZE) {
    const oldest = cache.keys().next()
    if (oldest.done !== true) cache.delete(oldest.value)
  }
  return parsed
}

/** Turns a JS stack overflow (a pathologically deep template) into a template error. */
function guardStack<T>(fn: () => T): T {
  try {
    return fn()
  } catch (e) {
    if (e instanceof RangeError)
      throw syntaxError('Template Syntax Error: the template is nested too deeply')
    throw e
  }
}

function utf8Length(s: string): number {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) n += 1
    else if (c < 0x800) n += 2
    else if (
      c >= 0xd800 &&
      c <= 0xdbff &&
      i + 1 < s.length &&
      (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00
    ) {
      n += 4
      i++
    } else n += 3
  }
  return n
}

function reservedWarning(name: string): string {
  return `The parameter name "${name}" is a reserved word. Please, choose another name or the pipe will not work as expected.`
}

/**
 * Render one pipe node's SQL template into a plain ClickHouse statement.
 *
 * Shape: {@link Rendered}. A node without the `%` mark is returned unchanged (no templating at all: `{{` stays
 * literal) with `usedParams: []`. Otherwise the `%` line is removed and the rest is rendered: `{{ expr }}` prints a
 * value (strings as escaped literals, numbers bare, typed helpers as documented in `typed-helpers.ts`), and
 * `{% if %}` / `{% for %}` / `{% set %}` … `{% end %}` control the output.
 *
 * Rendering decisions: integers from `Int8(x)`…`UInt256(x)` print as bare range-checked literals (`5`, negative
 * ones as `(-5)`); floats print bare in Python's repr; `DateTime` prints `'YYYY-MM-DD HH:MM:SS'` whatever ISO form
 * it was sent in; strings are single-quoted with backslash escapes.
 *
 * @param nodeSql - The node's SQL exactly as stored in the `.pipe` file (UTF-8), `%` line included.
 * @param args - Request parameters: strings, string[] for repeated GET keys, JSON values from a POST body.
 * @param opts.testMode - Tinybird test mode. Default false.
 * @param opts.maxSqlBytes - Upper bound on the rendered statement, in bytes. Default 1_048_576.
 * @throws {ServerError} `ERR_TEMPLATE_SYNTAX` (400): the template does not parse or fails while running (bad types,
 *   unknown function, `import`, `**`, more than 100_000 loop iterations); `details` = `{ line, column }`, 1-based.
 * @throws {ServerError} `ERR_TEMPLATE_PARAM_MISSING` (400): a parameter without default was not sent; `details` = `{ params }`.
 * @throws {ServerError} `ERR_TEMPLATE_PARAM_TYPE` (400): a typed helper rejects its argument; `details` = `{ param, expected }`.
 * @throws {ServerError} `ERR_TEMPLATE_RESERVED_NAME` (400): `format` or `q` is used as a variable; `details` = `{ name, line }`.
 * @throws {ServerError} `ERR_TEMPLATE_ERROR` (400): the template called `error('message')`.
 * @throws {ServerError} `ERR_REQUEST_TOO_LARGE` (413): the rendered SQL is longer than `maxSqlBytes`.
 * @throws {CustomTemplateError} the template called `custom_error(body, status)`.
 * @see Tinybird docs, "Template functions"; tinybird-compat.md §5.3 (behaviour reference)
 * @example
 * ```ts
 * renderTemplate('%\nSELECT {{ Int32(limit, 10) }}', { limit: '5' }).sql // → 'SELECT 5'
 * renderTemplate('%\nSELECT {{ Int32(limit, 10) }}', {}).sql // → 'SELECT 10'
 * renderTemplate("%\nWHERE name = {{ String(name) }}", { name: "it's" }).sql // → "WHERE name = 'it\\'s'"
 * renderTemplate('SELECT {{x}}', { x: '1' }).sql // → 'SELECT {{x}}'
 * ```
 */
export function renderTemplate(
  nodeSql: string,
  args: TemplateArgs,
  opts: RenderOptions = {},
): Rendered {
  const maxSqlBytes = opts.maxSqlBytes ?? DEFAULT_MAX_SQL_BYTES
  if (!isTemplated(nodeSql)) {
    if (utf8Length(nodeSql) > maxSqlBytes) throw tooLarge(maxSqlBytes)
    return { sql: nodeSql, usedParams: [], settings: {}, warnings: [] }
  }
  const { body, lines, analysis } = guardStack(() => parse(nodeSql))
  if (analysis.forbidden) {
    const { name, start } = analysis.forbidden
    const line = lines.positionAt(start).line
    throw new ServerError(
      'ERR_TEMPLATE_RESERVED_NAME',
      `"${name}" can not be used as a variable name, line ${line}`,
      {
        details: { name, line },
      },
    )
  }
  const evaluator = new Evaluator({
    source: nodeSql,
    lines,
    analysis,
    args,
    testMode: opts.testMode === true,
    maxSqlBytes,
  })
  const sql = guardStack(() => evaluator.run(body))
  if (utf8Length(sql) > maxSqlBytes) throw tooLarge(maxSqlBytes)
  const rendered: Rendered = {
    sql,
    usedParams: evaluator.usedParams,
    settings: evaluator.settings,
    warnings: analysis.reserved.map(reservedWarning),
  }
  if (evaluator.cacheTtlSeconds !== undefined) rendered.cacheTtlSeconds = evaluator.cacheTtlSeconds
  return rendered
}

/**
 * List the request parameters a templated node reads, like Tinybird's `get_var_names_and_types` (used for
 * `/v0/pipes` metadata and OpenAPI). One entry per name, first-use order; the type, default, `required`,
 * `description`, `example`, `enum` and `format` come from the first typed helper call naming the parameter
 * (`Int32(limit, 10, description='…')`), and names used only untyped (`{{x}}`, `defined(x)`) are `String`.
 * Names assigned by `{% set %}` / `{% for %}` before any use are not parameters. A node without `%` has none.
 *
 * @param nodeSql - The node's SQL exactly as stored in the `.pipe` file.
 * @throws {ServerError} `ERR_TEMPLATE_SYNTAX` (400): the template does not parse; `details` = `{ line, column }`.
 * @see tinybird-compat.md §5.3 ("`required=True`, `description` and `enum` feed the endpoint's OpenAPI")
 * @example
 * ```ts
 * templateParams("%\nSELECT {{Int32(limit, 10, description='Rows')}}")
 * // → [{ name: 'limit', type: 'Int32', default: 10, required: false, description: 'Rows' }]
 * templateParams('%\n{% if defined(country) %}WHERE c = {{String(country)}}{% end %}')
 * // → [{ name: 'country', type: 'String', required: false }]
 * ```
 */
export function templateParams(nodeSql: string): TemplateParam[] {
  if (!isTemplated(nodeSql)) return []
  return guardStack(() => parse(nodeSql)).analysis.params.map((p) => ({
    ...p,
    ...(p.enum ? { enum: [...p.enum] } : {}),
  }))
}
