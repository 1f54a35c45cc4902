/**
 * examples/iframe-charts in Chromium: the seed's page (token fetched, iframe `src` set) shows the chart with
 * one bar per airline; the `connectChartFrames` page renews short-lived tokens without reloading its frames.
 */
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { Browser, Frame, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hasChromium, launchChromium, TEST_OUTPUT, watchErrors } from '../helpers/browser.js'
import { startTestServer, type TestServer } from '../helpers/server.js'

declare const window: unknown
declare const document: { getElementById(id: string): unknown }

interface TokenServer {
  readonly url: string
  readonly chartId: string
  close(): Promise<void>
}
interface ExampleModule {
  startTokenServer(opts: {
    dunlinUrl: string
    signingKey?: string
    workspaceId?: string
    pipe: string
    ttlSeconds: number
    port: number
  }): Promise<TokenServer>
}

const EXAMPLE = fileURLToPath(
  new URL('../../../../examples/iframe-charts/token-server.ts', import.meta.url),
)

interface ChartWindow {
  dunlinChart?: { phase: string; renewals: number; loads: number }
  echarts: {
    getInstanceByDom(el: unknown): { getOption(): { series: { data: unknown[] }[] } }
  }
}

const phase = (f: Frame): Promise<string> =>
  f.evaluate(() => (window as ChartWindow).dunlinChart?.phase ?? '')
const bars = (f: Frame): Promise<number> =>
  f.evaluate(
    () =>
      (window as ChartWindow).echarts.getInstanceByDom(document.getElementById('chart')).getOption()
        .series[0]!.data.length,
  )

describe.skipIf(!hasChromium)('examples/iframe-charts in Chromium', () => {
  let t: TestServer
  let browser: Browser
  let tokens: TokenServer
  let airlines: number

  beforeAll(async () => {
    t = await startTestServer({ config: { local: true } })
    const mod = (await import(pathToFileURL(EXAMPLE).href)) as ExampleModule
    // No signing key given: the example reads it from the local server's /tokens, as with `npm start`.
    tokens = await mod.startTokenServer({
      dunlinUrl: t.url,
      pipe: 'top_airlines',
      ttlSeconds: 48 * 3600,
      port: 0,
    })
    browser = await launchChromium()
    const res = await t.fetch(`/v0/pipes/top_airlines.json?token=${t.adminToken}`)
    airlines = ((await res.json()) as { rows: number }).rows
  })
  afterAll(async () => {
    await browser.close()
    await tokens.close()
    await t.close()
  })

  /** The n-th chart iframe of `page`, once its src is set (within 10 s). */
  const chartFrame = async (page: Page, n = 0): Promise<Frame> => {
    const deadline = Date.now() + 10_000
    while (Date.now() < deadline) {
      const frames = page.frames().filter((f) => f.url().startsWith(`${t.url}/endpoints/`))
      const f = frames[n]
      if (f !== undefined) return f
      await new Promise((r) => setTimeout(r, 50))
    }
    throw new Error(`chart frame ${n} did not appear`)
  }

  it("the seed's page fetches a token, sets the iframe src, and the chart has one bar per airline", async () => {
    const page = await browser.newPage({ viewport: { width: 800, height: 260 } })
    const errors = watchErrors(page)
    await page.goto(`${tokens.url}/`)
    const frame = await chartFrame(page)
    await frame.waitForFunction(() => (window as ChartWindow).dunlinChart?.phase === 'ready')
    expect(await bars(frame)).toBe(airlines)
    await page.screenshot({ path: join(TEST_OUTPUT, 'iframe-charts-index.png') })
    errors.assertClean()
    await page.close()
  })

  it('the connectChartFrames page renews short-lived tokens without reloading the frames', async () => {
    const page = await browser.newPage({ viewport: { width: 1000, height: 420 } })
    const errors = watchErrors(page)
    let navigations = 0
    page.on('framenavigated', (f) => {
      if (f !== page.mainFrame()) navigations++
    })
    await page.goto(`${tokens.url}/renewing.html?ttl=4`)
    const light = await chartFrame(page, 0)
    const dark = await chartFrame(page, 1)
    for (const f of [light, dark]) {
      await f.waitForFunction(() => (window as ChartWindow).dunlinChart?.phase === 'ready')
    }
    const navigationsAfterLoad = navigations
    // A 4 s token is renewed about 1 s before it expires: wait for two renewals per frame.
    for (const f of [light, dark]) {
      await f.waitForFunction(
        () => ((window as ChartWindow).dunlinChart?.renewals ?? 0) >= 2,
        undefined,
        {
          timeout: 20_000,
        },
      )
      expect(await phase(f)).toBe('ready')
      expect(await bars(f)).toBe(airlines)
    }
    expect(navigations).toBe(navigationsAfterLoad)
    await page.screenshot({ path: join(TEST_OUTPUT, 'iframe-charts-renewing.png') })
    errors.assertClean()
    await page.close()
  })
})
