/** @module The request context shared by routes: config, dependencies and per-request variables. */
import type { Logger } from 'pino'
import type { JWK } from 'jose'
import type { Clock, JwtCache, Principal, SigningAlgorithm } from '../auth/index.js'
import type { Workspace } from '../catalog/index.js'
import type { Engine } from '../engine/index.js'
import type { PipeStatsWriter } from './pipe-stats.js'
import type { JobRegistry } from './jobs.js'
import type { OpsLogWriter } from './ops-log.js'
import type { Metrics } from './metrics.js'

/**
 * A JWT verification key from the configuration. HS256 takes `secret` (its UTF-8 bytes are the HMAC key);
 * RS256/ES256/EdDSA take `publicKey`, a public JWK. `status` defaults to `active`.
 * @see RFC 7517 §4, RFC 7518 §3.2
 */
export interface ConfiguredSigningKey {
  readonly kid: string
  readonly alg: SigningAlgorithm
  readonly secret?: string
  readonly publicKey?: JWK
  readonly status?: 'active' | 'verify-only' | 'revoked'
}

/** Server configuration (every field has a default; see `docs/configuration.md`). */
export interface ServerConfig {
  /** Serve the local-mode routes (`GET /tokens` on loopback), as Tinybird Local does. Default false. */
  readonly local: boolean
  /** Send `details` in error bodies. Default false. */
  readonly verboseErrors: boolean
  /**
   * Run copy pipes on their `COPY_SCHEDULE` in this process. With several processes sharing one catalog, turn it
   * on in exactly one of them (`--no-copy-schedules` on the others), or each would run every schedule. On-demand
   * copies (`POST /v0/pipes/<pipe>/copy`) work everywhere. Default true.
   */
  readonly copySchedules: boolean
  readonly auth: {
    /** 403 for every auth failure (Tinybird), or 401 for token-level ones (RFC 6750). Default 403. */
    readonly failureStatus: 403 | 401
    /** Clock-skew leeway for `exp`/`nbf`/`iat`, in seconds. Default 0 (Tinybird parity). */
    readonly leewaySeconds: number
    /** Largest accepted JWT lifetime (`exp - (iat ?? now)`), in seconds; undefined for none (Tinybird). */
    readonly maxTtlSeconds: number | undefined
    /**
     * Extra JWT verification keys beyond the admin token and the catalog's named keys (`dunlin key add`), e.g. an
     * HS256 secret shared with another service or a public key. See `docs/auth.md`. Default none.
     */
    readonly signingKeys: readonly ConfiguredSigningKey[]
    /**
     * JWKS source for asymmetric keys (`url` or `file`). A URL is cached per `Cache-Control` (default 5 min) and
     * refetched on an unknown `kid` at most every `cooldownSeconds` (default 30). Default none.
     */
    readonly jwks:
      | { readonly url?: string; readonly file?: string; readonly cooldownSeconds?: number }
      | undefined
    /** Largest accepted JWT, in bytes. Default 8192. */
    readonly maxTokenBytes: number
    /**
     * With a catalog store whose version is not a cheap check (the ClickHouse store), the most a request's view of
     * the catalog may lag, in milliseconds: a change another process made (a revocation, a new pipe) applies here
     * to every request that starts this long after it. The file store is checked on every request instead. 0
     * turns syncing off. Default 500.
     */
    readonly syncIntervalMs: number
    /** Required JWT `aud`/`iss` when set. Default none (Tinybird ignores both). */
    readonly audience: string | undefined
    readonly issuer: string | undefined
    /**
     * Extra rate-limit bucket key taken from a fixed param, e.g. `tenant_id`, so tenants sharing a JWT
     * `name` do not share a bucket. Default none (Tinybird's workspace + pipe + name bucket).
     */
    readonly rateLimitParam: string | undefined
    /** Refuse JWTs whose fixed params name a parameter the pipe does not use. Default true. */
    readonly strictFixedParams: boolean
  }
  readonly ingest: {
    /** Largest Events API request, in bytes (after gunzip). Default 10 MiB (Tinybird). */
    readonly maxRequestBytes: number
    /** Longest time an accepted row waits in the buffer, in milliseconds. Default 1_000. */
    readonly flushIntervalMs: number
    /** Buffer size that triggers a flush, in bytes. Default 8 MiB. */
    readonly flushBytes: number
    /** Events API requests per second per data source. Default 100 (Tinybird Forward docs). */
    readonly requestsPerSecond: number
    /** Events API bytes per second per data source. Default 20 MiB (Tinybird Forward docs). */
    readonly bytesPerSecond: number
    /**
     * Hosts `url=` imports may fetch from even when they resolve to private addresses (your own object storage
     * on a private network). Default none: private and link-local addresses are refused (SSRF guard).
     */
    readonly allowUrlHosts: readonly string[]
  }
  readonly limits: {
    /** Query time limit, in milliseconds. Default 10_000 (Tinybird's 10 s, answered 408). */
    readonly queryTimeoutMs: number
    /** Largest query result, in bytes. Default 100 MB. */
    readonly maxResultBytes: number
    /** Largest request body, in bytes. Default 8 MiB. */
    readonly maxBodyBytes: number
    /** Largest `q` SQL, in bytes. Default 8 KiB (Tinybird). */
    readonly maxSqlBytes: number
  }
}

