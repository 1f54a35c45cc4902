/** @module Unit tests for scope strings: Tinybird's parsing rules, errors and the format round trip. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ServerError } from '../errors.js'
import { formatScope, parseScope, type Scope, type ScopeType } from './scopes.js'

const thrown = (fn: () => unknown): unknown => {
  try {
    fn()
  } catch (e) {
    return e
  }
  throw new Error('did not throw')
}

describe('parseScope', () => {
  it.each<[string, Scope]>([
    ['ADMIN', { type: 'ADMIN' }],
    ['TOKENS', { type: 'TOKENS' }],
    ['DATASOURCES:CREATE', { type: 'DATASOURCES:CREATE' }],
    ['PIPES:CREATE', { type: 'PIPES:CREATE' }],
    ['ADMIN_USER:0b1c-user', { type: 'ADMIN_USER', resource: '0b1c-user' }],
    ['PIPES:READ:top_pages', { type: 'PIPES:READ', resource: 'top_pages' }],
    ['PIPES:DROP:top_pages', { type: 'PIPES:DROP', resource: 'top_pages' }],
    ['DATASOURCES:APPEND:events', { type: 'DATASOURCES:APPEND', resource: 'events' }],
    ['DATASOURCES:DROP:events', { type: 'DATASOURCES:DROP', resource: 'events' }],
    [
      'DATASOURCES:READ:ds:col > 1',
      { type: 'DATASOURCES:READ', resource: 'ds', filter: 'col > 1' },
    ],
    // Tinybird's doctest: everything after the resource, re-joined with ':', is the filter.
    [
      "DATASOURCES:READ:test:columna > 'foo:bar'",
      { type: 'DATASOURCES:READ', resource: 'test', filter: "columna > 'foo:bar'" },
    ],
    ['PIPES:READ:p:org_id = 7', { type: 'PIPES:READ', resource: 'p', filter: 'org_id = 7' }],
    ['PIPES:READ:p:', { type: 'PIPES:READ', resource: 'p' }],
    [
      'PIPES:READ:t_b9427fe2bcd543d1a8923d18c094e8c1',
      { type: 'PIPES:READ', resource: 't_b9427fe2bcd543d1a8923d18c094e8c1' },
    ],
  ])('%s', (text, scope) => {
    expect(parseScope(text)).toEqual(scope)
  })

  it.each([
    ['READ:x', 'unknown'], // the legacy form is invalid
    ['pipes:read:x', 'unknown'], // case-sensitive
    ['Admin', 'unknown'],
    ['AUTH', 'unknown'], // Tinybird's internal UI scope
    ['PIPES', 'unknown'],
    ['PIPES:WRITE:x', 'unknown'],
    ['', 'unknown'],
    [' ADMIN', 'unknown'],
    ['ADMIN:x', 'resource'],
    ['TOKENS:', 'resource'],
    ['PIPES:CREATE:p', 'resource'],
    ['PIPES:READ', 'resource'],
    ['PIPES:READ:', 'resource'],
    ['ADMIN_USER', 'resource'],
    ['DATASOURCES:APPEND:ds:col = 1', 'filter'],
    ['PIPES:DROP:p:1 = 1', 'filter'],
  ])('rejects %j (%s) with ERR_REQUEST_PARAM', (text, reason) => {
    expect(thrown(() => parseScope(text))).toMatchObject({
      code: 'ERR_REQUEST_PARAM',
      status: 400,
      details: { reason },
    })
  })

  it("uses Tinybird's sentences", () => {
    expect(thrown(() => parseScope('DATASOURCES:DROP'))).toMatchObject({
      message: "scope 'DATASOURCES:DROP' requires a resource",
    })
    expect(thrown(() => parseScope('DATASOURCES:APPEND:ds:x'))).toMatchObject({
      message: "filters can't only be applied to READ scope",
    })
    expect(thrown(() => parseScope('NOPE:x'))).toBeInstanceOf(ServerError)
  })

  it('never echoes the scope text of an unknown scope', () => {
    const e = thrown(() => parseScope('SECRET_SCOPE_TEXT')) as ServerError
    expect(e.message).not.toContain('SECRET_SCOPE_TEXT')
  })
})

describe('formatScope', () => {
  it.each<[Scope, string]>([
    [{ type: 'ADMIN' }, 'ADMIN'],
    [{ type: 'PIPES:READ', resource: 'p' }, 'PIPES:READ:p'],
    [
      { type: 'DATASOURCES:READ', resource: 'ds', filter: "a = 'x:y'" },
      "DATASOURCES:READ:ds:a = 'x:y'",
    ],
    [{ type: 'PIPES:READ', resource: 'p', fixedParams: { org: 'a' } }, 'PIPES:READ:p'],
    [{ type: 'PIPES:READ', resource: 'p', filter: '' }, 'PIPES:READ:p'],
  ])('%j → %s', (scope, text) => {
    expect(formatScope(scope)).toBe(text)
  })

  it.each<[string, Scope]>([
    ['missing resource', { type: 'PIPES:READ' }],
    ['extra resource', { type: 'ADMIN', resource: 'x' }],
    ['resource with ":"', { type: 'PIPES:READ', resource: 'a:b' }],
    ['empty resource', { type: 'PIPES:READ', resource: '' }],
    ['filter on DROP', { type: 'PIPES:DROP', resource: 'p', filter: '1' }],
    ['unknown type', { type: 'NOPE' as ScopeType }],
  ])('throws TypeError on %s', (_name, scope) => {
    expect(thrown(() => formatScope(scope))).toBeInstanceOf(TypeError)
  })

  it('round-trips through parseScope (property)', () => {
    const resource = fc.stringMatching(/^[A-Za-z0-9_.-]{1,20}$/)
    const filter = fc.string({ minLength: 1, maxLength: 30 })
    const scope = fc.oneof(
      fc.constantFrom<Scope>(
        { type: 'ADMIN' },
        { type: 'TOKENS' },
        { type: 'DATASOURCES:CREATE' },
        { type: 'PIPES:CREATE' },
      ),
      fc.record({
        type: fc.constantFrom<ScopeType>(
          'ADMIN_USER',
          'DATASOURCES:APPEND',
          'DATASOURCES:DROP',
          'PIPES:DROP',
        ),
        resource,
      }),
      fc.record(
        { type: fc.constantFrom<ScopeType>('DATASOURCES:READ', 'PIPES:READ'), resource, filter },
        { requiredKeys: ['type', 'resource'] },
      ),
    )
    fc.assert(
      fc.property(scope, (s) => {
        expect(parseScope(formatScope(s))).toEqual(s)
      }),
      { numRuns: 500 },
    )
  })
})
