import { afterEach, describe, expect, it, vi } from 'vitest'
import { DunlinClientError } from '../errors.js'
import { FakeClock, settle } from '../testing/fake-clock.js'
import { FakeChannelHub, FakeLocks, FakeVisibility } from '../testing/fake-env.js'
import { detectEnvironment } from './environment.js'
import type { TokenEnvironment } from './environment.js'
import { createTokenManager } from './token-manager.js'
import type { TokenManager, TokenManagerOptions, TokenRefreshedEvent } from './token-manager.js'

const b64url = (value: unknown): string =>
  btoa(JSON.stringify(value)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')

let serial = 0
/** An unsigned JWT-shaped token (the manager never verifies), unique per call. */
function jwt(expSeconds: number | undefined, tenant = 'acme'): string {
  serial += 1
  const payload: Record<string, unknown> = {
    workspace_id: 'ws',
    name: 'test',
    scopes: [{ type: 'PIPES:READ', resource: 'p', fixed_params: { tenant_id: tenant } }],
    jti: String(serial),
  }
  if (expSeconds !== undefined) payload['exp'] = expSeconds
  return `${b64url({ alg: 'HS256' })}.${b64url(payload)}.sig${serial}`
}

/** A provider minting `ttl`-second tokens on `clock`, counting calls. */
function provider(clock: FakeClock, ttlSeconds: number, tenant = 'acme') {
  return vi.fn(() => Promise.resolve(jwt(clock.nowSeconds() + ttlSeconds, tenant)))
}

const managers: TokenManager[] = []
function manager(
  options: Partial<TokenManagerOptions> & Pick<TokenManagerOptions, 'source' | 'clock'>,
): TokenManager {
  const m = createTokenManager({ environment: {}, ...options })
  managers.push(m)
  return m
}
afterEach(() => {
  for (const m of managers.splice(0)) m.close()
})

describe('static token', () => {
  it('is returned as is and never refreshed', async () => {
    const m = manager({ source: 'static-token', clock: new FakeClock() })
    expect(m.canRefresh).toBe(false)
    expect(await m.getToken()).toBe('static-token')
    expect(await m.tokenAfterRejection('static-token')).toBeUndefined()
    m.close()
    await expect(m.getToken()).rejects.toMatchObject({ code: 'ERR_CLIENT_CLOSED' })
  })
})

describe('first token', () => {
  it('is fetched once for concurrent callers', async () => {
    const clock = new FakeClock()
    const source = provider(clock, 600)
    const m = manager({ source, clock })
    const tokens = await Promise.all(Array.from({ length: 5 }, () => m.getToken()))
    expect(source).toHaveBeenCalledTimes(1)
    expect(new Set(tokens).size).toBe(1)
  })

  it('surfaces a provider failure as ERR_CLIENT_TOKEN_REFRESH with the cause, and tries again next time', async () => {
    const clock = new FakeClock()
    const cause = new Error('login required')
    const source = vi
      .fn()
      .mockRejectedValueOnce(cause)
      .mockResolvedValueOnce(jwt(clock.nowSeconds() + 60))
    const m = manager({ source, clock })
    const error: unknown = await m.getToken().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DunlinClientError)
    expect(error).toMatchObject({ code: 'ERR_CLIENT_TOKEN_REFRESH', cause })
    await expect(m.getToken()).resolves.toMatch(/^eyJ/)
    expect(source).toHaveBeenCalledTimes(2)
  })

  it.each([
    ['an empty string', ''],
    ['a non-string', 42],
  ])('refuses %s from the provider', async (_name, value) => {
    const m = manager({ source: () => Promise.resolve(value as string), clock: new FakeClock() })
    await expect(m.getToken()).rejects.toMatchObject({
      code: 'ERR_CLIENT_TOKEN_REFRESH',
      message: 'The token provider returned no token',
    })
  })
})

