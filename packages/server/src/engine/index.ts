/** @module The engine port and its adapters. Imports no sibling folder. */
export type {
  Engine,
  EngineCapabilities,
  InsertFormat,
  InsertOptions,
  InsertResult,
  QueryOptions,
  QueryResult,
  Settings,
} from './engine.js'
export { DEFAULT_LIMITS, readSettings, settingsClause } from './engine.js'
export { openChdbEngine, type ChdbEngineOptions } from './chdb.js'
export { openClickHouseEngine, type ClickHouseEngineOptions } from './clickhouse.js'
export { lazyEngine, type LazyEngine } from './lazy.js'
export {
  parseEngineError,
  scrubEngineText,
  toServerError,
  type ParsedEngineError,
} from './errors.js'
