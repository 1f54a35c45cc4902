/**
 * @module The workspace: data sources, pipes and tokens in memory, persisted through a `CatalogStore`, with
 * their tables in one ClickHouse database. Applying a project creates what is new, evolves what changed
 * without losing data, and refuses (unless forced) a change that would drop data.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { ServerError } from '../errors.js'
import type { Engine } from '../engine/index.js'
import {
  columnSql,
  datasourceDdl,
  datasourceDdlParts,
  withoutLowCardinality,
  type DatasourceFile,
  type DdlParts,
  type PipeFile,
  type PipeNode,
  type Project,
} from '../datafiles/index.js'
import { escapeIdentifier, escapeString, type TemplateArgs } from '../template/index.js'
import { analyzeSql } from '../sql/index.js'
import { composePipe, type Resources } from './compose.js'
import type { CatalogStore } from './store.js'
import { Sealer } from './store.js'
import { mergeTreeParts, singleNodeLayout, type TableLayout } from './layout.js'
import { serviceTable, type SERVICE_DATASOURCES } from './service.js'
import type {
  CatalogState,
  ChartEntry,
  DatasourceEntry,
  PipeEntry,
  RevocationEntry,
  SigningKeyEntry,
  TokenEntry,
  TokenOrigin,
} from './types.js'

/** How static token values are made and hashed (injected by the server: auth owns the format). */
export interface TokenCodec {
  generate(): string
  hash(token: string): string
}

/** Progress of a long step (fixture loads), for the CLI's progress bar. */
export interface ApplyProgress {
  readonly step: string
  readonly datasource?: string
  readonly done?: number
  readonly total?: number
  /** Rows written so far, when known. */
  readonly rows?: number
}

/** Options of {@link Workspace.applyProject}. */
export interface ApplyOptions {
  /** Recreate data sources whose change would drop data. Default false. */
  readonly force?: boolean
  /** Load `fixtures/<datasource>.{sql,ndjson,csv}` into empty data sources. Default true. */
  readonly fixtures?: boolean
  readonly onProgress?: (p: ApplyProgress) => void
  /**
   * Fill materialized views created or changed by this apply from the data already in their source (Tinybird's
   * `--populate`). Rows written while the population runs may be counted twice, as in Tinybird. Default false.
   */
  readonly populate?: boolean
}

/** An apply report that changed nothing. */
export function emptyApplyReport(): ApplyReport {
  return {
    created: [],
    altered: [],
    recreated: [],
    unchanged: [],
    pipes: [],
    tokens: [],
    fixtures: [],
    populated: [],
    warnings: [],
  }
}

/** What {@link Workspace.applyProject} changed. */
export interface ApplyReport {
  readonly created: string[]
  readonly altered: string[]
  readonly recreated: string[]
  readonly unchanged: string[]
  readonly pipes: string[]
  readonly tokens: string[]
  readonly fixtures: { datasource: string; rows: number }[]
  /** Materialized nodes populated by this apply (`populate: true`), for the ops log. Times in milliseconds. */
  readonly populated: PopulatedNode[]
  readonly warnings: string[]
}

/** One populate run while applying a project. */
export interface PopulatedNode {
  readonly pipe: string
  readonly node: string
  /** The materialized view's target data source. */
  readonly datasource: string
  readonly rows: number
  /** Milliseconds since the epoch. */
  readonly startedMs: number
  readonly elapsedMs: number
}

const nowIso = (): string => new Date().toISOString()
const newId = (): string => `t_${randomBytes(16).toString('hex')}`
const EMPTY_KEYS: readonly SigningKeyEntry[] = Object.freeze([])
const EMPTY_REVOCATIONS: readonly RevocationEntry[] = Object.freeze([])
const SAFE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** Quarantine columns after the data source's own (all `Nullable(String)`). */
const QUARANTINE_EXTRA = [
  '`c__error_column` Array(String)',
  '`c__error` Array(String)',
  '`c__import_id` Nullable(String)',
  '`insertion_date` DateTime DEFAULT now()',
  // The original line as sent (cut at 64 KiB), so nothing a client sent is lost.
  '`c__line` Nullable(String)',
]

/** Renders a fixture's SELECT where the fixture files are (see {@link Workspace.open} `renderFixture`). */
export type FixtureRenderer = (sql: string) => Promise<Uint8Array>

/**
 * The workspace: the single owner of catalog state in this process. Reads are synchronous lookups over
 * in-memory maps; writes go through {@link Workspace.save}.
 */
export class Workspace implements Resources {
  private state: CatalogState
  private byHash = new Map<string, TokenEntry>()
  private dsByName = new Map<string, DatasourceEntry>()
  private pipesByKey = new Map<string, PipeEntry>()

  private readonly store: CatalogStore
  private readonly sealer: Sealer
  private readonly engine: Engine
  private readonly codec: TokenCodec
  /** Where tables live: one node, or local tables behind `Distributed` ones on a cluster. */
  readonly layout: TableLayout
  private readonly renderFixture: FixtureRenderer | undefined
  private readonly listeners: (() => void)[] = []

  private constructor(
    state: CatalogState,
    store: CatalogStore,
    sealer: Sealer,
    engine: Engine,
    codec: TokenCodec,
    layout: TableLayout,
    renderFixture: FixtureRenderer | undefined,
  ) {
    this.store = store
    this.sealer = sealer
    this.engine = engine
    this.codec = codec
    this.layout = layout
    this.renderFixture = renderFixture
    this.state = state
    this.reindex()
  }

