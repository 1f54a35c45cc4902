/**
 * @module A JSON Web Key Set as a source of asymmetric {@link SigningKey}s: cached per `Cache-Control`, refetched on an
 * unknown `kid` at most once per cooldown, one fetch in flight at a time. Pure given a loader and a {@link Clock}:
 * the loader (file read or HTTP fetch) is injected by the server.
 */
import type { JWK } from 'jose'
import type { Clock } from './clock.js'
import type { SigningAlgorithm, SigningKey } from './jwt-verify.js'

/** What a loader returns: the JWKS document text and, for HTTP, the `Cache-Control` header. */
export interface JwksDocument {
  readonly body: string
  readonly cacheControl?: string | undefined
}

/** Options of {@link JwksSource}. Times are milliseconds. */
export interface JwksSourceOptions {
  /** Reads the JWKS (a file, or an HTTP GET). Rejects on failure. */
  readonly load: () => Promise<JwksDocument>
  readonly clock: Clock
  /** How long a document without `Cache-Control: max-age` is kept. Default 300_000 (5 min). */
  readonly defaultMaxAgeMs?: number
  /** Least time between two fetches caused by unknown `kid`s or failures. Default 30_000. */
  readonly cooldownMs?: number
  /** Longest `max-age` honoured. Default 86_400_000 (1 day). */
  readonly maxMaxAgeMs?: number
}

const ALGS: ReadonlySet<string> = new Set(['RS256', 'ES256', 'EdDSA'])

/**
 * The algorithm a public JWK is pinned to: its `alg` when that is RS256/ES256/EdDSA, else inferred from `kty`/`crv`
 * (RSA → RS256, EC P-256 → ES256, OKP Ed25519 → EdDSA). Undefined for anything else, including every symmetric
 * (`oct`) or private (`d`) key and keys whose `use` is not `sig`: those are skipped, never trusted.
 *
 * @see RFC 7517 §4 (JWK members), RFC 7518 §6, RFC 8037 §2 (OKP)
 */
export function jwkAlgorithm(jwk: JWK): SigningAlgorithm | undefined {
  if (jwk.kty === 'oct' || jwk.d !== undefined) return undefined
  if (jwk.use !== undefined && jwk.use !== 'sig') return undefined
  if (jwk.alg !== undefined) return ALGS.has(jwk.alg) ? (jwk.alg as SigningAlgorithm) : undefined
  if (jwk.kty === 'RSA') return 'RS256'
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256'
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA'
  return undefined
}

/**
 * Parses a JWKS document into verification keys (status `active`). Unusable entries are skipped.
 *
 * @throws {TypeError} the text is not JSON of the form `{ "keys": [...] }`.
 * @see RFC 7517 §5
 */
export function parseJwks(text: string): SigningKey[] {
  const doc = JSON.parse(text) as unknown
  if (typeof doc !== 'object' || doc === null || !Array.isArray((doc as { keys?: unknown }).keys)) {
    throw new TypeError('JWKS: expected {"keys": [...]}')
  }
  const out: SigningKey[] = []
  for (const raw of (doc as { keys: unknown[] }).keys) {
    if (typeof raw !== 'object' || raw === null) continue
    const jwk = raw as JWK
    const alg = jwkAlgorithm(jwk)
    if (alg === undefined) continue
    const pub: JWK = { kty: jwk.kty }
    for (const m of ['crv', 'x', 'y', 'n', 'e'] as const) if (jwk[m] !== undefined) pub[m] = jwk[m]
    const key: SigningKey = { alg, publicKey: pub, status: 'active' }
    if (typeof jwk.kid === 'string' && jwk.kid !== '') key.kid = jwk.kid
    out.push(key)
  }
  return out
}

/** `max-age` of a `Cache-Control` value in milliseconds; 0 for `no-store`/`no-cache`; undefined when absent. */
export function cacheMaxAgeMs(header: string | undefined): number | undefined {
  if (header === undefined) return undefined
  const h = header.toLowerCase()
  if (/\bno-(store|cache)\b/.test(h)) return 0
  const m = /\bmax-age\s*=\s*"?(\d+)"?/.exec(h)
  return m?.[1] === undefined ? undefined : Number(m[1]) * 1000
}

/**
 * A cached JWKS. {@link JwksSource.keys} is synchronous (the snapshot); {@link JwksSource.refresh} brings it up to
 * date when it is stale or when a token names a `kid` it lacks. A failed fetch keeps the last good keys.
 *
 * @example
 * ```ts
 * const jwks = new JwksSource({ load: async () => ({ body: await readFile(f, 'utf8') }), clock: systemClock })
 * await jwks.refresh(kid)
 * const keys = jwks.keys()
 * ```
 */
export class JwksSource {
  private snapshot: readonly SigningKey[] = []
  private loaded = false
  private expiresAtMs = 0
  private lastFetchMs = Number.NEGATIVE_INFINITY
  private inFlight: Promise<void> | undefined
  private readonly opts: Required<JwksSourceOptions>
  /** Number of loads started, for tests and metrics. */
  fetches = 0
  /** The last load error's message, when the last load failed. */
  lastError: string | undefined

  constructor(opts: JwksSourceOptions) {
    this.opts = {
      defaultMaxAgeMs: 300_000,
      cooldownMs: 30_000,
      maxMaxAgeMs: 86_400_000,
      ...opts,
    }
  }

  /** The keys of the last good document (empty before the first load). */
  keys(): readonly SigningKey[] {
    return this.snapshot
  }

  /** True when a key with this `kid` is in the snapshot. */
  has(kid: string): boolean {
    return this.snapshot.some((k) => k.kid === kid)
  }

  /**
   * Loads the JWKS when nothing is loaded, when the cached document is stale, or when `kid` is unknown and the
   * cooldown since the last fetch has passed. Concurrent callers share one fetch. Never rejects: a failure keeps
   * the previous keys and is recorded in {@link JwksSource.lastError}.
   *
   * @param kid - The `kid` a token asks for, if any.
   */
  async refresh(kid?: string): Promise<void> {
    const now = this.opts.clock.nowMs()
    const stale = !this.loaded || now >= this.expiresAtMs
    const unknown = kid !== undefined && !this.has(kid)
    const cooled = now - this.lastFetchMs >= this.opts.cooldownMs
    if (!(stale && (cooled || !this.loaded)) && !(unknown && cooled)) return
    this.inFlight ??= this.load().finally(() => {
      this.inFlight = undefined
    })
    await this.inFlight
  }

  private async load(): Promise<void> {
    const started = this.opts.clock.nowMs()
    this.lastFetchMs = started
    this.fetches++
    try {
      const doc = await this.opts.load()
      this.snapshot = Object.freeze(parseJwks(doc.body))
      this.loaded = true
      this.lastError = undefined
      const age = cacheMaxAgeMs(doc.cacheControl) ?? this.opts.defaultMaxAgeMs
      this.expiresAtMs = started + Math.min(age, this.opts.maxMaxAgeMs)
    } catch (e) {
      this.lastError = e instanceof Error ? e.message : 'JWKS load failed'
      this.loaded = true
      // Retry after the cooldown, not on every request.
      this.expiresAtMs = started + this.opts.cooldownMs
    }
  }
}
