import { afterEach, describe, expect, it } from 'vitest'
import { createClient } from '../fetch/client.js'
import type { DunlinClient, QueryResult } from '../fetch/client.js'
import { FakeClock, settle } from '../testing/fake-clock.js'
import { FakeServer, countingProvider } from '../testing/fake-server.js'
import { createPipeStore, INITIAL_PIPE_STATE } from './pipe-store.js'
import type { PipeState } from './pipe-store.js'

const HOST = 'https://dunlin.test'
const clients: DunlinClient[] = []
afterEach(() => {
  for (const c of clients.splice(0)) c.close()
})

interface Row {
  airline: string
  bookings: number
}

/** A real client against the fake server; the store polls on `clock`. */
function setup(ttlSeconds = 600): {
  clock: FakeClock
  serverClock: FakeClock
  server: FakeServer
  provider: (() => Promise<string>) & { calls: number }
  client: DunlinClient
} {
  const clock = new FakeClock()
  const serverClock = new FakeClock()
  const server = new FakeServer({ clock: serverClock })
  const provider = countingProvider(() => server.mint(ttlSeconds))
  const client = createClient({
    host: HOST,
    token: provider,
    fetch: server.fetch,
    clock,
    random: () => 0.5,
    environment: {},
    maxRetries: 0,
  })
  clients.push(client)
  return { clock, serverClock, server, provider, client }
}

/** Wait (real time) until `condition` holds: the fake server verifies JWTs with Web Crypto, off the event loop. */
async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await settle(1)
  }
  await settle()
}

/** Every snapshot the store published, in order. */
function record<R>(store: { subscribe(l: () => void): () => void; getSnapshot(): PipeState<R> }): {
  states: PipeState<R>[]
  stop: () => void
} {
  const states: PipeState<R>[] = []
  const stop = store.subscribe(() => states.push(store.getSnapshot()))
  return { states, stop }
}

describe('createPipeStore', () => {
  it('starts loading, then holds the rows, meta and statistics', async () => {
    const { client, clock } = setup()
    const store = createPipeStore<Row>(client, 'top_airlines', {}, { clock })
    expect(store.getSnapshot()).toBe(INITIAL_PIPE_STATE)
    const { states, stop } = record(store)
    await until(() => !store.getSnapshot().isLoading)
    const last = store.getSnapshot()
    expect(last).toMatchObject({ isLoading: false, isValidating: false, error: undefined })
    expect(last.data).toEqual([
      { airline: 'BA', bookings: 3 },
      { airline: 'LH', bookings: 2 },
    ])
    expect(last.statistics?.elapsed).toBeTypeOf('number')
    expect(states.every((s) => s.error === undefined)).toBe(true)
    stop()
  })

  it('polls every refreshInterval and keeps the rows on screen across a token expiry', async () => {
    const { client, clock, serverClock, server, provider } = setup(60)
    const store = createPipeStore<Row>(client, 'top_airlines', {}, { refreshInterval: 5000, clock })
    const { states, stop } = record(store)
    await until(() => store.getSnapshot().data !== undefined)
    expect(store.getSnapshot().data).toHaveLength(2)
    // The server's clock runs ahead: the token is expired there, so the next poll meets ERR_AUTH_TOKEN_EXPIRED
    // and the client renews and retries inside the same request.
    serverClock.jump(120_000)
    await clock.advance(5000)
    await until(() => provider.calls === 2 && !store.getSnapshot().isValidating)
    expect(provider.calls).toBe(2)
    expect(server.pipeRequests.length).toBeGreaterThanOrEqual(3)
    const afterFirst = states.slice(states.findIndex((s) => s.data !== undefined))
    expect(
      afterFirst.every((s) => s.data?.length === 2 && s.error === undefined && !s.isLoading),
    ).toBe(true)
    expect(store.getSnapshot().isValidating).toBe(false)
    stop()
  })

  it('a failed refresh keeps the data and sets error; the next success clears it', async () => {
    const { client, clock, server } = setup()
    const store = createPipeStore<Row>(client, 'top_airlines', {}, { refreshInterval: 1000, clock })
    const { stop } = record(store)
    await until(() => store.getSnapshot().data !== undefined)
    server.failNext(1, () =>
      Response.json({ error: 'boom', code: 'ERR_INTERNAL' }, { status: 500 }),
    )
    await clock.advance(1000)
    await until(() => store.getSnapshot().error !== undefined)
    expect(store.getSnapshot()).toMatchObject({ isLoading: false, error: { code: 'ERR_INTERNAL' } })
    expect(store.getSnapshot().data).toHaveLength(2)
    await clock.advance(1000)
    await until(() => store.getSnapshot().error === undefined)
    expect(store.getSnapshot().error).toBeUndefined()
    stop()
  })

  it('drops the answer of a superseded request', async () => {
    const answers: ((r: QueryResult<Row>) => void)[] = []
    const fake: DunlinClient = {
      pipe: () =>
        new Promise((resolve) => {
          answers.push(resolve)
        }),
      sql: () => Promise.reject(new Error('unused')),
      events: () => ({ send: () => Promise.reject(new Error('unused')) }),
      getToken: () => Promise.resolve('t'),
      close: () => undefined,
    } as unknown as DunlinClient
    const store = createPipeStore<Row>(fake, 'p')
    const { stop } = record(store)
    const second = store.refresh()
    const result = (airline: string): QueryResult<Row> => ({
      data: [{ airline, bookings: 1 }],
      meta: [],
      rows: 1,
      statistics: { elapsed: 0.001, rows_read: 1, bytes_read: 1 },
    })
    answers[1]?.(result('new'))
    await second
    answers[0]?.(result('old'))
    await settle()
    expect(store.getSnapshot().data).toEqual([{ airline: 'new', bookings: 1 }])
    stop()
  })

  it('the last unsubscribe stops polling and aborts the request in flight', async () => {
    const { client, clock, server } = setup()
    const store = createPipeStore<Row>(client, 'top_airlines', {}, { refreshInterval: 1000, clock })
    const { stop } = record(store)
    await until(() => store.getSnapshot().data !== undefined)
    const before = server.pipeRequests.length
    stop()
    await clock.advance(10_000)
    expect(server.pipeRequests.length).toBe(before)
    expect(clock.pendingDueTimes().length).toBeLessThanOrEqual(1) // only the client's proactive refresh
  })

  it('pauses polling while the document is hidden and catches up with one fetch on show', async () => {
    const listeners = new Set<() => void>()
    const doc = {
      visibilityState: 'visible',
      addEventListener: (_: string, l: () => void) => listeners.add(l),
      removeEventListener: (_: string, l: () => void) => listeners.delete(l),
    }
    const g = globalThis as { document?: unknown }
    g.document = doc
    try {
      const { client, clock, server } = setup()
      const store = createPipeStore<Row>(
        client,
        'top_airlines',
        {},
        { refreshInterval: 1000, clock },
      )
      const { stop } = record(store)
      await until(() => store.getSnapshot().data !== undefined)
      expect(server.pipeRequests).toHaveLength(1)
      doc.visibilityState = 'hidden'
      await clock.advance(5000)
      expect(server.pipeRequests).toHaveLength(1)
      doc.visibilityState = 'visible'
      for (const l of listeners) l()
      await until(() => server.pipeRequests.length === 2 && !store.getSnapshot().isValidating)
      expect(server.pipeRequests).toHaveLength(2)
      stop()
      expect(listeners.size).toBe(0)
    } finally {
      delete g.document
    }
  })
})
