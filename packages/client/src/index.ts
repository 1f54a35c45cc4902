/**
 * @module `@dunlin/client`: sign short-lived JWTs on your server ({@link createJWT}, {@link createTokenHandler})
 * and call Dunlin or Tinybird endpoints from the browser with a client that keeps the token fresh
 * ({@link createClient}). ESM, Web APIs only (browsers, Node 20+, edge runtimes); no `node:*` imports.
 */
export { createClient } from './fetch/index.js'
export type {
  ClientOptions,
  ColumnMeta,
  DunlinClient,
  EventsResult,
  EventsSender,
  FetchLike,
  ParamValue,
  PipeOptions,
  QueryParams,
  QueryResult,
  QueryStatistics,
  SendOptions,
  SqlOptions,
  TokenPlacement,
} from './fetch/index.js'
export {
  createJWT,
  createTokenHandler,
  createTokenManager,
  decodeExpiry,
  detectEnvironment,
  tokenFromEndpoint,
} from './token/index.js'
export type {
  ChannelLike,
  CreateJWTOptions,
  DatasourcesReadScope,
  ExpiresIn,
  FixedParamValue,
  JWTLimits,
  JWTScope,
  LockManagerLike,
  PipesReadScope,
  SigningKey,
  TokenEndpointOptions,
  TokenEnvironment,
  TokenGrant,
  TokenHandlerOptions,
  TokenManager,
  TokenManagerOptions,
  TokenRefreshedEvent,
  TokenResponseBody,
  TokenSource,
  VisibilityLike,
} from './token/index.js'
export {
  connectChartFrames,
  type ChartTokenRequest,
  type ConnectChartFramesOptions,
} from './charts/connect-chart-frames.js'
export { DunlinApiError, DunlinClientError } from './errors.js'
export type { ClientErrorCode, ServerErrorCode } from './errors.js'
export { systemClock } from './clock.js'
export type { Clock } from './clock.js'
