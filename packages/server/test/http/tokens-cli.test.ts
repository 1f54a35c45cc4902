import { Command } from 'commander'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { explainJwt, readAuthConfig, registerTokenCommands } from '../../src/cli/token-commands.js'
import { startTestServer, type TestServer } from '../helpers/server.js'

let t: TestServer
beforeAll(async () => {
  t = await startTestServer()
})
afterAll(async () => {
  await t.close()
})

async function cli(...args: string[]): Promise<{ out: string[]; err: string[] }> {
  const out: string[] = []
  const err: string[] = []
  const program = new Command('dunlin').exitOverride()
  const token = program.command('token')
  token.command('create')
  registerTokenCommands(program, token, {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    isTty: false,
  })
  await program.parseAsync(['node', 'dunlin', ...args, '--host', t.url, '--token', t.adminToken])
  return { out, err }
}

describe('dunlin token / key commands against a live server', () => {
  it('creates, lists, refreshes and removes a static token', async () => {
    const created = await cli(
      'token',
      'create',
      'static',
      'cli_tok',
      '--scope',
      'PIPES:READ:top_airlines',
    )
    const value = created.out[0]!
    expect(value).toMatch(/^p\./)
    expect((await t.fetch(`/v0/pipes/top_airlines.json?token=${value}`)).status).toBe(200)
    const ls = await cli('token', 'ls')
    expect(
      ls.out.some((l) => l.startsWith('cli_tok\t') && l.includes('PIPES:READ:top_airlines')),
    ).toBe(true)
    expect(ls.out.join('\n')).not.toContain(value)
    const fresh = (await cli('token', 'refresh', 'cli_tok')).out[0]!
    expect(fresh).not.toBe(value)
    await cli('token', 'rm', 'cli_tok')
    expect((await t.fetch(`/v0/pipes/top_airlines.json?token=${fresh}`)).status).toBe(403)
  })

  it('adds, rotates, retires and lists keys, and revokes a JWT name', async () => {
    const secret = (await cli('key', 'add', 'c1')).out[0]!
    expect(secret.length).toBeGreaterThan(30)
    await cli('key', 'rotate', 'c2')
    await cli('key', 'retire', 'c1')
    const ls = await cli('key', 'ls')
    expect(ls.out.map((l) => l.split('\t').slice(0, 2).join(' '))).toEqual([
      'c1 revoked',
      'c2 active',
    ])
    expect(ls.out.join('\n')).not.toContain(secret)
    const jwt = await t.signJwt({
      name: 'cli_revoked',
      exp: t.nowSeconds() + 60,
      scopes: [{ type: 'PIPES:READ', resource: 'top_airlines' }],
    })
    await cli('token', 'revoke', '--name', 'cli_revoked')
    const res = await t.fetch(`/v0/pipes/top_airlines.json?token=${jwt}`)
    expect(await res.json()).toMatchObject({ code: 'ERR_AUTH_TOKEN_REVOKED' })
  })
})

describe('explainJwt (dunlin token inspect)', () => {
  it('explains expiry, missing claims, alg none and a wrong signature', async () => {
    const now = t.nowSeconds()
    const ok = await t.signJwt({ exp: now + 60, scopes: [{ type: 'PIPES:READ', resource: 'p' }] })
    expect((await explainJwt(ok, { nowSeconds: now, secret: t.adminToken })).ok).toBe(true)
    const expired = await t.signJwt({
      exp: now - 5,
      scopes: [{ type: 'PIPES:READ', resource: 'p' }],
    })
    const e = await explainJwt(expired, { nowSeconds: now })
    expect(e).toMatchObject({ ok: false, code: 'ERR_AUTH_TOKEN_EXPIRED' })
    expect((await explainJwt(expired, { nowSeconds: now, leewaySeconds: 30 })).ok).toBe(true)
    const noExp = await t.signJwt({ scopes: [{ type: 'PIPES:READ', resource: 'p' }] })
    expect((await explainJwt(noExp, { nowSeconds: now })).lines.join('\n')).toContain(
      'no exp claim',
    )
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${ok.split('.')[1]}.`
    expect((await explainJwt(none, { nowSeconds: now })).code).toBe('ERR_AUTH_TOKEN_INVALID')
    const wrong = await explainJwt(ok, { nowSeconds: now, secret: 'p.not-it' })
    expect(wrong.ok).toBe(false)
    expect(wrong.lines.join('\n')).toContain('(signature)')
    expect(wrong.lines.join('\n')).not.toContain(ok.split('.')[2]!)
    const long = await explainJwt(ok, { nowSeconds: now, maxTtlSeconds: 10 })
    expect(long.lines.join('\n')).toContain('max TTL')
  })
})

describe('readAuthConfig (dunlin.config.json + env)', () => {
  it('reads the file, takes secrets from env, lets env win, and names bad fields without values', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dunlin-cfg-'))
    const file = join(dir, 'dunlin.config.json')
    writeFileSync(
      file,
      JSON.stringify({
        auth: {
          leewaySeconds: 30,
          audience: 'from-file',
          signingKeys: [{ kid: 'k1', alg: 'HS256', secretEnv: 'K1_SECRET' }],
        },
      }),
    )
    const cfg = readAuthConfig(file, {
      K1_SECRET: 's3cret-value',
      DUNLIN_JWT_AUDIENCE: 'from-env',
      DUNLIN_JWKS_URL: 'https://idp/jwks.json',
      DUNLIN_STRICT_FIXED_PARAMS: 'false',
    })
    expect(cfg).toMatchObject({
      leewaySeconds: 30,
      audience: 'from-env',
      strictFixedParams: false,
      jwks: { url: 'https://idp/jwks.json' },
      signingKeys: [{ kid: 'k1', alg: 'HS256', secret: 's3cret-value' }],
    })
    expect(() => readAuthConfig(file, {})).toThrow(/secretEnv names an unset variable/)
    writeFileSync(
      file,
      JSON.stringify({ auth: { signingKeys: [{ kid: 'k', alg: 'HS256', secret: 'inline' }] } }),
    )
    expect(() => readAuthConfig(file, {})).toThrow(/secretEnv/)
    writeFileSync(file, JSON.stringify({ auth: { leewaySeconds: '30' } }))
    expect(() => readAuthConfig(file, {})).toThrow('auth.leewaySeconds has the wrong type')
    expect(readAuthConfig(join(dir, 'missing.json'), {})).toEqual({})
  })
})
