/**
 * Embeddable charts in real headless Chromium: the chart page over the bookings fixture, read from its
 * ECharts instance; refusals; token renewal through postMessage from a host page on another origin; dark
 * theme; live updates. Screenshots go to `test-output/` (and `docs/charts/` with `UPDATE_SCREENSHOTS=1`).
 */
import { copyFileSync, mkdirSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import type { Browser, Frame, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { datafileChartId } from '../../src/charts/index.js'
import { hasChromium, launchChromium, TEST_OUTPUT, watchErrors } from '../helpers/browser.js'
import { startTestServer, type TestServer } from '../helpers/server.js'

// The callbacks passed to evaluate() run in the page. The test tsconfig has no DOM lib, so this module
// declares the little of it they use (module-scoped: nothing global changes).
interface PageElement {
  textContent: string | null
  getBoundingClientRect(): { width: number }
}
declare const window: { postMessage(message: unknown, targetOrigin: string): void }
declare const document: {
  body: PageElement
  getElementById(id: string): PageElement | null
  querySelector(selector: string): PageElement | null
}
declare const location: { origin: string }
declare function getComputedStyle(el: PageElement): { backgroundColor: string }

const DOCS = fileURLToPath(new URL('../../../../docs/charts/', import.meta.url))
const CLIENT_HELPER = fileURLToPath(
  new URL('../../../client/src/charts/connect-chart-frames.ts', import.meta.url),
)
const BARS = datafileChartId('top_airlines', 'top_airlines_bars')
const TABLE = datafileChartId('top_routes', 'top_routes_table')

/**
 * A host page on another origin: a second loopback port (Chromium refuses to frame loopback pages into a
 * page of a non-local origin, so request interception on a fake host does not work here).
 */
async function startHost(): Promise<{
  url: string
  pages: Map<string, string>
  close(): Promise<void>
}> {
  const pages = new Map<string, string>()
  const server = createServer((req, res) => {
    if (req.url === '/favicon.ico') {
      res.writeHead(204).end()
      return
    }
    const body = pages.get(req.url ?? '/')
    res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'text/html; charset=utf-8' })
    res.end(body ?? 'not found')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    pages,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => {
          r()
        })
      }),
  }
}

/** Saves a screenshot to test-output/, and to docs/charts/ when UPDATE_SCREENSHOTS=1. */
async function screenshot(page: Page, name: string): Promise<string> {
  const path = join(TEST_OUTPUT, `charts-${name}.png`)
  await page.screenshot({ path })
  if (process.env['UPDATE_SCREENSHOTS'] === '1') {
    mkdirSync(DOCS, { recursive: true })
    copyFileSync(path, join(DOCS, `${name}.png`))
  }
  return path
}

interface ChartState {
  phase: string
  loads: number
  renewals: number
}

/** The page's state object (`window.dunlinChart`). */
const chartState = (f: Page | Frame): Promise<ChartState> =>
  f.evaluate(() => {
    const s = (window as unknown as { dunlinChart: ChartState }).dunlinChart
    return { phase: s.phase, loads: s.loads, renewals: s.renewals }
  })

interface EchartsOption {
  xAxis: { data?: string[] }[]
  yAxis: { data?: string[] }[]
  series: { data: unknown[]; type: string }[]
}

/** The chart's ECharts option, read from the instance on the page. */
const echartsOption = (f: Page | Frame): Promise<EchartsOption> =>
  f.evaluate(() => {
    const g = window as unknown as {
      echarts: { getInstanceByDom(el: PageElement): { getOption(): unknown } | undefined }
    }
    const inst = g.echarts.getInstanceByDom(document.getElementById('chart')!)
    return JSON.parse(JSON.stringify(inst?.getOption() ?? null)) as EchartsOption
  })

const statusText = (f: Page | Frame): Promise<string> =>
  f.evaluate(() => document.getElementById('status')?.textContent ?? '')

const allow403 = (text: string): boolean => text.includes('status of 403')

