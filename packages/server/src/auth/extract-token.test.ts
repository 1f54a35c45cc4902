/** @module Unit tests for token transport: `?token=` first, then Tinybird's exact `Bearer` rule. */
import { describe, expect, it } from 'vitest'
import { extractToken, isJwtShaped } from './extract-token.js'

describe('extractToken', () => {
  it.each<[string, { token?: string }, string | undefined, string | undefined]>([
    ['query only', { token: 'p.q' }, undefined, 'p.q'],
    ['query wins over header', { token: 'p.q' }, 'Bearer p.h', 'p.q'],
    ['header when no query', {}, 'Bearer p.h', 'p.h'],
    ['header with a JWT', {}, 'Bearer aaa.bbb.ccc', 'aaa.bbb.ccc'],
    ['empty query falls back to the header', { token: '' }, 'Bearer p.h', 'p.h'],
    ['nothing at all', {}, undefined, undefined],
    ['lowercase scheme', {}, 'bearer p.h', undefined],
    ['upper-case scheme', {}, 'BEARER p.h', undefined],
    ['two spaces', {}, 'Bearer  p.h', undefined],
    ['other scheme', {}, 'Token p.h', undefined],
    ['Basic auth', {}, 'Basic dXNlcjpwYXNz', undefined],
    ['three parts', {}, 'Bearer p.h extra', undefined],
    ['scheme only', {}, 'Bearer', undefined],
    ['empty token after scheme', {}, 'Bearer ', undefined],
    ['bare token without scheme', {}, 'p.h', undefined],
    ['tab separator', {}, 'Bearer\tp.h', undefined],
    ['leading space', {}, ' Bearer p.h', undefined],
    ['empty header', {}, '', undefined],
  ])('%s', (_name, query, header, expected) => {
    expect(extractToken(query, header)).toBe(expected)
  })

  it('accepts an explicit undefined query token', () => {
    expect(extractToken({ token: undefined }, 'Bearer x')).toBe('x')
  })
})

describe('isJwtShaped', () => {
  it.each([
    ['p.abc', false],
    ['p.', false],
    ['p_testing.abc', true], // only the exact "p." prefix marks a static token
    ['P.abc', true],
    ['eyJhbGciOiJIUzI1NiJ9.e30.sig', true],
    ['', true],
  ])('%j → %s', (token, expected) => {
    expect(isJwtShaped(token)).toBe(expected)
  })
})
