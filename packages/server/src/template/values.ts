/**
 * @module Runtime values of the template interpreter and their Python semantics: truthiness, `str()`/`repr()`,
 * equality, ordering, and conversion from request parameters. Pure; imports nothing outside this folder.
 */

/** A request parameter value as the API layer hands it over (JSON types; GET values are strings or string[]). */
export type TemplateValue =
  | string
  | number
  | boolean
  | null
  | readonly TemplateValue[]
  | { readonly [k: string]: TemplateValue }

/** Python `list`. */
export class PyList {
  readonly kind = 'list'
  readonly items: PyValue[]
  constructor(items: PyValue[]) {
    this.items = items
  }
}

/** Python `tuple`. */
export class PyTuple {
  readonly kind = 'tuple'
  readonly items: readonly PyValue[]
  constructor(items: readonly PyValue[]) {
    this.items = items
  }
}

/** Dictionary keys: the hashable scalar values. */
export type PyKey = null | boolean | bigint | number | string

/** Python `dict` with scalar keys (insertion-ordered, like Python). */
export class PyDict {
  readonly kind = 'dict'
  readonly map: Map<PyKey, PyValue>
  constructor(map: Map<PyKey, PyValue>) {
    this.map = map
  }
}

/** Python `range(start, stop, step)`, kept lazy. */
export class PyRange {
  readonly kind = 'range'
  readonly start: bigint
  readonly stop: bigint
  readonly step: bigint
  constructor(start: bigint, stop: bigint, step: bigint) {
    this.start = start
    this.stop = stop
    this.step = step
  }

  /** Number of elements. */
  get length(): bigint {
    const { start, stop, step } = this
    if (step > 0n) return stop > start ? (stop - start + step - 1n) / step : 0n
    return start > stop ? (start - stop - step - 1n) / -step : 0n
  }
}

/** Test mode's stand-in for a parameter that was not sent (Tinybird's `Placeholder`). */
export class Placeholder {
  readonly kind = 'placeholder'
  readonly name: string
  constructor(name: string) {
    this.name = name
  }
}

/**
 * Trusted SQL text produced by a helper that escaped or validated everything in it (`column()`, `Array()`,
 * `sql_and()`…). Rendered verbatim. Any operation on it (`+`, slicing, methods) yields a plain, untrusted `str`.
 * `items` is set for `Array()` results, so they can be iterated and measured.
 */
export class SqlFragment {
  readonly kind = 'sql'
  readonly sql: string
  readonly items: readonly PyValue[] | undefined
  constructor(sql: string, items?: readonly PyValue[]) {
    this.sql = sql
    this.items = items
  }
}

/** What a callable receives. `labels[i]` names positional argument `i` for error messages (a parameter name). */
export interface CallArgs {
  readonly args: readonly PyValue[]
  readonly kwargs: ReadonlyMap<string, PyValue>
  readonly labels: readonly string[]
}

/** A helper, builtin or bound method. */
export class PyFunction {
  readonly kind = 'function'
  readonly name: string
  readonly call: (call: CallArgs) => PyValue
  constructor(name: string, call: (call: CallArgs) => PyValue) {
    this.name = name
    this.call = call
  }
}

/** Every value the interpreter handles. Ints are `bigint`, floats are `number`, `None` is `null`. */
export type PyValue =
  | null
  | boolean
  | bigint
  | number
  | string
  | PyList
  | PyTuple
  | PyDict
  | PyRange
  | Placeholder
  | SqlFragment
  | PyFunction

/** Nesting limit for values (JSON parameters, nested lists) so recursive operations stay bounded. */
export const MAX_VALUE_DEPTH = 100
/** Longest string or list an operation may build, in characters or items. */
export const MAX_VALUE_LENGTH = 16 * 1024 * 1024

/** Raised for Python-level errors (TypeError, ValueError…); the evaluator adds the template position. */
export class PyError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'PyError'
  }
}

/**
 * Python's type name of `v`, for messages.
 *
 * @example
 * ```ts
 * typeName(1n) // → 'int'
 * typeName(null) // → 'NoneType'
 * typeName(new SqlFragment('`a`')) // → 'str'
 * ```
 */
