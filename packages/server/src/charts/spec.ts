/**
 * @module Chart specs: the type of a chart definition, its zod schema, and the conversion between the
 * snake_case wire/datafile form and the camelCase form stored in the catalog. Pure: no I/O.
 */
import { createHash } from 'node:crypto'
import { z } from 'zod'

/** Chart kinds. `stacked` applies to `line`, `area`, `bar` and `horizontal-bar`. */
export const CHART_TYPES = [
  'line',
  'area',
  'bar',
  'horizontal-bar',
  'donut',
  'table',
  'kpi',
] as const

/** A chart kind. */
export type ChartType = (typeof CHART_TYPES)[number]

/** How values (category columns) are printed on axes, tooltips, tables and KPIs. */
export const VALUE_FORMATS = ['number', 'compact', 'percent', 'bytes'] as const

/** How index values are printed. `auto` prints them as the endpoint returns them. */
export const INDEX_FORMATS = ['auto', 'date', 'datetime', 'month', 'number'] as const

const NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/
const COLUMN = /^[^\s`]{1,255}$/
const COLOR = /^(#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,30}|rgba?\(\s*[\d.]+%?\s*(,\s*[\d.]+%?\s*){2,3}\))$/
const PARAM = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/
/** Page-only query parameters: never passed through to the endpoint. */
export const RESERVED_PAGE_PARAMS = [
  'token',
  'theme',
  'title',
  'parent_origin',
  'from',
  'q',
] as const

/**
 * The stored (camelCase) chart spec. Every optional field has a documented default.
 *
 * @see docs/charts.md for the datafile and API forms.
 */
export const chartSpecSchema = z
  .object({
    /** Name, unique per pipe: `[A-Za-z_][A-Za-z0-9_-]*`. Datafile charts take their file name. */
    name: z.string().regex(NAME, 'must be a name like top_airlines (letters, digits, _ and -)'),
    type: z.enum(CHART_TYPES, { error: `must be one of ${CHART_TYPES.join(', ')}` }),
    /** Shown above the chart unless the page has `?title=0`. Default: none. */
    title: z.string().max(200).optional(),
    description: z.string().max(2000).optional(),
    /** The column on the x axis (y axis for `horizontal-bar`), the slice names of a donut. */
    index: z.string().regex(COLUMN, 'must be a column name').optional(),
    /** Value columns: one series each. A `kpi` shows the first; a `table` shows all columns when empty. */
    categories: z.array(z.string().regex(COLUMN, 'must be a column name')).max(32).default([]),
    /** Series colors, in category order (hex, rgb() or a CSS color name). Default: a built-in palette. */
    colors: z.array(z.string().regex(COLOR, 'must be a color like #2563eb')).max(32).optional(),
    /** Stack the series. Default false. */
    stacked: z.boolean().default(false),
    valueFormat: z.enum(VALUE_FORMATS).default('number'),
    /** Fraction digits for values; default: up to 2. */
    decimals: z.number().int().min(0).max(10).optional(),
    /** Text before and after every value, e.g. `$` or ` min`. */
    prefix: z.string().max(16).optional(),
    suffix: z.string().max(16).optional(),
    indexFormat: z.enum(INDEX_FORMATS).default('auto'),
    /** Re-fetch interval, in seconds; 0 never refreshes. Default 0; minimum 1. */
    refreshIntervalSeconds: z.number().int().min(0).max(86_400).default(0),
    /** Endpoint parameters the page passes through from its own URL (`?limit=5`). Default none. */
    params: z
      .array(
        z
          .string()
          .regex(PARAM, 'must be a parameter name')
          .refine(
            (p) => !(RESERVED_PAGE_PARAMS as readonly string[]).includes(p),
            'is reserved by the chart page',
          ),
      )
      .max(64)
      .default([]),
    /** Endpoint parameters always sent (the page's passed-through values win). Default none. */
    defaultParams: z.record(z.string().regex(PARAM), z.string().max(2048)).default({}),
  })
  .strict()
  .superRefine((s, ctx) => {
    const needsIndex = s.type !== 'kpi' && s.type !== 'table'
    if (needsIndex && s.index === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['index'],
        message: `is required for a ${s.type} chart`,
      })
    }
    if (s.type !== 'table' && s.categories.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['categories'],
        message: `needs at least one column for a ${s.type} chart`,
      })
    }
    if ((s.type === 'donut' || s.type === 'kpi') && s.categories.length > 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['categories'],
        message: `takes exactly one column for a ${s.type} chart`,
      })
    }
    if (s.stacked && !['line', 'area', 'bar', 'horizontal-bar'].includes(s.type)) {
      ctx.addIssue({ code: 'custom', path: ['stacked'], message: `does not apply to ${s.type}` })
    }
  })

/** A validated chart spec (what `ChartEntry.spec` holds). */
export type ChartSpec = z.output<typeof chartSpecSchema>

/** camelCase spec key → snake_case wire key (also the datafile keyword, upper-cased). */
export const WIRE_KEYS: Readonly<Record<keyof ChartSpec, string>> = {
  name: 'name',
  type: 'type',
  title: 'title',
  description: 'description',
  index: 'index',
  categories: 'categories',
  colors: 'colors',
  stacked: 'stacked',
  valueFormat: 'value_format',
  decimals: 'decimals',
  prefix: 'prefix',
  suffix: 'suffix',
  indexFormat: 'index_format',
  refreshIntervalSeconds: 'refresh_interval',
  params: 'params',
  defaultParams: 'default_params',
}

const FROM_WIRE = new Map(Object.entries(WIRE_KEYS).map(([k, v]) => [v, k]))

/** One validation problem: the offending wire key (or `''` for the whole object) and a sentence. */
export interface SpecProblem {
  readonly key: string
  readonly message: string
}

/** The result of {@link parseWireSpec}. */
export type SpecResult =
  | { readonly ok: true; readonly spec: ChartSpec }
  | { readonly ok: false; readonly problems: readonly SpecProblem[] }

/**
 * Validates a chart definition in its wire form (snake_case keys, as the API and `.chart` files give it).
 *
 * Shape: `{ ok: true, spec }` or `{ ok: false, problems: [{ key, message }] }` where `key` is the wire key.
 */
export function parseWireSpec(wire: Readonly<Record<string, unknown>>): SpecResult {
  const camel: Record<string, unknown> = {}
  const problems: SpecProblem[] = []
  for (const [k, v] of Object.entries(wire)) {
    const ck = FROM_WIRE.get(k)
    if (ck === undefined) problems.push({ key: k, message: `unknown field '${k}'` })
    else camel[ck] = v
  }
  if (problems.length > 0) return { ok: false, problems }
  const r = chartSpecSchema.safeParse(camel)
  if (r.success) return { ok: true, spec: r.data }
  return {
    ok: false,
    problems: r.error.issues.map((i) => {
      const first = i.path[0]
      const wireKeys: Readonly<Record<string, string | undefined>> = WIRE_KEYS
      const key = typeof first === 'string' ? (wireKeys[first] ?? first) : ''
      const where = i.path.length > 1 ? `[${i.path.slice(1).map(String).join('.')}]` : ''
      return { key, message: key === '' ? i.message : `${key}${where} ${i.message}` }
    }),
  }
}

/** Reads a stored spec back; undefined when it no longer validates (e.g. written by a newer version). */
export function readStoredSpec(spec: Readonly<Record<string, unknown>>): ChartSpec | undefined {
  const r = chartSpecSchema.safeParse(spec)
  return r.success ? r.data : undefined
}

/** The wire form (snake_case keys) of a spec, for API responses. */
export function specToWire(spec: ChartSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const k of Object.keys(spec) as (keyof ChartSpec)[]) {
    const v: unknown = spec[k]
    if (v !== undefined) out[WIRE_KEYS[k]] = v
  }
  return out
}

/** Namespace of datafile chart ids (a fixed random UUID). */
const CHART_NAMESPACE = '6f1d3c0e-9b7a-4c55-8e21-3a5b7d9c1f42'

/**
 * An RFC 9562 UUIDv5 (SHA-1, name-based) of `name` in `namespace`.
 *
 * @see RFC 9562 §5.5
 */
export function uuidV5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex')
  const h = createHash('sha1').update(ns).update(name, 'utf8').digest()
  h[6] = ((h[6] ?? 0) & 0x0f) | 0x50
  h[8] = ((h[8] ?? 0) & 0x3f) | 0x80
  const x = h.subarray(0, 16).toString('hex')
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`
}

/**
 * The stable id of a datafile chart: UUIDv5 of `<pipe>/<name>` in Dunlin's chart namespace. The same
 * project gives the same ids on every server, so embed URLs survive restarts, re-deploys and data-dir
 * rebuilds, and differ between environments only by host and token.
 */
export function datafileChartId(pipe: string, name: string): string {
  return uuidV5(CHART_NAMESPACE, `${pipe}/${name}`)
}
