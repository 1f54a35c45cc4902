/**
 * @module Checks one JSON value against a ClickHouse column type before it reaches the engine, so that a bad
 * value sends its row to quarantine instead of failing a whole batch. Pure; imports nothing.
 */

/** A parsed ClickHouse type: a name and its arguments (types or raw argument text). */
export interface TypeNode {
  /** e.g. `Nullable`, `Array`, `DateTime64`, `Int32`. */
  readonly name: string
  /** Nested types for wrappers (`Nullable`, `Array`, `Map`, `Tuple`, `LowCardinality`). */
  readonly args: readonly TypeNode[]
  /** The raw text inside the parentheses, e.g. `3, 'UTC'` or `'a' = 1, 'b' = 2`. */
  readonly raw: string
}

/**
 * The outcome of a check. `value` is what to send to the engine (the input itself when nothing needed
 * normalizing, so callers can tell with `===`); `reason` is a fixed sentence for `c__error`.
 */
export type CheckResult = { ok: true; value: unknown } | { ok: false; reason: string }

/** Splits `a, b(c, d), 'e,f'` at top-level commas. */
function splitTop(s: string): string[] {
  const out: string[] = []
  let depth = 0
  let quote = ''
  let start = 0
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]
    if (quote !== '') {
      if (ch === '\\') i++
      else if (ch === quote) quote = ''
    } else if (ch === "'" || ch === '"' || ch === '`') quote = ch
    else if (ch === '(') depth++
    else if (ch === ')') depth--
    else if (ch === ',' && depth === 0) {
      out.push(s.slice(start, i).trim())
      start = i + 1
    }
  }
  const last = s.slice(start).trim()
  if (last !== '') out.push(last)
  return out
}

const WRAPPERS = new Set([
  'Nullable',
  'LowCardinality',
  'Array',
  'Map',
  'Tuple',
  'SimpleAggregateFunction',
])

/**
 * Parses a ClickHouse type string.
 *
 * Shape: {@link TypeNode}. Never throws: unknown syntax yields a node the checker passes through.
 *
 * @example
 * ```ts
 * parseType('Array(Nullable(Int32))') // → { name: 'Array', args: [{ name: 'Nullable', … }], raw: 'Nullable(Int32)' }
 * ```
 */
export function parseType(type: string): TypeNode {
  const t = type.trim()
  const open = t.indexOf('(')
  if (open < 0 || !t.endsWith(')')) return { name: t, args: [], raw: '' }
  const name = t.slice(0, open).trim()
  const raw = t.slice(open + 1, -1)
  if (!WRAPPERS.has(name)) return { name, args: [], raw }
  let parts = splitTop(raw)
  // Named tuple elements: `Tuple(a String, b Int32)`.
  if (name === 'Tuple') parts = parts.map((p) => p.replace(/^[A-Za-z_][A-Za-z0-9_]*\s+(?=\S)/, ''))
  // SimpleAggregateFunction(func, Type): check the value type.
  if (name === 'SimpleAggregateFunction') parts = parts.slice(1)
  return { name, args: parts.map(parseType), raw }
}

const INT_RANGES: Record<string, readonly [bigint, bigint]> = {
  Int8: [-128n, 127n],
  Int16: [-32768n, 32767n],
  Int32: [-2147483648n, 2147483647n],
  Int64: [-(2n ** 63n), 2n ** 63n - 1n],
  Int128: [-(2n ** 127n), 2n ** 127n - 1n],
  Int256: [-(2n ** 255n), 2n ** 255n - 1n],
  UInt8: [0n, 255n],
  UInt16: [0n, 65535n],
  UInt32: [0n, 4294967295n],
  UInt64: [0n, 2n ** 64n - 1n],
  UInt128: [0n, 2n ** 128n - 1n],
  UInt256: [0n, 2n ** 256n - 1n],
}

/** The same ranges as numbers, for the common safe-integer case (no BigInt on the hot path). */
const INT_NUMBER_RANGES: Record<string, readonly [number, number]> = Object.fromEntries(
  Object.entries(INT_RANGES).map(([k, [lo, hi]]) => [k, [Number(lo), Number(hi)]]),
)

