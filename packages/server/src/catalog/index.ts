/** @module The workspace catalog: state, persistence, composition of pipes and confinement of user SQL. */
export type {
  CatalogState,
  ChartEntry,
  DatasourceEntry,
  PipeEntry,
  RevocationEntry,
  SigningKeyEntry,
  TokenEntry,
  TokenOrigin,
  WorkspaceInfo,
} from './types.js'
export { FileCatalogStore, Sealer, writeFileAtomic, type CatalogStore } from './store.js'
export { ClickHouseCatalogStore, type ClickHouseCatalogStoreOptions } from './clickhouse-store.js'
export {
  clusterLayout,
  LOCAL_SUFFIX,
  mergeTreeParts,
  openClusterLayout,
  singleNodeLayout,
  type TableLayout,
  type TableSpec,
} from './layout.js'
export { applyChanges, catalogEntries, diffCatalog, type CatalogChange } from './changes.js'
export {
  emptyApplyReport,
  Workspace,
  type ApplyOptions,
  type ApplyProgress,
  type ApplyReport,
  type PopulatedNode,
  type FixtureRenderer,
  type TokenCodec,
} from './workspace.js'
export {
  composePipe,
  confineSql,
  endpointNode,
  outputNode,
  PIPE_AUTHOR_POLICY,
  type Composed,
  type ComposeOptions,
  type ConfineOptions,
  type ReadPolicy,
  type Resources,
} from './compose.js'
export {
  opsLogDdl,
  opsLogParts,
  jobsLogParts,
  pipeStatsDdl,
  pipeStatsParts,
  SERVICE_DATASOURCES,
  serviceTable,
  ttlSupported,
} from './service.js'
