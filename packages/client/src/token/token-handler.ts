/**
 * @module Server side: a Fetch-API route handler that mints a JWT per request from a user callback
 * (`(Request) => Promise<Response>`: a Next.js route handler, a Hono handler, a plain Node server through
 * any Request/Response adapter), and the browser-side provider that calls it. Imports `./create-jwt.js`,
 * `../clock.js` and `../errors.js`.
 */
import type { Clock } from '../clock.js'
import { DunlinClientError } from '../errors.js'
import { createJWT } from './create-jwt.js'
import type { JWTLimits, JWTScope, SigningKey } from './create-jwt.js'
import type { ExpiresIn } from './duration.js'
import { decodeExpiry } from './decode.js'

/**
 * What {@link createTokenHandler}'s `authorize` callback grants for one request.
 *
 * @example
 * ```ts
 * const grant: TokenGrant = { name: 'user_1', expiresIn: '10m', scopes: [{ type: 'PIPES:READ', resource: 'p' }] }
 * ```
 */
export interface TokenGrant {
  /** Token name (the `name` claim). */
  readonly name: string
  /** Scopes for this user, e.g. one pipe with `fixedParams: { tenant_id }`. */
  readonly scopes: readonly JWTScope[]
  /** Lifetime: seconds, or `'30s' | '10m' | '1h' | '1d'`. */
  readonly expiresIn: ExpiresIn
  /** Optional per-token limits. */
  readonly limits?: JWTLimits
}

/**
 * Options of {@link createTokenHandler}.
 *
 * @example
 * ```ts
 * createTokenHandler({ signingKey, workspaceId, authorize: async (req) => (await getUser(req)) ? grant : null })
 * ```
 */
export interface TokenHandlerOptions {
  /** The workspace admin token (HS256) or a `jose` key (then also set `alg`). */
  readonly signingKey: SigningKey
  /** Workspace id, the `workspace_id` claim. */
  readonly workspaceId: string
  /**
   * Decide from the incoming request (cookies, session, headers) what this caller may read; `null` refuses
   * (answered 401). What it throws propagates to the framework (usually a 500).
   */
  readonly authorize: (request: Request) => Promise<TokenGrant | null>
  /** Key id for the protected header. */
  readonly kid?: string
  /** JWS algorithm. Default `'HS256'`. */
  readonly alg?: string
  /** Time source for `exp`. Default the system clock. */
  readonly clock?: Pick<Clock, 'nowMs'>
}

/**
 * The JSON body a token endpoint answers with: the JWT and its `exp` (seconds since the epoch).
 *
 * @example
 * ```ts
 * const { token, expires_at } = (await res.json()) as TokenResponseBody
 * ```
 */
export interface TokenResponseBody {
  token: string
  expires_at: number
}

const NO_STORE = { 'cache-control': 'no-store' } as const

function json(status: number, body: unknown, extra: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...NO_STORE, ...extra },
  })
}

/**
 * Create a Fetch-API handler that answers `{ token, expires_at }` with a freshly signed JWT for whatever
 * `authorize` grants the caller. `GET` and `POST` are accepted; anything else is 405. Every answer carries
 * `Cache-Control: no-store`.
 *
 * Answers: 200 `{ token, expires_at }` (`expires_at` in seconds since the epoch); 401
 * `{ error: 'Not authorized' }` when `authorize` returns `null`; 405 with `Allow: GET, POST`.
 *
 * @param options - See {@link TokenHandlerOptions}.
 * @returns `(request: Request) => Promise<Response>`.
 * @throws {DunlinClientError} (from the returned handler) `ERR_JWT_*` when the grant is refused by
 *   {@link createJWT}: a programming error, surfaced rather than answered.
 * @example
 * ```ts
 * // app/api/dunlin-token/route.ts (Next.js App Router)
 * import { createTokenHandler } from '@dunlin/client'
 *
 * const handler = createTokenHandler({
 *   signingKey: process.env.TINYBIRD_SIGNING_TOKEN!,
 *   workspaceId: process.env.TINYBIRD_WORKSPACE!,
 *   authorize: async (req) => {
 *     const user = await getUser(req)
 *     if (!user) return null
 *     return {
 *       name: `user_${user.id}`,
 *       expiresIn: '10m',
 *       scopes: [{ type: 'PIPES:READ', resource: 'top_airlines', fixedParams: { tenant_id: user.tenantId } }],
 *     }
 *   },
 * })
 * export { handler as GET, handler as POST }
 * ```
 */
