/**
 * @module Prometheus metrics (`GET /metrics`, prom-client): requests by route, status and error code; latency
 * per route and per pipe; engine query time; auth failures by code; rate-limited requests. One registry per
 * server, so embedding several servers in a process never mixes their series. Other areas (ingest) register
 * their own metrics on `registry`.
 */
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client'

/** The server's metrics. */
export interface Metrics {
  readonly registry: Registry
  readonly requests: Counter<'route' | 'method' | 'status' | 'code'>
  readonly requestSeconds: Histogram<'route'>
  readonly pipeSeconds: Histogram<'pipe'>
  readonly engineSeconds: Histogram<'kind'>
  readonly authFailures: Counter<'code'>
  readonly rateLimited: Counter<'pipe'>
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/** Creates the metrics on a fresh registry, with Node's process metrics prefixed `dunlin_`. */
export function createMetrics(): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'dunlin_' })
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
  }
}
