import { afterEach, describe, expect, it, vi } from 'vitest'
import { DunlinApiError, DunlinClientError } from '../errors.js'
import { FakeClock, settle } from '../testing/fake-clock.js'
import { FakeVisibility } from '../testing/fake-env.js'
import { FakeServer, countingProvider } from '../testing/fake-server.js'
import type { FakeServerOptions } from '../testing/fake-server.js'
import { createClient } from './client.js'
import type { ClientOptions, DunlinClient } from './client.js'

const HOST = 'https://dunlin.test'

interface Setup {
  readonly clock: FakeClock
  readonly serverClock: FakeClock
  readonly server: FakeServer
  readonly provider: (() => Promise<string>) & { calls: number }
  readonly client: DunlinClient
}

const clients: DunlinClient[] = []
afterEach(() => {
  for (const c of clients.splice(0)) c.close()
  vi.unstubAllGlobals()
})

/**
 * A client against the fake server. The provider mints `ttlSeconds` tokens on the *server's* clock (as an app
 * server would); the client has its own clock, so tests can skew them apart.
 */
function setup(
  options: {
    ttlSeconds?: number
    server?: Partial<FakeServerOptions>
    client?: Partial<ClientOptions>
  } = {},
): Setup {
  const clock = new FakeClock()
  const serverClock = new FakeClock()
  const server = new FakeServer({ clock: serverClock, ...options.server })
  const provider = countingProvider(() => server.mint(options.ttlSeconds ?? 600))
  const client = createClient({
    host: `${HOST}/`,
    token: provider,
    fetch: server.fetch,
    clock,
    random: () => 0.5,
    environment: {},
    ...options.client,
  })
  clients.push(client)
  return { clock, serverClock, server, provider, client }
}

const rejection = async (p: Promise<unknown>): Promise<unknown> => {
  try {
    await p
  } catch (error) {
    return error
  }
  throw new Error('did not reject')
}

describe('pipe()', () => {
  it('GETs /v0/pipes/<name>.json with the token in the Authorization header and returns the body', async () => {
    const { client, server } = setup()
    const result = await client.pipe<{ airline: string; bookings: number }>('top_airlines', {
      limit: 10,
      airlines: ['BA', 'LH'],
      skip: undefined,
    })
    expect(result.data[0]?.airline).toBe('BA')
    expect(result.meta).toEqual([
      { name: 'airline', type: 'String' },
      { name: 'bookings', type: 'UInt64' },
    ])
    expect(result.rows).toBe(2)
    expect(result.statistics.elapsed).toBeGreaterThan(0)
    const [req] = server.pipeRequests
    expect(req?.method).toBe('GET')
    expect(req?.url.pathname).toBe('/v0/pipes/top_airlines.json')
    expect(req?.url.search).toBe('?limit=10&airlines=BA&airlines=LH')
    expect(req?.headers.get('authorization')).toMatch(/^Bearer eyJ/)
  })

  it("sends ?token= instead when tokenIn is 'query' (as @tinybirdco/charts does)", async () => {
    const { client, server } = setup({ client: { tokenIn: 'query' } })
    await client.pipe('top_airlines')
    const [req] = server.pipeRequests
    expect(req?.url.searchParams.get('token')).toMatch(/^eyJ/)
    expect(req?.headers.get('authorization')).toBeNull()
  })

  it('POSTs a JSON body when the URL would exceed 2,048 characters, or when asked', async () => {
    const { client, server } = setup()
    const ids = Array.from({ length: 400 }, (_, i) => i)
    await client.pipe('top_airlines', { ids })
    await client.pipe('top_airlines', { a: 1 }, { method: 'POST' })
    const [long, forced] = server.pipeRequests
    expect(long?.method).toBe('POST')
    expect(long?.url.search).toBe('')
    expect(JSON.parse(long?.body ?? '')).toEqual({ ids })
    expect(long?.headers.get('content-type')).toBe('application/json')
    expect(forced?.method).toBe('POST')
  })

  it('encodes the pipe name', async () => {
    const { client, server } = setup()
    await rejection(client.pipe('a/b c'))
    expect(server.requests[0]?.url.pathname).toBe('/v0/pipes/a%2Fb%20c.json')
  })

  it('rejects a 2xx body that is not a JSON result with ERR_CLIENT_RESPONSE', async () => {
    const { client, server } = setup()
    server.failNext(1, () => new Response('<html>', { status: 200 }))
    server.failNext(1, () => Response.json({ nope: true }))
    expect(await rejection(client.pipe('top_airlines'))).toMatchObject({
      code: 'ERR_CLIENT_RESPONSE',
    })
    expect(await rejection(client.pipe('top_airlines'))).toMatchObject({
      code: 'ERR_CLIENT_RESPONSE',
    })
  })
})

