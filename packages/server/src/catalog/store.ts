/**
 * @module Where the catalog lives. `CatalogStore` is the seam: a file store for the embedded mode now, a
 * ClickHouse-table store later so several Dunlin processes can share one catalog.
 */
import { randomBytes, createCipheriv, createDecipheriv } from 'node:crypto'
import { mkdir, open, readFile, rename, writeFile, chmod, stat } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { CatalogState } from './types.js'

/** Persists the whole catalog state. Implementations make `save` atomic: a reader sees the old or the new state. */
export interface CatalogStore {
  /** The saved state, or undefined on the first start. */
  load(): Promise<CatalogState | undefined>
  save(state: CatalogState): Promise<void>
  /**
   * A cheap token that changes whenever the saved state changes (e.g. a file's inode, mtime and size), so other
   * processes sharing the store can notice a change without reading it. Optional: without it, readers poll.
   */
  version?(): Promise<string | undefined>
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

/** The catalog as `<dataDir>/catalog.json`, written atomically. */
export class FileCatalogStore implements CatalogStore {
  readonly file: string
  constructor(dataDir: string) {
    this.file = join(dataDir, 'catalog.json')
  }
  async load(): Promise<CatalogState | undefined> {
    if (!existsSync(this.file)) return undefined
    return JSON.parse(await readFile(this.file, 'utf8')) as CatalogState
  }
  async save(state: CatalogState): Promise<void> {
    await writeFileAtomic(this.file, `${JSON.stringify(state, null, 2)}\n`)
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

/**
 * Seals and opens token values with AES-256-GCM under a per-data-dir key (`<dataDir>/secret.key`, mode
 * 0600), so `catalog.json` never holds a token in clear while admins can still read datafile tokens back.
 */
export class Sealer {
  private readonly key: Buffer
  private constructor(key: Buffer) {
    this.key = key
  }

  /** Loads the key, creating it on the first start. */
  static async open(dataDir: string): Promise<Sealer> {
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
    const key = Buffer.from((await readFile(file, 'utf8')).trim(), 'base64')
    if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte base64 key`)
    return new Sealer(key)
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
