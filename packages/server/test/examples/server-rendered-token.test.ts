/**
 * examples/server-rendered-token end to end in real Chromium: the 1-day token written into the HTML (the client
 * gets a string) and 3-second tokens minted on demand (the client gets an async function and renews them before
 * they expire). Both pages poll with `usePipe` from `@dunlin/client/react`: the rows never leave the screen and
 * no error is ever rendered, across several token renewals.
 */
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hasChromium, launchChromium, watchErrors } from '../helpers/browser.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { runExample, type RunningExample } from './run-example.js'

const ON_DEMAND_TTL = 3

interface RenderRecord {
  rows: number | null
  error: boolean
  isLoading: boolean
}

function payload(token: string): { exp: number; name: string } {
  const part = token.split('.')[1] ?? ''
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as {
    exp: number
    name: string
  }
}

async function renders(page: Page): Promise<RenderRecord[]> {
  return page.evaluate<RenderRecord[]>('window.dunlinRenders')
}

/** After the first rows: every render still has rows and no error (no flicker, no error flash). */
function assertSteady(records: RenderRecord[]): void {
  const first = records.findIndex((r) => r.rows !== null)
  expect(first).toBeGreaterThanOrEqual(0)
  const after = records.slice(first)
  expect(after.filter((r) => r.rows === null || r.rows === 0 || r.error || r.isLoading)).toEqual([])
}

describe.skipIf(!hasChromium)('examples/server-rendered-token', () => {
  let dunlin: TestServer
  let app: RunningExample
  let browser: Browser
  let expectedRows: number

  beforeAll(async () => {
    dunlin = await startTestServer({ project: 'bookings' })
    app = await runExample('server-rendered-token', {
      DUNLIN_HOST: dunlin.url,
      DUNLIN_SIGNING_TOKEN: dunlin.adminToken,
      DUNLIN_WORKSPACE_ID: dunlin.workspaceId,
      PIPE: 'top_routes',
      ON_DEMAND_TTL: String(ON_DEMAND_TTL),
      REFRESH_MS: '400',
    })
    const res = await dunlin.fetch('/v0/pipes/top_routes.json', {
      headers: { authorization: `Bearer ${dunlin.adminToken}` },
    })
    expectedRows = ((await res.json()) as { rows: number }).rows
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser.close()
    await app.stop()
    await dunlin.close()
  })

  it('/server-rendered: a 1-day token in the HTML, given to the client as a string', async () => {
    const html = await (await fetch(`${app.url}/server-rendered`)).text()
    const match = /<script id="dunlin-config" type="application\/json">([^<]*)<\/script>/.exec(html)
    const config = JSON.parse(match?.[1] ?? '{}') as { token: string }
    const claims = payload(config.token)
    expect(claims.name).toBe('server_rendered')
    expect(Math.abs(claims.exp - (dunlin.nowSeconds() + 86_400))).toBeLessThan(60)

    const page = await browser.newPage()
    const errors = watchErrors(page)
    const tokenRequests: string[] = []
    page.on('request', (req) => {
      if (req.url().includes('/api/get-auth-token')) tokenRequests.push(req.url())
    })
    await page.goto(`${app.url}/server-rendered`)
    await page.waitForSelector('#rows tbody tr')
    expect(await page.locator('#rows tbody tr').count()).toBe(expectedRows)
    expect(await page.textContent('#mode')).toBe('server-rendered')
    await page.waitForTimeout(1500) // a few polls
    assertSteady(await renders(page))
    expect((await renders(page)).length).toBeGreaterThan(2)
    expect(tokenRequests).toEqual([])
    expect(Number(await page.textContent('#latency'))).toBeGreaterThan(0)
    errors.assertClean()
    await page.close()
  })

  it('/on-demand: short tokens from an async function, renewed before expiry with the rows on screen', async () => {
    const page = await browser.newPage()
    const errors = watchErrors(page)
    const tokens: string[] = []
    const authFailures: number[] = []
    page.on('response', (res) => {
      if (res.url().includes('/v0/pipes/') && res.status() >= 400) authFailures.push(res.status())
      if (res.url().includes('/api/get-auth-token')) {
        void res
          .json()
          .then((body: { token: string }) => tokens.push(body.token))
          .catch(() => undefined)
      }
    })
    await page.goto(`${app.url}/on-demand`)
    await page.waitForSelector('#rows tbody tr')
    expect(await page.locator('#rows tbody tr').count()).toBe(expectedRows)
    // Three lifetimes: the client renews before each expiry (margin: half of a 3 s lifetime).
    await page.waitForTimeout(ON_DEMAND_TTL * 3 * 1000)
    expect(tokens.length).toBeGreaterThanOrEqual(3)
    for (const token of tokens) {
      const claims = payload(token)
      expect(claims.name).toBe('on_demand')
    }
    expect(Number(await page.textContent('#token-calls'))).toBeGreaterThanOrEqual(3)
    expect(authFailures).toEqual([])
    assertSteady(await renders(page))
    expect(await page.locator('#error').count()).toBe(0)
    errors.assertClean()
    await page.close()
  })
})