describe('sql()', () => {
  it('GETs /v0/sql?q=… with template params', async () => {
    const { client, server } = setup()
    const result = await client.sql<{ n: number }>('SELECT 1 AS n', { params: { x: 1 } })
    expect(result.data).toEqual([{ n: 1 }])
    const req = server.requests[0]
    expect(req?.url.pathname).toBe('/v0/sql')
    expect(req?.url.searchParams.get('q')).toBe('SELECT 1 AS n')
    expect(req?.url.searchParams.get('x')).toBe('1')
  })

  it('POSTs { q } for a long query', async () => {
    const { client, server } = setup()
    const q = `SELECT ${'1 + '.repeat(1000)}1`
    await client.sql(q)
    expect(server.requests[0]?.method).toBe('POST')
    expect(JSON.parse(server.requests[0]?.body ?? '')).toEqual({ q })
  })
})

describe('reactive refresh', () => {
  it('10 concurrent requests with an expired token → exactly 1 refresh and 10 successes', async () => {
    const { client, server, serverClock, provider } = setup()
    await client.pipe('top_airlines') // first token
    expect(provider.calls).toBe(1)
    serverClock.jump(601_000) // the server thinks the token expired; the client's clock does not know
    const results = await Promise.all(Array.from({ length: 10 }, () => client.pipe('top_airlines')))
    expect(results.every((r) => r.rows === 2)).toBe(true)
    expect(provider.calls).toBe(2)
    expect(server.pipeRequests).toHaveLength(1 + 10 + 10)
    const retried = server.pipeRequests.slice(11).map((r) => r.token)
    expect(new Set(retried).size).toBe(1)
  })

  it('a late failure of a request sent with the older token reuses the newer token', async () => {
    const { client, server, serverClock, provider } = setup()
    await client.pipe('top_airlines')
    serverClock.jump(601_000)
    const release = server.holdNext()
    const slow = client.pipe('top_airlines') // sent with T1, its 403 is held back
    await vi.waitFor(() => {
      expect(server.pipeRequests).toHaveLength(2)
    })
    await client.pipe('top_airlines') // T1 → 403 → refresh → T2 → 200
    expect(provider.calls).toBe(2)
    release()
    expect((await slow).rows).toBe(2)
    expect(provider.calls).toBe(2)
    const tokens = server.pipeRequests.map((r) => r.token)
    expect(tokens.at(-1)).toBe(tokens[3])
  })

  it('in 401 mode too', async () => {
    const { client, serverClock, provider } = setup({ server: { failureStatus: 401 } })
    await client.pipe('top_airlines')
    serverClock.jump(601_000)
    await client.pipe('top_airlines')
    expect(provider.calls).toBe(2)
  })

  it('against Tinybird (bare 403, no code): refreshes once, then surfaces — never a loop, never the token', async () => {
    const { client, server, serverClock, provider } = setup({ server: { tinybird: true } })
    await client.pipe('top_airlines')
    serverClock.jump(1000)
    // from now on, Tinybird rejects every token, echoing it in the message as it does
    server.failNext(10, (req) =>
      Response.json(
        {
          error: `invalid authentication token. Invalid token b'${req.token ?? ''}': Signature has expired`,
        },
        { status: 403 },
      ),
    )
    const error = await rejection(client.pipe('top_airlines'))
    expect(error).toBeInstanceOf(DunlinApiError)
    expect(error).toMatchObject({ status: 403, code: undefined })
    expect(provider.calls).toBe(2)
    expect(server.pipeRequests).toHaveLength(3)
    const sent = server.pipeRequests.map((r) => r.token ?? '')
    const serialized = JSON.stringify(error, Object.getOwnPropertyNames(error))
    for (const token of sent) expect(serialized).not.toContain(token)
    expect((error as Error).message).toContain('[redacted]')
  })

  it('refreshes for a missing-token answer', async () => {
    const { client, server, serverClock, provider } = setup()
    await client.getToken()
    serverClock.jump(1000) // a token minted in the same second would be byte-identical
    server.failNext(1, () =>
      Response.json({ error: 'no token', code: 'ERR_AUTH_TOKEN_MISSING' }, { status: 403 }),
    )
    await client.pipe('top_airlines')
    expect(provider.calls).toBe(2)
  })

  it.each([
    ['ERR_AUTH_SCOPE_DENIED', 403],
    ['ERR_AUTH_JWT_NOT_ALLOWED', 403],
    ['ERR_AUTH_TOKEN_REVOKED', 403],
    ['ERR_AUTH_FIXED_PARAM', 403],
  ])('%s → 0 refreshes, the error surfaces', async (code, status) => {
    const { client, server, provider } = setup()
    server.failNext(1, () =>
      Response.json({ error: 'denied', code }, { status, headers: { 'x-error-code': code } }),
    )
    const error = await rejection(client.pipe('top_airlines'))
    expect(error).toMatchObject({ status, code })
    expect(provider.calls).toBe(1)
    expect(server.requests).toHaveLength(1)
  })

  it('a real scope denial from the server (pipe not in the token) → 0 refreshes', async () => {
    const { client, server, provider } = setup()
    const error = await rejection(client.pipe('other_pipe'))
    expect(error).toMatchObject({ status: 403, code: 'ERR_AUTH_SCOPE_DENIED' })
    expect(provider.calls).toBe(1)
    expect(server.requests).toHaveLength(1)
  })

  it("Tinybird's scope text without a code → 0 refreshes", async () => {
    const { client, server, provider } = setup({ server: { tinybird: true } })
    await rejection(client.pipe('other_pipe'))
    expect(provider.calls).toBe(1)
    expect(server.requests).toHaveLength(1)
  })

  it('a static string token cannot refresh: the expiry error surfaces after one request', async () => {
    const serverClock = new FakeClock()
    const server = new FakeServer({ clock: serverClock })
    const token = await server.mint(60)
    const client = createClient({
      host: HOST,
      token,
      fetch: server.fetch,
      clock: new FakeClock(),
      environment: {},
    })
    clients.push(client)
    expect((await client.pipe('top_airlines')).rows).toBe(2)
    serverClock.jump(61_000)
    expect(await rejection(client.pipe('top_airlines'))).toMatchObject({
      code: 'ERR_AUTH_TOKEN_EXPIRED',
    })
    expect(server.requests).toHaveLength(2)
    expect(await client.getToken()).toBe(token)
  })

  it('a refresh failure surfaces as ERR_CLIENT_TOKEN_REFRESH with the provider error as cause', async () => {
    const serverClock = new FakeClock()
    const server = new FakeServer({ clock: serverClock })
    const cause = new Error('session ended')
    let calls = 0
    const client = createClient({
      host: HOST,
      token: async () => {
        calls += 1
        if (calls > 1) throw cause
        return server.mint(600)
      },
      fetch: server.fetch,
      clock: new FakeClock(),
      environment: {},
    })
    clients.push(client)
    await client.pipe('top_airlines')
    serverClock.jump(601_000)
    const error = await rejection(client.pipe('top_airlines'))
    expect(error).toBeInstanceOf(DunlinClientError)
    expect(error).toMatchObject({ code: 'ERR_CLIENT_TOKEN_REFRESH', cause })
    expect(server.requests).toHaveLength(2)
  })

  it('the provider returning the same rejected token surfaces the server error without a retry', async () => {
    const serverClock = new FakeClock()
    const server = new FakeServer({ clock: serverClock })
    const token = await server.mint(60)
    const client = createClient({
      host: HOST,
      token: () => Promise.resolve(token),
      fetch: server.fetch,
      clock: new FakeClock(),
      environment: {},
    })
    clients.push(client)
    await client.pipe('top_airlines')
    serverClock.jump(61_000)
    expect(await rejection(client.pipe('top_airlines'))).toMatchObject({
      code: 'ERR_AUTH_TOKEN_EXPIRED',
    })
    expect(server.requests).toHaveLength(2)
  })
})