describe('proactive refresh', () => {
  it.each([
    ['10 min token: 10% is 60 s', 600, undefined, 540],
    ['1 h token: 10% is 360 s', 3600, undefined, 3240],
    ['2 min token: the 30 s floor', 120, undefined, 90],
    ['5 s token: clamped to half the lifetime', 5, undefined, 2.5],
    ['configured margin 100 s', 600, 100, 500],
    ['configured margin larger than half: clamped', 60, 45, 30],
  ])('%s → timer at +%s s', async (_name, ttl, marginSeconds, dueAfterSeconds) => {
    const clock = new FakeClock()
    const m = manager({
      source: provider(clock, ttl),
      clock,
      ...(marginSeconds === undefined ? {} : { refreshMarginSeconds: marginSeconds }),
    })
    await m.getToken()
    expect(clock.pendingDueTimes()).toEqual([clock.nowMs() + dueAfterSeconds * 1000])
  })

  it('fires at the margin, not before, and reports the new token', async () => {
    const clock = new FakeClock()
    const source = provider(clock, 600)
    const events: TokenRefreshedEvent[] = []
    const m = manager({ source, clock, onTokenRefreshed: (e) => events.push(e) })
    const first = await m.getToken()
    await clock.advance(539_999)
    expect(source).toHaveBeenCalledTimes(1)
    await clock.advance(1)
    expect(source).toHaveBeenCalledTimes(2)
    const second = await m.getToken()
    expect(second).not.toBe(first)
    expect(events.map((e) => e.source)).toEqual(['provider', 'provider'])
    expect(events[1]?.expiresAtSeconds).toBe(clock.nowSeconds() + 600)
    // and the next timer is scheduled from the new token
    expect(clock.pendingDueTimes()).toEqual([clock.nowMs() + 540_000])
  })

  it('keeps a 5-second token fresh without a refresh loop', async () => {
    const clock = new FakeClock()
    const times: number[] = []
    const source = vi.fn(() => {
      times.push(clock.nowMs())
      return Promise.resolve(jwt(clock.nowSeconds() + 5))
    })
    const m = manager({ source, clock })
    await m.getToken()
    await clock.advance(20_000)
    // exp is whole seconds, so the lifetime is 4–5 s and the refresh comes after 2–2.5 s: never a loop
    const gaps = times.slice(1).map((t, i) => t - (times[i] ?? 0))
    expect(gaps.length).toBeGreaterThanOrEqual(8)
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(2000)
  })

  it('does not schedule for a token without exp', async () => {
    const clock = new FakeClock()
    const m = manager({ source: () => Promise.resolve('opaque-token'), clock })
    await m.getToken()
    expect(clock.pendingDueTimes()).toEqual([])
  })

  it('clamps a very long delay to the timer maximum and re-arms without refreshing', async () => {
    const clock = new FakeClock()
    const source = provider(clock, 60 * 86_400)
    const m = manager({ source, clock })
    await m.getToken()
    const [due] = clock.pendingDueTimes()
    expect(due).toBe(clock.nowMs() + 2_147_483_647)
    await clock.runNextTimer(Infinity)
    expect(source).toHaveBeenCalledTimes(1)
    expect(clock.pendingDueTimes()).toHaveLength(1)
  })

  it('a failed proactive refresh keeps the current token and is not reported', async () => {
    const clock = new FakeClock()
    const good = jwt(clock.nowSeconds() + 600)
    const source = vi.fn().mockResolvedValueOnce(good).mockRejectedValueOnce(new Error('offline'))
    const m = manager({ source, clock })
    await m.getToken()
    await clock.advance(540_000)
    expect(source).toHaveBeenCalledTimes(2)
    expect(await m.getToken()).toBe(good)
  })
})

