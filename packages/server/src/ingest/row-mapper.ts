/**
 * @module Maps NDJSON lines (or already-split CSV records) onto a data source's columns: JSONPath extraction,
 * defaults and nullability for missing values, type checks; good rows become `JSONEachRow` lines, bad rows
 * become quarantine rows that keep the original line. Pure; imports only siblings and datafile types.
 */
import type { ColumnDef } from '../datafiles/index.js'
import { compilePath, type Extractor } from './json-path.js'
import { checkValue, isNullable, parseType, type TypeNode } from './type-check.js'

/** One row bound for `<ds>_quarantine`. */
export interface QuarantineRow {
  /** Each column's raw value as text (JSON text for non-strings), or null when absent. */
  readonly values: Readonly<Record<string, string | null>>
  /** The columns that failed (`c__error_column`); empty for a line that is not JSON at all. */
  readonly errorColumns: readonly string[]
  /** One fixed-sentence reason per failure (`c__error`). */
  readonly errors: readonly string[]
  /** The original line (`c__line`), cut at 64 KiB. */
  readonly line: string
}

/** The outcome of mapping a batch. */
export interface MappedRows {
  /** `JSONEachRow` lines (no newline) ready for the engine. */
  readonly good: string[]
  /** Sum of the good lines' UTF-16 lengths plus one newline each: an estimate of their bytes. */
  readonly goodBytes: number
  readonly quarantine: QuarantineRow[]
}

interface CompiledColumn {
  readonly name: string
  readonly type: TypeNode | undefined
  readonly extract: Extractor | undefined
  /** What to do when the value is absent. */
  readonly missing: 'omit' | 'null' | 'error'
}

/** A compiled mapper for one data source definition. */
export interface RowMapper {
  /** Maps NDJSON lines. `invalidUtf8` holds the indexes of lines that were not valid UTF-8. */
  mapLines(lines: readonly string[], invalidUtf8?: ReadonlySet<number>): MappedRows
  /** Maps records already split into fields (CSV): `record[i]` feeds `columns[i]`. */
  mapRecords(records: readonly (readonly string[])[], columns: readonly string[]): MappedRows
}

const MAX_LINE_KEPT = 65_536

function asText(v: unknown): string | null {
  if (v === undefined || v === null) return null
  return typeof v === 'string' ? v : JSON.stringify(v)
}

/**
 * Compiles a mapper for `columns`. Columns with a JSONPath read it; when no column has one (`implicitPaths`)
 * each column reads `$.<name>`; other columns are left to their `DEFAULT`.
 *
 * Missing values: `DEFAULT` → the default; `Nullable` → null; `Array` → empty array; otherwise the row is
 * quarantined ("missing value").
 *
 * @throws {TypeError} when a JSONPath uses unsupported syntax.
 * @see tinybird-compat.md §4.1, §4.2
 */
