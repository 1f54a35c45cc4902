/**
 * @module Prometheus metrics (`GET /metrics`, prom-client): requests by route, status and error code; latency
 * per route and per pipe; engine query time; auth failures by code; rate-limited requests; ingested rows, bytes
 * and quarantined rows by data source and API, and the ingest buffer depth. One registry per server, so
 * embedding several servers in a process never mixes their series. Label values are bounded: route patterns,
 * codes, pipe and data source names; never tokens or request values.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'

/** What one data source's ingest buffer holds: rows and bytes accepted and not yet written. */
export interface IngestBufferDepth {
  readonly datasource: string
  readonly rows: number
  /** Bytes of the buffered NDJSON lines. */
  readonly bytes: number
}

/** The server's metrics. */
export interface Metrics {
  readonly registry: Registry
  readonly requests: Counter<'route' | 'method' | 'status' | 'code'>
  readonly requestSeconds: Histogram<'route'>
  readonly pipeSeconds: Histogram<'pipe'>
  readonly engineSeconds: Histogram<'kind'>
  readonly authFailures: Counter<'code'>
  readonly rateLimited: Counter<'pipe'>
  /** Rows written to data sources (quarantined rows excluded). */
  readonly ingestRows: Counter<'datasource' | 'api'>
  /** Uncompressed bytes of ingest data accepted (request bodies, multipart parts, `url=` downloads). */
  readonly ingestBytes: Counter<'datasource' | 'api'>
  /** Rows written to `<ds>_quarantine`. */
  readonly ingestQuarantinedRows: Counter<'datasource' | 'api'>
  /**
   * Sets where the buffer gauges (`dunlin_ingest_buffer_rows`/`_bytes`) read from at each scrape; the ingest
   * service calls it when it starts. Until then the gauges have no series.
   */
  watchIngestBuffers(read: () => readonly IngestBufferDepth[]): void
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/** Creates the metrics on a fresh registry, with Node's process metrics prefixed `dunlin_`. */
export function createMetrics(): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'dunlin_' })
  let readBuffers: () => readonly IngestBufferDepth[] = () => []
  const bufferGauge = (
    name: string,
    help: string,
    pick: (d: IngestBufferDepth) => number,
  ): void => {
    new Gauge({
      name,
      help,
      labelNames: ['datasource'],
      registers: [registry],
      collect() {
        // Rebuilt at each scrape, so a dropped data source's series disappears.
        this.reset()
        for (const d of readBuffers()) this.set({ datasource: d.datasource }, pick(d))
      },
    })
  }
  bufferGauge(
    'dunlin_ingest_buffer_rows',
    'Rows accepted and waiting in the ingest buffer or being written, by data source',
    (d) => d.rows,
  )
  bufferGauge(
    'dunlin_ingest_buffer_bytes',
    'Bytes of NDJSON waiting in the ingest buffer or being written, by data source',
    (d) => d.bytes,
  )
  return {
    registry,
    requests: new Counter({
      name: 'dunlin_http_requests_total',
      help: 'HTTP requests by route pattern, method, status and error code ("" on success)',
      labelNames: ['route', 'method', 'status', 'code'],
      registers: [registry],
    }),
    requestSeconds: new Histogram({
      name: 'dunlin_http_request_duration_seconds',
      help: 'HTTP request latency by route pattern, in seconds',
      labelNames: ['route'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    pipeSeconds: new Histogram({
      name: 'dunlin_pipe_request_duration_seconds',
      help: 'Endpoint latency by pipe, in seconds (SQL API as query_api)',
      labelNames: ['pipe'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    engineSeconds: new Histogram({
      name: 'dunlin_engine_query_duration_seconds',
      help: 'Engine-side query time, in seconds, as the engine reports it',
      labelNames: ['kind'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    authFailures: new Counter({
      name: 'dunlin_auth_failures_total',
      help: 'Refused requests by auth error code',
      labelNames: ['code'],
      registers: [registry],
    }),
    rateLimited: new Counter({
      name: 'dunlin_rate_limited_requests_total',
      help: 'Requests answered 429, by pipe ("" for other APIs)',
      labelNames: ['pipe'],
      registers: [registry],
    }),
    ingestRows: new Counter({
      name: 'dunlin_ingest_rows_total',
      help: 'Rows written to data sources, by data source and API (events, datasources); quarantined rows excluded',
      labelNames: ['datasource', 'api'],
      registers: [registry],
    }),
    ingestBytes: new Counter({
      name: 'dunlin_ingest_bytes_total',
      help: 'Uncompressed bytes of ingest data accepted, by data source and API (events, datasources)',
      labelNames: ['datasource', 'api'],
      registers: [registry],
    }),
    ingestQuarantinedRows: new Counter({
      name: 'dunlin_ingest_quarantined_rows_total',
      help: 'Rows written to <datasource>_quarantine, by data source and API (events, datasources)',
      labelNames: ['datasource', 'api'],
      registers: [registry],
    }),
    watchIngestBuffers(read) {
      readBuffers = read
    },
  }
}
