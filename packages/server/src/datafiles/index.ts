/**
 * @module The public face of `datafiles/`: parsers for Tinybird `.datasource` and `.pipe` files, the project reader,
 * and the ClickHouse DDL built from a data source. Siblings import only this file. Only `readProject` does I/O.
 */
export type {
  ColumnDef,
  DatasourceFile,
  Diagnostic,
  EngineDef,
  IndexDef,
  NodeType,
  PipeFile,
  PipeNode,
  Project,
  TokenLine,
} from './types.js'
export { parseDatasource } from './parse-datasource.js'
export {
  endpointNode,
  isTemplatedSql,
  MATERIALIZED_TEMPLATE_MESSAGE,
  parsePipe,
} from './parse-pipe.js'
export { readProject } from './read-project.js'
export {
  columnSql,
  columnsSql,
  datasourceDdl,
  datasourceDdlParts,
  defaultSortingKey,
  engineSql,
  quoteIdent,
  withoutLowCardinality,
  type DdlParts,
  type Replication,
} from './datasource-ddl.js'
export { KNOWN_ENGINES } from './parse-engine.js'
export { datafileErrorDetails, isValidName, NAME_PATTERN } from './datafile-error.js'
export type { DatafileErrorCode, DatafileErrorDetails } from './datafile-error.js'