describe('hidden tab', () => {
  it('pauses the timer while hidden and catches up on visibilitychange', async () => {
    const clock = new FakeClock()
    const visibility = new FakeVisibility()
    const source = provider(clock, 600)
    const m = manager({ source, clock, environment: { visibility } })
    await m.getToken()
    visibility.set(true)
    expect(clock.pendingDueTimes()).toEqual([])
    await clock.advance(580_000)
    expect(source).toHaveBeenCalledTimes(1)
    visibility.set(false)
    await settle()
    expect(source).toHaveBeenCalledTimes(2)
  })

  it('re-arms the timer when shown again before it was due', async () => {
    const clock = new FakeClock()
    const visibility = new FakeVisibility()
    const source = provider(clock, 600)
    const m = manager({ source, clock, environment: { visibility } })
    await m.getToken()
    const due = clock.pendingDueTimes()
    visibility.set(true)
    await clock.advance(100_000)
    visibility.set(false)
    expect(source).toHaveBeenCalledTimes(1)
    expect(clock.pendingDueTimes()).toEqual(due)
  })

  it('does not schedule a timer for a token fetched while hidden', async () => {
    const clock = new FakeClock()
    const visibility = new FakeVisibility()
    visibility.hidden = true
    const m = manager({ source: provider(clock, 600), clock, environment: { visibility } })
    await m.getToken()
    expect(clock.pendingDueTimes()).toEqual([])
  })

  it('a request in a hidden tab still gets a valid token after expiry (lazy refresh)', async () => {
    const clock = new FakeClock()
    const visibility = new FakeVisibility()
    const source = provider(clock, 600)
    const m = manager({ source, clock, environment: { visibility } })
    const first = await m.getToken()
    visibility.set(true)
    clock.jump(601_000)
    const second = await m.getToken()
    expect(second).not.toBe(first)
    expect(source).toHaveBeenCalledTimes(2)
  })

  it('unsubscribes on close', async () => {
    const clock = new FakeClock()
    const visibility = new FakeVisibility()
    const m = manager({ source: provider(clock, 600), clock, environment: { visibility } })
    await m.getToken()
    expect(visibility.listenerCount).toBe(1)
    m.close()
    expect(visibility.listenerCount).toBe(0)
    expect(clock.pendingDueTimes()).toEqual([])
  })
})

describe('lazy refresh in getToken', () => {
  it('refreshes first when the token has expired by the clock (timers were late), once for all callers', async () => {
    const clock = new FakeClock()
    const source = provider(clock, 600)
    const m = manager({ source, clock })
    const first = await m.getToken()
    clock.jump(700_000)
    const tokens = await Promise.all(Array.from({ length: 10 }, () => m.getToken()))
    expect(source).toHaveBeenCalledTimes(2)
    expect(new Set(tokens).size).toBe(1)
    expect(tokens[0]).not.toBe(first)
  })

  it('inside the margin: answers the current token at once and refreshes in the background', async () => {
    const clock = new FakeClock()
    const source = provider(clock, 600)
    const m = manager({ source, clock })
    const first = await m.getToken()
    clock.jump(550_000)
    expect(await m.getToken()).toBe(first)
    await settle()
    expect(source).toHaveBeenCalledTimes(2)
    expect(await m.getToken()).not.toBe(first)
  })

  it('trusts a token that looks expired on arrival (clock skew) instead of refreshing in a loop', async () => {
    const clock = new FakeClock()
    const source = vi.fn(() => Promise.resolve(jwt(clock.nowSeconds() - 3600)))
    const m = manager({ source, clock })
    const token = await m.getToken()
    expect(await m.getToken()).toBe(token)
    expect(source).toHaveBeenCalledTimes(1)
    expect(clock.pendingDueTimes()).toEqual([])
  })
})

