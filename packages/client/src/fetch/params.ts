/**
 * @module Request building: query parameters to a URL (arrays as repeated keys, as the Tinybird SDK sends
 * them) or to a JSON body, and the GET→POST switch for long URLs. Pure; imports nothing.
 */

/**
 * A scalar parameter value. Numbers, booleans and bigints are sent as their decimal/text form.
 *
 * @example
 * ```ts
 * const limit: ParamValue = 10
 * ```
 */
export type ParamValue = string | number | boolean | bigint

/**
 * Pipe or SQL template parameters. Arrays are sent as repeated keys (`?ids=1&ids=2`) in a GET and as JSON
 * arrays in a POST body; `null` and `undefined` values are left out.
 *
 * @example
 * ```ts
 * const params: QueryParams = { date_from: '2026-01-01', airlines: ['BA', 'LH'], limit: 10 } // ?…&airlines=BA&airlines=LH
 * ```
 */
export type QueryParams = Readonly<
  Record<string, ParamValue | readonly ParamValue[] | null | undefined>
>

/**
 * Longest URL sent as a GET, in characters; longer ones become a POST with a JSON body. Same threshold as
 * `@tinybirdco/charts`.
 *
 * @example
 * ```ts
 * url.length > MAX_GET_URL_LENGTH // → the client sends a POST instead
 * ```
 */
export const MAX_GET_URL_LENGTH = 2048

/**
 * Where the token travels: `Authorization: Bearer` (default) or the `token` query parameter.
 *
 * @example
 * ```ts
 * createClient({ host, token, tokenIn: 'query' }) // ?token=… as @tinybirdco/charts sends it
 * ```
 */
export type TokenPlacement = 'header' | 'query'

/**
 * A request ready for `fetch`.
 *
 * @example
 * ```ts
 * const { url, init } = buildReadRequest(endpoint, params, token, 'header')
 * await fetch(url, init)
 * ```
 */
export interface BuiltRequest {
  readonly url: string
  readonly init: RequestInit
}

/**
 * Append `params` to `search`: arrays as repeated keys, `null`/`undefined` skipped.
 *
 * @param search - Where to append.
 * @param params - The parameters.
 * @example
 * ```ts
 * const s = new URLSearchParams(); appendParams(s, { a: 1, ids: [2, 3] }); s.toString() // → 'a=1&ids=2&ids=3'
 * ```
 */
export function appendParams(search: URLSearchParams, params: QueryParams): void {
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue
    if (Array.isArray(value)) {
      for (const item of value as readonly ParamValue[]) search.append(key, String(item))
    } else {
      search.append(key, String(value))
    }
  }
}

/**
 * Parameters as a JSON body: arrays stay arrays, bigints become strings, `null`/`undefined` are dropped.
 *
 * @param params - The parameters.
 * @returns A JSON-serializable object.
 * @example
 * ```ts
 * paramsToJson({ ids: [1, 2], n: 10n }) // → { ids: [1, 2], n: '10' }
 * ```
 */
export function paramsToJson(params: QueryParams): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  const plain = (v: ParamValue): string | number | boolean =>
    typeof v === 'bigint' ? v.toString() : v
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue
    out[key] = Array.isArray(value)
      ? (value as readonly ParamValue[]).map(plain)
      : plain(value as ParamValue)
  }
  return out
}

function authHeaders(token: string, placement: TokenPlacement): Record<string, string> {
  return placement === 'header' ? { authorization: `Bearer ${token}` } : {}
}

/**
 * Build a read request (`/v0/pipes/<name>.json`, `/v0/sql`): a GET with the parameters in the URL, or a POST
 * with a JSON body when `method` is `'POST'` or the GET URL would exceed {@link MAX_GET_URL_LENGTH}.
 *
 * @param url - Absolute endpoint URL without a query string.
 * @param params - Parameters.
 * @param token - The token to send.
 * @param placement - Header or query.
 * @param method - Force a method; default automatic.
 * @returns The request.
 * @example
 * ```ts
 * buildReadRequest('https://api.tinybird.co/v0/pipes/p.json', { a: 1 }, t, 'header').url
 * // → 'https://api.tinybird.co/v0/pipes/p.json?a=1'
 * ```
 */
export function buildReadRequest(
  url: string,
  params: QueryParams,
  token: string,
  placement: TokenPlacement,
  method?: 'GET' | 'POST',
): BuiltRequest {
  const search = new URLSearchParams()
  appendParams(search, params)
  if (placement === 'query') search.append('token', token)
  const query = search.toString()
  const getUrl = query === '' ? url : `${url}?${query}`
  if (method === 'GET' || (method === undefined && getUrl.length <= MAX_GET_URL_LENGTH)) {
    return { url: getUrl, init: { method: 'GET', headers: authHeaders(token, placement) } }
  }
  const postUrl =
    placement === 'query' ? `${url}?${new URLSearchParams({ token }).toString()}` : url
  return {
    url: postUrl,
    init: {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...authHeaders(token, placement) },
      body: JSON.stringify(paramsToJson(params)),
    },
  }
}

/**
 * Build an Events API request: `POST /v0/events?name=<ds>[&wait=true]` with an NDJSON body.
 *
 * @param url - Absolute `/v0/events` URL.
 * @param datasource - Data source name.
 * @param wait - Ask the server to answer after the rows are written (200 instead of 202).
 * @param body - NDJSON, one JSON object per line.
 * @param token - The token to send.
 * @param placement - Header or query.
 * @returns The request.
 * @example
 * ```ts
 * buildEventsRequest('https://h/v0/events', 'clicks', false, '{"a":1}\n', t, 'header').url
 * // → 'https://h/v0/events?name=clicks'
 * ```
 */
export function buildEventsRequest(
  url: string,
  datasource: string,
  wait: boolean,
  body: string,
  token: string,
  placement: TokenPlacement,
): BuiltRequest {
  const search = new URLSearchParams({ name: datasource })
  if (wait) search.append('wait', 'true')
  if (placement === 'query') search.append('token', token)
  return {
    url: `${url}?${search.toString()}`,
    init: {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', ...authHeaders(token, placement) },
      body,
    },
  }
}
