/**
 * @module Test double (not built, not exported): a tiny in-process HTTP server behind a `fetch` function that
 * answers like Dunlin (or, with `tinybird: true`, like Tinybird: no codes, the token echoed in the message). It
 * verifies JWTs with `jose` against its own fake clock, checks `PIPES:READ` scopes, and records requests.
 */
import { errors, jwtVerify } from 'jose'
import type { Clock } from '../clock.js'
import { createJWT } from '../token/create-jwt.js'
import type { JWTScope } from '../token/create-jwt.js'

/** One request as the server saw it. */
export interface SeenRequest {
  readonly method: string
  readonly url: URL
  readonly token: string | undefined
  readonly headers: Headers
  readonly body: string
}

/** Answer a request before the normal handling; `undefined` falls through. */
export type Interceptor = (req: SeenRequest) => Response | undefined

export interface FakeServerOptions {
  /** The server's clock (may differ from the client's: skew). */
  readonly clock: Clock
  readonly signingKey?: string
  readonly workspaceId?: string
  /** Auth failures answered with this status. Default 403. */
  readonly failureStatus?: 401 | 403
  /** Answer like Tinybird: no `code`, no `X-Error-Code`, the token echoed in the message. */
  readonly tinybird?: boolean
}

export const TEST_KEY = 'p.test-admin-token-for-signing'
export const TEST_WORKSPACE = '5f6a1b2c-0000-4000-8000-000000000001'

const ROWS = [
  { airline: 'BA', bookings: 3 },
  { airline: 'LH', bookings: 2 },
]

function jsonResponse(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  })
}

export class FakeServer {
  readonly requests: SeenRequest[] = []
  readonly interceptors: Interceptor[] = []
  readonly #options: FakeServerOptions
  #holds: Promise<void>[] = []

  constructor(options: FakeServerOptions) {
    this.#options = options
  }

  get key(): string {
    return this.#options.signingKey ?? TEST_KEY
  }

  /** Pipe data requests seen so far. */
  get pipeRequests(): SeenRequest[] {
    return this.requests.filter((r) => r.url.pathname.startsWith('/v0/pipes/'))
  }

  /** Mint a token the way an app server would, with the server's clock. */
  mint(ttlSeconds: number, scopes?: readonly JWTScope[], name = 'test'): Promise<string> {
    return createJWT(this.key, {
      workspaceId: this.#options.workspaceId ?? TEST_WORKSPACE,
      name,
      expiresIn: ttlSeconds,
      scopes: scopes ?? [{ type: 'PIPES:READ', resource: 'top_airlines' }],
      clock: this.#options.clock,
    })
  }

  /** The next request's answer waits until the returned function is called. */
  holdNext(): () => void {
    let release!: () => void
    this.#holds.push(
      new Promise<void>((resolve) => {
        release = resolve
      }),
    )
    return release
  }

  /** Answer the next `n` requests with `response(req)`. */
  failNext(n: number, response: (req: SeenRequest) => Response): void {
    let left = n
    this.interceptors.push((req) => {
      if (left <= 0) return undefined
      left -= 1
      return response(req)
    })
  }

  fetch: (input: string, init?: RequestInit) => Promise<Response> = async (input, init) => {
    init?.signal?.throwIfAborted()
    const url = new URL(input)
    const headers = new Headers(init?.headers)
    const auth = headers.get('authorization')
    const token =
      url.searchParams.get('token') ??
      (auth?.startsWith('Bearer ') === true ? auth.slice('Bearer '.length) : undefined)
    const body = typeof init?.body === 'string' ? init.body : ''
    const seen: SeenRequest = { method: init?.method ?? 'GET', url, token, headers, body }
    this.requests.push(seen)
    const hold = this.#holds.shift()
    const response = await this.#handle(seen)
    if (hold !== undefined) await hold
    return response
  }

  async #handle(req: SeenRequest): Promise<Response> {
    for (const interceptor of this.interceptors) {
      const answer = interceptor(req)
      if (answer !== undefined) return answer
    }
    const denied = await this.#authenticate(req)
    if (denied !== undefined) return denied
    const path = req.url.pathname
    if (path.startsWith('/v0/pipes/') && path.endsWith('.json')) {
      const pipe = decodeURIComponent(path.slice('/v0/pipes/'.length, -'.json'.length))
      const scopes = this.#scopes(req.token ?? '')
      if (!scopes.some((s) => s.type === 'PIPES:READ' && s.resource === pipe)) {
        return this.#authError(
          403,
          'ERR_AUTH_SCOPE_DENIED',
          "The token you have provided doesn't have access to this resource",
        )
      }
      return jsonResponse(200, {
        meta: [
          { name: 'airline', type: 'String' },
          { name: 'bookings', type: 'UInt64' },
        ],
        data: ROWS,
        rows: ROWS.length,
        statistics: { elapsed: 0.00042, rows_read: 10, bytes_read: 120 },
      })
    }
    if (path === '/v0/sql') {
      return jsonResponse(200, {
        meta: [{ name: 'n', type: 'UInt8' }],
        data: [{ n: 1 }],
        rows: 1,
        statistics: { elapsed: 0.0001, rows_read: 1, bytes_read: 1 },
      })
    }
    if (path === '/v0/events') {
      const lines = req.body.split('\n').filter((l) => l.trim() !== '')
      const wait = req.url.searchParams.get('wait') === 'true'
      return jsonResponse(wait ? 200 : 202, { successful_rows: lines.length, quarantined_rows: 0 })
    }
    return jsonResponse(
      404,
      { error: 'Not found', code: 'ERR_REQUEST_NOT_FOUND' },
      { 'x-error-code': 'ERR_REQUEST_NOT_FOUND' },
    )
  }

  #scopes(token: string): { type: string; resource: string }[] {
    const part = token.split('.')[1] ?? ''
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'))
    const payload = JSON.parse(json) as { scopes?: { type: string; resource: string }[] }
    return payload.scopes ?? []
  }

  async #authenticate(req: SeenRequest): Promise<Response | undefined> {
    const status = this.#options.failureStatus ?? 403
    if (req.token === undefined) {
      return this.#authError(status, 'ERR_AUTH_TOKEN_MISSING', 'invalid authentication token')
    }
    try {
      await jwtVerify(req.token, new TextEncoder().encode(this.key), {
        algorithms: ['HS256'],
        currentDate: new Date(this.#options.clock.nowMs()),
        requiredClaims: ['exp'],
      })
      return undefined
    } catch (error) {
      const expired = error instanceof errors.JWTExpired
      return this.#authError(
        status,
        expired ? 'ERR_AUTH_TOKEN_EXPIRED' : 'ERR_AUTH_TOKEN_INVALID',
        `invalid authentication token. Invalid token b'${req.token}': ${expired ? 'Signature has expired' : 'Signature verification failed'}`,
      )
    }
  }

  #authError(status: number, code: string, message: string): Response {
    if (this.#options.tinybird === true) {
      return jsonResponse(403, {
        error: message,
        documentation: 'https://docs.tinybird.co/api-reference/overview#authentication',
      })
    }
    return jsonResponse(status, { error: message, code }, { 'x-error-code': code })
  }
}

/** An expected-count wrapper around a provider: counts calls. */
export function countingProvider(
  mint: () => Promise<string>,
): (() => Promise<string>) & { calls: number } {
  const provider = Object.assign(
    async (): Promise<string> => {
      provider.calls += 1
      return mint()
    },
    { calls: 0 },
  )
  return provider
}
