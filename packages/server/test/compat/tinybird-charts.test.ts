import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createRequire } from 'node:module'
import { build } from 'esbuild'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hasChromium, launchChromium, TEST_OUTPUT, watchErrors } from '../helpers/browser.js'
import { startTestServer, type TestServer } from '../helpers/server.js'

// @tinybirdco/charts (npm, unmodified) pointed at Dunlin's endpoint URL with a JWT, rendered in Chromium.
const require = createRequire(import.meta.url)
const chartsDir = dirname(require.resolve('@tinybirdco/charts/package.json'))

const ENTRY = `
import React from 'react'
import { createRoot } from 'react-dom/client'
import * as echarts from 'echarts'
import { BarChart, ChartProvider } from '@tinybirdco/charts'
;(window as unknown as { echarts: typeof echarts }).echarts = echarts
const q = new URLSearchParams(location.search)
createRoot(document.getElementById('root')!).render(
  <ChartProvider queryConfig={{ endpoint: q.get('endpoint')!, token: q.get('token')! }}>
    <BarChart index="airline" categories={['bookings']} title="Top airlines" height="360px" />
  </ChartProvider>,
)
`

describe.skipIf(!hasChromium)('@tinybirdco/charts against Dunlin', () => {
  let t: TestServer
  let browser: Browser
  let page: Server
  let pageUrl: string
  let dir: string

  beforeAll(async () => {
    t = await startTestServer()
    dir = mkdtempSync(join(tmpdir(), 'dunlin-tbcharts-'))
    writeFileSync(join(dir, 'entry.tsx'), ENTRY)
    // One ECharts copy for the components and the page, so the test can read the chart instance.
    const out = await build({
      entryPoints: [join(dir, 'entry.tsx')],
      bundle: true,
      write: false,
      format: 'esm',
      jsx: 'automatic',
      define: { 'process.env.NODE_ENV': '"production"' },
      alias: { echarts: join(chartsDir, 'node_modules', 'echarts') },
      nodePaths: [join(import.meta.dirname, '..', '..', '..', '..', 'node_modules')],
      logLevel: 'silent',
    })
    const js = out.outputFiles[0]!.text
    const html =
      '<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body><div id="root"></div><script type="module" src="/app.js"></script></body></html>'
    page = createServer((req, res) => {
      if (req.url?.startsWith('/app.js'))
        res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(js)
      else res.writeHead(200, { 'Content-Type': 'text/html' }).end(html)
    })
    await new Promise<void>((r) => page.listen(0, '127.0.0.1', r))
    pageUrl = `http://127.0.0.1:${(page.address() as AddressInfo).port}/`
    browser = await launchChromium()
  }, 120_000)
  afterAll(async () => {
    await browser.close()
    page.close()
    await t.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('renders the endpoint as bars, calling Dunlin with the JWT in the query string', async () => {
    const jwt = await t.signJwt({
      exp: t.nowSeconds() + 600,
      scopes: [{ type: 'PIPES:READ', resource: 'top_airlines' }],
    })
    const p = await browser.newPage()
    const errors = watchErrors(p)
    const calls: string[] = []
    p.on('request', (r) => {
      if (r.url().startsWith(t.url)) calls.push(r.url())
    })
    const endpoint = `${t.url}/v0/pipes/top_airlines.json`
    await p.goto(
      `${pageUrl}?endpoint=${encodeURIComponent(endpoint)}&token=${encodeURIComponent(jwt)}`,
    )
    // In-page code as strings: the test tsconfig has no DOM types.
    const readChart = `(() => {
      const el = document.querySelector('[_echarts_instance_]')
      const chart = el && window.echarts && window.echarts.getInstanceByDom(el)
      const o = chart && chart.getOption()
      return o && o.series && o.series[0] && o.series[0].data && o.series[0].data.length
        ? { categories: o.xAxis[0].data, bars: o.series[0].data.length }
        : null
    })()`
    await p.waitForFunction(readChart, undefined, { timeout: 20_000 })
    const option = await p.evaluate<{ categories: string[]; bars: number }>(readChart)
    const api = (await (
      await t.fetch('/v0/pipes/top_airlines.json', {
        headers: { Authorization: `Bearer ${t.adminToken}` },
      })
    ).json()) as { data: { airline: string }[] }
    expect(option.bars).toBe(api.data.length)
    expect(option.categories).toEqual(api.data.map((r) => r.airline))
    expect(calls.length).toBeGreaterThan(0)
    expect(calls[0]).toContain('from=chart')
    expect(calls[0]).toContain('token=')
    await p.screenshot({ path: join(TEST_OUTPUT, 'tinybirdco-charts-bar.png') })
    errors.assertClean()
    await p.close()
  })
})