  /**
   * Opens the workspace in `dataDir`, creating it (UUID, database, admin token) on the first start.
   *
   * Shape: `{ workspace, firstStart }`; `firstStart` is true when the admin token was just created (the CLI
   * prints it once). When several processes share the store, the first to save creates the workspace and the
   * others adopt it.
   *
   * @param opts.secretKey - Base64 of the 32-byte sealing key every process sharing the store must use; default
   *   `<dataDir>/secret.key`.
   * @param opts.layout - Where tables live. Default one node.
   * @param opts.databasePrefix - Prefix of a new workspace's database, `<prefix><16 hex>`. Default `dunlin_`.
   * @param opts.renderFixture - Evaluates a `.sql` fixture next to its files and returns TSV rows, for engines
   *   that cannot read the project's files (a remote server). Default: the engine runs `INSERT … SELECT` itself.
   * @throws {ServerError} `ERR_AUTH_SEALING_KEY_MISMATCH` when the stored tokens were sealed with another key.
   */
  static async open(opts: {
    dataDir: string
    store: CatalogStore
    engine: Engine
    codec: TokenCodec
    name?: string
    secretKey?: string
    layout?: TableLayout
    renderFixture?: FixtureRenderer
    databasePrefix?: string
  }): Promise<{ workspace: Workspace; firstStart: boolean }> {
    const sealer = await Sealer.open(opts.dataDir, opts.secretKey)
    let state = await opts.store.load()
    let firstStart = false
    if (state === undefined) {
      const id = randomUUID()
      const admin = opts.codec.generate()
      const fresh: CatalogState = {
        version: 1,
        workspace: {
          id,
          name: opts.name ?? 'dunlin',
          database: `${opts.databasePrefix ?? 'dunlin_'}${id.replaceAll('-', '').slice(0, 16)}`,
          createdAt: nowIso(),
        },
        tokens: [
          {
            id: randomUUID(),
            name: 'Workspace admin token',
            hash: opts.codec.hash(admin),
            sealed: sealer.seal(admin),
            scopes: ['ADMIN'],
            origin: { type: 'default' },
            createdAt: nowIso(),
          },
        ],
        datasources: [],
        pipes: [],
      }
      state = await opts.store.save(undefined, fresh)
      firstStart = state.workspace.id === id
    }
    const admin = state.tokens.find(
      (t) => t.origin.type === 'default' && t.scopes.includes('ADMIN'),
    )
    if (admin !== undefined) {
      try {
        sealer.unseal(admin.sealed)
      } catch {
        throw new ServerError(
          'ERR_AUTH_SEALING_KEY_MISMATCH',
          'The catalog was sealed with another secret key: give every Dunlin process sharing it the same DUNLIN_SECRET_KEY (or secret.key file)',
        )
      }
    }
    const layout = opts.layout ?? singleNodeLayout()
    for (const sql of layout.createDatabase(state.workspace.database)) {
      await opts.engine.command(sql)
    }
    return {
      workspace: new Workspace(
        state,
        opts.store,
        sealer,
        opts.engine,
        opts.codec,
        layout,
        opts.renderFixture,
      ),
      firstStart,
    }
  }

  /** The store version last read by {@link Workspace.syncFromStore}. */
  private seenStoreVersion: string | undefined

  /** True when the store can tell cheaply whether it changed, so syncing on every request costs one `stat`. */
  get storeVersionIsCheap(): boolean {
    return this.store.cheapVersion
  }

  /** Calls `fn` after {@link Workspace.syncFromStore} adopted a change made by another process. */
  onExternalChange(fn: () => void): void {
    this.listeners.push(fn)
  }

  /** `DROP … SYNC` where the engine supports it: an Atomic database then frees the name before we reuse it. */
  private get dropSync(): boolean {
    return this.engine.capabilities.dropSync
  }

  private reindex(): void {
    this.byHash = new Map(this.state.tokens.map((t) => [t.hash, t]))
    this.dsByName = new Map(this.state.datasources.map((d) => [d.name, d]))
    this.pipesByKey = new Map()
    for (const p of this.state.pipes) {
      this.pipesByKey.set(p.name, p)
      this.pipesByKey.set(p.id, p)
    }
  }

  /** Saves `next` (computed from the current state) and adopts what the store now holds. */
  private async commit(next: CatalogState): Promise<void> {
    const merged = await this.store.save(this.state, next)
    this.state = merged
    this.reindex()
  }

  /** Runs the layout's statements for one change, in order. */
  private async ddl(statements: readonly string[], timeoutMs?: number): Promise<void> {
    for (const sql of statements) {
      await this.engine.command(sql, timeoutMs === undefined ? {} : { timeoutMs })
    }
  }

  /** See {@link Resources.readsAsSubqueries}. */
  get readsAsSubqueries(): boolean {
    return this.layout.cluster !== undefined && !this.engine.capabilities.distributedRewrite
  }

  get info(): CatalogState['workspace'] {
    return this.state.workspace
  }
  get database(): string {
    return this.state.workspace.database
  }
  get datasources(): readonly DatasourceEntry[] {
    return this.state.datasources
  }
  get pipes(): readonly PipeEntry[] {
    return this.state.pipes
  }
  get tokens(): readonly TokenEntry[] {
    return this.state.tokens
  }

  /** A data source by name or id; `<ds>_quarantine` resolves to a synthetic entry for the quarantine table. */
  datasource(nameOrId: string): DatasourceEntry | undefined {
    const direct =
      this.dsByName.get(nameOrId) ?? this.state.datasources.find((d) => d.id === nameOrId)
    if (direct !== undefined) return direct
    if (nameOrId.endsWith('_quarantine')) {
      const base = this.datasource(nameOrId.slice(0, -'_quarantine'.length))
      if (base !== undefined && !base.name.endsWith('_quarantine')) {
        return { ...base, id: `${base.id}_quarantine`, name: `${base.name}_quarantine` }
      }
    }
    return undefined
  }

  /** A pipe by name or `t_…` id. */
  pipe(nameOrId: string): PipeEntry | undefined {
    return this.pipesByKey.get(nameOrId)
  }