describe.skipIf(!hasChromium)('chart pages in Chromium', () => {
  let t: TestServer
  let browser: Browser
  let helperJs: string
  let host: Awaited<ReturnType<typeof startHost>>

  beforeAll(async () => {
    t = await startTestServer()
    host = await startHost()
    browser = await launchChromium()
    const out = await build({
      entryPoints: [CLIENT_HELPER],
      bundle: true,
      format: 'iife',
      globalName: 'DunlinCharts',
      write: false,
      target: 'es2020',
    })
    helperJs = out.outputFiles[0]!.text
  })
  afterAll(async () => {
    await browser.close()
    await host.close()
    await t.close()
  })

  const jwt = (pipe: string, expSeconds = 600): Promise<string> =>
    t.signJwt({
      exp: t.nowSeconds() + expSeconds,
      scopes: [{ type: 'PIPES:READ', resource: pipe }],
    })
  const chartUrl = (pipe: string, id: string, token: string, extra = ''): string =>
    `${t.url}/endpoints/${pipe}/charts/${id}?token=${token}${extra}`

  async function newPage(allow?: (text: string) => boolean) {
    const page = await browser.newPage({ viewport: { width: 640, height: 360 } })
    return { page, errors: watchErrors(page, allow) }
  }

  async function expectedAirlines(): Promise<string[]> {
    const res = await t.fetch(`/v0/pipes/top_airlines.json?token=${t.adminToken}`)
    const body = (await res.json()) as { data: { airline: string }[] }
    return body.data.map((r) => r.airline)
  }

  it('draws one bar per airline, read from the ECharts instance, loading nothing but Dunlin', async () => {
    const { page, errors } = await newPage()
    const elsewhere: string[] = []
    page.on('request', (r) => {
      if (!r.url().startsWith(`${t.url}/`) && !r.url().startsWith('data:')) elsewhere.push(r.url())
    })
    await page.goto(chartUrl('top_airlines', BARS, await jwt('top_airlines')))
    await page.waitForFunction(
      () => (window as unknown as { dunlinChart: ChartState }).dunlinChart.phase === 'ready',
    )
    const opt = await echartsOption(page)
    const airlines = await expectedAirlines()
    expect(airlines.length).toBeGreaterThan(1)
    expect(opt.xAxis[0]!.data).toEqual(airlines)
    expect(opt.series).toHaveLength(1)
    expect(opt.series[0]!.type).toBe('bar')
    expect(opt.series[0]!.data).toHaveLength(airlines.length)
    expect(await page.textContent('#title')).toBe('Bookings by airline')
    await screenshot(page, 'bar-light')
    expect(elsewhere).toEqual([])
    errors.assertClean()
    await page.close()
  })

  it('follows ?theme=dark and ?title=0, and resizes with the frame', async () => {
    const { page, errors } = await newPage()
    await page.goto(
      chartUrl('top_airlines', BARS, await jwt('top_airlines'), '&theme=dark&title=0'),
    )
    await page.waitForFunction(
      () => (window as unknown as { dunlinChart: ChartState }).dunlinChart.phase === 'ready',
    )
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor)
    expect(bg).toBe('rgb(17, 24, 39)')
    expect(await page.isHidden('#title')).toBe(true)
    await screenshot(page, 'bar-dark')
    await page.setViewportSize({ width: 400, height: 300 })
    await page.waitForFunction(() => {
      const c = document.querySelector('#chart canvas')
      return c !== null && c.getBoundingClientRect().width <= 400
    })
    errors.assertClean()
    await page.close()
  })

  it('shows the refusal for a token of another pipe instead of a blank frame', async () => {
    const { page, errors } = await newPage(allow403)
    const res = await page.goto(chartUrl('top_airlines', BARS, await jwt('top_routes')))
    expect(res?.status()).toBe(403)
    expect(await statusText(page)).toContain("doesn't have access to this resource")
    expect(await page.isVisible('#status[role="alert"]')).toBe(true)
    expect(await page.isHidden('#chart')).toBe(true)
    await screenshot(page, 'refused')
    errors.assertClean()
    await page.close()
  })

  it('asks its parent for a new token when expired, and renders without a reload', async () => {
    const { page, errors } = await newPage(allow403)
    const src = chartUrl('top_airlines', BARS, await jwt('top_airlines', -5))
    host.pages.set(
      '/renew',
      `<!doctype html><html><body>
<iframe id="chart" src="${src}" style="width:600px;height:300px;border:0"></iframe>
<script>${helperJs}</script>
<script>
  window.asked = [];
  DunlinCharts.connectChartFrames({
    getToken: (req) => new Promise((resolve) => { window.asked.push(req.chartId); window.release = resolve; }),
  });
</script></body></html>`,
    )
    let navigations = 0
    page.on('framenavigated', (f) => {
      if (f !== page.mainFrame()) navigations++
    })
    await page.goto(`${host.url}/renew`)
    const frame = page.frames().find((f) => f.url().startsWith(t.url))!
    await frame.waitForFunction(() =>
      document.getElementById('status')?.textContent?.includes('Waiting for a new token'),
    )
    expect(await statusText(frame)).toMatch(/expired/i)
    await page.waitForFunction(
      () => typeof (window as unknown as { release?: unknown }).release === 'function',
    )
    expect(await page.evaluate(() => (window as unknown as { asked: string[] }).asked)).toEqual([
      BARS,
    ])
    const navigationsBefore = navigations
    const fresh = await jwt('top_airlines')
    await page.evaluate((tok) => {
      ;(window as unknown as { release: (t: string) => void }).release(tok)
    }, fresh)
    await frame.waitForFunction(
      () => (window as unknown as { dunlinChart: ChartState }).dunlinChart.phase === 'ready',
    )
    const state = await chartState(frame)
    expect(state.renewals).toBe(1)
    expect(navigations).toBe(navigationsBefore)
    expect((await echartsOption(frame)).series[0]!.data).toHaveLength(
      (await expectedAirlines()).length,
    )
    await screenshot(page, 'renewed-in-host')
    errors.assertClean()
    await page.close()
  })

  it('ignores tokens posted by a window that is not its parent origin', async () => {
    const { page, errors } = await newPage(allow403)
    const src = chartUrl('top_airlines', BARS, await jwt('top_airlines', -5))
    const fresh = await jwt('top_airlines')
    host.pages.set(
      '/plain',
      `<!doctype html><html><body><iframe src="${src}"></iframe></body></html>`,
    )
    await page.goto(`${host.url}/plain`)
    const frame = page.frames().find((f) => f.url().startsWith(t.url))!
    await frame.waitForFunction(() =>
      document.getElementById('status')?.textContent?.includes('Waiting'),
    )
    // The frame posts to itself with its own origin: not its parent, so it must be ignored.
    await frame.evaluate((tok) => {
      window.postMessage({ type: 'dunlin:token', token: tok }, location.origin)
    }, fresh)
    await new Promise((r) => setTimeout(r, 300))
    expect((await chartState(frame)).renewals).toBe(0)
    errors.assertClean()
    await page.close()
  })

  it('renders a table, passes URL params through, and POSTs when the URL passes 2,048 chars', async () => {
    const { page, errors } = await newPage()
    await page.goto(chartUrl('top_routes', TABLE, await jwt('top_routes'), '&limit=2&theme=light'))
    await page.waitForFunction(
      () => (window as unknown as { dunlinChart: ChartState }).dunlinChart.phase === 'ready',
    )
    expect(await page.locator('#chart tbody tr').count()).toBe(2)
    expect(await page.locator('#chart th').allTextContents()).toEqual([
      'flight_from',
      'flight_to',
      'bookings',
    ])
    await screenshot(page, 'table')
    // An API chart whose default params make the URL long: the page switches to POST.
    const created = await t.fetch('/v0/pipes/top_airlines/endpoint/charts', {
      method: 'POST',
      headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'long_url',
        type: 'kpi',
        title: 'Bookings',
        categories: ['bookings'],
        default_params: { padding: 'x'.repeat(2000) },
      }),
    })
    expect(created.status).toBe(201)
    const { id } = (await created.json()) as { id: string }
    const methods: string[] = []
    page.on('request', (r) => {
      if (r.url().includes('/v0/pipes/top_airlines.json')) methods.push(r.method())
    })
    await page.goto(chartUrl('top_airlines', id, await jwt('top_airlines')))
    await page.waitForFunction(
      () => (window as unknown as { dunlinChart: ChartState }).dunlinChart.phase === 'ready',
    )
    expect(methods).toEqual(['POST'])
    expect(await page.textContent('.kpi-value')).toMatch(/^\d[\d,]*$/)
    await screenshot(page, 'kpi')
    errors.assertClean()
    await page.close()
  })
  it('shows the empty state when the endpoint returns no rows', async () => {
    const { page, errors } = await newPage()
    await page.goto(chartUrl('top_routes', TABLE, await jwt('top_routes'), '&min_age=1000'))
    await page.waitForFunction(
      () => (window as unknown as { dunlinChart: ChartState }).dunlinChart.phase === 'empty',
    )
    expect(await statusText(page)).toContain('No data')
    expect(await page.isHidden('#chart')).toBe(true)
    errors.assertClean()
    await page.close()
  })

  it.each([
    [
      'donut',
      { title: 'Share of bookings', type: 'donut', index: 'airline', categories: ['bookings'] },
      'top_airlines',
    ],
    [
      'line',
      { title: 'Bookings by airline', type: 'line', index: 'airline', categories: ['bookings'] },
      'top_airlines',
    ],
    [
      'area-stacked',
      {
        title: 'Bookings per destination, stacked',
        type: 'area',
        stacked: true,
        index: 'flight_to',
        categories: ['bookings', 'airline_total'],
      },
      'top_routes',
    ],
    [
      'horizontal-bar-stacked',
      {
        title: 'Bookings per destination',
        type: 'horizontal-bar',
        stacked: true,
        index: 'flight_to',
        categories: ['bookings', 'airline_total'],
        value_format: 'compact',
      },
      'top_routes',
    ],
  ] as const)('renders a %s chart defined through the API', async (name, def, pipe) => {
    const { page, errors } = await newPage()
    const created = await t.fetch(`/v0/pipes/${pipe}/endpoint/charts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name, ...def }),
    })
    expect(created.status).toBe(201)
    const { id } = (await created.json()) as { id: string }
    await page.goto(chartUrl(pipe, id, await jwt(pipe)))
    await page.waitForFunction(
      () => (window as unknown as { dunlinChart: ChartState }).dunlinChart.phase === 'ready',
    )
    const opt = await echartsOption(page)
    expect(opt.series).toHaveLength(def.categories.length)
    const res = await t.fetch(`/v0/pipes/${pipe}.json?token=${t.adminToken}`)
    const rows = ((await res.json()) as { rows: number }).rows
    for (const serie of opt.series) expect(serie.data).toHaveLength(rows)
    await screenshot(page, name)
    errors.assertClean()
    await page.close()
  })

  it('updates after rows are inserted (refresh interval 1 s), keeping the chart meanwhile', async () => {
    const { page, errors } = await newPage()
    await page.goto(chartUrl('top_airlines', BARS, await jwt('top_airlines')))
    await page.waitForFunction(
      () => (window as unknown as { dunlinChart: ChartState }).dunlinChart.phase === 'ready',
    )
    const before = (await echartsOption(page)).xAxis[0]!.data!
    expect(before).not.toContain('Zeppelin')
    const rows = Array.from({ length: 500 }, (_, i) =>
      JSON.stringify({
        timestamp: '2025-05-08 10:00:00',
        transaction_id: `zep${i}`,
        name: `Z ${i}`,
        email: `z${i}@example.com`,
        age: 30,
        passport_number: 900000 + i,
        flight_from: 'SFO',
        flight_to: 'JFK',
        extra_bags: 0,
        priority_boarding: 0,
        meal_choice: 'veg',
        airline: 'Zeppelin',
        org_id: 'org_z',
      }),
    ).join('\n')
    await t.srv.engine.insert(`${t.srv.workspace.database}.events`, rows, 'JSONEachRow')
    await page.waitForFunction(
      () => {
        const g = window as unknown as {
          echarts: {
            getInstanceByDom(el: PageElement): { getOption(): { xAxis: { data: string[] }[] } }
          }
        }
        const o = g.echarts.getInstanceByDom(document.getElementById('chart')!).getOption()
        return o.xAxis[0]!.data[0] === 'Zeppelin'
      },
      undefined,
      { timeout: 10_000 },
    )
    expect((await chartState(page)).loads).toBeGreaterThan(1)
    errors.assertClean()
    await page.close()
  })
})
