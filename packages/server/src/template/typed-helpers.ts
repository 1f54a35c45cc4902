/**
 * @module The typed parameter helpers: `String`, `Int8`…`Int256`, `UInt8`…`UInt256`, `Int`/`Integer`, `Float32`,
 * `Float64`, `Date`, `DateTime`, `DateTime64`, `Boolean`/`bool`, `Array` and `JSON`. Each validates a request value
 * and returns a runtime value whose rendering is always safe SQL. Pure; imports only siblings.
 *
 * Rendering decisions (printed by `{{ … }}`):
 * - integers render as bare, range-checked literals (`5`, `(-5)` when negative), for every width including
 *   Int64…UInt256. Tinybird prints `toInt32('5')`, which `LIMIT` does not accept in every ClickHouse version;
 * - floats render as bare numbers in Python's repr (`1.0`, `1e+16`), Tinybird prints `toFloat32('1.0')`;
 * - `Date` renders `'YYYY-MM-DD'`; `DateTime` `'YYYY-MM-DD HH:MM:SS'` (input may use `T`, a fraction and `Z`; the
 *   fraction and `Z` are dropped); `DateTime64` keeps the written fraction, `.000` when none;
 * - `Boolean` renders `1`/`0` and accepts only true/false/1/0 (any case) and the empty string (false).
 */
import { bind, given, type Bound, type EvalContext } from './call-args.js'
import { formatDate, formatDateTime, parseIsoDate, parseIsoDateTime } from './datetime.js'
import { escapeIdentifier } from './escape.js'
import { renderValue } from './render-value.js'
import { paramMissingError, paramTypeError } from './template-errors.js'
import {
  asText,
  firstOfList,
  fromJsonValue,
  Placeholder,
  PyError,
  PyList,
  SqlFragment,
  pyStr,
  truthy,
  type CallArgs,
  type PyValue,
} from './values.js'

/** A helper implementation: receives the call and the running render. */
export type Helper = (call: CallArgs, ctx: EvalContext) => PyValue

/** How one ClickHouse type validates and converts a value; `undefined` means invalid. */
interface TypeSpec {
  readonly name: string
  readonly placeholder: PyValue
  convert(v: PyValue): PyValue | undefined
}

const INT_BITS: Readonly<Record<string, number>> = {
  8: 8,
  16: 16,
  32: 32,
  64: 64,
  128: 128,
  256: 256,
}

function intSpec(name: string): TypeSpec {
  const unsigned = name.startsWith('U')
  const bits = BigInt(INT_BITS[name.replace(/^U?Int/, '')] ?? 32)
  const min = unsigned ? 0n : -(1n << (bits - 1n))
  const max = unsigned ? (1n << bits) - 1n : (1n << (bits - 1n)) - 1n
  return {
    name,
    placeholder: 0n,
    convert(v) {
      let n: bigint | undefined
      if (typeof v === 'bigint') n = v
      else if (typeof v === 'number' && Number.isInteger(v)) n = BigInt(v)
      else {
        const text = asText(v)
        if (text !== undefined && /^[+-]?\d+$/.test(text) && text.length <= 100) n = BigInt(text)
      }
      return n !== undefined && n >= min && n <= max ? n : undefined
    },
  }
}

function floatSpec(name: string): TypeSpec {
  return {
    name,
    placeholder: 0,
    convert(v) {
      if (typeof v === 'bigint' || typeof v === 'number') {
        const n = Number(v)
        return Number.isFinite(n) ? n : undefined
      }
      const text = asText(v)
      if (text === undefined || !/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(text))
        return undefined
      const n = Number(text)
      return Number.isFinite(n) ? n : undefined
    },
  }
}

const STRING_SPEC: TypeSpec = {
  name: 'String',
  placeholder: '__no_value__',
  convert(v) {
    if (v === null || (typeof v === 'object' && v.kind !== 'sql')) return undefined
    return pyStr(v)
  },
}

function dateSpec(name: 'Date' | 'DateTime' | 'DateTime64'): TypeSpec {
  const placeholder =
    name === 'Date'
      ? '2019-01-01'
      : name === 'DateTime'
        ? '2019-01-01 00:00:00'
        : '2019-01-01 00:00:00.000'
  return {
    name,
    placeholder,
    convert(v) {
      const text = asText(v)
      if (text === undefined) return undefined
      if (name === 'Date') {
        const t = parseIsoDate(text)
        return t && formatDate(t)
      }
      const t = parseIsoDateTime(text)
      return t && formatDateTime(t, name === 'DateTime64')
    },
  }
}