export function typeName(v: PyValue): string {
  if (v === null) return 'NoneType'
  switch (typeof v) {
    case 'boolean':
      return 'bool'
    case 'bigint':
      return 'int'
    case 'number':
      return 'float'
    case 'string':
      return 'str'
    default:
      return v.kind === 'sql' ? 'str' : v.kind === 'placeholder' ? 'Placeholder' : v.kind
  }
}

/**
 * Python truthiness. `Array()` results are true when non-empty; placeholders are true.
 *
 * @example
 * ```ts
 * truthy('') // → false
 * truthy(new PyList([])) // → false
 * truthy(new Placeholder('x')) // → true
 * ```
 */
export function truthy(v: PyValue): boolean {
  if (v === null) return false
  switch (typeof v) {
    case 'boolean':
      return v
    case 'bigint':
      return v !== 0n
    case 'number':
      return v !== 0 && !Number.isNaN(v)
    case 'string':
      return v.length > 0
    default:
      switch (v.kind) {
        case 'list':
        case 'tuple':
          return v.items.length > 0
        case 'dict':
          return v.map.size > 0
        case 'range':
          return v.length > 0n
        case 'sql':
          return v.items ? v.items.length > 0 : v.sql.length > 0
        default:
          return true
      }
  }
}

/**
 * Python's `repr()` of a float: shortest round-trip digits, exponent form below 1e-4 and from 1e16, and a
 * trailing `.0` on integral values (`1.0`, `1e+16`, `1.5e-05`, `inf`, `nan`).
 *
 * @example
 * ```ts
 * floatRepr(1) // → '1.0'
 * floatRepr(1e16) // → '1e+16'
 * floatRepr(0.00001) // → '1e-05'
 * floatRepr(123.456) // → '123.456'
 * floatRepr(-Infinity) // → '-inf'
 * ```
 */
export function floatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan'
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf'
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0'
  const [mantissa = '', expText = '0'] = x.toExponential().split('e')
  const exp = Number(expText)
  const negative = mantissa.startsWith('-')
  const digits = mantissa.replace('-', '').replace('.', '')
  const sign = negative ? '-' : ''
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0] ?? ''}.${digits.slice(1)}` : digits
    const e = Math.abs(exp).toString().padStart(2, '0')
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${e}`
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`
  const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0')
  const frac = digits.slice(exp + 1)
  return `${sign}${intPart}.${frac === '' ? '0' : frac}`
}

function strRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'"
  let out = quote
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0
    if (ch === quote || ch === '\\') out += `\\${ch}`
    else if (ch === '\n') out += '\\n'
    else if (ch === '\r') out += '\\r'
    else if (ch === '\t') out += '\\t'
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`
    else out += ch
  }
  return out + quote
}

function checkDepth(depth: number): void {
  if (depth > MAX_VALUE_DEPTH) throw new PyError('value is nested too deeply')
}

/**
 * Python's `repr()`.
 *
 * @example
 * ```ts
 * pyRepr(new PyList(['a', 1n])) // → "['a', 1]"
 * pyRepr("it's") // → `"it's"`
 * pyRepr(new PyTuple([1n])) // → '(1,)'
 * ```
 */
export function pyRepr(v: PyValue, depth = 0): string {
  checkDepth(depth)
  if (typeof v === 'string') return strRepr(v)
  if (v !== null && typeof v === 'object') {
    switch (v.kind) {
      case 'list':
        return `[${v.items.map((x) => pyRepr(x, depth + 1)).join(', ')}]`
      case 'tuple':
        return v.items.length === 1
          ? `(${pyRepr(v.items[0] ?? null, depth + 1)},)`
          : `(${v.items.map((x) => pyRepr(x, depth + 1)).join(', ')})`
      case 'dict':
        return `{${[...v.map].map(([k, x]) => `${pyRepr(k, depth + 1)}: ${pyRepr(x, depth + 1)}`).join(', ')}}`
      case 'sql':
        return strRepr(v.sql)
      default:
        return pyStr(v)
    }
  }
  return pyStr(v)
}

/**
 * Python's `str()`. `SqlFragment`s give their SQL text, placeholders `__no_value__`.
 *
 * @example
 * ```ts
 * pyStr(null) // → 'None'
 * pyStr(true) // → 'True'
 * pyStr(2) // → '2.0'
 * pyStr(new Placeholder('x')) // → '__no_value__'
 * ```
 */
