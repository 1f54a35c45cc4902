/**
 * @module Public face of `fetch/`: the client, its request pipeline and request building. Siblings import
 * only this file.
 */
export { createClient } from './client.js'
export type {
  ClientOptions,
  ColumnMeta,
  DunlinClient,
  PipeOptions,
  QueryResult,
  QueryStatistics,
  SqlOptions,
} from './client.js'
export type { EventsResult, EventsSender, SendOptions } from './events.js'
export { MAX_GET_URL_LENGTH } from './params.js'
export type { ParamValue, QueryParams, TokenPlacement } from './params.js'
export { DEFAULT_RETRY_POLICY, backoffDelayMs, isRefreshable } from './transport.js'
export type { FetchLike, RetryPolicy } from './transport.js'
