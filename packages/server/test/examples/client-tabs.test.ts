/**
 * The client's cross-tab and visibility behaviour in real Chromium, on the `/on-demand` page of
 * examples/server-rendered-token (3-second tokens from an async function, `usePipe` polling):
 * - two tabs of one origin share renewals over BroadcastChannel (one tab mints under a Web Lock, the other
 *   adopts the token), so the token route is called about once per lifetime, not once per tab;
 * - a hidden tab stops renewing and polling, and catches up with a fresh token and one fetch when shown.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hasChromium, launchChromium, watchErrors } from '../helpers/browser.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { runExample, type RunningExample } from './run-example.js'

const TTL = 3

/** Counts token-route calls and pipe requests of `page`, and failed pipe answers. */
function traffic(page: Page): { tokens: number[]; pipes: number[]; failures: number[] } {
  const seen = { tokens: [] as number[], pipes: [] as number[], failures: [] as number[] }
  page.on('request', (req) => {
    if (req.url().includes('/api/get-auth-token')) seen.tokens.push(Date.now())
    if (req.url().includes('/v0/pipes/') && req.method() === 'GET') seen.pipes.push(Date.now())
  })
  page.on('response', (res) => {
    if (res.url().includes('/v0/pipes/') && res.status() >= 400) seen.failures.push(res.status())
  })
  return seen
}

/** Make `page` report `hidden`/`visible` and fire `visibilitychange`, as switching tabs does. */
async function setHidden(page: Page, hidden: boolean): Promise<void> {
  await page.evaluate(`(() => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => ${hidden ? "'hidden'" : "'visible'"} })
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => ${String(hidden)} })
    document.dispatchEvent(new Event('visibilitychange'))
  })()`)
}

describe.skipIf(!hasChromium)('@dunlin/client in Chromium: tabs and visibility', () => {
  let dunlin: TestServer
  let app: RunningExample
  let browser: Browser
  let context: BrowserContext

  beforeAll(async () => {
    dunlin = await startTestServer({ project: 'bookings' })
    app = await runExample('server-rendered-token', {
      DUNLIN_HOST: dunlin.url,
      DUNLIN_SIGNING_TOKEN: dunlin.adminToken,
      DUNLIN_WORKSPACE_ID: dunlin.workspaceId,
      PIPE: 'top_routes',
      ON_DEMAND_TTL: String(TTL),
      REFRESH_MS: '400',
    })
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser.close()
    await app.stop()
    await dunlin.close()
  })

  it('two tabs share each renewal: about one token call per lifetime, the same token in both', async () => {
    context = await browser.newContext()
    const pages = [await context.newPage(), await context.newPage()]
    const seen = pages.map(traffic)
    const errors = pages.map((p) => watchErrors(p))
    for (const page of pages) {
      await page.goto(`${app.url}/on-demand`)
      await page.waitForSelector('#rows tbody tr')
    }
    const start = Date.now()
    await pages[0]!.waitForTimeout(TTL * 4 * 1000)
    const elapsed = (Date.now() - start) / 1000
    const timeline = seen.map((s) => s.tokens.map((t) => ((t - start) / 1000).toFixed(2)).join(' '))
    // Each tab asks once at start. Renewals come a margin before `exp`: half the lifetime left when the token
    // arrived, 1 to 1.5 s here (`exp` is whole seconds). Unshared, each tab would renew at that pace on its
    // own (about 2 × elapsed / 1.2 calls); shared, the tabs take turns and the total stays under one per second.
    const calls = seen.reduce((n, s) => n + s.tokens.length, 0)
    expect(calls, timeline.join(' | ')).toBeGreaterThanOrEqual(2 + Math.floor(elapsed / TTL))
    expect(calls, timeline.join(' | ')).toBeLessThanOrEqual(2 + Math.ceil(elapsed / (TTL / 3)) + 1)
    // Both tabs end up on the same token (same expiry shown).
    await pages[0]!.waitForFunction(`document.querySelector('#expires')?.textContent !== '…'`)
    const expiries = await Promise.all(pages.map((p) => p.textContent('#expires')))
    expect(expiries[0]).toBe(expiries[1])
    for (const s of seen) expect(s.failures).toEqual([])
    for (const e of errors) e.assertClean()
    await context.close()
  })

  it('a hidden tab stops renewing and polling, and catches up once when shown', async () => {
    context = await browser.newContext()
    const page = await context.newPage()
    const seen = traffic(page)
    const errors = watchErrors(page)
    await page.goto(`${app.url}/on-demand`)
    await page.waitForSelector('#rows tbody tr')
    await page.waitForTimeout(1000)

    await setHidden(page, true)
    await page.waitForTimeout(500) // a request already in flight may finish
    const tokensHidden = seen.tokens.length
    const pipesHidden = seen.pipes.length
    await page.waitForTimeout(TTL * 2 * 1000) // two lifetimes: the token expires while hidden
    expect(seen.tokens.length).toBe(tokensHidden)
    expect(seen.pipes.length).toBe(pipesHidden)

    await setHidden(page, false)
    await page.waitForFunction(`window.dunlinRenders.length > 0`)
    await page.waitForTimeout(1000)
    expect(seen.tokens.length).toBeGreaterThan(tokensHidden) // renewed on show
    expect(seen.pipes.length).toBeGreaterThan(pipesHidden) // polling resumed
    // The catch-up used the new token: no expired-token answer.
    expect(seen.failures).toEqual([])
    expect(await page.locator('#error').count()).toBe(0)
    expect(await page.locator('#rows tbody tr').count()).toBeGreaterThan(0)
    errors.assertClean()
    await context.close()
  })
})
