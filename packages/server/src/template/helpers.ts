/**
 * @module The template's non-typed helpers: `defined`, `column`, `columns`, `symbol`, `table`, `sql_and`,
 * `split_to_array`, `enumerate_with_last`, `day_diff`, `date_diff_in_days|hours|minutes|seconds`, `sql_unescape`,
 * `error`, `custom_error`, `max_threads`, `cache_ttl`, `backend_hint`, `activate`, `disable`, `tb_secret`, `tb_var`.
 * Pure; imports only siblings and `../errors.js`.
 */
import { CustomTemplateError, ServerError } from '../errors.js'
import { iterate } from './builtins.js'
import { bind, given } from './call-args.js'
import { epochMs, strptime, UnsupportedFormatError, type CivilTime } from './datetime.js'
import { escapeIdentifier, escapeString } from './escape.js'
import { renderValue } from './render-value.js'
import { MESSAGE_PREFIX, paramMissingError, paramTypeError } from './template-errors.js'
import type { Helper } from './typed-helpers.js'
import {
  asNumber,
  asText,
  firstOfList,
  Placeholder,
  PyError,
  PyList,
  PyTuple,
  SqlFragment,
  pyStr,
  toJson,
  truthy,
  type PyValue,
} from './values.js'

const EMPTY = new SqlFragment('')
const SIMPLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** `column()` quoting: strip `"`, split on `.`, backquote each part. */
function quoteColumn(name: string): string {
  return name
    .replace(/"/g, '')
    .split('.')
    .map((part) => escapeIdentifier(part))
    .join('.')
}

function missingDefault(fname: string, label: string): ServerError {
  return new ServerError(
    'ERR_TEMPLATE_PARAM_MISSING',
    `${MESSAGE_PREFIX}Missing ${fname}() default value, use \`${fname}(${fname === 'column' ? 'column_name' : 'column_names'}, 'default_column_name')\``,
    { details: { params: [label] } },
  )
}

/**
 * `column(x, default)`: a column name from a parameter, backquoted; `"` is stripped and dots separate
 * `` `table`.`column` `` parts. Absent `x` uses `default`; with no default it fails.
 *
 * @throws {ServerError} `ERR_TEMPLATE_PARAM_MISSING` (400): `x` absent and no default.
 * @throws {ServerError} `ERR_TEMPLATE_PARAM_TYPE` (400): `x` is not a string.
 * @example
 * ```ts
 * "{{column(agg)}}", { agg: 'foo' } → '`foo`'
 * "{{column(agg)}}", { agg: '"foo"' } → '`foo`'
 * "{{column(agg)}}", { agg: 'json.a' } → '`json`.`a`'
 * "{{column(agg, 'id')}}", {} → '`id`'
 * ```
 */
const column: Helper = (call) => {
  const b = bind('column', call, ['x', 'default'], { required: 1 })
  const label = b.label('x')
  let v = firstOfList(b.values.get('x') ?? null)
  if (v === null || v instanceof Placeholder) v = given(b, 'default') ?? null
  if (v === null) throw missingDefault('column', label)
  const text = asText(v)
  if (text === undefined) throw paramTypeError(label, 'column name')
  return new SqlFragment(quoteColumn(text))
}

/**
 * `columns(x, default, fn=None)`: a comma-separated list of column names, each quoted like `column()`;
 * with `fn`, each becomes `` fn(`c`) as `c` ``. A list parameter is taken element by element.
 *
 * @throws {ServerError} `ERR_TEMPLATE_PARAM_MISSING` (400): `x` absent and no default.
 * @throws {ServerError} `ERR_TEMPLATE_PARAM_TYPE` (400): an empty name.
 * @example
 * ```ts
 * "{{columns(agg, 'a,b,c')}}", {} → '`a`,`b`,`c`'
 * "{{columns(agg, 'a,b,c')}}", { agg: 'foo' } → '`foo`'
 * "{{columns(cols, 'a', 'sum')}}", { cols: 'x, y' } → 'sum(`x`) as `x`,sum(`y`) as `y`'
 * ```
 */
const columns: Helper = (call) => {
  const b = bind('columns', call, ['x', 'default', 'fn'], { required: 1 })
  const label = b.label('x')
  let v = b.values.get('x') ?? null
  if (v === null || v instanceof Placeholder) v = given(b, 'default') ?? null
  if (v === null) throw missingDefault('columns', label)
  const list = v instanceof PyList ? v.items.map((x) => asText(x)) : asText(v)?.split(',')
  if (list === undefined) throw paramTypeError(label, 'column names')
  const names = list.map((n) => n?.trim())
  const fnArg = given(b, 'fn')
  const fn = fnArg === undefined ? undefined : asText(fnArg)
  if (fn !== undefined && !SIMPLE_NAME.test(fn))
    throw new PyError('columns() fn must be a function name')
  const parts = names.map((n) => {
    if (n === undefined || n === '') throw paramTypeError(label, 'column names')
    return fn === undefined ? quoteColumn(n) : `${fn}(${quoteColumn(n)}) as ${escapeIdentifier(n)}`
  })
  return new SqlFragment(parts.join(','))
}

/**
 * `symbol(x)`: one backquoted identifier (dots kept inside); `"` is stripped. Test mode: `` `placeholder` ``.
 *
 * @throws {ServerError} `ERR_TEMPLATE_PARAM_MISSING` (400): `x` absent.
 * @example
 * ```ts
 * "{{symbol(foo)}}", { foo: 'table-name' } → '`table-name`'
 * "{{symbol(foo)}}", { foo: '"table-name"' } → '`table-name`'
 * "{{symbol(foo)}}", { foo: 'a`b' } → '`a\\`b`'
 * ```
 */
const symbol: Helper = (call, ctx) => {
  const b = bind('symbol', call, ['x', 'quote'], { required: 1 })
  const v = firstOfList(b.values.get('x') ?? null)
  if (v instanceof Placeholder) return new SqlFragment('`placeholder`')
  if (v === null) throw paramMissingError(ctx.missingParams(b.label('x')))
  const text = asText(v)
  if (text === undefined) throw paramTypeError(b.label('x'), 'identifier')
  return new SqlFragment(escapeIdentifier(text.replace(/"/g, '')))
}

/**
 * `table(x)`: a bare table name (`name` or `db.name`), validated instead of escaped because it is printed
 * unquoted. Test mode: `placeholder`.
 *
 * @throws {ServerError} `ERR_TEMPLATE_PARAM_TYPE` (400): not a plain identifier.
 * @example
 * ```ts
 * "{{table(t)}}", { t: 'events' } → 'events'
 * "{{table(t)}}", { t: 'db.events' } → 'db.events'
 * ```
 */
const table: Helper = (call, ctx) => {
  const b = bind('table', call, ['x', 'quote'], { required: 1 })
  const v = firstOfList(b.values.get('x') ?? null)
  if (v instanceof Placeholder) return new SqlFragment('placeholder')
  if (v === null) throw paramMissingError(ctx.missingParams(b.label('x')))
  const text = asText(v)?.replace(/"/g, '')
  if (text === undefined || !/^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?$/.test(text)) {
    throw paramTypeError(b.label('x'), 'table name')
  }
  return new SqlFragment(text)
}

const SQL_AND_OPERATORS: Readonly<Record<string, string>> = {
  in: 'in',
  not_in: 'not in',
  gt: '>',
  lt: '<',
  gte: '>=',
  lte: '<=',
}

/**
 * `sql_and(col=value, col__in=…, col__not_in=…, col__gt/__lt/__gte/__lte=…)`: `AND`-joined conditions, skipping
 * `None` values (so absent parameters and `Int(x, defined=False)` drop out). Values print like `{{ }}`.
 *
 * @throws {ServerError} `ERR_TEMPLATE_SYNTAX` (400): an unknown `__suffix`.
 * @example
 * ```ts
 * "{{sql_and(a=a, b=b)}}", { a: '1', b: '2' } → "a = '1' and b = '2'"
 * "{{sql_and(a=a, b=b)}}", { b: '2' } → "b = '2'"
 * "{{sql_and(a=Int(a, defined=False), b=Int(b, defined=False))}}", { b: '2' } → 'b = 2'
 * "{{sql_and(a__in=Array(a), b=b)}}", { a: 'a,b,c', b: '2' } → "a in ['a','b','c'] and b = '2'"
 * "{{sql_and(a__not_in=Array(a), b=b)}}", { a: 'a,b,c', b: '2' } → "a not in ['a','b','c'] and b = '2'"
 * "{{sql_and(d__gte=Int32(d), d__lt=Int32(e))}}", { d: '1', e: '9' } → 'd >= 1 and d < 9'
 * ```
 */
const sqlAnd: Helper = (call) => {
  const parts: string[] = []
  for (const [key, value] of call.kwargs) {
    if (value === null) continue
    const cut = key.lastIndexOf('__')
    let name = key
    let op = '='
    if (cut >= 0) {
      const suffix = key.slice(cut + 2)
      const mapped = SQL_AND_OPERATORS[suffix]
      if (mapped === undefined) throw new PyError(`operand ${suffix} not supported`)
      name = key.slice(0, cut)
      op = mapped
    }
    parts.push(`${name} ${op} ${renderValue(value)}`)
  }
  return new SqlFragment(parts.join(' and '))
}

/**
 * `split_to_array(x, default='', separator=',')`: a list of trimmed strings (a list parameter is taken as is).
 *
 * @example
 * ```ts
 * "{{split_to_array(x)}}", { x: 'a, b ,c' } → "['a','b','c']"
 * "{{split_to_array(x, '', '|')}}", { x: 'a|b' } → "['a','b']"
 * "{{split_to_array(x, 'd')}}", {} → "['d']"
 * ```
 */
const splitToArray: Helper = (call) => {
  const b = bind('split_to_array', call, ['x', 'default', 'separator'], { required: 1 })
  let v = b.values.get('x') ?? null
  if (v === null || v instanceof Placeholder) v = b.values.get('default') ?? ''
  const sepValue = b.values.get('separator') ?? ','
  const sep = asText(sepValue)
  if (sep === undefined || sep === '')
    throw new PyError('split_to_array() separator must be a non-empty string')
  if (v instanceof PyList) return new PyList(v.items.map((x) => pyStr(x).trim()))
  const text = asText(v)
  if (text === undefined) throw paramTypeError(b.label('x'), 'String')
  return new PyList(text.split(sep).map((s) => s.trim()))
}

/**
 * `enumerate_with_last(xs)`: a list of `(is_last, x)` tuples, for comma-separated output in loops.
 *
 * @example
 * ```ts
 * "{{enumerate_with_last([1, 2])}}", {} → '[(0,1),(1,2)]'
 * "{% for last, x in enumerate_with_last(split_to_array(v)) %}{{x}}{% if not last %},{% end %}{% end %}", { v: 'a,b' } → "'a','b'"
 * ```
 */
const enumerateWithLast: Helper = (call, ctx) => {
  const items = iterate(
    bind('enumerate_with_last', call, ['arr'], { required: 1 }).values.get('arr') ?? null,
    ctx,
  )
  return new PyList(items.map((x, i) => new PyTuple([i === items.length - 1, x])))
}

type Unit = 'days' | 'hours' | 'minutes' | 'seconds'
const UNIT_SECONDS: Readonly<Record<Unit, number>> = {
  days: 86400,
  hours: 3600,
  minutes: 60,
  seconds: 1,
}

/**
 * `day_diff(d0, d1)` and `date_diff_in_days|hours|minutes|seconds(d0, d1, date_format, default=None,
 * backup_date_format=None, none_if_error=False)`: the absolute difference, truncated to whole units. Formats use
 * `strptime` directives (`%Y %m %d %H %M %S %f`); defaults `%Y-%m-%d` (days) and `%Y-%m-%d %H:%M:%S` (others).
 * Test mode (either side a placeholder): `default`, or 0.
 *
 * @throws {ServerError} `ERR_TEMPLATE_PARAM_TYPE` (400): a date does not match (unless `none_if_error=True`, which gives None).
 * @example
 * ```ts
 * "{{day_diff('2019-01-02', '2019-02-01')}}", {} → '30'
 * "{{date_diff_in_hours('2022-12-14 18:42:22', '2022-12-19 18:42:22')}}", {} → '120'
 * "{{date_diff_in_seconds('2022-12-19 18:42:22', '2022-12-19 18:43:22')}}", {} → '60'
 * ```
 */
function dateDiff(fname: string, unit: Unit, defaultFormat: string, message: string): Helper {
  return (call, ctx) => {
    const b = bind(
      fname,
      call,
      ['d0', 'd1', 'date_format', 'default', 'backup_date_format', 'none_if_error'],
      { required: 2 },
    )
    const d0 = b.values.get('d0') ?? null
    const d1 = b.values.get('d1') ?? null
    if (d0 instanceof Placeholder || d1 instanceof Placeholder) {
      const fallback = b.values.get('default') ?? null
      return truthy(fallback) ? fallback : 0n
    }
    const noneIfError = truthy(b.values.get('none_if_error') ?? false)
    const formats = [
      asText(b.values.get('date_format') ?? defaultFormat),
      asText(b.values.get('backup_date_format') ?? null),
    ].filter((f): f is string => f !== undefined)
    const parse = (v: PyValue, name: 'd0' | 'd1'): CivilTime | undefined => {
      if (v === null) {
        if (noneIfError) return undefined
        throw paramMissingError(ctx.missingParams(b.label(name)))
      }
      const text = asText(v)
      for (const f of formats) {
        try {
          const t = text === undefined ? undefined : strptime(text, f)
          if (t) return t
        } catch (e) {
          if (e instanceof UnsupportedFormatError)
            throw new PyError(`${fname}(): ${e.message} in the date format`)
          throw e
        }
      }
      if (noneIfError) return undefined
      throw new ServerError('ERR_TEMPLATE_PARAM_TYPE', `${MESSAGE_PREFIX}${message}`, {
        details: { param: b.label(name), expected: formats.join(' or ') },
      })
    }
    const t0 = parse(d0, 'd0')
    const t1 = parse(d1, 'd1')
    if (t0 === undefined || t1 === undefined) return null
    const micros = (t: CivilTime): number => Number((t.fraction + '000000').slice(3, 6))
    const seconds = Math.abs((epochMs(t1) - epochMs(t0)) / 1000 + (micros(t1) - micros(t0)) / 1e6)
    return BigInt(Math.trunc(seconds / UNIT_SECONDS[unit]))
  }
}

const DATETIME_FORMAT_HELP =
  'defaults to YYYY-MM-DD hh:mm:ss. Or %Y-%m-%d %H:%M:%S [.ssssss]Z, e.g. ms: 2022-12-19T18:42:22.591Z s:2022-12-19T18:42:22Z'

/** Characters `sql_unescape` may leave unescaped: both stay inside the string literal. */
const UNESCAPABLE = new Set(['"', '`'])

/**
 * `sql_unescape(x, what)`: `x` as a string literal with `what` left unescaped. Only `"` and `` ` `` can be left
 * unescaped (both are safe inside the literal); `%` and `_` are never escaped in Dunlin, so unescaping them is a
 * no-op; any other character stays escaped, so the literal can never be ended early.
 *
 * @example
 * ```ts
 * "{{sql_unescape(String(x), '%')}}", { x: 'testing%' } → "'testing%'"
 * "{{sql_unescape(String(x), '\"')}}", { x: 'a"b' } → `'a"b'`
 * "{{sql_unescape(String(x), \"'\")}}", { x: "a'b" } → "'a\\'b'"
 * ```
 */
const sqlUnescape: Helper = (call, ctx) => {
  const b = bind('sql_unescape', call, ['x', 'what'], { required: 1 })
  const raw = b.values.get('x') ?? null
  if (raw === null) throw paramMissingError(ctx.missingParams(b.label('x')))
  const text = raw instanceof Placeholder ? '__no_value__' : pyStr(raw)
  const what = asText(b.values.get('what') ?? '') ?? ''
  let sql = escapeString(text)
  if (UNESCAPABLE.has(what)) {
    sql = `'${text
      .split(what)
      .map((part) => escapeString(part).slice(1, -1))
      .join(what)}'`
  }
  return new SqlFragment(sql)
}

/**
 * `error(message[, code])`: stop the render with the template author's message (HTTP 400; `code` is ignored, as in
 * Tinybird). A no-op in test mode.
 *
 * @throws {ServerError} `ERR_TEMPLATE_ERROR` (400) with `message` as the error text.
 * @example
 * ```ts
 * "{% if not defined(x) %}{{ error('x is required') }}{% end %}", {} → throws ERR_TEMPLATE_ERROR 'x is required'
 * ```
 */
const errorHelper: Helper = (call, ctx) => {
  const b = bind('error', call, ['s', 'code'], { required: 1 })
  if (ctx.testMode) return EMPTY
  throw new ServerError('ERR_TEMPLATE_ERROR', pyStr(b.values.get('s') ?? null))
}

/**
 * `custom_error(body, code=400)`: stop the render; the response is `body` (object → JSON, string → text) with
 * status `code`. A no-op in test mode.
 *
 * @throws {CustomTemplateError} always (outside test mode).
 * @example
 * ```ts
 * "{{ custom_error({'error': 'nope'}, 404) }}", {} → throws CustomTemplateError { status: 404, body: { error: 'nope' } }
 * ```
 */
const customError: Helper = (call, ctx) => {
  const b = bind('custom_error', call, ['s', 'code'], { required: 1 })
  if (ctx.testMode) return EMPTY
  const code = asNumber(b.values.get('code') ?? 400n)
  throw new CustomTemplateError(
    toJson(b.values.get('s') ?? null),
    code === undefined ? 400 : Number(code),
  )
}

/**
 * `max_threads(n)`: request the ClickHouse setting `max_threads` (1…4096); prints nothing. Invalid values are
 * ignored, as in Tinybird.
 *
 * @example
 * ```ts
 * "{{max_threads(2)}}SELECT 1", {} → 'SELECT 1' with settings { max_threads: 2 }
 * ```
 */
const maxThreads: Helper = (call, ctx) => {
  const v = bind('max_threads', call, ['x'], { required: 1 }).values.get('x') ?? null
  const text = asText(v)
  const n =
    typeof v === 'bigint'
      ? v
      : text !== undefined && /^\d+$/.test(text.trim()) && text.length < 12
        ? BigInt(text.trim())
        : undefined
  if (n !== undefined && n >= 1n && n <= 4096n) ctx.settings['max_threads'] = Number(n)
  return EMPTY
}

const CACHE_TTLS: Readonly<Record<string, number>> = {
  '5s': 5,
  '1m': 60,
  '5m': 300,
  '30m': 1800,
  '1h': 3600,
}

/**
 * `cache_ttl(ttl)`: set the endpoint cache TTL; one of `5s 1m 5m 30m 1h`. Prints nothing.
 *
 * @throws {ServerError} `ERR_TEMPLATE_SYNTAX` (400): another value.
 * @example
 * ```ts
 * "{{cache_ttl('5m')}}SELECT 1", {} → 'SELECT 1' with cacheTtlSeconds 300
 * ```
 */
const cacheTtl: Helper = (call, ctx) => {
  const v = asText(bind('cache_ttl', call, ['ttl'], { required: 1 }).values.get('ttl') ?? null)
  const seconds = v === undefined || !Object.hasOwn(CACHE_TTLS, v) ? undefined : CACHE_TTLS[v]
  if (seconds === undefined) {
    throw new PyError(
      "Invalid TTL cache expression, valid expressions are ('5s', '1m', '5m', '30m', '1h')",
    )
  }
  ctx.cacheTtlSeconds = seconds
  return EMPTY
}

/**
 * `backend_hint(x)`, `activate(feature)`, `disable(feature)`: accepted and ignored; print nothing.
 *
 * @example
 * ```ts
 * "{{activate('analyzer')}}SELECT 1", {} → 'SELECT 1'
 * ```
 */
const noop =
  (fname: string): Helper =>
  (call) => {
    bind(fname, call, ['x'])
    return EMPTY
  }

/**
 * `tb_secret(name, default)` / `tb_var(name, default)`: workspace secrets are not supported yet, so the default
 * is returned (printed like any value), and without one the render fails.
 *
 * @throws {ServerError} `ERR_TEMPLATE_SYNTAX` (400): no default.
 * @example
 * ```ts
 * "{{tb_secret('k', 'fallback')}}", {} → "'fallback'"
 * ```
 */
const secret =
  (fname: string): Helper =>
  (call) => {
    const b = bind(fname, call, ['name', 'default'], { required: 1 })
    const fallback = b.values.get('default')
    if (fallback !== undefined && fallback !== null) return fallback
    throw new PyError('secrets are not supported')
  }

/**
 * `defined(x)`: whether the parameter was sent (not absent, not `null`, not a test-mode placeholder).
 *
 * @example
 * ```ts
 * "{% if defined(x) %}yes{% else %}no{% end %}", { x: '' } → 'yes'
 * "{% if defined(x) %}yes{% else %}no{% end %}", {} → 'no'
 * ```
 */
const defined: Helper = (call) => {
  const v = bind('defined', call, ['x']).values.get('x') ?? null
  return !(v === null || v instanceof Placeholder)
}

/** Non-typed helpers by name. */
export const HELPERS: ReadonlyMap<string, Helper> = new Map<string, Helper>([
  ['defined', defined],
  ['column', column],
  ['columns', columns],
  ['symbol', symbol],
  ['Symbol', symbol],
  ['Column', symbol],
  ['table', table],
  ['TABLE', table],
  ['sql_and', sqlAnd],
  ['split_to_array', splitToArray],
  ['enumerate_with_last', enumerateWithLast],
  [
    'day_diff',
    dateDiff(
      'day_diff',
      'days',
      '%Y-%m-%d',
      'invalid date format in function `day_diff`, it must be ISO format date YYYY-MM-DD, e.g. 2018-09-26. For other formats, try `date_diff_in_days`',
    ),
  ],
  [
    'date_diff_in_days',
    dateDiff(
      'date_diff_in_days',
      'days',
      '%Y-%m-%d',
      'invalid date format in function `date_diff_in_days`, it must be ISO format date YYYY-MM-DD, e.g. 2018-09-26',
    ),
  ],
  [
    'date_diff_in_hours',
    dateDiff(
      'date_diff_in_hours',
      'hours',
      '%Y-%m-%d %H:%M:%S',
      `invalid date_format in function \`date_diff_in_hours\`, ${DATETIME_FORMAT_HELP}`,
    ),
  ],
  [
    'date_diff_in_minutes',
    dateDiff(
      'date_diff_in_minutes',
      'minutes',
      '%Y-%m-%d %H:%M:%S',
      `invalid date_format in function \`date_diff_in_minutes\`, ${DATETIME_FORMAT_HELP}`,
    ),
  ],
  [
    'date_diff_in_seconds',
    dateDiff(
      'date_diff_in_seconds',
      'seconds',
      '%Y-%m-%d %H:%M:%S',
      `invalid date_format in function \`date_diff_in_seconds\`, ${DATETIME_FORMAT_HELP}`,
    ),
  ],
  ['sql_unescape', sqlUnescape],
  ['error', errorHelper],
  ['custom_error', customError],
  ['max_threads', maxThreads],
  ['cache_ttl', cacheTtl],
  ['backend_hint', noop('backend_hint')],
  ['activate', noop('activate')],
  ['disable', noop('disable')],
  ['tb_secret', secret('tb_secret')],
  ['tb_var', secret('tb_var')],
])