describe('reactive refresh (tokenAfterRejection)', () => {
  it('N concurrent rejections of the same token → one refresh', async () => {
    const clock = new FakeClock()
    const source = provider(clock, 600)
    const m = manager({ source, clock })
    const t1 = await m.getToken()
    const next = await Promise.all(Array.from({ length: 10 }, () => m.tokenAfterRejection(t1)))
    expect(source).toHaveBeenCalledTimes(2)
    expect(new Set(next).size).toBe(1)
    expect(next[0]).not.toBe(t1)
  })

  it('a late rejection of an older token gets the current one, no refresh', async () => {
    const clock = new FakeClock()
    const source = provider(clock, 600)
    const m = manager({ source, clock })
    const t1 = await m.getToken()
    const t2 = await m.tokenAfterRejection(t1)
    expect(await m.tokenAfterRejection(t1)).toBe(t2)
    expect(source).toHaveBeenCalledTimes(2)
  })

  it('answers undefined when the provider returns the same token (nothing new to retry with)', async () => {
    const clock = new FakeClock()
    const same = jwt(clock.nowSeconds() + 600)
    const m = manager({ source: () => Promise.resolve(same), clock })
    await m.getToken()
    expect(await m.tokenAfterRejection(same)).toBeUndefined()
  })

  it('propagates a refresh failure to every waiter', async () => {
    const clock = new FakeClock()
    const t1 = jwt(clock.nowSeconds() + 600)
    const source = vi
      .fn()
      .mockResolvedValueOnce(t1)
      .mockRejectedValueOnce(new Error('403 from my backend'))
    const m = manager({ source, clock })
    await m.getToken()
    const results = await Promise.allSettled([m.tokenAfterRejection(t1), m.tokenAfterRejection(t1)])
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected'])
    expect(source).toHaveBeenCalledTimes(2)
  })

  it('lets a caller abort its wait without cancelling the shared refresh', async () => {
    const clock = new FakeClock()
    let resolveRefresh!: (t: string) => void
    const t1 = jwt(clock.nowSeconds() + 600)
    const source = vi
      .fn()
      .mockResolvedValueOnce(t1)
      .mockImplementationOnce(() => new Promise<string>((r) => (resolveRefresh = r)))
    const m = manager({ source, clock })
    await m.getToken()
    const controller = new AbortController()
    const aborted = m.tokenAfterRejection(t1, controller.signal)
    const other = m.tokenAfterRejection(t1)
    controller.abort()
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError' })
    const t2 = jwt(clock.nowSeconds() + 600)
    resolveRefresh(t2)
    expect(await other).toBe(t2)
  })
})

describe('closed', () => {
  it('rejects new calls with ERR_CLIENT_CLOSED and clears the timer', async () => {
    const clock = new FakeClock()
    const m = manager({ source: provider(clock, 600), clock })
    await m.getToken()
    m.close()
    m.close()
    expect(clock.pendingDueTimes()).toEqual([])
    await expect(m.getToken()).rejects.toMatchObject({ code: 'ERR_CLIENT_CLOSED' })
  })
})