export function compileRowMapper(columns: readonly ColumnDef[]): RowMapper {
  const implicit = !columns.some((c) => c.jsonPath !== undefined)
  let reuse = true
  const cols: CompiledColumn[] = columns.map((c) => {
    const path = c.jsonPath ?? (implicit ? `$.${c.name}` : undefined)
    const compiled = path === undefined ? undefined : compilePath(path)
    if (compiled !== undefined && compiled.topKey !== c.name) reuse = false
    const type = c.type === '' ? undefined : parseType(c.type)
    const missing =
      c.defaultExpr !== undefined || type === undefined
        ? 'omit'
        : isNullable(type)
          ? 'null'
          : type.name === 'Array' || type.name === 'Map'
            ? 'omit'
            : 'error'
    return { name: c.name, type, extract: compiled?.extract, missing }
  })
  const fed = cols.filter((c) => c.extract !== undefined)

  const vals: unknown[] = new Array<unknown>(cols.length)

  function mapObject(
    obj: Record<string, unknown>,
    line: string,
    good: string[],
    quarantine: QuarantineRow[],
  ): number {
    let same = reuse
    let errorColumns: string[] | undefined
    let errors: string[] | undefined
    // First pass: check into `vals` (undefined = leave out); no object is built when the line is reused.
    for (let i = 0; i < fed.length; i++) {
      const c = fed[i]
      if (c === undefined) continue
      const raw = c.extract?.(obj)
      vals[i] = undefined
      if (raw === undefined) {
        if (c.missing === 'null') vals[i] = null
        else if (c.missing === 'error') {
          ;(errorColumns ??= []).push(c.name)
          ;(errors ??= []).push(
            `missing value for column '${c.name}' (not Nullable and no DEFAULT)`,
          )
        }
        continue
      }
      if (c.type === undefined) {
        vals[i] = raw
        continue
      }
      const r = checkValue(c.type, raw)
      if (!r.ok) {
        ;(errorColumns ??= []).push(c.name)
        ;(errors ??= []).push(`column '${c.name}': ${r.reason}`)
        continue
      }
      if (r.value !== raw) same = false
      vals[i] = r.value
    }
    if (errors !== undefined) {
      quarantine.push(quarantineRow(obj, line, errorColumns ?? [], errors))
      return 0
    }
    let text = line
    if (!same) {
      const out: Record<string, unknown> = {}
      for (let i = 0; i < fed.length; i++) {
        const c = fed[i]
        if (c !== undefined && vals[i] !== undefined) out[c.name] = vals[i]
      }
      text = JSON.stringify(out)
    }
    good.push(text)
    return text.length + 1
  }

  function quarantineRow(
    obj: Record<string, unknown> | undefined,
    line: string,
    errorColumns: string[],
    errors: string[],
  ): QuarantineRow {
    const values: Record<string, string | null> = {}
    for (const c of cols)
      values[c.name] = obj === undefined || c.extract === undefined ? null : asText(c.extract(obj))
    return { values, errorColumns, errors, line: line.slice(0, MAX_LINE_KEPT) }
  }

  return {
    mapLines(lines, invalidUtf8) {
      const good: string[] = []
      const quarantine: QuarantineRow[] = []
      let goodBytes = 0
      for (let i = 0; i < lines.length; i++) {
        let line = lines[i] ?? ''
        if (line.endsWith('\r')) line = line.slice(0, -1)
        if (line.trim() === '') continue
        if (invalidUtf8?.has(i) === true) {
          quarantine.push(quarantineRow(undefined, line, [], ['invalid UTF-8 in the line']))
          continue
        }
        let obj: unknown
        try {
          obj = JSON.parse(line)
        } catch (e) {
          const why = e instanceof RangeError ? 'JSON nested too deeply' : 'invalid JSON'
          quarantine.push(quarantineRow(undefined, line, [], [why]))
          continue
        }
        if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
          quarantine.push(quarantineRow(undefined, line, [], ['the line is not a JSON object']))
          continue
        }
        goodBytes += mapObject(obj as Record<string, unknown>, line, good, quarantine)
      }
      return { good, goodBytes, quarantine }
    },
    mapRecords(records, names) {
      const good: string[] = []
      const quarantine: QuarantineRow[] = []
      let goodBytes = 0
      for (const rec of records) {
        const obj: Record<string, unknown> = {}
        names.forEach((n, i) => {
          const v = rec[i]
          if (v !== undefined) obj[n] = v
        })
        const line = rec
          .map((f) => (/[",\n]/.test(f) ? `"${f.replaceAll('"', '""')}"` : f))
          .join(',')
        if (rec.length > names.length) {
          quarantine.push(
            quarantineRow(
              obj,
              line,
              [],
              [
                `the record has ${String(rec.length)} fields, the data source ${String(names.length)} columns`,
              ],
            ),
          )
          continue
        }
        goodBytes += mapCsvObject(obj, line, good, quarantine)
      }
      return { good, goodBytes, quarantine }
    },
  }

  /** CSV fields are text: arrays and maps arrive as JSON text, empty fields mean absent. */
  function mapCsvObject(
    obj: Record<string, unknown>,
    line: string,
    good: string[],
    quarantine: QuarantineRow[],
  ): number {
    for (const c of cols) {
      const v = obj[c.name]
      if (typeof v !== 'string') continue
      const inner = c.type?.name === 'Nullable' ? c.type.args[0] : c.type
      const nullable = c.type !== undefined && isNullable(c.type)
      if (v === '' && (nullable || c.missing === 'omit') && inner?.name !== 'String') {
        if (nullable) obj[c.name] = null
        else Reflect.deleteProperty(obj, c.name)
      } else if (v === '\\N' && nullable) obj[c.name] = null
      else if (inner !== undefined && /^(Array|Map|Tuple)$/.test(inner.name)) {
        try {
          obj[c.name] = JSON.parse(v.replaceAll("'", '"'))
        } catch {
          // left as text: the type check quarantines it
        }
      }
    }
    const saved = reuse
    reuse = false
    try {
      return mapObject(obj, line, good, quarantine)
    } finally {
      reuse = saved
    }
  }
}

/**
 * Renders quarantine rows as `JSONEachRow` lines for `<ds>_quarantine`.
 *
 * @param importId - The request's import id (`c__import_id`).
 */
export function quarantineLines(rows: readonly QuarantineRow[], importId: string): string[] {
  return rows.map((r) =>
    JSON.stringify({
      ...r.values,
      c__error_column: r.errorColumns,
      c__error: r.errors,
      c__import_id: importId,
      c__line: r.line,
    }),
  )
}
