/**
 * @module Schema-faithful fake rows for `dunlin mock`: values chosen by column name (emails, airlines, airport
 * codes, ages, ids…) and by ClickHouse type, deterministic for a seed, shaped by the columns' JSONPaths so
 * the Events API maps them back. Pure; imports siblings only.
 */
import { parseType, type TypeNode } from './type-check.js'

/** A column as `GET /v0/datasources/<name>` describes it. */
export interface MockColumn {
  readonly name: string
  readonly type: string
  readonly jsonpath?: string | null
  readonly default_value?: string | null
}

/** A deterministic 32-bit PRNG (mulberry32): the same seed gives the same sequence. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const AIRLINES = ['BrianAir', 'FlyBird', 'SkyLark', 'Dunlin Air', 'Puffin Wings', 'Heron Jet']
const AIRPORTS = [
  'SFO',
  'LAX',
  'JFK',
  'ORD',
  'ATL',
  'DFW',
  'SEA',
  'BOS',
  'MIA',
  'DEN',
  'LHR',
  'CDG',
]
const FIRST = [
  'Ada',
  'Bo',
  'Cleo',
  'Dan',
  'Eve',
  'Finn',
  'Gia',
  'Hugo',
  'Iris',
  'Jon',
  'Kai',
  'Lena',
]
const LAST = ['Smith', 'Garcia', 'Chen', 'Okafor', 'Novak', 'Rossi', 'Kim', 'Silva', 'Müller']
const MEALS = ['vegetarian', 'vegan', 'chicken', 'fish', 'none']
const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'omega', 'sigma', 'kappa', 'lambda']
const COUNTRIES = ['US', 'GB', 'FR', 'DE', 'ES', 'JP', 'BR', 'IN']

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)] as T
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0')
}

function dateTime(ms: number, withMs: boolean): string {
  const d = new Date(ms)
  const s = `${String(d.getUTCFullYear())}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
  return withMs ? `${s}.${pad(d.getUTCMilliseconds(), 3)}` : s
}

const INT_MAX: Record<string, number> = {
  Int8: 127,
  Int16: 32767,
  UInt8: 255,
  UInt16: 65535,
}

/** One value for a type, steered by the column name. */
function valueFor(t: TypeNode, name: string, r: () => number, i: number, nowMs: number): unknown {
  const n = name.toLowerCase()
  switch (t.name) {
    case 'Nullable':
      return r() < 0.1 ? null : valueFor(t.args[0] ?? t, name, r, i, nowMs)
    case 'LowCardinality':
    case 'SimpleAggregateFunction':
      return valueFor(t.args[0] ?? t, name, r, i, nowMs)
    case 'Array': {
      const len = Math.floor(r() * 4)
      return Array.from({ length: len }, () => valueFor(t.args[0] ?? t, name, r, i, nowMs))
    }
    case 'Map':
      return { [pick(r, WORDS)]: valueFor(t.args[1] ?? t, name, r, i, nowMs) }
    case 'Date':
    case 'Date32':
      return dateTime(nowMs - Math.floor(r() * 30 * 86_400_000), false).slice(0, 10)
    case 'DateTime':
    case 'DateTime64':
      // Recent times, so dashboards over "the last hour/day" move.
      return dateTime(nowMs - Math.floor(r() * 60_000), t.name === 'DateTime64')
    case 'Bool':
      return r() < 0.5
    case 'UUID': {
      const h = (): string =>
        Math.floor(r() * 0x10000)
          .toString(16)
          .padStart(4, '0')
      return `${h()}${h()}-${h()}-4${h().slice(1)}-a${h().slice(1)}-${h()}${h()}${h()}`
    }
    case 'Float32':
    case 'Float64':
    case 'Decimal':
      if (/price|amount|total|revenue|cost/.test(n)) return Math.round(r() * 50_000) / 100
      if (n.includes('lat')) return Math.round((r() * 180 - 90) * 1e4) / 1e4
      if (/lon|lng/.test(n)) return Math.round((r() * 360 - 180) * 1e4) / 1e4
      return Math.round(r() * 1e4) / 100
    case 'String':
    case 'FixedString':
      return stringFor(n, r, i)
  }
  if (/^U?Int\d+$/.test(t.name)) {
    if (n.includes('age')) return 18 + Math.floor(r() * 62)
    if (/bags|count|qty|quantity/.test(n)) return Math.floor(r() * 4)
    if (/priority|flag|is_|has_/.test(n)) return r() < 0.3 ? 1 : 0
    if (/passport|number|id$/.test(n)) return 100_000 + Math.floor(r() * 900_000)
    if (n.includes('status')) return pick(r, [200, 200, 200, 301, 404, 500])
    const max = INT_MAX[t.name] ?? 100_000
    return Math.floor(r() * Math.min(max, 100_000))
  }
  if (t.name.startsWith('Enum')) {
    const m = [...t.raw.matchAll(/'((?:[^'\\]|\\.)*)'/g)].map((x) => x[1] ?? '')
    return m.length > 0 ? pick(r, m) : ''
  }
  return stringFor(n, r, i)
}

