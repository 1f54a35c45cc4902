/**
 * @module Infers a data source schema (columns with JSONPaths) from the first NDJSON lines, for the Events
 * API's auto-create. Pure; imports datafile types only.
 */
import type { ColumnDef, DatasourceFile } from '../datafiles/index.js'

type Kind = 'int' | 'float' | 'bool' | 'datetime' | 'string' | 'json'

interface Seen {
  path: string
  name: string
  kinds: Set<Kind>
  nulls: number
  present: number
  array: boolean
}

const DATETIME = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/

function kindOf(v: unknown): Kind {
  if (typeof v === 'boolean') return 'bool'
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float'
  if (typeof v === 'string') return DATETIME.test(v) ? 'datetime' : 'string'
  return 'json'
}

function scalarType(kinds: Set<Kind>): string {
  if (kinds.size === 0) return 'String'
  if (kinds.size === 1) {
    const k = [...kinds][0]
    if (k === 'int') return 'Int64'
    if (k === 'float') return 'Float64'
    if (k === 'bool') return 'UInt8'
    if (k === 'datetime') return "DateTime64(3, 'UTC')"
    return 'String'
  }
  if ([...kinds].every((k) => k === 'int' || k === 'float')) return 'Float64'
  return 'String'
}

function columnName(path: string[]): string {
  const n = path.join('_').replace(/[^A-Za-z0-9_]/g, '_')
  return /^[A-Za-z_]/.test(n) ? n : `c_${n}`
}

/**
 * Infers columns from up to `maxRows` objects: nested objects are flattened (`$.a.b` → column `a_b`),
 * arrays become `Array(T)` with `[:]` paths, a key missing or null in some rows makes the column Nullable.
 * Timestamps look like `2024-01-02 03:04:05` or ISO 8601.
 *
 * Shape: a {@link DatasourceFile} named `name` with a MergeTree engine (default sorting key), or undefined
 * when no row is a JSON object.
 *
 * @see tinybird-compat.md §4.1 (auto-create from the inferred schema)
 */
export function inferDatasource(
  name: string,
  lines: readonly string[],
  maxRows = 1_000,
): DatasourceFile | undefined {
  const seen = new Map<string, Seen>()
  let rows = 0
  const visit = (v: unknown, path: string[]): void => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      if (path.length >= 4) {
        note(v, path)
        return
      }
      for (const [k, x] of Object.entries(v)) visit(x, [...path, k])
      return
    }
    note(v, path)
  }
  const note = (v: unknown, path: string[]): void => {
    if (path.length === 0) return
    const jp =
      '$' +
      path.map((p) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(p) ? `.${p}` : `['${p}']`)).join('') +
      (Array.isArray(v) ? '[:]' : '')
    const key = path.join('\u0000')
    let s = seen.get(key)
    if (s === undefined) {
      s = { path: jp, name: columnName(path), kinds: new Set(), nulls: 0, present: 0, array: false }
      seen.set(key, s)
    }
    s.present++
    if (v === null) s.nulls++
    else if (Array.isArray(v)) {
      s.array = true
      s.path = jp
      for (const x of v) if (x !== null) s.kinds.add(kindOf(x))
    } else s.kinds.add(kindOf(v))
  }
  for (const line of lines) {
    if (rows >= maxRows) break
    const t = line.trim()
    if (t === '') continue
    let obj: unknown
    try {
      obj = JSON.parse(t)
    } catch {
      continue
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) continue
    rows++
    visit(obj, [])
  }
  if (rows === 0 || seen.size === 0) return undefined
  const used = new Set<string>()
  const columns: ColumnDef[] = [...seen.values()].map((s, i) => {
    let colName = s.name
    while (used.has(colName)) colName += '_'
    used.add(colName)
    const base = s.kinds.has('json') ? 'String' : scalarType(s.kinds)
    const nullable = s.nulls > 0 || s.present < rows
    const type = s.array ? `Array(${base})` : nullable ? `Nullable(${base})` : base
    return { name: colName, type, jsonPath: s.path, line: i + 1 }
  })
  return {
    kind: 'datasource',
    name,
    file: `${name}.datasource`,
    columns,
    engine: { type: 'MergeTree' },
    indexes: [],
    tokens: [],
    tags: [],
  }
}