export function createTokenHandler(
  options: TokenHandlerOptions,
): (request: Request) => Promise<Response> {
  return async (request: Request): Promise<Response> => {
    if (request.method !== 'GET' && request.method !== 'POST') {
      return json(405, { error: 'Method not allowed' }, { allow: 'GET, POST' })
    }
    const grant = await options.authorize(request)
    if (grant === null) return json(401, { error: 'Not authorized' })
    const token = await createJWT(options.signingKey, {
      workspaceId: options.workspaceId,
      name: grant.name,
      expiresIn: grant.expiresIn,
      scopes: grant.scopes,
      ...(grant.limits === undefined ? {} : { limits: grant.limits }),
      ...(options.kid === undefined ? {} : { kid: options.kid }),
      ...(options.alg === undefined ? {} : { alg: options.alg }),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
    })
    const body: TokenResponseBody = { token, expires_at: decodeExpiry(token) ?? 0 }
    return json(200, body)
  }
}

/**
 * Options of {@link tokenFromEndpoint}.
 *
 * @example
 * ```ts
 * tokenFromEndpoint('/api/token', { method: 'GET', init: { headers: { 'x-csrf': csrf } } })
 * ```
 */
export interface TokenEndpointOptions {
  /** HTTP method. Default `'POST'` (never cached by intermediaries). */
  readonly method?: 'GET' | 'POST'
  /** Extra request options (headers, `credentials`). Default `{ credentials: 'same-origin' }`. */
  readonly init?: RequestInit
  /** The `fetch` to use. Default the global one. */
  readonly fetch?: (input: string, init?: RequestInit) => Promise<Response>
}

/**
 * Make a token provider for {@link createClient} from a URL that answers `{ token }` (such as a
 * {@link createTokenHandler} route, or any endpoint returning `{ token }` / `{ authToken }`).
 *
 * @param url - The token endpoint, e.g. `'/api/dunlin-token'`.
 * @param options - See {@link TokenEndpointOptions}.
 * @returns `() => Promise<string>`, to pass as `createClient({ token })`.
 * @throws {DunlinClientError} (from the provider) `ERR_CLIENT_TOKEN_REFRESH` when the endpoint answers non-2xx
 *   or without a token; the client surfaces it as the request's error.
 * @example
 * ```ts
 * import { createClient, tokenFromEndpoint } from '@dunlin/client'
 *
 * const client = createClient({ host: 'https://api.tinybird.co', token: tokenFromEndpoint('/api/dunlin-token') })
 * ```
 */
export function tokenFromEndpoint(
  url: string,
  options: TokenEndpointOptions = {},
): () => Promise<string> {
  return async (): Promise<string> => {
    const doFetch =
      options.fetch ?? ((input: string, init?: RequestInit) => globalThis.fetch(input, init))
    const res = await doFetch(url, {
      credentials: 'same-origin',
      ...options.init,
      method: options.method ?? 'POST',
    })
    if (!res.ok) {
      throw new DunlinClientError(
        'ERR_CLIENT_TOKEN_REFRESH',
        `The token endpoint answered HTTP ${res.status}`,
      )
    }
    const body: unknown = await res.json()
    if (typeof body === 'object' && body !== null) {
      const record = body as Record<string, unknown>
      const token = record['token'] ?? record['authToken']
      if (typeof token === 'string' && token !== '') return token
    }
    throw new DunlinClientError(
      'ERR_CLIENT_TOKEN_REFRESH',
      'The token endpoint answered without a token',
    )
  }
}
