/**
 * @module Where the catalog lives. `CatalogStore` is the seam: a file store for the embedded mode
 * (`<dataDir>/catalog.json`) and a ClickHouse-table store (`clickhouse-store.ts`) so several Dunlin processes
 * share one catalog.
 */
import { randomBytes, createCipheriv, createDecipheriv } from 'node:crypto'
import { mkdir, open, readFile, rename, writeFile, chmod, stat, unlink } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { ServerError } from '../errors.js'
import { applyChanges, diffCatalog } from './changes.js'
import type { CatalogState } from './types.js'

/**
 * Persists the catalog. Saves are atomic (a reader sees the old or the new state) and merge entry by entry
 * (see `changes.ts`): a change another process saved meanwhile to another entry is kept; for the same entry the
 * last write wins.
 */
export interface CatalogStore {
  /** The saved state, or undefined on the first start. */
  load(): Promise<CatalogState | undefined>
  /**
   * Saves what changed from `prev` to `next` and returns the catalog as it now stands (`next` plus what others
   * saved meanwhile). With `prev` undefined (a first start) and a catalog already there, saves nothing and
   * returns the existing one: the process that got there first created the workspace.
   */
  save(prev: CatalogState | undefined, next: CatalogState): Promise<CatalogState>
  /** A token that changes whenever the saved state changes, so a process can notice without reading it all. */
  version(): Promise<string | undefined>
  /** True when {@link CatalogStore.version} is cheap enough (a `stat`) to check on every request. */
  readonly cheapVersion: boolean
}

/**
 * Writes `data` to `file` atomically: temp file in the same folder, fsync, rename, fsync of the folder.
 *
 * @param mode - Unix permission bits of the file. Default 0o600 (the catalog holds sealed secrets).
 */
export async function writeFileAtomic(
  file: string,
  data: string | Uint8Array,
  mode = 0o600,
): Promise<void> {
  await mkdir(dirname(file), { recursive: true })
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  const fh = await open(tmp, 'w', mode)
  try {
    await fh.writeFile(data)
    await fh.sync()
  } finally {
    await fh.close()
  }
  await rename(tmp, file)
  const dir = await open(dirname(file), 'r')
  try {
    await dir.sync()
  } finally {
    await dir.close()
  }
}

/** A lock older than this, in milliseconds, was left by a crashed process and is broken. */
const STALE_LOCK_MS = 10_000

/**
 * The catalog as `<dataDir>/catalog.json`, written atomically. Processes sharing the data dir serialize saves
 * through `catalog.json.lock` (created exclusively), so each save merges onto the latest file.
 */
export class FileCatalogStore implements CatalogStore {
  readonly file: string
  readonly cheapVersion = true
  constructor(dataDir: string) {
    this.file = join(dataDir, 'catalog.json')
  }
  async load(): Promise<CatalogState | undefined> {
    if (!existsSync(this.file)) return undefined
    return JSON.parse(await readFile(this.file, 'utf8')) as CatalogState
  }
  async save(prev: CatalogState | undefined, next: CatalogState): Promise<CatalogState> {
    return this.locked(async () => {
      const current = await this.load()
      if (prev === undefined && current !== undefined) return current
      const merged =
        current === undefined ? next : (applyChanges(current, diffCatalog(prev, next)) ?? next)
      await writeFileAtomic(this.file, `${JSON.stringify(merged, null, 2)}\n`)
      return merged
    })
  }

  private async locked<T>(fn: () => Promise<T>): Promise<T> {
    const lock = `${this.file}.lock`
    await mkdir(dirname(lock), { recursive: true })
    for (let attempt = 0; ; attempt += 1) {
      try {
        await (await open(lock, 'wx', 0o600)).close()
        break
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
        const age = await stat(lock).then(
          (s) => Date.now() - s.mtimeMs,
          () => 0,
        )
        if (age > STALE_LOCK_MS) await unlink(lock).catch(() => undefined)
        else if (attempt > 2_000)
          throw new ServerError('ERR_UNAVAILABLE', 'The catalog is locked by another process')
        else await sleep(5)
      }
    }
    try {
      return await fn()
    } finally {
      await unlink(lock).catch(() => undefined)
    }
  }
  /** `inode:mtime:size` of `catalog.json`: every atomic save renames a new file into place. */
  async version(): Promise<string | undefined> {
    try {
      const s = await stat(this.file)
      return `${s.ino}:${s.mtimeMs}:${s.size}`
    } catch {
      return undefined
    }
  }
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

/**
 * Decodes a sealing key: base64 (padded or not) of exactly 32 bytes, surrounding whitespace ignored.
 *
 * @param source - Where the key came from, for the message (a variable or a file path).
 * @throws {ServerError} `ERR_AUTH_SEALING_KEY_INVALID` otherwise.
 */
function decodeKey(text: string, source: string): Buffer {
  const trimmed = text.trim()
  const key = BASE64.test(trimmed) ? Buffer.from(trimmed, 'base64') : Buffer.alloc(0)
  if (key.length !== 32) {
    throw new ServerError(
      'ERR_AUTH_SEALING_KEY_INVALID',
      `${source} must be 32 random bytes, base64-encoded (for example from \`openssl rand -base64 32\`)`,
    )
  }
  return key
}

/**
 * Seals and opens token values with AES-256-GCM under a per-data-dir key (`<dataDir>/secret.key`, mode
 * 0600), so `catalog.json` never holds a token in clear while admins can still read datafile tokens back.
 */
export class Sealer {
  private readonly key: Buffer
  private constructor(key: Buffer) {
    this.key = key
  }

  /**
   * Loads the key: `secretKey` (base64 of 32 bytes, e.g. from `DUNLIN_SECRET_KEY`, which every process sharing
   * a catalog must have) when given, else `<dataDir>/secret.key`, created on the first start.
   *
   * @throws {ServerError} `ERR_AUTH_SEALING_KEY_INVALID` when the key is not 32 bytes of base64; the message names
   *   where the key came from, never its value.
   */
  static async open(dataDir: string, secretKey?: string): Promise<Sealer> {
    if (secretKey !== undefined && secretKey !== '') {
      return new Sealer(decodeKey(secretKey, 'The secret key (DUNLIN_SECRET_KEY)'))
    }
    const file = join(dataDir, 'secret.key')
    if (!existsSync(file)) {
      await mkdir(dataDir, { recursive: true })
      await writeFile(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' }).catch(
        (e: unknown) => {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
        },
      )
      await chmod(file, 0o600)
    }
    return new Sealer(decodeKey(await readFile(file, 'utf8'), file))
  }

  /** `v1.<iv>.<tag>.<ciphertext>`, base64url parts. */
  seal(plain: string): string {
    const iv = randomBytes(12)
    const c = createCipheriv('aes-256-gcm', this.key, iv)
    const ct = Buffer.concat([c.update(plain, 'utf8'), c.final()])
    return [
      'v1',
      iv.toString('base64url'),
      c.getAuthTag().toString('base64url'),
      ct.toString('base64url'),
    ].join('.')
  }

  /** @throws {Error} when the value was sealed under another key or tampered with. */
  unseal(sealed: string): string {
    const [v, iv, tag, ct] = sealed.split('.')
    if (v !== 'v1' || iv === undefined || tag === undefined || ct === undefined)
      throw new Error('not a sealed value')
    const d = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'))
    d.setAuthTag(Buffer.from(tag, 'base64url'))
    return Buffer.concat([d.update(Buffer.from(ct, 'base64url')), d.final()]).toString('utf8')
  }
}