  /** The static token whose sha256 is `hash`. The caller confirms with a constant-time compare. */
  tokenByHash(hash: string): TokenEntry | undefined {
    return this.byHash.get(hash)
  }

  /** A token's value in clear (for admins, the local `/tokens` route and JWT signing). */
  tokenValue(t: TokenEntry): string {
    return this.sealer.unseal(t.sealed)
  }

  /** The workspace admin token in clear: Tinybird's JWT HS256 signing key. */
  adminToken(): string {
    const t = this.state.tokens.find(
      (x) => x.origin.type === 'default' && x.scopes.includes('ADMIN'),
    )
    if (t === undefined)
      throw new ServerError('ERR_AUTH_NOT_CONFIGURED', 'The workspace has no admin token')
    return this.tokenValue(t)
  }

  /**
   * Creates a token, or adds `scopes` to the token of that name when `merge` is set (datafile `TOKEN` lines
   * accumulate across files and keep their value across re-deploys).
   */
  async upsertToken(
    name: string,
    scopes: readonly string[],
    origin: TokenOrigin,
    opts: { merge?: boolean; description?: string } = {},
  ): Promise<{ entry: TokenEntry; value: string; created: boolean }> {
    const existing = this.state.tokens.find((t) => t.name === name)
    if (existing !== undefined) {
      const nextScopes = opts.merge ? [...new Set([...existing.scopes, ...scopes])] : [...scopes]
      const entry: TokenEntry = {
        ...existing,
        scopes: nextScopes,
        ...(opts.description !== undefined ? { description: opts.description } : {}),
      }
      await this.commit({
        ...this.state,
        tokens: this.state.tokens.map((t) => (t === existing ? entry : t)),
      })
      return { entry, value: this.tokenValue(entry), created: false }
    }
    const value = this.codec.generate()
    const entry: TokenEntry = {
      id: randomUUID(),
      name,
      hash: this.codec.hash(value),
      sealed: this.sealer.seal(value),
      scopes: [...scopes],
      origin: { type: origin },
      ...(opts.description !== undefined ? { description: opts.description } : {}),
      createdAt: nowIso(),
    }
    await this.commit({ ...this.state, tokens: [...this.state.tokens, entry] })
    return { entry, value, created: true }
  }

  /** A static token by name or id. */
  token(nameOrId: string): TokenEntry | undefined {
    return this.state.tokens.find((t) => t.name === nameOrId || t.id === nameOrId)
  }

  /** True for the workspace admin token (the default `ADMIN` token that signs kid-less JWTs). */
  isWorkspaceAdminToken(t: TokenEntry): boolean {
    return t.origin.type === 'default' && t.scopes.includes('ADMIN')
  }

  private requireToken(nameOrId: string): TokenEntry {
    const t = this.token(nameOrId)
    if (t === undefined)
      throw new ServerError('ERR_REQUEST_NOT_FOUND', 'Token not found', { details: {} })
    return t
  }

  /**
   * Changes a token's name, scopes (replaced) or description; its value is kept.
   *
   * @throws {ServerError} `ERR_REQUEST_NOT_FOUND` (404) for an unknown token; `ERR_REQUEST_CONFLICT` (409) when
   *   the new name is taken or the change would take `ADMIN` from the workspace admin token.
   */
  async updateToken(
    nameOrId: string,
    change: { name?: string; scopes?: readonly string[]; description?: string },
  ): Promise<TokenEntry> {
    const prev = this.requireToken(nameOrId)
    if (change.name !== undefined && change.name !== prev.name && this.token(change.name)) {
      throw new ServerError('ERR_REQUEST_CONFLICT', 'A token with that name already exists')
    }
    if (
      this.isWorkspaceAdminToken(prev) &&
      change.scopes !== undefined &&
      !change.scopes.includes('ADMIN')
    ) {
      throw new ServerError(
        'ERR_REQUEST_CONFLICT',
        'The workspace admin token keeps its ADMIN scope',
      )
    }
    const entry: TokenEntry = {
      ...prev,
      ...(change.name !== undefined ? { name: change.name } : {}),
      ...(change.scopes !== undefined ? { scopes: [...change.scopes] } : {}),
      ...(change.description !== undefined ? { description: change.description } : {}),
    }
    await this.commit({
      ...this.state,
      tokens: this.state.tokens.map((t) => (t === prev ? entry : t)),
    })
    return entry
  }

  /**
   * Deletes a static token; its value stops working on the next request.
   *
   * @throws {ServerError} `ERR_REQUEST_NOT_FOUND` (404); `ERR_REQUEST_CONFLICT` (409) for the workspace admin token.
   */
  async deleteToken(nameOrId: string): Promise<TokenEntry> {
    const prev = this.requireToken(nameOrId)
    if (this.isWorkspaceAdminToken(prev)) {
      throw new ServerError(
        'ERR_REQUEST_CONFLICT',
        'The workspace admin token cannot be deleted; refresh it instead',
      )
    }
    await this.commit({ ...this.state, tokens: this.state.tokens.filter((t) => t !== prev) })
    return prev
  }

  /**
   * Gives a static token a new value (same id, name and scopes); the old value stops working on the next request.
   * Refreshing the workspace admin token also invalidates every kid-less JWT signed with it (Tinybird).
   *
   * @throws {ServerError} `ERR_REQUEST_NOT_FOUND` (404).
   */
  async refreshToken(nameOrId: string): Promise<{ entry: TokenEntry; value: string }> {
    const prev = this.requireToken(nameOrId)
    const value = this.codec.generate()
    const entry: TokenEntry = {
      ...prev,
      hash: this.codec.hash(value),
      sealed: this.sealer.seal(value),
    }
    await this.commit({
      ...this.state,
      tokens: this.state.tokens.map((t) => (t === prev ? entry : t)),
    })
    return { entry, value }
  }

