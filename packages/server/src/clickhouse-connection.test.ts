/** @module Unit tests for reading the ClickHouse connection settings: what is refused before connecting, and why. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  resolveClickHouseConnection,
  resolveDatabasePrefix,
  type ClickHouseConnectionInput,
} from './clickhouse-connection.js'
import { ServerError } from './errors.js'

const dir = mkdtempSync(join(tmpdir(), 'dunlin-conn-'))
const ca = join(dir, 'ca.crt')
const cert = join(dir, 'client.crt')
const key = join(dir, 'client.key')
writeFileSync(ca, 'CA PEM')
writeFileSync(cert, 'CERT PEM')
writeFileSync(key, 'KEY PEM')
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

async function refused(input: ClickHouseConnectionInput): Promise<ServerError> {
  const e = await resolveClickHouseConnection(input).then(
    () => undefined,
    (err: unknown) => err,
  )
  expect(e).toBeInstanceOf(ServerError)
  expect((e as ServerError).code).toBe('ERR_CONFIG_INVALID')
  return e as ServerError
}

describe('resolveClickHouseConnection', () => {
  it('is undefined without a URL (the embedded engine)', async () => {
    expect(await resolveClickHouseConnection({ url: '' })).toBeUndefined()
  })

  it('reads the user, password and TLS files', async () => {
    const c = await resolveClickHouseConnection({
      url: 'https://ch.internal:8443',
      user: 'dunlin',
      password: 'pw',
      caFile: ca,
      certFile: cert,
      keyFile: key,
    })
    expect(c).toEqual({
      url: 'https://ch.internal:8443',
      username: 'dunlin',
      password: 'pw',
      tls: {
        caCert: Buffer.from('CA PEM'),
        cert: Buffer.from('CERT PEM'),
        key: Buffer.from('KEY PEM'),
      },
    })
  })

  it('refuses a URL that is not http(s), without echoing it (it may hold a password)', async () => {
    for (const url of ['ftp://u:secretpw@h', 'not a url secretpw']) {
      const e = await refused({ url })
      expect(e.message.startsWith('DUNLIN_CLICKHOUSE_URL:')).toBe(true)
      expect(e.message).not.toContain('secretpw')
    }
  })

  it('refuses TLS files over http, half a client certificate, and a client certificate without its CA', async () => {
    const cases: [ClickHouseConnectionInput, string][] = [
      [{ url: 'http://h:8123', caFile: ca }, 'DUNLIN_CLICKHOUSE_CA'],
      [{ url: 'https://h:8443', caFile: ca, certFile: cert }, 'DUNLIN_CLICKHOUSE_KEY'],
      [{ url: 'https://h:8443', caFile: ca, keyFile: key }, 'DUNLIN_CLICKHOUSE_CERT'],
      [{ url: 'https://h:8443', certFile: cert, keyFile: key }, 'DUNLIN_CLICKHOUSE_CA'],
      [{ url: 'https://h:8443', caFile: join(dir, 'missing.crt') }, 'DUNLIN_CLICKHOUSE_CA'],
    ]
    for (const [input, setting] of cases) {
      const e = await refused(input)
      expect(e.message.startsWith(`${setting}:`), e.message).toBe(true)
    }
    expect((await refused(cases[4]![0])).message).toContain('ENOENT')
  })
})

describe('resolveDatabasePrefix', () => {
  it('defaults to dunlin_', () => {
    expect(resolveDatabasePrefix()).toBe('dunlin_')
  })

  it('takes plain identifiers up to 32 characters', () => {
    for (const p of ['dunlin_', 'staging_', '_x', 'A1', 'a'.repeat(32)]) {
      expect(resolveDatabasePrefix(p)).toBe(p)
    }
  })

  it('refuses anything that would not be a plain database name', () => {
    for (const p of ['', '1abc', 'a-b', 'a.b', 'a`b', 'x'.repeat(33), 'staging; DROP']) {
      expect(() => resolveDatabasePrefix(p)).toThrow(/DUNLIN_DATABASE_PREFIX/)
    }
  })
})