describe('across tabs', () => {
  function tabs(env: () => TokenEnvironment, tenantB = 'acme') {
    const clock = new FakeClock()
    const sourceA = provider(clock, 600)
    const sourceB = provider(clock, 600, tenantB)
    const eventsB: TokenRefreshedEvent[] = []
    const a = manager({ source: sourceA, clock, shareKey: 'https://h', environment: env() })
    const b = manager({
      source: sourceB,
      clock,
      shareKey: 'https://h',
      environment: env(),
      onTokenRefreshed: (e) => eventsB.push(e),
    })
    return { clock, a, b, sourceA, sourceB, eventsB }
  }

  it('with Web Locks: two tabs rejected at once → one provider call in total', async () => {
    const locks = new FakeLocks()
    const hub = new FakeChannelHub()
    const { clock, a, b, sourceA, sourceB, eventsB } = tabs(() => ({
      locks,
      openChannel: hub.open,
    }))
    const ta = await a.getToken()
    const tb = await b.getToken()
    expect(sourceA.mock.calls.length + sourceB.mock.calls.length).toBe(2)
    clock.jump(100_000)
    const [na, nb] = await Promise.all([a.tokenAfterRejection(ta), b.tokenAfterRejection(tb)])
    expect(sourceA.mock.calls.length + sourceB.mock.calls.length).toBe(3)
    expect(na).toBe(nb)
    expect(locks.requests).toBe(2)
    expect(eventsB.at(-1)?.source).toBe('broadcast')
  })

  it('with Web Locks: the proactive timers of two visible tabs refresh once', async () => {
    const locks = new FakeLocks()
    const hub = new FakeChannelHub()
    const { clock, a, b, sourceA, sourceB } = tabs(() => ({ locks, openChannel: hub.open }))
    await a.getToken()
    await b.getToken()
    await clock.advance(540_000)
    expect(sourceA.mock.calls.length + sourceB.mock.calls.length).toBe(3)
    expect(await a.getToken()).toBe(await b.getToken())
  })

  it('a hidden tab receives the token the visible tab refreshed', async () => {
    const hub = new FakeChannelHub()
    const visibilityB = new FakeVisibility()
    const clock = new FakeClock()
    const sourceA = provider(clock, 600)
    const sourceB = provider(clock, 600)
    const a = manager({
      source: sourceA,
      clock,
      shareKey: 'h',
      environment: { openChannel: hub.open },
    })
    const b = manager({
      source: sourceB,
      clock,
      shareKey: 'h',
      environment: { openChannel: hub.open, visibility: visibilityB },
    })
    await a.getToken()
    await b.getToken()
    visibilityB.set(true)
    await clock.advance(540_000)
    expect(sourceA).toHaveBeenCalledTimes(2)
    expect(sourceB).toHaveBeenCalledTimes(1)
    expect(await b.getToken()).toBe(await a.getToken())
  })

  it('never adopts a token of another identity (another tenant in the other tab)', async () => {
    const hub = new FakeChannelHub()
    const { clock, a, b, sourceB } = tabs(() => ({ openChannel: hub.open }), 'globex')
    const ta = await a.getToken()
    const tb = await b.getToken()
    clock.jump(100_000)
    await a.tokenAfterRejection(ta)
    await settle()
    expect(await b.getToken()).toBe(tb)
    expect(sourceB).toHaveBeenCalledTimes(1)
    expect(hub.posted).toHaveLength(3) // both first tokens, and A's refresh
  })

  it('ignores a shared token that expires no later than its own, and malformed messages', async () => {
    const hub = new FakeChannelHub()
    const clock = new FakeClock()
    const b = manager({
      source: provider(clock, 600),
      clock,
      shareKey: 'h',
      environment: { openChannel: hub.open },
    })
    const mine = await b.getToken()
    const sender = hub.open('dunlin-token:h')
    sender.post({ type: 'dunlin-token', v: 1, token: jwt(clock.nowSeconds() + 300) })
    sender.post({ type: 'dunlin-token', v: 2, token: jwt(clock.nowSeconds() + 900) })
    sender.post('garbage')
    sender.post({ type: 'dunlin-token', v: 1, token: 'opaque' })
    await settle()
    expect(await b.getToken()).toBe(mine)
    const newer = jwt(clock.nowSeconds() + 900)
    sender.post({ type: 'dunlin-token', v: 1, token: newer })
    await settle()
    expect(await b.getToken()).toBe(newer)
  })

  it('shares nothing without a shareKey, and closes its channel on close', async () => {
    const hub = new FakeChannelHub()
    const clock = new FakeClock()
    const lone = manager({
      source: provider(clock, 600),
      clock,
      environment: { openChannel: hub.open },
    })
    await lone.tokenAfterRejection(await lone.getToken())
    expect(hub.posted).toEqual([])
    const shared = manager({
      source: provider(clock, 600),
      clock,
      shareKey: 'h',
      environment: { openChannel: hub.open },
    })
    await shared.getToken()
    shared.close()
    expect(hub.closed).toBe(1)
  })

  it("works over Node's real BroadcastChannel (detectEnvironment), with no locks and no storage", async () => {
    const clock = new FakeClock()
    const sourceA = provider(clock, 600)
    const sourceB = provider(clock, 600)
    const key = `real-${String(Math.random())}`
    const a = manager({ source: sourceA, clock, shareKey: key, environment: detectEnvironment() })
    const b = manager({ source: sourceB, clock, shareKey: key, environment: detectEnvironment() })
    await a.getToken()
    await b.getToken()
    clock.jump(100_000)
    const fresh = await a.tokenAfterRejection(await a.getToken())
    await vi.waitFor(async () => {
      expect(await b.getToken()).toBe(fresh)
    })
    expect(sourceB).toHaveBeenCalledTimes(1)
  })
})
