/**
 * @module The public face of `ingest/`: body decoding, JSONPath mapping with type checks and quarantine,
 * CSV records, schema inference, rate budgets and the batching {@link IngestService}. Imports `engine/`,
 * `datafiles/` types and `../errors.js`; never `api/`.
 */
export { readBody, maybeGunzip, isGzip, splitLines } from './body.js'
export { compilePath, type CompiledPath, type Extractor } from './json-path.js'
export { checkValue, parseType, isNullable, type CheckResult, type TypeNode } from './type-check.js'
export {
  compileRowMapper,
  quarantineLines,
  type MappedRows,
  type QuarantineRow,
  type RowMapper,
} from './row-mapper.js'
export { parseCsv, type CsvParse } from './csv.js'
export { inferDatasource } from './infer-schema.js'
export { ByteBudget, type MsClock } from './byte-budget.js'
export {
  IngestService,
  INSERT_SETTINGS,
  type AppendOutcome,
  type BufferDepth,
  type FlushReport,
  type IngestApi,
  type IngestServiceOptions,
} from './service.js'
export { mockRows, prng, type MockColumn } from './mock.js'
export { addressKind, checkImportUrl } from './url-guard.js'