export function pyStr(v: PyValue): string {
  if (v === null) return 'None'
  switch (typeof v) {
    case 'boolean':
      return v ? 'True' : 'False'
    case 'bigint':
      return v.toString()
    case 'number':
      return floatRepr(v)
    case 'string':
      return v
    default:
      switch (v.kind) {
        case 'sql':
          return v.sql
        case 'placeholder':
          return '__no_value__'
        case 'range':
          return v.step === 1n
            ? `range(${v.start}, ${v.stop})`
            : `range(${v.start}, ${v.stop}, ${v.step})`
        case 'function':
          return `<function ${v.name}>`
        default:
          return pyRepr(v)
      }
  }
}

/**
 * Numeric view of bools, ints and floats (Python's bool is an int), or undefined.
 *
 * @example
 * ```ts
 * asNumber(true) // → 1n
 * asNumber('1') // → undefined
 * ```
 */
export function asNumber(v: PyValue): bigint | number | undefined {
  if (typeof v === 'boolean') return v ? 1n : 0n
  if (typeof v === 'bigint' || typeof v === 'number') return v
  return undefined
}

/**
 * Text view of strings and SQL fragments, or undefined.
 *
 * @example
 * ```ts
 * asText(new SqlFragment('`a`')) // → '`a`'
 * asText(1n) // → undefined
 * ```
 */
export function asText(v: PyValue): string | undefined {
  if (typeof v === 'string') return v
  if (v !== null && typeof v === 'object' && v.kind === 'sql') return v.sql
  return undefined
}

/**
 * Sequence view of lists, tuples and `Array()` results, or undefined.
 *
 * @example
 * ```ts
 * asSequence(new PyTuple([1n])) // → [1n]
 * asSequence('ab') // → undefined
 * ```
 */
export function asSequence(v: PyValue): readonly PyValue[] | undefined {
  if (v === null || typeof v !== 'object') return undefined
  if (v.kind === 'list' || v.kind === 'tuple') return v.items
  if (v.kind === 'sql') return v.items
  return undefined
}

/**
 * A list parameter used where one value is expected (a repeated GET key) stands for its first element.
 *
 * @example
 * ```ts
 * firstOfList(new PyList(['a', 'b'])) // → 'a'
 * firstOfList(new PyList([])) // → null
 * firstOfList('a') // → 'a'
 * ```
 */
export function firstOfList(v: PyValue): PyValue {
  return v instanceof PyList ? (v.items[0] ?? null) : v
}

/**
 * Python `==`.
 *
 * @example
 * ```ts
 * pyEquals(1n, 1.0) // → true
 * pyEquals('1', 1n) // → false
 * ```
 */
export function pyEquals(a: PyValue, b: PyValue, depth = 0): boolean {
  checkDepth(depth)
  const na = asNumber(a)
  const nb = asNumber(b)
  if (na !== undefined && nb !== undefined) {
    // Loose equality between bigint and number is exactly Python's int/float equality.
    return na == nb
  }
  const ta = asText(a)
  const tb = asText(b)
  if (ta !== undefined && tb !== undefined) return ta === tb
  if (a === null || b === null) return a === b
  if (typeof a !== 'object' || typeof b !== 'object') return false
  if (a.kind === 'list' && b.kind === 'list') return seqEquals(a.items, b.items, depth)
  if (a.kind === 'tuple' && b.kind === 'tuple') return seqEquals(a.items, b.items, depth)
  if (a.kind === 'dict' && b.kind === 'dict') {
    if (a.map.size !== b.map.size) return false
    for (const [k, v] of a.map) {
      const key = dictKey(k)
      if (!b.map.has(key) || !pyEquals(v, b.map.get(key) ?? null, depth + 1)) return false
    }
    return true
  }
  if (a.kind === 'range' && b.kind === 'range') {
    return a.start === b.start && a.stop === b.stop && a.step === b.step
  }
  return a === b
}

function seqEquals(a: readonly PyValue[], b: readonly PyValue[], depth: number): boolean {
  return a.length === b.length && a.every((x, i) => pyEquals(x, b[i] ?? null, depth + 1))
}