const BOOLEAN_SPEC: TypeSpec = {
  name: 'Boolean',
  placeholder: 0n,
  convert(v) {
    if (typeof v === 'boolean') return v ? 1n : 0n
    if (typeof v === 'bigint' || typeof v === 'number')
      return v === 0n || v === 0 ? 0n : v === 1n || v === 1 ? 1n : undefined
    const text = asText(v)?.toLowerCase()
    if (text === 'true' || text === '1') return 1n
    if (text === 'false' || text === '0' || text === '') return 0n
    return undefined
  },
}

const IDENTIFIER_SPEC: TypeSpec = {
  name: 'Symbol',
  placeholder: 'placeholder',
  convert(v) {
    if (v instanceof SqlFragment) return v
    const text = asText(v)
    return text === undefined
      ? undefined
      : new SqlFragment(escapeIdentifier(text.replace(/"/g, '')))
  },
}

const INT_NAMES = [
  'Int8',
  'Int16',
  'Int32',
  'Int64',
  'Int128',
  'Int256',
  'UInt8',
  'UInt16',
  'UInt32',
  'UInt64',
  'UInt128',
  'UInt256',
]

/** Element / scalar specs by the type name a template may write. */
const SPECS: ReadonlyMap<string, TypeSpec> = new Map<string, TypeSpec>([
  ['String', STRING_SPEC],
  ...INT_NAMES.map((n): [string, TypeSpec] => [n, intSpec(n)]),
  ['Int', intSpec('Int32')],
  ['Integer', intSpec('Int32')],
  ['Float32', floatSpec('Float32')],
  ['Float64', floatSpec('Float64')],
  ['Date', dateSpec('Date')],
  ['DateTime', dateSpec('DateTime')],
  ['DateTime64', dateSpec('DateTime64')],
  ['Boolean', BOOLEAN_SPEC],
  ['bool', BOOLEAN_SPEC],
  ['Symbol', IDENTIFIER_SPEC],
  ['Column', IDENTIFIER_SPEC],
])

/** Positional order of a typed helper's parameters, as in Tinybird. */
const TYPED_PARAMS = [
  'x',
  'default',
  'defined',
  'required',
  'description',
  'enum',
  'example',
  'format',
]
const ARRAY_PARAMS = [
  'x',
  'type',
  'default',
  'defined',
  'required',
  'description',
  'enum',
  'example',
  'format',
]

function checkEnum(b: Bound, value: PyValue, label: string, expected: string): void {
  const allowed = given(b, 'enum')
  if (allowed === undefined) return
  const options =
    allowed !== null &&
    typeof allowed === 'object' &&
    (allowed.kind === 'list' || allowed.kind === 'tuple')
      ? allowed.items.map(pyStr)
      : [pyStr(allowed)]
  if (!options.includes(pyStr(value))) throw paramTypeError(label, expected, { enum: options })
}

/**
 * The scalar typed helpers `String Int8…UInt256 Int Integer Float32 Float64 Date DateTime DateTime64`, called as
 * `Type(x, default=None, defined=True, required=None, description=None, enum=None, example=None, format=None)`.
 * Absent `x` takes `default`; with neither, `defined=True` fails and `defined=False` gives None. A list (repeated
 * GET key) uses its first element. `enum` restricts request values; the other keywords only document.
 *
 * @throws {ServerError} `ERR_TEMPLATE_PARAM_MISSING` (400): absent, no default, `defined=True`.
 * @throws {ServerError} `ERR_TEMPLATE_PARAM_TYPE` (400): invalid for the type or not in `enum`.
 * @example
 * ```ts
 * "{{String(x, 'test')}}", { x: 'tt' } → "'tt'"
 * "{{Int8(x)}}", { x: '-128' } → '(-128)'
 * "{{UInt64(x)}}", { x: '18446744073709551615' } → '18446744073709551615'
 * "{{Float32(x)}}", { x: '1' } → '1.0'
 * "{{Date(x)}}", { x: '2019-01-01' } → "'2019-01-01'"
 * "{{DateTime(x)}}", { x: '2018-09-07T23:55:00Z' } → "'2018-09-07 23:55:00'"
 * "{{DateTime64(x)}}", { x: '2020-09-09 10:10:10' } → "'2020-09-09 10:10:10.000'"
 * ```
 */
function typedHelper(fname: string, spec: TypeSpec): Helper {
  return (call, ctx) => {
    const b = bind(fname, call, TYPED_PARAMS, { required: 1 })
    const label = b.label('x')
    const fallback = b.values.get('default') ?? null
    const raw = b.values.get('x') ?? null
    let v: PyValue
    let fromRequest = false
    if (raw instanceof Placeholder) v = truthy(fallback) ? fallback : spec.placeholder
    else if (firstOfList(raw) !== null) {
      v = firstOfList(raw)
      fromRequest = true
    } else if (fallback !== null) v = fallback
    else if (truthy(b.values.get('defined') ?? true))
      throw paramMissingError(ctx.missingParams(label))
    else return null
    const out = spec.convert(v)
    if (out === undefined) throw paramTypeError(label, spec.name)
    if (fromRequest) checkEnum(b, out, label, spec.name)
    return out
  }
}

/**
 * `Boolean(x, default=None)` (alias `bool`): `1` or `0`. Accepts true/false/1/0 in any case, JSON booleans and the
 * empty string (false); absent gives `default`, or 0.
 *
 * @throws {ServerError} `ERR_TEMPLATE_PARAM_TYPE` (400): any other value.
 * @example
 * ```ts
 * "{{Boolean(x)}}", { x: 'TRUE' } → '1'
 * "{{Boolean(x)}}", { x: '0' } → '0'
 * "{{Boolean(x)}}", {} → '0'
 * ```
 */
const booleanHelper: Helper = (call) => {
  const b = bind('Boolean', call, TYPED_PARAMS, { required: 1 })
  const raw = b.values.get('x') ?? null
  const fallback = b.values.get('default') ?? null
  const v = raw instanceof Placeholder ? fallback : (firstOfList(raw) ?? fallback)
  if (v === null) return 0n
  const out = BOOLEAN_SPEC.convert(v)
  if (out === undefined) throw paramTypeError(b.label('x'), 'Boolean')
  return out
}

/** The elements of an `Array()` input: a comma-separated string, a list, a scalar (one element). */
function arrayInput(v: PyValue): readonly PyValue[] | undefined {
  const text = asText(v)
  if (text !== undefined && !(v instanceof SqlFragment && v.items)) return text.split(',')
  if (v === null) return undefined
  if (typeof v !== 'object') return [v]
  if (v.kind === 'list' || v.kind === 'tuple') return v.items
  if (v.kind === 'sql') return v.items
  return undefined
}

function elementSpec(type: string): TypeSpec {
  return SPECS.get(type) ?? STRING_SPEC
}

/**
 * Convert a request value to the typed list an `Array(x, type)` parameter holds, or undefined when any element
 * is invalid (Tinybird pre-converts such parameters so `{% for %}` and `','.join(x)` see a list).
 *
 * @example
 * ```ts
 * convertArrayParam('1,2', 'Int32') // → PyList [1n, 2n]
 * convertArrayParam('1,x', 'Int32') // → undefined
 * ```
 */
export function convertArrayParam(v: PyValue, type: string): PyList | undefined {
  const items = arrayInput(v)
  if (items === undefined) return undefined
  const spec = elementSpec(type)
  const out: PyValue[] = []
  for (const item of items) {
    const c = spec.convert(item)
    if (c === undefined) return undefined
    out.push(c)
  }
  return new PyList(out)
}

/**
 * `Array(x, type='String', default=None, defined=True, …)`: a ClickHouse array literal of validated elements. A
 * string is split on `,` (elements are not trimmed); a list (repeated GET key, JSON body) is taken as is. The
 * result prints as SQL and can also be iterated, measured with `len()` and tested with `in`.
 *
 * @throws {ServerError} `ERR_TEMPLATE_PARAM_MISSING` (400): absent, no default, `defined=True`.
 * @throws {ServerError} `ERR_TEMPLATE_PARAM_TYPE` (400): an invalid element; `details.index` names it.
 * @example
 * ```ts
 * "{{Array(foo)}}", { foo: 'a,b,c,d' } → "['a','b','c','d']"
 * "{{Array(foo, 'Int32')}}", { foo: '1,2,3,4' } → '[1,2,3,4]'
 * "{{Array(foo, 'Int32', default='1,2')}}", {} → '[1,2]'
 * ```
 */
const arrayHelper: Helper = (call, ctx) => {
  const b = bind('Array', call, ARRAY_PARAMS, { required: 1 })
  const label = b.label('x')
  const typeArg = given(b, 'type')
  const type = typeArg === undefined ? 'String' : asText(typeArg)
  if (type === undefined) throw new PyError("Array() type must be a string such as 'Int32'")
  const spec = elementSpec(type)
  const expected = `Array(${type})`
  const fallback = b.values.get('default') ?? null
  const raw = b.values.get('x') ?? null
  let v: PyValue
  let fromRequest = false
  if (raw instanceof Placeholder) {
    v = truthy(fallback)
      ? fallback
      : spec === STRING_SPEC
        ? ''
        : new PyList([spec.placeholder, spec.placeholder])
  } else if (raw !== null) {
    v = raw
    fromRequest = true
  } else if (fallback !== null) v = fallback
  else if (truthy(b.values.get('defined') ?? true))
    throw paramMissingError(ctx.missingParams(label))
  else return null
  const items = arrayInput(v)
  if (items === undefined) throw paramTypeError(label, expected)
  ctx.tick(items.length)
  const out = items.map((item, index) => {
    const c = spec.convert(item)
    if (c === undefined) throw paramTypeError(label, expected, { index })
    return c
  })
  if (fromRequest) for (const item of out) checkEnum(b, item, label, expected)
  return new SqlFragment(`[${out.map((x) => renderValue(x)).join(',')}]`, out)
}

/**
 * `JSON(x, default=None)`: the parsed JSON value (a JSON body value is used as is); absent gives `default`, or `{}`.
 * Meant for `{% for %}` and indexing; printing a dict gives a ClickHouse `map(…)`.
 *
 * @throws {ServerError} `ERR_TEMPLATE_PARAM_TYPE` (400): not valid JSON.
 * @example
 * ```ts
 * "{% for kv in JSON(p) %}{{kv['dp']}},{% end %}", { p: '[{"dp":"Sales"}]' } → "'Sales',"
 * ```
 */
const jsonHelper: Helper = (call) => {
  const b = bind('JSON', call, TYPED_PARAMS, { required: 1 })
  const raw = b.values.get('x') ?? null
  const fallback = b.values.get('default') ?? null
  let v: PyValue =
    raw instanceof Placeholder ? (truthy(fallback) ? fallback : '{}') : (raw ?? fallback ?? '{}')
  const text = asText(v)
  if (text !== undefined) {
    try {
      v = fromJsonValue(JSON.parse(text))
    } catch {
      throw paramTypeError(b.label('x'), 'JSON')
    }
  }
  return v
}

/** Typed helpers by name. */
export const TYPED_HELPERS: ReadonlyMap<string, Helper> = new Map<string, Helper>([
  ['String', typedHelper('String', STRING_SPEC)],
  ...INT_NAMES.map((n): [string, Helper] => [n, typedHelper(n, intSpec(n))]),
  ['Int', typedHelper('Int', intSpec('Int32'))],
  ['Integer', typedHelper('Integer', intSpec('Int32'))],
  ['Float32', typedHelper('Float32', floatSpec('Float32'))],
  ['Float64', typedHelper('Float64', floatSpec('Float64'))],
  ['Date', typedHelper('Date', dateSpec('Date'))],
  ['DateTime', typedHelper('DateTime', dateSpec('DateTime'))],
  ['DateTime64', typedHelper('DateTime64', dateSpec('DateTime64'))],
  ['Boolean', booleanHelper],
  ['bool', booleanHelper],
  ['Array', arrayHelper],
  ['JSON', jsonHelper],
])

/**
 * The parameter type a typed helper declares, as listed by `templateParams()` (`Int` → `Int32`, `bool` → `Boolean`).
 *
 * @example
 * ```ts
 * declaredType('Int', undefined) // → 'Int32'
 * declaredType('Array', 'Int8') // → 'Array(Int8)'
 * declaredType('column', undefined) // → undefined
 * ```
 */
export function declaredType(fname: string, arrayType: string | undefined): string | undefined {
  if (!TYPED_HELPERS.has(fname)) return undefined
  if (fname === 'Array') return `Array(${arrayType ?? 'String'})`
  if (fname === 'Int' || fname === 'Integer') return 'Int32'
  if (fname === 'bool') return 'Boolean'
  return fname
}
