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
export {
  emptyApplyReport,
  Workspace,
  type ApplyOptions,
  type ApplyProgress,
  type ApplyReport,
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
export { pipeStatsDdl, SERVICE_DATASOURCES, serviceTable } from './service.js'
