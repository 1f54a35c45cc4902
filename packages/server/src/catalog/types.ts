/** @module The catalog's persisted shapes (what `catalog.json` holds). Types only. */
import type { DatasourceFile, PipeFile } from '../datafiles/index.js'

/** Where a static token came from. */
export type TokenOrigin = 'default' | 'datafile' | 'api' | 'cli'

/** A static token as stored: never in clear. */
export interface TokenEntry {
  readonly id: string
  readonly name: string
  /** sha256 hex of the token value: the lookup key. */
  readonly hash: string
  /** The value sealed with the data dir's key (see `Sealer`), so an admin can read it back. */
  readonly sealed: string
  /** Scope strings in Tinybird's syntax, e.g. `PIPES:READ:top_airlines`. */
  readonly scopes: readonly string[]
  readonly description?: string
  readonly origin: { readonly type: TokenOrigin; readonly resource?: string }
  readonly createdAt: string
}

/** A data source: its datafile definition and the DDL it was created with. */
export interface DatasourceEntry {
  /** `t_<32 hex>`, stable across re-deploys. */
  readonly id: string
  readonly name: string
  readonly def: DatasourceFile
  readonly createdAt: string
  readonly updatedAt: string
}

/** A pipe: its datafile definition. */
export interface PipeEntry {
  /** `t_<32 hex>`, stable across re-deploys. */
  readonly id: string
  readonly name: string
  readonly def: PipeFile
  readonly createdAt: string
  readonly updatedAt: string
}

/** The workspace: one ClickHouse database. */
export interface WorkspaceInfo {
  /** UUID, the JWT `workspace_id`. */
  readonly id: string
  readonly name: string
  /** ClickHouse database that holds the workspace's tables. */
  readonly database: string
  readonly createdAt: string
}

/**
 * An embeddable chart over one endpoint. The charts module owns the meaning of `spec` (type, index,
 * categories, colors, formats, refresh interval, passed-through params).
 */
export interface ChartEntry {
  /** UUID, stable: it is part of embed URLs. */
  readonly id: string
  /** The pipe (by name) whose endpoint the chart reads. */
  readonly pipe: string
  /** Where the chart was defined: a datafile (re-applied with the project) or the API. */
  readonly origin: 'datafile' | 'api'
  readonly spec: Readonly<Record<string, unknown>>
  readonly createdAt: string
  readonly updatedAt: string
}

/**
 * A named HS256 JWT signing key (selected by the JWT header `kid`), stored sealed like static tokens.
 *
 * - `active`: verifies, and is the key the server signs new JWTs with (the newest active key wins).
 * - `verify-only`: still verifies (the overlap of a rotation), never signs.
 * - `revoked`: a JWT it verifies is refused with `ERR_AUTH_TOKEN_REVOKED`.
 */
export interface SigningKeyEntry {
  /** The JWT header `kid`, unique in the workspace. */
  readonly kid: string
  readonly alg: 'HS256'
  /** The secret sealed with the data dir's key. */
  readonly sealed: string
  readonly status: 'active' | 'verify-only' | 'revoked'
  readonly createdAt: string
  readonly updatedAt: string
}

/**
 * A revoked JWT `name` or `jti`: refused on the next request. Kept until `expiresAt` (ISO 8601), the moment the
 * revoked tokens would have expired anyway, then pruned.
 */
export interface RevocationEntry {
  readonly type: 'name' | 'jti'
  readonly value: string
  readonly expiresAt: string
  readonly createdAt: string
}

/** Everything `catalog.json` holds. */
export interface CatalogState {
  readonly version: 1
  readonly workspace: WorkspaceInfo
  readonly tokens: readonly TokenEntry[]
  readonly datasources: readonly DatasourceEntry[]
  readonly pipes: readonly PipeEntry[]
  /** Absent in catalogs written before charts existed. */
  readonly charts?: readonly ChartEntry[]
  /** Materialized view name → sha256 of its SQL, so unchanged views are left alone on re-apply. */
  readonly materializations?: Readonly<Record<string, string>>
  /** Named JWT signing keys. Absent in catalogs written before keys existed. */
  readonly signingKeys?: readonly SigningKeyEntry[]
  /** Revoked JWT names and ids. Absent in catalogs written before revocation existed. */
  readonly revocations?: readonly RevocationEntry[]
}
