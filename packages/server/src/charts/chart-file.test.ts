import { describe, expect, it } from 'vitest'
import { parseChartFile } from './chart-file.js'
import { datafileChartId, parseWireSpec, specToWire, uuidV5 } from './spec.js'

describe('parseChartFile', () => {
  it('reads every keyword into a validated spec named after the file', () => {
    const f = parseChartFile(
      'charts/top.chart',
      [
        '# a comment',
        'PIPE top_airlines',
        'TYPE horizontal-bar',
        'TITLE "Top airlines"',
        'DESCRIPTION >',
        '    Bookings per airline',
        '    over all time.',
        'INDEX airline',
        'CATEGORIES bookings, cancellations',
        'COLORS #2563eb, rgb(1, 2, 3)',
        'STACKED true',
        'VALUE_FORMAT compact',
        'DECIMALS 1',
        'SUFFIX " bookings"',
        'REFRESH_INTERVAL 30',
        'PARAMS limit, start_date',
        'DEFAULT_PARAMS limit=5',
      ].join('\n'),
    )
    expect(f.problems).toEqual([])
    expect(f.pipe).toBe('top_airlines')
    expect(f.spec).toMatchObject({
      name: 'top',
      type: 'horizontal-bar',
      title: 'Top airlines',
      description: 'Bookings per airline\nover all time.',
      categories: ['bookings', 'cancellations'],
      colors: ['#2563eb', 'rgb(1, 2, 3)'],
      stacked: true,
      valueFormat: 'compact',
      decimals: 1,
      suffix: ' bookings',
      refreshIntervalSeconds: 30,
      params: ['limit', 'start_date'],
      defaultParams: { limit: '5' },
      indexFormat: 'auto',
    })
  })

  it.each([
    ['PIPE p\nTYPE pie\nINDEX a\nCATEGORIES b', 2, 6, 'TYPE must be one of'],
    ['PIPE p\nTYPE bar\nCATEGORIES b', 1, 1, 'INDEX is required for a bar chart'],
    ['PIPE p\nTYPE bar\nINDEX a', 1, 1, 'CATEGORIES needs at least one column'],
    ['PIPE p\nTYPE donut\nINDEX a\nCATEGORIES b, c', 4, 12, 'CATEGORIES takes exactly one column'],
    ['PIPE p\nTYPE bar\nINDEX a\nCATEGORIES b\nCOLORS red;', 5, 8, 'COLORS[0] must be a color'],
    ['PIPE p\nTYPE bar\nINDEX a\nCATEGORIES b\nSTACKED yes', 5, 9, 'STACKED must be true or false'],
    ['PIPE p\nTYPE kpi\nCATEGORIES b\nPARAMS token', 4, 8, 'PARAMS[0] is reserved'],
    ['PIPE p\nTYPE bar\n  SIZE 3', 3, 3, "unknown keyword 'SIZE'"],
    ['TYPE kpi\nCATEGORIES b', 1, 1, 'missing PIPE'],
  ])('reports %j at its line and column', (text, line, column, message) => {
    const f = parseChartFile('x.chart', text)
    expect(f.spec).toBeUndefined()
    expect(f.problems).toContainEqual(
      expect.objectContaining({ line, column, message: expect.stringContaining(message) }),
    )
  })
})

describe('chart specs', () => {
  it('round-trips through the wire form', () => {
    const r = parseWireSpec({ name: 'n', type: 'line', index: 'day', categories: ['flights'] })
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(parseWireSpec(specToWire(r.spec))).toEqual(r)
  })

  it('rejects unknown fields by their wire name', () => {
    expect(parseWireSpec({ name: 'n', type: 'kpi', categories: ['x'], size: 3 })).toEqual({
      ok: false,
      problems: [{ key: 'size', message: "unknown field 'size'" }],
    })
  })

  it('gives datafile charts stable RFC 9562 v5 ids', () => {
    // RFC 9562 appendix A.4: "www.example.com" in the DNS namespace.
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    )
    expect(datafileChartId('top_airlines', 'bars')).toBe(datafileChartId('top_airlines', 'bars'))
    expect(datafileChartId('top_airlines', 'bars')).not.toBe(datafileChartId('top_airlines', 'x'))
  })
})