describe('proactive refresh', () => {
  it('fires at the margin, and the next request carries the new token', async () => {
    const refreshed: string[] = []
    const { client, clock, server, serverClock, provider } = setup({
      client: { onTokenRefreshed: (e) => refreshed.push(e.source) },
    })
    await client.pipe('top_airlines')
    serverClock.jump(540_000)
    await clock.advance(539_000)
    expect(provider.calls).toBe(1)
    await clock.advance(1000)
    await vi.waitFor(() => {
      expect(provider.calls).toBe(2)
    })
    await client.pipe('top_airlines')
    const [first, second] = server.pipeRequests.map((r) => r.token)
    expect(second).not.toBe(first)
    expect(refreshed).toEqual(['provider', 'provider'])
  })

  it('pauses while the tab is hidden and catches up when it is shown', async () => {
    const visibility = new FakeVisibility()
    const { client, clock, provider } = setup({ client: { environment: { visibility } } })
    await client.pipe('top_airlines')
    visibility.set(true)
    await clock.advance(590_000)
    expect(provider.calls).toBe(1)
    visibility.set(false)
    await vi.waitFor(() => {
      expect(provider.calls).toBe(2)
    })
  })

  it('detects document visibility by default (typeof-guarded globals)', async () => {
    const listeners = new Set<() => void>()
    const fakeDocument = {
      visibilityState: 'visible',
      addEventListener: (_type: string, l: () => void) => listeners.add(l),
      removeEventListener: (_type: string, l: () => void) => listeners.delete(l),
    }
    vi.stubGlobal('document', fakeDocument)
    const { client, clock, provider } = setup({
      client: { environment: undefined, broadcast: false },
    })
    await client.pipe('top_airlines')
    fakeDocument.visibilityState = 'hidden'
    for (const l of listeners) l()
    await clock.advance(590_000)
    expect(provider.calls).toBe(1)
    fakeDocument.visibilityState = 'visible'
    for (const l of listeners) l()
    await vi.waitFor(() => {
      expect(provider.calls).toBe(2)
    })
    client.close()
    expect(listeners.size).toBe(0)
  })
})

