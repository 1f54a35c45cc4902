/** @module Unit tests for static tokens: generation, hashing and verification by hash lookup. */
import { describe, expect, it } from 'vitest'
import { ServerError } from '../errors.js'
import { parseScope } from './scopes.js'
import {
  generateStaticToken,
  hashToken,
  MAX_STATIC_TOKEN_BYTES,
  verifyStaticToken,
  type StaticTokenRecord,
} from './static-token.js'

const thrown = (fn: () => unknown): unknown => {
  try {
    fn()
  } catch (e) {
    return e
  }
  throw new Error('did not throw')
}

function storeOf(records: StaticTokenRecord[]): (hash: string) => StaticTokenRecord | undefined {
  const byHash = new Map(records.map((r) => [r.hash, r]))
  return (hash) => byHash.get(hash)
}

describe('generateStaticToken', () => {
  it("is 'p.' + base64url of 32 bytes", () => {
    const t = generateStaticToken()
    expect(t).toMatch(/^p\.[A-Za-z0-9_-]{43}$/)
    expect(Buffer.from(t.slice(2), 'base64url')).toHaveLength(32)
  })

  it('does not repeat', () => {
    const seen = new Set(Array.from({ length: 1000 }, generateStaticToken))
    expect(seen.size).toBe(1000)
  })
})

describe('hashToken', () => {
  it('is lowercase hex SHA-256 of the UTF-8 bytes', () => {
    expect(hashToken('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    )
    expect(hashToken('é')).toBe(hashToken('\u00e9'))
    expect(hashToken('p.x')).toMatch(/^[0-9a-f]{64}$/)
  })
})

describe('verifyStaticToken', () => {
  const token = generateStaticToken()
  const record: StaticTokenRecord = {
    id: 'tok-1',
    name: 'Workspace admin token',
    hash: hashToken(token),
    scopes: [parseScope('ADMIN')],
  }
  const lookup = storeOf([record])

  it('returns a frozen static principal', () => {
    const p = verifyStaticToken(token, lookup)
    expect(p).toEqual({
      kind: 'static',
      tokenId: 'tok-1',
      name: 'Workspace admin token',
      scopes: [{ type: 'ADMIN' }],
    })
    expect(Object.isFrozen(p)).toBe(true)
    expect(Object.isFrozen(p.scopes)).toBe(true)
  })

  it('asks the store by hash, never by token', () => {
    const asked: string[] = []
    verifyStaticToken(token, (h) => {
      asked.push(h)
      return lookup(h)
    })
    expect(asked).toEqual([hashToken(token)])
  })

  it.each([
    ['unknown token', generateStaticToken(), 'unknown'],
    ['one character changed', `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`, 'unknown'],
    ['not p.-prefixed', token.slice(2), 'malformed'],
    ['bare prefix', 'p.', 'malformed'],
    ['empty', '', 'malformed'],
  ])('rejects %s with ERR_AUTH_TOKEN_INVALID', (_name, candidate, reason) => {
    const e = thrown(() => verifyStaticToken(candidate, lookup))
    expect(e).toBeInstanceOf(ServerError)
    expect(e).toMatchObject({ code: 'ERR_AUTH_TOKEN_INVALID', status: 403, details: { reason } })
    expect((e as ServerError).message).toMatch(/^invalid authentication token\. /)
    if (candidate !== '') expect((e as ServerError).message).not.toContain(candidate)
  })

  it('rejects a token over the size cap with 431 ERR_AUTH_TOKEN_TOO_LARGE, before hashing it', () => {
    const big = `p.${'a'.repeat(MAX_STATIC_TOKEN_BYTES)}`
    const e = thrown(() =>
      verifyStaticToken(big, () => {
        throw new Error('looked up')
      }),
    )
    expect(e).toMatchObject({
      code: 'ERR_AUTH_TOKEN_TOO_LARGE',
      status: 431,
      details: { reason: 'size' },
    })
    expect((e as ServerError).message).not.toContain(big)
  })

  it('rejects a record whose stored hash does not match (defends against a bad lookup)', () => {
    const other = { ...record, hash: hashToken('p.other') }
    expect(thrown(() => verifyStaticToken(token, () => other))).toMatchObject({
      code: 'ERR_AUTH_TOKEN_INVALID',
    })
    expect(thrown(() => verifyStaticToken(token, () => ({ ...record, hash: 'zz' })))).toMatchObject(
      {
        code: 'ERR_AUTH_TOKEN_INVALID',
      },
    )
  })

  it('accepts an imported Tinybird-format token by its hash', () => {
    const tinybird = 'p.eyJ1IjogIjEyMyIsICJpZCI6ICI0NTYiLCAiaG9zdCI6IG51bGx9.c2lnbmF0dXJl'
    const p = verifyStaticToken(tinybird, storeOf([{ ...record, hash: hashToken(tinybird) }]))
    expect(p.kind).toBe('static')
  })
})