const INT_TEXT = /^[-+]?\d+$/
const PLAIN_DATETIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/
const NUMBER_TEXT = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/
const UUID_TEXT =
  /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/
const IPV4_TEXT = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/
const DATE_TEXT = /^\d{4}-\d{1,2}-\d{1,2}/
const DATETIME_TEXT =
  /^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2}|UTC)?$/

const fail = (reason: string): CheckResult => ({ ok: false, reason })
const pass = (value: unknown): CheckResult => ({ ok: true, value })

function describe(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`
}

function checkInt(name: string, v: unknown): CheckResult {
  const range = INT_RANGES[name]
  if (range === undefined) return pass(v)
  let n: bigint
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) return fail(`${String(v)} is not an integer (${name})`)
    if (Number.isSafeInteger(v)) {
      const nr = INT_NUMBER_RANGES[name] ?? [0, 0]
      if (v < nr[0] || v > nr[1]) return fail(`${String(v)} is out of range for ${name}`)
      return pass(v)
    }
    n = BigInt(v)
  } else if (typeof v === 'boolean') {
    return pass(v ? 1 : 0)
  } else if (typeof v === 'string' && INT_TEXT.test(v.trim())) {
    n = BigInt(v.trim())
  } else {
    return fail(`expected ${name}, got ${describe(v)}`)
  }
  if (n < range[0] || n > range[1]) return fail(`value is out of range for ${name}`)
  return pass(typeof v === 'string' ? v.trim() : v)
}

function checkFloat(name: string, v: unknown): CheckResult {
  if (typeof v === 'number') return pass(v)
  if (typeof v === 'string') {
    const t = v.trim()
    if (NUMBER_TEXT.test(t) || /^[-+]?(inf|nan|infinity)$/i.test(t)) return pass(t)
  }
  return fail(`expected ${name}, got ${describe(v)}`)
}

function checkDateTime(name: string, v: unknown): CheckResult {
  if (typeof v === 'number') return v >= 0 ? pass(v) : fail(`${String(v)} is not a valid ${name}`)
  if (typeof v === 'string') {
    if (PLAIN_DATETIME.test(v)) return pass(v)
    const t = v.trim()
    if (INT_TEXT.test(t) || NUMBER_TEXT.test(t)) return pass(t)
    if (DATETIME_TEXT.test(t) || (!Number.isNaN(Date.parse(t)) && /\d/.test(t))) {
      if (name === 'Date' || name === 'Date32') {
        if (!DATE_TEXT.test(t)) return fail(`'${t.slice(0, 40)}' is not a valid ${name}`)
      }
      return pass(v)
    }
    return fail(`'${t.slice(0, 40)}' is not a valid ${name}`)
  }
  return fail(`expected ${name}, got ${describe(v)}`)
}

function enumNames(raw: string): Set<string> {
  const names = new Set<string>()
  for (const part of splitTop(raw)) {
    const m = /^'((?:[^'\\]|\\.)*)'/.exec(part)
    if (m?.[1] !== undefined) names.add(m[1])
  }
  return names
}

const enumCache = new Map<string, Set<string>>()

/**
 * Checks `v` (a parsed JSON value; `undefined` is never passed) against `type`.
 *
 * Accepted: integers as numbers, numeric strings or booleans, in range; floats as numbers or numeric strings;
 * strings (numbers, booleans, objects and arrays are turned into their JSON text for `String`); dates as
 * ISO-like text or Unix seconds; `Bool` as true/false/0/1; UUIDs, IPv4; enum names; arrays element-wise;
 * maps value-wise; `null` only for `Nullable`. Types it does not know pass through for the engine to decide.
 *
 * Shape: {@link CheckResult}; `value` is `v` itself when nothing was normalized.
 *
 * @example
 * ```ts
 * checkValue(parseType('Int16'), 40000) // → { ok: false, reason: '40000 is out of range for Int16' }
 * checkValue(parseType('String'), 7) // → { ok: true, value: '7' }
 * ```
 */
export function checkValue(t: TypeNode, v: unknown): CheckResult {
  switch (t.name) {
    case 'Nullable':
      return v === null ? pass(null) : checkValue(t.args[0] ?? t, v)
    case 'LowCardinality':
    case 'SimpleAggregateFunction':
      return t.args[0] === undefined ? pass(v) : checkValue(t.args[0], v)
    case 'Array': {
      if (!Array.isArray(v)) return fail(`expected an Array, got ${describe(v)}`)
      const inner = t.args[0]
      if (inner === undefined) return pass(v)
      let out: unknown[] | undefined
      for (let i = 0; i < v.length; i++) {
        const r = checkValue(inner, v[i])
        if (!r.ok) return fail(`element ${String(i)}: ${r.reason}`)
        if (r.value !== v[i]) {
          out ??= v.slice()
          out[i] = r.value
        }
      }
      return pass(out ?? v)
    }
    case 'Map': {
      if (v === null || typeof v !== 'object' || Array.isArray(v))
        return fail(`expected a Map (JSON object), got ${describe(v)}`)
      const vt = t.args[1]
      if (vt === undefined) return pass(v)
      let out: Record<string, unknown> | undefined
      for (const [k, x] of Object.entries(v)) {
        const r = checkValue(vt, x)
        if (!r.ok) return fail(`key '${k.slice(0, 40)}': ${r.reason}`)
        if (r.value !== x) {
          out ??= { ...(v as Record<string, unknown>) }
          out[k] = r.value
        }
      }
      return pass(out ?? v)
    }
  }
  if (v === null) return fail(`null is not allowed for ${t.name} (not Nullable)`)
  if (t.name in INT_RANGES) return checkInt(t.name, v)
  switch (t.name) {
    case 'Float32':
    case 'Float64':
    case 'BFloat16':
    case 'Decimal':
    case 'Decimal32':
    case 'Decimal64':
    case 'Decimal128':
    case 'Decimal256':
      return checkFloat(t.name, v)
    case 'String':
      if (typeof v === 'string') return pass(v)
      return pass(JSON.stringify(v))
    case 'FixedString': {
      const s = typeof v === 'string' ? v : JSON.stringify(v)
      const n = Number(t.raw)
      if (Number.isInteger(n) && Buffer.byteLength(s) > n)
        return fail(`value is longer than FixedString(${t.raw})`)
      return pass(s === v ? v : s)
    }
    case 'Date':
    case 'Date32':
    case 'DateTime':
    case 'DateTime64':
      return checkDateTime(t.name, v)
    case 'Bool':
    case 'Boolean':
      if (typeof v === 'boolean') return pass(v)
      if (v === 0 || v === 1) return pass(v === 1)
      if (typeof v === 'string' && /^(true|false|0|1)$/i.test(v.trim()))
        return pass(/^(true|1)$/i.test(v.trim()))
      return fail(`expected Bool, got ${describe(v)}`)
    case 'UUID':
      return typeof v === 'string' && UUID_TEXT.test(v)
        ? pass(v)
        : fail(
            `expected a UUID, got ${typeof v === 'string' ? `'${v.slice(0, 40)}'` : describe(v)}`,
          )
    case 'IPv4': {
      const m = typeof v === 'string' ? IPV4_TEXT.exec(v) : null
      if (m?.slice(1).every((x) => Number(x) <= 255)) return pass(v)
      return fail('expected an IPv4 address')
    }
    case 'Enum':
    case 'Enum8':
    case 'Enum16': {
      let names = enumCache.get(t.raw)
      if (names === undefined) {
        names = enumNames(t.raw)
        enumCache.set(t.raw, names)
      }
      if (typeof v === 'string' && names.has(v)) return pass(v)
      if (typeof v === 'number') return pass(v)
      return fail(`value is not one of the ${t.name} names`)
    }
    default:
      return pass(v)
  }
}

/** True when the type accepts null (`Nullable(…)`, possibly inside `LowCardinality`). */
export function isNullable(t: TypeNode): boolean {
  if (t.name === 'Nullable') return true
  if (t.name === 'LowCardinality' && t.args[0] !== undefined) return isNullable(t.args[0])
  return false
}
