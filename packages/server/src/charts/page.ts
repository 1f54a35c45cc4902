/**
 * @module The embeddable chart page: its HTML, its stylesheet, and the static assets it loads (ECharts from
 * the `echarts` package, the page script), each with a content ETag. Nothing is loaded from the internet.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { gzipSync } from 'node:zlib'
import { CHART_PAGE_SCRIPT } from './page-script.js'

/** The page's stylesheet. Sizing follows the iframe: the chart fills what the title leaves. */
const CHART_PAGE_CSS = `
:root { color-scheme: light; --bg: #ffffff; --fg: #111827; --muted: #6b7280; --line: #e5e7eb; --err: #b91c1c; --err-bg: #fef2f2; }
html.theme-dark { color-scheme: dark; --bg: #111827; --fg: #f3f4f6; --muted: #9ca3af; --line: #374151; --err: #fca5a5; --err-bg: #3f1d1d; }
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; background: var(--bg); color: var(--fg);
  font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
#root { display: flex; flex-direction: column; height: 100%; padding: 8px; position: relative; }
#title { margin: 0 0 4px; font-size: 15px; font-weight: 600; }
#chart { flex: 1 1 auto; min-height: 0; position: relative; }
#chart[hidden] { display: none; }
.chart-table { overflow: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { color: var(--muted); font-weight: 600; position: sticky; top: 0; background: var(--bg); }
td.num, th.num { text-align: right; }
.chart-kpi { display: flex; flex-direction: column; justify-content: center; align-items: center; }
.kpi-value { font-size: clamp(24px, 18vmin, 72px); font-weight: 700; font-variant-numeric: tabular-nums; }
.kpi-label { color: var(--muted); }
.status { flex: 1 1 auto; display: flex; flex-direction: column; align-items: center; justify-content: center;
  text-align: center; color: var(--muted); padding: 8px; }
.status[hidden] { display: none; }
.status p { margin: 2px 0; }
.status-error { color: var(--err); }
.status-error .status-text { font-weight: 600; }
.status-detail { font-size: 12px; opacity: 0.85; }
.status-banner { position: absolute; left: 8px; right: 8px; bottom: 8px; flex: none; padding: 4px 8px;
  border-radius: 4px; background: var(--err-bg); color: var(--err); font-size: 12px; }
`

/** A static asset: body (and its gzip), content type and a strong ETag (quoted SHA-256 prefix). */
export interface ChartAsset {
  readonly body: Uint8Array
  /** The body gzipped (level 9), for clients sending `Accept-Encoding: gzip`; its ETag ends in `-gz`. */
  readonly gzip: Uint8Array
  readonly contentType: string
  readonly etag: string
}

const asset = (body: Uint8Array | string, contentType: string): ChartAsset => {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body
  const etag = `"${createHash('sha256').update(bytes).digest('hex').slice(0, 32)}"`
  return { body: bytes, gzip: gzipSync(bytes, { level: 9 }), contentType, etag }
}

let cached: ReadonlyMap<string, ChartAsset> | undefined

/**
 * The page's assets by file name: `echarts.min.js` (read once from the installed `echarts` package),
 * `chart.js` and `chart.css`. Served under `/charts/assets/<name>`.
 */
export function chartAssets(): ReadonlyMap<string, ChartAsset> {
  if (cached) return cached
  const require = createRequire(import.meta.url)
  const echartsPath = require.resolve('echarts/dist/echarts.min.js')
  cached = new Map([
    ['echarts.min.js', asset(readFileSync(echartsPath), 'text/javascript; charset=utf-8')],
    ['chart.js', asset(CHART_PAGE_SCRIPT, 'text/javascript; charset=utf-8')],
    ['chart.css', asset(CHART_PAGE_CSS, 'text/css; charset=utf-8')],
  ])
  return cached
}

/**
 * Headers of the chart page: embeddable from any origin (`frame-ancestors *`, no `X-Frame-Options`),
 * scripts and connections to Dunlin itself only, and no referrer (the URL carries the token).
 */
export const CHART_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
    "connect-src 'self'; frame-ancestors *; base-uri 'none'; form-action 'none'",
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
}

const escapeHtml = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] ?? ch,
  )

/** JSON safe inside a `<script>` element: `<`, `>`, `&` and line separators escaped. */
const scriptJson = (v: unknown): string =>
  JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')

/** What the page needs: the chart (wire form) when the token may read it, or the refusal. */
export interface ChartPageInput {
  readonly pipe: string
  readonly chartId: string
  /** The chart's wire spec; undefined when refused. */
  readonly spec: Readonly<Record<string, unknown>> | undefined
  readonly error: { readonly error: string; readonly code: string } | undefined
  readonly theme: 'light' | 'dark'
}

/**
 * The page's HTML: a title, the chart area, a status line (loading, empty, error), the config as inert
 * JSON, and the two scripts. A refusal renders the same page with the message visible, so an iframe
 * never shows a blank frame, and the script can still ask its parent for a new token.
 */
export function renderChartPage(input: ChartPageInput): string {
  const a = chartAssets()
  const v = (name: string): string =>
    `/charts/assets/${name}?v=${(a.get(name)?.etag ?? '').slice(1, 13)}`
  const title = typeof input.spec?.['title'] === 'string' ? input.spec['title'] : 'Chart'
  const status = input.error
    ? `<div id="status" class="status status-error" role="alert"><p class="status-text">${escapeHtml(
        input.error.error,
      )}</p><p class="status-detail">${escapeHtml(input.error.code)}</p></div>`
    : '<div id="status" class="status status-loading" role="status"><p class="status-text">Loading…</p></div>'
  const config = {
    pipe: input.pipe,
    chartId: input.chartId,
    spec: input.spec ?? null,
    error: input.error ?? null,
  }
  return `<!doctype html>
<html lang="en" class="theme-${input.theme}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${v('chart.css')}">
</head>
<body>
<div id="root">
<h1 id="title" hidden></h1>
<div id="chart" class="chart" hidden></div>
${status}
</div>
<script type="application/json" id="dunlin-chart">${scriptJson(config)}</script>
<script src="${v('echarts.min.js')}"></script>
<script src="${v('chart.js')}"></script>
</body>
</html>
`
}