describe('429 and network errors', () => {
  const rateLimited = (seconds: string): Response =>
    Response.json(
      {
        error: `Too many requests: retry after ${seconds} seconds`,
        code: 'ERR_REQUEST_RATE_LIMITED',
      },
      {
        status: 429,
        headers: { 'retry-after': seconds, 'x-error-code': 'ERR_REQUEST_RATE_LIMITED' },
      },
    )

  it('waits Retry-After on the clock, then retries', async () => {
    const { client, clock, server } = setup()
    server.failNext(1, () => rateLimited('2'))
    const pending = client.pipe('top_airlines')
    expect(await clock.runNextTimer()).toBe(2000)
    expect((await pending).rows).toBe(2)
    expect(server.requests).toHaveLength(2)
  })

  it('does not retry before Retry-After has passed', async () => {
    const { client, clock, server } = setup()
    server.failNext(1, () => rateLimited('3'))
    const pending = client.pipe('top_airlines')
    await clock.waitForTimer()
    await clock.advance(2999)
    expect(server.requests).toHaveLength(1)
    await clock.advance(1)
    await pending
    expect(server.requests).toHaveLength(2)
  })

  it('surfaces a Retry-After longer than the bound at once', async () => {
    const { client, server } = setup()
    server.failNext(1, () => rateLimited('60'))
    const error = await rejection(client.pipe('top_airlines'))
    expect(error).toMatchObject({
      status: 429,
      code: 'ERR_REQUEST_RATE_LIMITED',
      retryAfterSeconds: 60,
    })
    expect(server.requests).toHaveLength(1)
  })

  it('gives up after maxRetries', async () => {
    const { client, clock, server } = setup({ client: { maxRetries: 2 } })
    server.failNext(5, () => rateLimited('1'))
    const pending = rejection(client.pipe('top_airlines'))
    await clock.runNextTimer()
    await clock.runNextTimer()
    expect(await pending).toMatchObject({ status: 429 })
    expect(server.requests).toHaveLength(3)
  })

  it('backs off with full jitter when a 429 has no Retry-After', async () => {
    const { client, clock, server } = setup()
    server.failNext(2, () => Response.json({ error: 'slow down' }, { status: 429 }))
    const pending = client.pipe('top_airlines')
    expect(await clock.runNextTimer()).toBe(125) // random 0.5 × 250 ms
    expect(await clock.runNextTimer()).toBe(250) // random 0.5 × 500 ms
    await pending
    expect(server.requests).toHaveLength(3)
  })

  it('retries a 503 that carries Retry-After, not one without', async () => {
    const { client, clock, server } = setup()
    server.failNext(1, () =>
      Response.json({ error: 'busy' }, { status: 503, headers: { 'retry-after': '1' } }),
    )
    const pending = client.pipe('top_airlines')
    await clock.runNextTimer()
    await pending
    server.failNext(1, () => Response.json({ error: 'down' }, { status: 503 }))
    expect(await rejection(client.pipe('top_airlines'))).toMatchObject({ status: 503 })
  })

  it('retries network errors with exponential backoff and jitter, then succeeds', async () => {
    const { clock, server } = setup()
    let failures = 2
    const flaky = (input: string, init?: RequestInit): Promise<Response> => {
      if (failures > 0) {
        failures -= 1
        return Promise.reject(new TypeError('Failed to fetch'))
      }
      return server.fetch(input, init)
    }
    const c = createClient({
      host: HOST,
      token: () => server.mint(600),
      fetch: flaky,
      clock,
      random: () => 0.5,
      environment: {},
    })
    clients.push(c)
    const pending = c.pipe('top_airlines')
    expect(await clock.runNextTimer()).toBe(125)
    expect(await clock.runNextTimer()).toBe(250)
    expect((await pending).rows).toBe(2)
  })

  it('surfaces ERR_CLIENT_NETWORK after the retries, with the TypeError as cause', async () => {
    const clock = new FakeClock()
    const cause = new TypeError('Failed to fetch')
    const c = createClient({
      host: HOST,
      token: 'static',
      fetch: () => Promise.reject(cause),
      clock,
      random: () => 0,
      maxRetries: 1,
      environment: {},
    })
    clients.push(c)
    const pending = rejection(c.pipe('p'))
    await clock.runNextTimer()
    expect(await pending).toMatchObject({ code: 'ERR_CLIENT_NETWORK', cause })
  })

  it('rethrows a fetch error that is not a network TypeError', async () => {
    const boom = new RangeError('bad')
    const c = createClient({
      host: HOST,
      token: 't',
      fetch: () => Promise.reject(boom),
      environment: {},
    })
    clients.push(c)
    expect(await rejection(c.pipe('p'))).toBe(boom)
  })

  it('an abort during a Retry-After wait rejects at once and sends nothing more', async () => {
    const { client, clock, server } = setup()
    server.failNext(1, () => rateLimited('5'))
    const controller = new AbortController()
    const pending = rejection(client.pipe('top_airlines', {}, { signal: controller.signal }))
    await clock.waitForTimer()
    controller.abort()
    expect(await pending).toMatchObject({ name: 'AbortError' })
    await clock.advance(10_000)
    expect(server.requests).toHaveLength(1)
  })

  it('passes the signal to fetch', async () => {
    const { client } = setup()
    const controller = new AbortController()
    controller.abort()
    expect(
      await rejection(client.pipe('top_airlines', {}, { signal: controller.signal })),
    ).toMatchObject({
      name: 'AbortError',
    })
  })
})

