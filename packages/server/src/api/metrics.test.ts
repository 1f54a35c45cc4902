import { describe, expect, it } from 'vitest'
import { createMetrics, type IngestBufferDepth } from './metrics.js'

describe('createMetrics: ingest', () => {
  it('reads buffer gauges at scrape time and drops series of vanished data sources', async () => {
    const m = createMetrics()
    let depths: IngestBufferDepth[] = [{ datasource: 'events', rows: 3, bytes: 120 }]
    m.watchIngestBuffers(() => depths)
    let text = await m.registry.metrics()
    expect(text).toContain('dunlin_ingest_buffer_rows{datasource="events"} 3')
    expect(text).toContain('dunlin_ingest_buffer_bytes{datasource="events"} 120')
    depths = [{ datasource: 'other', rows: 1, bytes: 9 }]
    text = await m.registry.metrics()
    expect(text).not.toContain('datasource="events"')
    expect(text).toContain('dunlin_ingest_buffer_rows{datasource="other"} 1')
  })

  it('counts rows, bytes and quarantined rows by data source and API', async () => {
    const m = createMetrics()
    m.ingestRows.inc({ datasource: 'events', api: 'events' }, 5)
    m.ingestBytes.inc({ datasource: 'events', api: 'datasources' }, 100)
    m.ingestQuarantinedRows.inc({ datasource: 'events', api: 'events' }, 2)
    const text = await m.registry.metrics()
    expect(text).toContain('dunlin_ingest_rows_total{datasource="events",api="events"} 5')
    expect(text).toContain('dunlin_ingest_bytes_total{datasource="events",api="datasources"} 100')
    expect(text).toContain(
      'dunlin_ingest_quarantined_rows_total{datasource="events",api="events"} 2',
    )
  })
})
