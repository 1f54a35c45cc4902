import { describe, expect, it } from 'vitest'
import { chartAssets, renderChartPage } from './page.js'

describe('renderChartPage', () => {
  it('embeds the spec as inert JSON that cannot close its script element', () => {
    const html = renderChartPage({
      pipe: 'p',
      chartId: 'c',
      spec: { title: '</script><script>alert(1)</script>', type: 'kpi' },
      error: undefined,
      theme: 'dark',
    })
    expect(html).not.toContain('</script><script>alert(1)')
    expect(html).toContain('\\u003c/script\\u003e')
    expect(html).toContain('<title>&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;</title>')
    expect(html).toContain('<html lang="en" class="theme-dark">')
  })

  it('shows a refusal as visible text, escaped, without a spec', () => {
    const html = renderChartPage({
      pipe: 'p',
      chartId: 'c',
      spec: undefined,
      error: { error: 'No <access>', code: 'ERR_AUTH_SCOPE_DENIED' },
      theme: 'light',
    })
    expect(html).toContain('role="alert"><p class="status-text">No &lt;access&gt;</p>')
    expect(html).toContain('"spec":null')
  })

  it('references its assets by content hash and loads nothing from elsewhere', () => {
    const html = renderChartPage({
      pipe: 'p',
      chartId: 'c',
      spec: {},
      error: undefined,
      theme: 'light',
    })
    const etag = chartAssets().get('chart.js')!.etag.slice(1, 13)
    expect(html).toContain(`/charts/assets/chart.js?v=${etag}`)
    expect(html).not.toMatch(/https?:\/\//)
  })
})