describe('events()', () => {
  it('batches rows sent in the same tick into one NDJSON request', async () => {
    const { client, server } = setup()
    const clicks = client.events<{ path: string }>('clicks')
    const [a, b] = await Promise.all([
      clicks.send({ path: '/a' }),
      clicks.send([{ path: '/b' }, { path: '/c' }]),
    ])
    expect(server.requests).toHaveLength(1)
    const req = server.requests[0]
    expect(req?.method).toBe('POST')
    expect(req?.url.pathname).toBe('/v0/events')
    expect(req?.url.searchParams.get('name')).toBe('clicks')
    expect(req?.url.searchParams.get('wait')).toBeNull()
    expect(req?.headers.get('content-type')).toBe('application/x-ndjson')
    expect(req?.body).toBe('{"path":"/a"}\n{"path":"/b"}\n{"path":"/c"}\n')
    expect(a).toEqual({ successful_rows: 3, quarantined_rows: 0 })
    expect(b).toEqual(a)
  })

  it('keeps data sources and wait apart, and sends later ticks separately', async () => {
    const { client, server } = setup()
    await Promise.all([
      client.events('a').send({ x: 1 }),
      client.events('b').send({ x: 2 }),
      client.events('a').send({ x: 3 }, { wait: true }),
    ])
    await client.events('a').send({ x: 4 })
    expect(server.requests.map((r) => r.url.search)).toEqual([
      '?name=a',
      '?name=b',
      '?name=a&wait=true',
      '?name=a',
    ])
  })

  it('splits a batch over maxEventBatchBytes between callers', async () => {
    const { client, server } = setup({ client: { maxEventBatchBytes: 30 } })
    const ds = client.events('a')
    await Promise.all([
      ds.send({ v: 'x'.repeat(10) }),
      ds.send({ v: 'y'.repeat(10) }),
      ds.send({ v: 1 }),
    ])
    expect(server.requests.map((r) => r.body.split('\n').length - 1)).toEqual([1, 2])
  })

  it('answers an empty list without a request, and rejects an unserializable row alone', async () => {
    const { client, server } = setup()
    expect(await client.events('a').send([])).toEqual({ successful_rows: 0, quarantined_rows: 0 })
    const [bad, good] = await Promise.allSettled([
      client.events('a').send({ n: 1n }),
      client.events('a').send({ n: 1 }),
    ])
    expect(bad.status).toBe('rejected')
    expect(good.status).toBe('fulfilled')
    expect(server.requests).toHaveLength(1)
  })

  it('refreshes and retries on an auth failure (nothing was written)', async () => {
    const { client, server, serverClock, provider } = setup()
    await client.pipe('top_airlines')
    serverClock.jump(601_000)
    await client.events('a').send({ x: 1 })
    expect(provider.calls).toBe(2)
    expect(server.requests.filter((r) => r.url.pathname === '/v0/events')).toHaveLength(2)
  })

  it('does not retry a network error (the rows may have been written)', async () => {
    const clock = new FakeClock()
    let calls = 0
    const c = createClient({
      host: HOST,
      token: 't',
      clock,
      environment: {},
      fetch: () => {
        calls += 1
        return Promise.reject(new TypeError('Failed to fetch'))
      },
    })
    clients.push(c)
    expect(await rejection(c.events('a').send({ x: 1 }))).toMatchObject({
      code: 'ERR_CLIENT_NETWORK',
    })
    expect(calls).toBe(1)
  })

  it("parses the Events API's text/plain errors", async () => {
    const { client, server } = setup()
    server.failNext(1, () => new Response("Missing 'name' parameter\n", { status: 400 }))
    expect(await rejection(client.events('a').send({ x: 1 }))).toMatchObject({
      status: 400,
      message: "Missing 'name' parameter",
    })
  })
})

