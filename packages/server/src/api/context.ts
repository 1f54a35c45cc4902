/** @module The request context shared by routes: config, dependencies and per-request variables. */
import type { Logger } from 'pino'
import type { Clock, JwtCache, Principal } from '../auth/index.js'
import type { Workspace } from '../catalog/index.js'
import type { Engine } from '../engine/index.js'

/** Server configuration (every field has a default; see `docs/configuration.md`). */
export interface ServerConfig {
  /** Serve the local-mode routes (`GET /tokens` on loopback), as Tinybird Local does. Default false. */
  readonly local: boolean
  /** Send `details` in error bodies. Default false. */
  readonly verboseErrors: boolean
  readonly auth: {
    /** 403 for every auth failure (Tinybird), or 401 for token-level ones (RFC 6750). Default 403. */
    readonly failureStatus: 403 | 401
    /** Clock-skew leeway for `exp`/`nbf`/`iat`, in seconds. Default 0 (Tinybird parity). */
    readonly leewaySeconds: number
    /** Largest accepted JWT lifetime (`exp - (iat ?? now)`), in seconds; undefined for none (Tinybird). */
    readonly maxTtlSeconds: number | undefined
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
  auth: { failureStatus: 403, leewaySeconds: 0, maxTtlSeconds: undefined },
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
  readonly config: ServerConfig
  readonly log: Logger
  readonly clock: Clock
  readonly jwtCache: JwtCache
  /** The server's own base URL, for `url` fields (e.g. `http://localhost:7181`). */
  readonly publicUrl: string
}

/** Hono environment: per-request variables. */
export interface AppEnv {
  Variables: {
    requestId: string
    log: Logger
    config: ServerConfig
    deps: AppDeps
    principal: Principal | undefined
  }
}