/**
 * Python ordering (`<`): numbers with numbers, strings with strings, lists/tuples lexicographically.
 * Returns negative, zero or positive.
 *
 * @throws {PyError} for types Python cannot order.
 *
 * @example
 * ```ts
 * pyCompare(1n, 2.5, '<') // → -1
 * pyCompare('b', 'a', '<') // → 1
 * ```
 */
export function pyCompare(a: PyValue, b: PyValue, op: string, depth = 0): number {
  checkDepth(depth)
  const na = asNumber(a)
  const nb = asNumber(b)
  if (na !== undefined && nb !== undefined) {
    if (Number.isNaN(na) || Number.isNaN(nb)) return Number.NaN
    return na < nb ? -1 : na > nb ? 1 : 0
  }
  const ta = asText(a)
  const tb = asText(b)
  if (ta !== undefined && tb !== undefined) return ta < tb ? -1 : ta > tb ? 1 : 0
  if (
    a !== null &&
    b !== null &&
    typeof a === 'object' &&
    typeof b === 'object' &&
    a.kind === b.kind &&
    (a.kind === 'list' || a.kind === 'tuple')
  ) {
    const xs = asSequence(a) ?? []
    const ys = asSequence(b) ?? []
    for (let i = 0; i < Math.min(xs.length, ys.length); i++) {
      const x = xs[i] ?? null
      const y = ys[i] ?? null
      if (!pyEquals(x, y, depth + 1)) return pyCompare(x, y, op, depth + 1)
    }
    return xs.length - ys.length
  }
  let hint = ''
  if (a instanceof Placeholder || b instanceof Placeholder) {
    hint =
      '. If you are using a dynamic parameter, you need to wrap it around a valid Data Type (e.g. Int8(placeholder))'
  }
  throw new PyError(
    `'${op}' not supported between instances of '${typeName(a)}' and '${typeName(b)}'${hint}`,
  )
}

/**
 * Normalise a value into a dict key (ints and integral floats share keys, as in Python).
 *
 * @example
 * ```ts
 * dictKey(2.0) // → 2n
 * dictKey('k') // → 'k'
 * ```
 */
export function dictKey(v: PyValue): PyKey {
  if (v === null || typeof v === 'boolean' || typeof v === 'bigint' || typeof v === 'string')
    return v
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : v
  if (v.kind === 'sql') return v.sql
  throw new PyError(`unhashable type: '${typeName(v)}'`)
}

/**
 * Convert JSON data (a request parameter, or the result of `JSON.parse`) to a runtime value: integers become
 * ints, other numbers floats, arrays lists, objects dicts, `null` `None`.
 *
 * @throws {PyError} when the value nests deeper than {@link MAX_VALUE_DEPTH} or is not JSON data.
 *
 * @example
 * ```ts
 * fromJsonValue({ a: [1, 1.5, null] }) // → PyDict { a: PyList [1n, 1.5, null] }
 * ```
 */
export function fromJsonValue(v: unknown, depth = 0): PyValue {
  checkDepth(depth)
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : v
  if (Array.isArray(v)) return new PyList(v.map((x: unknown) => fromJsonValue(x, depth + 1)))
  if (typeof v === 'object') {
    const map = new Map<PyKey, PyValue>()
    for (const [k, x] of Object.entries(v)) map.set(k, fromJsonValue(x, depth + 1))
    return new PyDict(map)
  }
  throw new PyError(`unsupported parameter value of type ${typeof v}`)
}

/**
 * Convert a runtime value to JSON-compatible data (for `custom_error` bodies).
 *
 * @example
 * ```ts
 * toJson(new PyList([1n, 'a'])) // → [1, 'a']
 * ```
 */
export function toJson(v: PyValue, depth = 0): unknown {
  checkDepth(depth)
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v
  if (typeof v === 'bigint')
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(v)
      : v.toString()
  if (typeof v === 'number') return Number.isFinite(v) ? v : null
  switch (v.kind) {
    case 'list':
    case 'tuple':
      return v.items.map((x) => toJson(x, depth + 1))
    case 'dict':
      // fromEntries defines own properties, so a `__proto__` key stays data.
      return Object.fromEntries([...v.map].map(([k, x]) => [pyStr(k), toJson(x, depth + 1)]))
    case 'sql':
      return v.sql
    default:
      return pyStr(v)
  }
}