describe('getToken() and close()', () => {
  it('getToken answers the current token (for iframes and charts)', async () => {
    const { client, server, provider } = setup()
    const token = await client.getToken()
    await client.pipe('top_airlines')
    expect(server.requests[0]?.token).toBe(token)
    expect(provider.calls).toBe(1)
  })

  it('close stops the timer; new calls reject with ERR_CLIENT_CLOSED', async () => {
    const { client, clock } = setup()
    await client.pipe('top_airlines')
    expect(clock.pendingDueTimes()).toHaveLength(1)
    client.close()
    expect(clock.pendingDueTimes()).toHaveLength(0)
    expect(await rejection(client.pipe('top_airlines'))).toMatchObject({
      code: 'ERR_CLIENT_CLOSED',
    })
    expect(await rejection(client.events('a').send({ x: 1 }))).toMatchObject({
      code: 'ERR_CLIENT_CLOSED',
    })
  })

  it('works with the default environment in Node (no document, no locks, real BroadcastChannel)', async () => {
    const serverClock = new FakeClock()
    const server = new FakeServer({ clock: serverClock })
    const c = createClient({ host: HOST, token: () => server.mint(600), fetch: server.fetch })
    clients.push(c)
    expect((await c.pipe('top_airlines')).rows).toBe(2)
    await settle()
  })
})
