/** @module Output formats of endpoints and the SQL API: extension ↔ ClickHouse format ↔ Content-Type. */
import { ServerError } from '../errors.js'

/** Endpoint file extensions Dunlin serves. */
export type OutputFormat = 'json' | 'csv' | 'ndjson' | 'parquet'

/** The ClickHouse format and Content-Type of each extension (tinybird-compat.md §3.1). */
export const ENDPOINT_FORMATS: Readonly<
  Record<OutputFormat, { engine: string; contentType: string }>
> = {
  json: { engine: 'JSON', contentType: 'application/json; charset=UTF-8' },
  csv: { engine: 'CSVWithNames', contentType: 'text/csv; charset=UTF-8' },
  ndjson: { engine: 'JSONEachRow', contentType: 'application/x-ndjson' },
  parquet: { engine: 'Parquet', contentType: 'application/octet-stream' },
}

/** `FORMAT` names the SQL API accepts, with their Content-Type (Tinybird's list). */
export const SQL_FORMATS: Readonly<Record<string, string>> = {
  JSON: 'application/json; charset=UTF-8',
  JSONStrings: 'application/json; charset=UTF-8',
  JSONEachRow: 'application/x-ndjson',
  CSV: 'text/csv; charset=UTF-8',
  CSVWithNames: 'text/csv; charset=UTF-8',
  TSV: 'text/tab-separated-values; charset=UTF-8',
  TSVWithNames: 'text/tab-separated-values; charset=UTF-8',
  PrettyCompact: 'text/plain; charset=UTF-8',
  Parquet: 'application/octet-stream',
}

/**
 * Resolves a `FORMAT` name from user SQL, case-insensitively.
 *
 * @throws {ServerError} `ERR_REQUEST_FORMAT` (400) for a format outside {@link SQL_FORMATS}.
 */
export function sqlFormat(name: string | undefined): { engine: string; contentType: string } {
  if (name === undefined) return { engine: 'JSON', contentType: 'application/json; charset=UTF-8' }
  const key = Object.keys(SQL_FORMATS).find((k) => k.toLowerCase() === name.toLowerCase())
  const contentType = key === undefined ? undefined : SQL_FORMATS[key]
  if (key === undefined || contentType === undefined) {
    throw new ServerError(
      'ERR_REQUEST_FORMAT',
      `invalid format, available ones: ${Object.keys(SQL_FORMATS).join(', ')}`,
      { details: { format: name } },
    )
  }
  return { engine: key, contentType }
}

/** Output settings a request may pass (0 or 1), validated as Tinybird does. */
const BOOLEAN_OUTPUT_SETTINGS = [
  'output_format_json_quote_64bit_integers',
  'output_format_json_quote_denormals',
  'output_format_parquet_string_as_string',
] as const

/**
 * Reads the output settings of a request.
 *
 * Shape: settings to pass to the engine, e.g. `{ output_format_json_quote_64bit_integers: 1, max_threads: 2 }`.
 *
 * @throws {ServerError} `ERR_REQUEST_PARAM` (400): a flag that is not 0 or 1; `max_threads` not a positive integer.
 * @see tinybird-compat.md §3.2
 */
export function outputSettings(get: (name: string) => string | undefined): Record<string, number> {
  const out: Record<string, number> = {}
  for (const name of BOOLEAN_OUTPUT_SETTINGS) {
    const v = get(name)
    if (v === undefined) continue
    if (!/^-?\d+$/.test(v))
      throw new ServerError('ERR_REQUEST_PARAM', `${name} must be an integer value`, {
        details: { param: name },
      })
    if (v !== '0' && v !== '1')
      throw new ServerError('ERR_REQUEST_PARAM', `${name} must be 0 or 1`, {
        details: { param: name },
      })
    out[name] = Number(v)
  }
  const mt = get('max_threads')
  if (mt !== undefined) {
    if (!/^-?\d+$/.test(mt))
      throw new ServerError('ERR_REQUEST_PARAM', 'max_threads must be an integer value', {
        details: { param: 'max_threads' },
      })
    if (Number(mt) < 1)
      throw new ServerError('ERR_REQUEST_PARAM', 'max_threads must be at least 1', {
        details: { param: 'max_threads' },
      })
    out['max_threads'] = Math.min(Number(mt), 64)
  }
  return out
}
