/**
 * @module Unit tests for the sealing key: where it comes from, what a bad one is refused with, and that a value
 * sealed under one key does not open under another. Files only, no engine.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ServerError } from '../errors.js'
import { Sealer } from './store.js'

const dirs: string[] = []
const dataDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'dunlin-sealer-'))
  dirs.push(d)
  return d
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

async function refusal(p: Promise<unknown>): Promise<ServerError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  )
  expect(e).toBeInstanceOf(ServerError)
  return e as ServerError
}

describe('Sealer.open', () => {
  it('creates <dataDir>/secret.key (0600) on the first start and reuses it', async () => {
    const dir = dataDir()
    const first = await Sealer.open(dir)
    const file = join(dir, 'secret.key')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(Buffer.from(readFileSync(file, 'utf8'), 'base64')).toHaveLength(32)
    const sealed = first.seal('p.secret-token')
    expect(sealed).not.toContain('secret-token')
    expect((await Sealer.open(dir)).unseal(sealed)).toBe('p.secret-token')
  })

  it('takes a shared key over the file, padded or not, with surrounding whitespace', async () => {
    const key = randomBytes(32).toString('base64')
    const a = await Sealer.open(dataDir(), key)
    const b = await Sealer.open(dataDir(), ` ${key.replace(/=+$/, '')}\n`)
    expect(b.unseal(a.seal('p.x'))).toBe('p.x')
  })

  it('does not open a value sealed under another key', async () => {
    const a = await Sealer.open(dataDir(), randomBytes(32).toString('base64'))
    const b = await Sealer.open(dataDir(), randomBytes(32).toString('base64'))
    expect(() => b.unseal(a.seal('p.x'))).toThrow()
  })

  it('refuses a shared key that is not 32 bytes of base64, without echoing it', async () => {
    for (const bad of [
      randomBytes(16).toString('base64'),
      randomBytes(33).toString('base64'),
      'correct horse battery staple and then some more words',
      `${randomBytes(32).toString('base64')}!`,
      randomBytes(32).toString('hex'),
    ]) {
      const e = await refusal(Sealer.open(dataDir(), bad))
      expect({ code: e.code, status: e.status }).toEqual({
        code: 'ERR_AUTH_SEALING_KEY_INVALID',
        status: 500,
      })
      expect(e.message).toMatch(/DUNLIN_SECRET_KEY.*32 random bytes, base64-encoded/)
      expect(e.message).not.toContain(bad)
    }
  })

  it('refuses a damaged secret.key and names the file', async () => {
    const dir = dataDir()
    writeFileSync(join(dir, 'secret.key'), 'not a key')
    const e = await refusal(Sealer.open(dir))
    expect(e.code).toBe('ERR_AUTH_SEALING_KEY_INVALID')
    expect(e.message).toContain(join(dir, 'secret.key'))
  })
})