function stringFor(n: string, r: () => number, i: number): string {
  if (n.includes('email')) return `${pick(r, FIRST).toLowerCase()}.${String(i)}@example.com`
  if (/airline|carrier/.test(n)) return pick(r, AIRLINES)
  if (/from|to$|origin|dest|airport/.test(n)) return pick(r, AIRPORTS)
  if (n.includes('meal')) return pick(r, MEALS)
  if (n.includes('country')) return pick(r, COUNTRIES)
  if (/org|tenant|account|company/.test(n)) return `org_${'abcde'[Math.floor(r() * 5)] ?? 'a'}`
  if (/transaction|session|request|trace|uuid|_id$|^id$/.test(n))
    return `${n.slice(0, 2)}_${Math.floor(r() * 2 ** 48).toString(36)}`
  if (/name|user/.test(n)) return `${pick(r, FIRST)} ${pick(r, LAST)}`
  if (/url|path|page/.test(n)) return `/${pick(r, WORDS)}/${pick(r, WORDS)}`
  if (/agent|browser/.test(n)) return pick(r, ['Chrome', 'Firefox', 'Safari', 'Edge'])
  return pick(r, WORDS)
}

/** Sets `value` at a JSONPath (`$.a.b`, `$.tags[:]`) inside `obj`. */
function setAt(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = [...path.replace(/\[:\]$/, '').matchAll(/\.([^.[\]]+)|\['([^']+)'\]/g)].map(
    (m) => m[1] ?? m[2] ?? '',
  )
  let cur = obj
  keys.forEach((k, idx) => {
    if (idx === keys.length - 1) cur[k] = value
    else {
      const next = cur[k]
      if (next === null || typeof next !== 'object' || Array.isArray(next)) cur[k] = {}
      cur = cur[k] as Record<string, unknown>
    }
  })
}

/**
 * Makes a generator of mock rows for `columns`.
 *
 * Shape: `(i) => object`, the i-th JSON event (shaped by the JSONPaths; columns without one use their name;
 * columns with only a `DEFAULT` are left out). Same seed, same index order → same rows, except
 * date/time values, which are drawn within the minute before `nowMs()` so live dashboards move.
 *
 * @param seed - Any 32-bit integer. Default 1.
 * @example
 * ```ts
 * const next = mockRows([{ name: 'age', type: 'Int16', jsonpath: '$.age' }], 7)
 * next(0) // → { age: 42 } (the same for every run with seed 7)
 * ```
 */
export function mockRows(
  columns: readonly MockColumn[],
  seed = 1,
  nowMs: () => number = Date.now,
): (i: number) => Record<string, unknown> {
  const r = prng(seed)
  const typed = columns
    .filter((c) => c.type !== '' && !(c.jsonpath == null && c.default_value != null))
    .map((c) => ({ c, t: parseType(c.type), path: c.jsonpath ?? `$.${c.name}` }))
  return (i) => {
    const obj: Record<string, unknown> = {}
    for (const { c, t, path } of typed) setAt(obj, path, valueFor(t, c.name, r, i, nowMs()))
    return obj
  }
}