/** Defaults: Tinybird's behaviour. */
export const DEFAULT_CONFIG: ServerConfig = {
  local: false,
  verboseErrors: false,
  copySchedules: true,
  auth: {
    failureStatus: 403,
    leewaySeconds: 0,
    maxTtlSeconds: undefined,
    signingKeys: [],
    jwks: undefined,
    maxTokenBytes: 8192,
    syncIntervalMs: 500,
    audience: undefined,
    issuer: undefined,
    rateLimitParam: undefined,
    strictFixedParams: true,
  },
  ingest: {
    maxRequestBytes: 10 * 1024 * 1024,
    flushIntervalMs: 1_000,
    flushBytes: 8 * 1024 * 1024,
    requestsPerSecond: 100,
    bytesPerSecond: 20 * 1024 * 1024,
    allowUrlHosts: [],
  },
  limits: {
    queryTimeoutMs: 10_000,
    maxResultBytes: 100 * 1024 * 1024,
    maxBodyBytes: 8 * 1024 * 1024,
    maxSqlBytes: 8 * 1024,
  },
}

/** What `createApp` needs. */
export interface AppDeps {
  readonly workspace: Workspace
  readonly engine: Engine
  /**
   * The engine that reads files on this machine (an uploaded Parquet body): `engine` itself when embedded; with a
   * ClickHouse server, a small embedded engine opened on first use, whose rows are then sent to the server.
   */
  readonly fileEngine: Engine
  readonly config: ServerConfig
  readonly log: Logger
  readonly clock: Clock
  readonly jwtCache: JwtCache
  /** The server's own base URL, for `url` fields (e.g. `http://localhost:7181`). */
  readonly publicUrl: string
  /**
   * Registers work to run at shutdown, after the port stops accepting requests and before the engine
   * closes (ingest buffers drain here). Hooks run in registration order.
   */
  readonly onShutdown: (hook: () => Promise<void>) => void
  /**
   * Every database name the engine had at start (plus the workspace's): user SQL may never name one
   * directly, so a shared ClickHouse server's other databases stay out of reach.
   */
  readonly protectedDatabases: readonly string[]
  /** Writer of `tinybird.pipe_stats_rt`; undefined disables it. */
  readonly pipeStats: PipeStatsWriter | undefined
  /** Writer of `tinybird.datasources_ops_log`; undefined disables it. */
  readonly opsLog: OpsLogWriter | undefined
  /** The workspace's jobs, shared with other processes through `tinybird.jobs_log`. */
  readonly jobs: JobRegistry
  readonly metrics: Metrics
}

/** Hono environment: per-request variables. */
export interface AppEnv {
  Variables: {
    requestId: string
    log: Logger
    config: ServerConfig
    deps: AppDeps
    principal: Principal | undefined
    /** Set by pipe and SQL API routes; recorded to `tinybird.pipe_stats_rt` when the response is sent. */
    stats: RequestStats | undefined
  }
}

/** What a pipe or SQL API request read, for `tinybird.pipe_stats_rt`. */
export interface RequestStats {
  /** Pipe id and name; `query_api` for `/v0/sql` (Tinybird). */
  pipeId: string
  pipeName: string
  /** Request params plus fixed params, as strings; empty for POST bodies (Tinybird). */
  parameters: Record<string, string>
  readRows: number
  readBytes: number
  resultRows: number
}
