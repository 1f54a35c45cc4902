/**
 * Test certificates made with the `openssl` CLI (`.ci/run` installs it): a CA, a server certificate for
 * 127.0.0.1 signed by it, a client certificate signed by it, and a second CA that signed nothing here.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** True when the `openssl` CLI is installed. */
export const hasOpenssl = ['/usr/bin/openssl', '/bin/openssl'].some((p) => existsSync(p))

/** Paths of the PEM files {@link makeCertificates} writes. */
export interface TestCertificates {
  readonly dir: string
  readonly ca: string
  readonly otherCa: string
  readonly clientCert: string
  readonly clientKey: string
}

/** Writes `ca.crt`, `server.crt`/`server.key` (SAN IP 127.0.0.1), `client.crt`/`client.key` and `other-ca.crt`. */
export function makeCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'dunlin-tls-'))
  const ssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
  }
  const newCa = (name: string, cn: string): void => {
    ssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
      '-subj',
      `/CN=${cn}`,
    )
  }
  const signed = (name: string, cn: string, ext?: string): void => {
    ssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${cn}`,
    )
    const extArgs: string[] = []
    if (ext !== undefined) {
      writeFileSync(join(dir, `${name}.ext`), ext)
      extArgs.push('-extfile', `${name}.ext`)
    }
    ssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      ...extArgs,
    )
  }
  newCa('ca', 'Dunlin test CA')
  newCa('other-ca', 'Some other CA')
  signed('server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1,DNS:localhost\n')
  signed('client', 'dunlin')
  return {
    dir,
    ca: join(dir, 'ca.crt'),
    otherCa: join(dir, 'other-ca.crt'),
    clientCert: join(dir, 'client.crt'),
    clientKey: join(dir, 'client.key'),
  }
}