  /** Named JWT signing keys (the array is replaced on every change, so it can key a memo). */
  get signingKeys(): readonly SigningKeyEntry[] {
    return this.state.signingKeys ?? EMPTY_KEYS
  }

  /** A signing key's secret in clear (for verification and server-side signing). */
  signingKeySecret(k: SigningKeyEntry): string {
    return this.sealer.unseal(k.sealed)
  }

  /**
   * Adds a named HS256 key with a fresh 256-bit secret. With `rotate`, every other `active` key becomes
   * `verify-only`, so tokens signed with it keep working until they expire while new ones use the new key.
   *
   * Shape: `{ entry, secret }`; the secret is base64url, 43 characters.
   *
   * @throws {ServerError} `ERR_REQUEST_CONFLICT` (409) when `kid` is taken; `ERR_REQUEST_PARAM` (400) for a `kid`
   *   that is not 1–64 characters of `[A-Za-z0-9._-]`.
   */
  async addSigningKey(
    kid: string,
    opts: { status?: 'active' | 'verify-only'; rotate?: boolean; secret?: string } = {},
  ): Promise<{ entry: SigningKeyEntry; secret: string }> {
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(kid)) {
      throw new ServerError(
        'ERR_REQUEST_PARAM',
        'A key id must be 1-64 characters of A-Z a-z 0-9 . _ -',
        {
          details: { param: 'kid' },
        },
      )
    }
    if (this.signingKeys.some((k) => k.kid === kid)) {
      throw new ServerError('ERR_REQUEST_CONFLICT', 'A signing key with that kid already exists')
    }
    const secret = opts.secret ?? randomBytes(32).toString('base64url')
    const at = nowIso()
    const entry: SigningKeyEntry = {
      kid,
      alg: 'HS256',
      sealed: this.sealer.seal(secret),
      status: opts.status ?? 'active',
      createdAt: at,
      updatedAt: at,
    }
    const rest = opts.rotate
      ? this.signingKeys.map((k) =>
          k.status === 'active' ? { ...k, status: 'verify-only' as const, updatedAt: at } : k,
        )
      : this.signingKeys
    await this.commit({ ...this.state, signingKeys: [...rest, entry] })
    return { entry, secret }
  }

  /**
   * Sets a named key's status (`revoked` retires it: tokens it signed are refused on the next request).
   *
   * @throws {ServerError} `ERR_REQUEST_NOT_FOUND` (404) for an unknown `kid`.
   */
  async setSigningKeyStatus(
    kid: string,
    status: SigningKeyEntry['status'],
  ): Promise<SigningKeyEntry> {
    const prev = this.signingKeys.find((k) => k.kid === kid)
    if (prev === undefined) throw new ServerError('ERR_REQUEST_NOT_FOUND', 'Signing key not found')
    const entry: SigningKeyEntry = { ...prev, status, updatedAt: nowIso() }
    await this.commit({
      ...this.state,
      signingKeys: this.signingKeys.map((k) => (k === prev ? entry : k)),
    })
    return entry
  }

  /**
   * Re-reads the store and adopts it when another process changed it: a new pipe, a revocation, a deleted or
   * refreshed token, a retired key, a new data source (whose tables that process created on the shared engine).
   * Skipped (false) when this process committed while the store was being read.
   *
   * @returns true when something changed (listeners of {@link Workspace.onExternalChange} have run).
   */
  async syncFromStore(): Promise<boolean> {
    const before = this.state
    const version = await this.store.version()
    if (version !== undefined && version === this.seenStoreVersion) return false
    const loaded = await this.store.load()
    if (loaded === undefined || this.state !== before) return false
    this.seenStoreVersion = version
    if (JSON.stringify(loaded) === JSON.stringify(before)) return false
    this.state = loaded
    this.reindex()
    for (const fn of this.listeners) fn()
    return true
  }

  /** Revoked JWT names and ids, expired entries included until the next {@link Workspace.revoke}. */
  get revocations(): readonly RevocationEntry[] {
    return this.state.revocations ?? EMPTY_REVOCATIONS
  }

  /**
   * Revokes every JWT with this `name` or `jti` until `expiresAt` (when they would have expired anyway), and
   * prunes entries whose time has passed.
   *
   * @param expiresAt - Milliseconds since the epoch.
   */
  async revoke(
    type: RevocationEntry['type'],
    value: string,
    expiresAt: number,
  ): Promise<RevocationEntry> {
    const now = Date.now()
    const entry: RevocationEntry = {
      type,
      value,
      expiresAt: new Date(expiresAt).toISOString(),
      createdAt: new Date(now).toISOString(),
    }
    const kept = this.revocations.filter(
      (r) => Date.parse(r.expiresAt) > now && !(r.type === type && r.value === value),
    )
    await this.commit({ ...this.state, revocations: [...kept, entry] })
    return entry
  }

  /** Lifts a revocation; false when there was none. */
  async unrevoke(type: RevocationEntry['type'], value: string): Promise<boolean> {
    const kept = this.revocations.filter((r) => !(r.type === type && r.value === value))
    if (kept.length === this.revocations.length) return false
    await this.commit({ ...this.state, revocations: kept })
    return true
  }

  /**
   * Applies a project: data sources (tables and quarantine tables), fixtures into empty data sources, pipes
   * (validated by composing them in test mode), materialized views, and datafile tokens, in dependency order.
   *
   * @throws {ServerError} `ERR_DATAFILE_CONFLICT` (409) when a data source change would drop data and
   *   `force` is not set; `ERR_DATAFILE_INVALID` (400) for pipes reading unknown resources or in a cycle.
   */
  async applyProject(project: Project, opts: ApplyOptions = {}): Promise<ApplyReport> {
    const report = emptyApplyReport()
    const progress = opts.onProgress ?? (() => undefined)
    const nextDs: DatasourceEntry[] = []
    const known = new Map(this.state.datasources.map((d) => [d.name, d]))

    // 1. Data sources.
    for (const def of project.datasources) {
      const prev = known.get(def.name)
      const outcome = await this.applyDatasourceTable(def, prev, opts.force === true)
      report[outcome].push(def.name)
      nextDs.push(this.entryFor(def, prev))
    }
    for (const d of this.state.datasources) {
      if (!project.datasources.some((x) => x.name === d.name)) {
        nextDs.push(d)
        report.warnings.push(
          `Data source '${d.name}' is no longer in the project; its table and data are kept`,
        )
      }
    }

    // 2. Pipes: ids stay stable by name.
    const prevPipes = new Map(this.state.pipes.map((p) => [p.name, p]))
    const nextPipes: PipeEntry[] = project.pipes.map((def: PipeFile) => {
      const prev = prevPipes.get(def.name)
      const at = nowIso()
      return prev
        ? { ...prev, def, updatedAt: at }
        : { id: newId(), name: def.name, def, createdAt: at, updatedAt: at }
    })
    for (const p of this.state.pipes)
      if (!nextPipes.some((x) => x.name === p.name))
        report.warnings.push(`Pipe '${p.name}' was removed`)
    const clash = nextPipes.find((p) => nextDs.some((d) => d.name === p.name))
    if (clash) {
      throw new ServerError(
        'ERR_DATAFILE_INVALID',
        `'${clash.name}' is both a data source and a pipe; names must be unique`,
        { details: { resource: clash.name } },
      )
    }
    const staged = this.view(nextDs, nextPipes)
    for (const p of nextPipes) {
      // Composing every node in test mode proves each name resolves and every template parses.
      for (const n of p.def.nodes) composePipe(staged, p, {}, { testMode: true, nodeName: n.name })
      report.pipes.push(p.name)
    }

    await this.commit({ ...this.state, datasources: nextDs, pipes: nextPipes })

    // 3. Fixtures into empty data sources (after the commit: a failed load leaves a consistent catalog).
    if (opts.fixtures !== false) {
      for (const def of project.datasources) {
        const rows = await this.loadFixture(project.root, def, progress)
        if (rows !== undefined) report.fixtures.push({ datasource: def.name, rows })
      }
    }

    // 4. Materialized views, after fixtures so they do not double-count what `populate` would add.
    const fresh: string[] = []
    for (const p of nextPipes) fresh.push(...(await this.ensureMaterializedViews(p)))
    if (opts.populate === true) {
      for (const key of fresh) {
        const [pipe = '', node = ''] = key.split('/')
        const startedMs = Date.now()
        const { rows } = await this.populate(pipe, node)
        const datasource = this.pipe(pipe)?.def.nodes.find((n) => n.name === node)?.datasource ?? ''
        report.populated.push({
          pipe,
          node,
          datasource,
          rows,
          startedMs,
          elapsedMs: Date.now() - startedMs,
        })
        report.warnings.push(`Populated ${pipe}.${node}: ${rows} rows`)
      }
    }

    // 5. Datafile tokens.
    const grants = new Map<string, string[]>()
    const grant = (name: string, scope: string): void => {
      grants.set(name, [...(grants.get(name) ?? []), scope])
    }
    for (const d of project.datasources)
      for (const t of d.tokens) grant(t.name, `DATASOURCES:${t.permission}:${d.name}`)
    for (const p of project.pipes) for (const t of p.tokens) grant(t.name, `PIPES:READ:${p.name}`)
    for (const [name, scopes] of grants) {
      await this.upsertToken(name, scopes, 'datafile', { merge: true })
      report.tokens.push(name)
    }
    return report
  }

  private entryFor(def: DatasourceFile, prev: DatasourceEntry | undefined): DatasourceEntry {
    const at = nowIso()
    return prev
      ? { ...prev, def, updatedAt: at }
      : { id: newId(), name: def.name, def, createdAt: at, updatedAt: at }
  }

  /**
   * Creates or evolves one data source's table (and its quarantine table) to match `def`: create when
   * missing, nothing when the DDL is unchanged, `ADD COLUMN` for appended columns, else drop and recreate
   * when the table is empty or `force` is set.
   *
   * @throws {ServerError} `ERR_DATAFILE_CONFLICT` (409) when recreating would drop rows and `force` is off.
   */
  private async applyDatasourceTable(
    def: DatasourceFile,
    prev: DatasourceEntry | undefined,
    force: boolean,
  ): Promise<'created' | 'altered' | 'recreated' | 'unchanged'> {
    const spec = {
      database: this.database,
      name: def.name,
      parts: datasourceDdlParts(def, { lowCardinality: this.engine.capabilities.lowCardinality }),
    }
    let outcome: 'created' | 'altered' | 'recreated' | 'unchanged'
    if (!(await this.tableExists(def.name))) {
      await this.ddl(this.layout.createTable(spec))
      outcome = 'created'
    } else if (prev !== undefined && sameDdl(prev.def, def, this.database)) {
      outcome = 'unchanged'
    } else {
      const added = prev ? additiveColumns(prev.def, def) : undefined
      if (added !== undefined) {
        // No `ADD COLUMN IF NOT EXISTS` (ClickHouse 18.16 lacks it): skip columns a previous try added.
        const have = await this.columnNames(def.name)
        for (const c of added) {
          if (have.has(c.name)) continue
          const col = this.engine.capabilities.lowCardinality
            ? c
            : { ...c, type: withoutLowCardinality(c.type) }
          await this.ddl(this.layout.addColumn(this.database, def.name, columnSql(col)))
        }
        outcome = 'altered'
      } else {
        const rows = await this.countRows(def.name)
        if (rows > 0 && !force) {
          throw new ServerError(
            'ERR_DATAFILE_CONFLICT',
            `Data source '${def.name}' changed in a way that needs its table recreated (columns removed or retyped, or engine/keys changed), which would drop its ${rows} rows. Re-run with --force to drop and recreate it, or add columns instead of changing them`,
            { details: { datasource: def.name, rows } },
          )
        }
        await this.ddl(this.layout.dropTable(this.database, def.name, this.dropSync))
        await this.ddl(this.layout.createTable(spec))
        outcome = 'recreated'
      }
    }
    await this.ensureQuarantine(def)
    return outcome
  }

  /**
   * Creates one data source outside a project (Data Sources API `mode=create`, Events API auto-create).
   *
   * @throws {ServerError} `ERR_REQUEST_CONFLICT` (409) when a data source or pipe of that name exists.
   */
  async createDatasource(def: DatasourceFile): Promise<DatasourceEntry> {
    if (this.datasource(def.name) !== undefined || this.pipe(def.name) !== undefined) {
      throw new ServerError(
        'ERR_REQUEST_CONFLICT',
        `Data Source "${def.name}" already exists, use mode=append`,
        {
          details: { datasource: def.name },
        },
      )
    }
    await this.applyDatasourceTable(def, undefined, false)
    const entry = this.entryFor(def, undefined)
    await this.commit({ ...this.state, datasources: [...this.state.datasources, entry] })
    return entry
  }

  /**
   * Drops a data source: its materialized views into it, its table and its quarantine table.
   *
   * @throws {ServerError} `ERR_REQUEST_NOT_FOUND` (404) for an unknown data source.
   */
  async dropDatasource(name: string): Promise<void> {
    const ds = this.state.datasources.find((d) => d.name === name || d.id === name)
    if (ds === undefined)
      throw new ServerError('ERR_REQUEST_NOT_FOUND', `Data Source "${name}" does not exist`)
    for (const p of this.state.pipes) {
      for (const n of p.def.nodes) {
        if (n.type === 'materialized' && n.datasource === ds.name) {
          await this.ddl(
            this.layout.dropView(this.database, `${p.name}__${n.name}__mv`, this.dropSync),
          )
        }
      }
    }
    await this.ddl(this.layout.dropTable(this.database, ds.name, this.dropSync))
    await this.ddl(this.layout.dropTable(this.database, `${ds.name}_quarantine`, this.dropSync))
    await this.commit({
      ...this.state,
      datasources: this.state.datasources.filter((d) => d !== ds),
    })
  }

  /**
   * Empties a data source or its `<ds>_quarantine` table. Does not cascade to materialized views (Tinybird).
   *
   * @throws {ServerError} `ERR_REQUEST_NOT_FOUND` (404) for an unknown name.
   */
  async truncateDatasource(name: string): Promise<void> {
    const ds = this.datasource(name)
    if (ds === undefined)
      throw new ServerError('ERR_REQUEST_NOT_FOUND', `Data Source "${name}" does not exist`)
    await this.ddl(this.layout.truncate(this.database, ds.name))
  }

  /**
   * Deletes the rows of a data source that match `condition` (SQL the caller validated), waiting for the
   * mutation to finish; in cluster mode on every shard.
   */
  async deleteRows(name: string, condition: string): Promise<void> {
    for (const sql of this.layout.deleteWhere(this.database, name, condition)) {
      await this.engine.command(sql, { settings: { mutations_sync: 1 } })
    }
    // Servers without `mutations_sync` (before 20.x), and every shard of a cluster, finish the mutation on
    // their own time: wait until no matching row is left.
    const table = `${escapeIdentifier(this.database)}.${escapeIdentifier(name)}`
    for (let waited = 0; ; waited += 100) {
      const r = await this.engine.query(`SELECT count() AS n FROM ${table} WHERE (${condition})`, {
        format: 'JSONEachRow',
        timeoutMs: 60_000,
      })
      if (Number((JSON.parse(r.text()) as { n: number | string }).n) === 0) return
      if (waited >= 120_000) {
        throw new ServerError('ERR_ENGINE_TIMEOUT', 'The delete did not finish within 120 s')
      }
      await new Promise((done) => setTimeout(done, 100))
    }
  }

  /** Replaces a data source's definition in the catalog (e.g. a new description); the table is untouched. */
  async updateDatasourceDef(name: string, def: DatasourceFile): Promise<DatasourceEntry> {
    const prev = this.state.datasources.find((d) => d.name === name)
    if (prev === undefined)
      throw new ServerError('ERR_REQUEST_NOT_FOUND', `Data Source "${name}" does not exist`)
    const entry = this.entryFor(def, prev)
    await this.commit({
      ...this.state,
      datasources: this.state.datasources.map((d) => (d === prev ? entry : d)),
    })
    return entry
  }

  /** Charts of the workspace (embeddable, one endpoint each). */
  get charts(): readonly ChartEntry[] {
    return this.state.charts ?? []
  }

  /** Creates or replaces a chart by id. */
  async upsertChart(chart: ChartEntry): Promise<void> {
    const rest = this.charts.filter((c) => c.id !== chart.id)
    await this.commit({ ...this.state, charts: [...rest, chart] })
  }

  /** Deletes a chart; false when there was none with that id. */
  async deleteChart(id: string): Promise<boolean> {
    const rest = this.charts.filter((c) => c.id !== id)
    if (rest.length === this.charts.length) return false
    await this.commit({ ...this.state, charts: rest })
    return true
  }

  private view(datasources: readonly DatasourceEntry[], pipes: readonly PipeEntry[]): Resources {
    const ds = new Map(datasources.map((d) => [d.name, d]))
    const ps = new Map<string, PipeEntry>()
    for (const p of pipes) {
      ps.set(p.name, p)
      ps.set(p.id, p)
    }
    return {
      database: this.database,
      datasource: (n) =>
        ds.get(n) ?? (n.endsWith('_quarantine') ? ds.get(n.slice(0, -11)) : undefined),
      pipe: (n) => ps.get(n),
    }
  }

  private async tableExists(name: string): Promise<boolean> {
    const r = await this.engine.query(
      `SELECT count() AS n FROM system.tables WHERE database = ${escapeString(this.database)} AND name = ${escapeString(name)}`,
      { format: 'JSONEachRow' },
    )
    return (JSON.parse(r.text()) as { n: number }).n > 0
  }

  /** Rows in a workspace table. */
  async countRows(name: string): Promise<number> {
    const r = await this.engine.query(
      `SELECT count() AS n FROM ${escapeIdentifier(this.database)}.${escapeIdentifier(name)}`,
      { format: 'JSONEachRow' },
    )
    return Number((JSON.parse(r.text()) as { n: number | string }).n)
  }

  /**
   * Creates a service data source's table (`tinybird.<name>`) where the layout puts tables: in cluster mode a
   * local table per shard behind a `Distributed` one, so every process's rows are read together.
   */
  async createServiceTable(
    name: (typeof SERVICE_DATASOURCES)[number],
    parts: DdlParts,
  ): Promise<void> {
    await this.ddl(
      this.layout.createTable({ database: this.database, name: serviceTable(name), parts }),
    )
  }

  /** Column names of a workspace table, as the engine has them. */
  async columnNames(name: string): Promise<Set<string>> {
    const r = await this.engine.query(
      `SELECT name FROM system.columns WHERE database = ${escapeString(this.database)} AND table = ${escapeString(name)}`,
      { format: 'JSONEachRow' },
    )
    const text = r.text().trim()
    return new Set(
      text === '' ? [] : text.split('\n').map((l) => (JSON.parse(l) as { name: string }).name),
    )
  }

  private async ensureQuarantine(def: DatasourceFile): Promise<void> {
    const cols = def.columns.map((c) => `${escapeIdentifier(c.name)} Nullable(String)`)
    const name = `${def.name}_quarantine`
    await this.ddl(
      this.layout.createTable({
        database: this.database,
        name,
        parts: mergeTreeParts([...cols, ...QUARANTINE_EXTRA], ['ORDER BY insertion_date']),
      }),
    )
    // Quarantine tables made before `c__line` existed get it now.
    if (!(await this.columnNames(name)).has('c__line')) {
      await this.ddl(this.layout.addColumn(this.database, name, '`c__line` Nullable(String)'))
    }
  }

  private async loadFixture(
    root: string,
    def: DatasourceFile,
    progress: (p: ApplyProgress) => void,
  ): Promise<number | undefined> {
    const base = join(root, 'fixtures', def.name)
    const file = ['.sql', '.ndjson', '.csv'].map((ext) => base + ext).find((f) => existsSync(f))
    if (file === undefined) return undefined
    if ((await this.countRows(def.name)) > 0) return undefined
    const table = `${escapeIdentifier(this.database)}.${escapeIdentifier(def.name)}`
    progress({ step: 'fixture', datasource: def.name, done: 0, total: 1 })
    if (file.endsWith('.sql')) {
      const text = (await readFile(file, 'utf8')).trim().replace(/;\s*$/, '')
      // Relative file('…') paths are relative to the fixture file.
      const sql = text.replace(
        /\bfile\(\s*'((?:\.\.?\/)[^']*)'/g,
        (_m, p: string) => `file(${escapeString(resolve(dirname(file), p))}`,
      )
      if (!SAFE_NAME.test(def.name) || analyzeSql(sql).statements !== 1) {
        throw new ServerError(
          'ERR_DATAFILE_INVALID',
          `Fixture ${file} must hold one SELECT statement`,
          { details: { file } },
        )
      }
      if (this.renderFixture === undefined) {
        await this.engine.command(`INSERT INTO ${table} ${sql}`, { timeoutMs: 1_800_000 })
      } else {
        // The engine is elsewhere (a remote server cannot read the project's files): render the rows here, in
        // the data source's column order, and send them.
        const rows = await this.renderFixture(sql)
        await this.engine.insert(`${this.database}.${def.name}`, rows, 'TSV', {
          columns: def.columns.map((c) => c.name),
        })
      }
    } else {
      const body = await readFile(file)
      // chdb's raw insert takes a plain `db.table` (both names are validated identifiers).
      await this.engine.insert(
        `${this.database}.${def.name}`,
        body,
        file.endsWith('.csv') ? 'CSVWithNames' : 'JSONEachRow',
        {
          settings: { input_format_skip_unknown_fields: 1, date_time_input_format: 'best_effort' },
        },
      )
    }
    const rows = await this.countRows(def.name)
    progress({ step: 'fixture', datasource: def.name, done: 1, total: 1, rows })
    return rows
  }

  private materializedNode(
    pipeName: string,
    nodeName: string,
  ): { pipe: PipeEntry; node: PipeNode; target: DatasourceEntry } {
    const pipe = this.pipe(pipeName)
    const node = pipe?.def.nodes.find((n) => n.name === nodeName && n.type === 'materialized')
    if (pipe === undefined || node?.datasource === undefined) {
      throw new ServerError(
        'ERR_REQUEST_NOT_FOUND',
        `Materialized node '${nodeName}' of pipe '${pipeName}' not found`,
      )
    }
    const target = this.datasource(node.datasource)
    if (target === undefined) {
      throw new ServerError(
        'ERR_DATAFILE_INVALID',
        `Materialized node '${node.name}' of pipe '${pipe.name}' writes to unknown data source '${node.datasource}'`,
        { details: { pipe: pipe.name, node: node.name, datasource: node.datasource } },
      )
    }
    return {
      pipe,
      node,
      target,
    }
  }

  /**
   * Creates the pipe's materialized views, or recreates those whose SQL changed; unchanged views are left in
   * place so no write is missed during a re-apply. Returns `pipe/node` of each view created or recreated.
   */
  private async ensureMaterializedViews(p: PipeEntry): Promise<string[]> {
    const fresh: string[] = []
    for (const n of p.def.nodes) {
      if (n.type !== 'materialized' || n.datasource === undefined) continue
      const { target } = this.materializedNode(p.name, n.name)
      const key = `${p.name}__${n.name}__mv`
      // A view reads the local tables of its shard (cluster mode), so it sees exactly the rows inserted there.
      const local: Resources = {
        database: this.database,
        datasource: (name) => this.datasource(name),
        pipe: (name) => this.pipe(name),
        physicalTable: (name) => this.layout.localName(name),
        readsAsSubqueries: false,
      }
      const { sql } = composePipe(local, p, {}, { nodeName: n.name })
      const create = this.layout.createMaterializedView(this.database, key, target.name, sql)
      const hash = createHash('sha256').update(create.join(';\n')).digest('hex')
      if (this.state.materializations?.[key] === hash && (await this.tableExists(key))) continue
      await this.ddl(this.layout.dropView(this.database, key, this.dropSync))
      await this.ddl(create)
      await this.commit({
        ...this.state,
        materializations: { ...this.state.materializations, [key]: hash },
      })
      fresh.push(`${p.name}/${n.name}`)
    }
    return fresh
  }

  /**
   * Fills a materialized node's target from the data already in its source: `INSERT INTO target <node SQL>`.
   *
   * Shape: `{ rows }`, the rows the target gained (approximate when other writes run at the same time).
   * @throws {ServerError} `ERR_REQUEST_NOT_FOUND` (404) for an unknown pipe or materialized node.
   * @see Tinybird CLI `tb push --populate`
   */
  async populate(pipeName: string, nodeName: string): Promise<{ rows: number }> {
    const { pipe, target } = this.materializedNode(pipeName, nodeName)
    const { sql } = composePipe(this, pipe, {}, { nodeName })
    const before = await this.countRows(target.name)
    await this.engine.command(
      `INSERT INTO ${escapeIdentifier(this.database)}.${escapeIdentifier(target.name)} ${sql}`,
      { timeoutMs: 3_600_000 },
    )
    return { rows: (await this.countRows(target.name)) - before }
  }

  /**
   * Runs a copy pipe: its `TYPE copy` node, rendered with `args`, is inserted into `TARGET_DATASOURCE`
   * (`COPY_MODE replace` empties the target first; not atomic).
   *
   * Shape: `{ rows, target, mode }`.
   * @throws {ServerError} `ERR_REQUEST_NOT_FOUND` (404) when the pipe has no copy node; `ERR_DATAFILE_INVALID`
   *   (400) for an unknown target; `ERR_TEMPLATE_*` (400) from rendering.
   * @see Tinybird docs, "Copy pipes"
   */
  async runCopy(
    pipeName: string,
    args: TemplateArgs = {},
  ): Promise<{ rows: number; target: string; mode: 'append' | 'replace' }> {
    const pipe = this.pipe(pipeName)
    const node = pipe?.def.nodes.find((n) => n.type === 'copy')
    if (pipe === undefined || node === undefined) {
      throw new ServerError('ERR_REQUEST_NOT_FOUND', `The pipe '${pipeName}' is not a copy pipe`)
    }
    const target =
      node.targetDatasource === undefined ? undefined : this.datasource(node.targetDatasource)
    if (target === undefined) {
      throw new ServerError(
        'ERR_DATAFILE_INVALID',
        `Copy node '${node.name}' of pipe '${pipe.name}' writes to unknown data source '${node.targetDatasource ?? ''}'`,
        {
          details: { pipe: pipe.name, node: node.name },
        },
      )
    }
    const { sql } = composePipe(this, pipe, args, { nodeName: node.name })
    const table = `${escapeIdentifier(this.database)}.${escapeIdentifier(target.name)}`
    const mode = node.copyMode ?? 'append'
    if (mode === 'replace') await this.ddl(this.layout.truncate(this.database, target.name))
    const before = await this.countRows(target.name)
    await this.engine.command(`INSERT INTO ${table} ${sql}`, { timeoutMs: 3_600_000 })
    return { rows: (await this.countRows(target.name)) - before, target: target.name, mode }
  }

  /** A stable fingerprint of the catalog, for ETags and change detection. */
  fingerprint(): string {
    return createHash('sha256').update(JSON.stringify(this.state)).digest('hex').slice(0, 16)
  }
}

function sameDdl(a: DatasourceFile, b: DatasourceFile, db: string): boolean {
  return datasourceDdl(a, db) === datasourceDdl(b, db)
}

/** The columns `next` adds when it only appends columns and keeps everything else; undefined otherwise. */
function additiveColumns(
  prev: DatasourceFile,
  next: DatasourceFile,
): DatasourceFile['columns'] | undefined {
  if (JSON.stringify(prev.engine) !== JSON.stringify(next.engine)) return undefined
  const sig = (c: DatasourceFile['columns'][number]): string =>
    `${c.name}|${c.type}|${c.defaultExpr ?? ''}|${c.codec ?? ''}`
  const prevSigs = prev.columns.map(sig)
  const nextByName = new Map(next.columns.map((c) => [c.name, c]))
  for (const c of prev.columns) {
    const n = nextByName.get(c.name)
    if (n === undefined || sig(n) !== sig(c)) return undefined
  }
  const added = next.columns.filter(
    (c) => !prevSigs.includes(sig(c)) && !prev.columns.some((p) => p.name === c.name),
  )
  return added.length > 0 || JSON.stringify(prev.indexes) === JSON.stringify(next.indexes)
    ? added
    : undefined
}
