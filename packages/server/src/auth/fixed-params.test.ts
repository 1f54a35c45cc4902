/** @module Unit tests for fixed params: Tinybird's `{...query, ...fixed}` merge and the refusal of empty pins. */
import { describe, expect, it } from 'vitest'
import { CompactSign } from 'jose'
import { ServerError } from '../errors.js'
import type { Clock } from './clock.js'
import { applyFixedParams } from './fixed-params.js'
import { verifyJwt } from './jwt-verify.js'
import { pipeAccess } from './principal.js'
import type { FixedParams } from './scopes.js'

const thrown = (fn: () => unknown): unknown => {
  try {
    fn()
  } catch (e) {
    return e
  }
  throw new Error('did not throw')
}

describe('applyFixedParams', () => {
  it('fixed params win over the caller (same key)', () => {
    expect(applyFixedParams({ org_id: 'evil', limit: '5' }, { org_id: 'acme' })).toEqual({
      org_id: 'acme',
      limit: '5',
    })
  })

  it('adds a fixed param the caller did not send', () => {
    expect(applyFixedParams({ limit: '5' }, { org_id: 'acme' })).toEqual({
      limit: '5',
      org_id: 'acme',
    })
  })

  it('replaces a caller array with the fixed value, and a fixed array replaces a caller scalar', () => {
    expect(applyFixedParams({ org_id: ['a', 'evil'] }, { org_id: 'acme' })).toEqual({
      org_id: 'acme',
    })
    expect(applyFixedParams({ orgs: 'evil' }, { orgs: ['a', 'b'] })).toEqual({ orgs: ['a', 'b'] })
  })

  it('keys are case-sensitive: ORG_ID from the caller does not touch org_id, and cannot remove it', () => {
    expect(applyFixedParams({ ORG_ID: 'evil', Org_Id: 'x' }, { org_id: 'acme' })).toEqual({
      ORG_ID: 'evil',
      Org_Id: 'x',
      org_id: 'acme',
    })
  })

  it('keeps numbers and booleans as they are', () => {
    expect(applyFixedParams({}, { n: 7, f: false, z: 0 })).toEqual({ n: 7, f: false, z: 0 })
  })

  it('does not modify its arguments', () => {
    const params = { org_id: 'evil' }
    const fixed = { org_id: 'acme' }
    applyFixedParams(params, fixed)
    expect(params).toEqual({ org_id: 'evil' })
    expect(fixed).toEqual({ org_id: 'acme' })
  })

  it('treats "__proto__" as an ordinary key on both sides', () => {
    const params = JSON.parse('{"__proto__": {"polluted": true}, "a": "1"}') as Record<
      string,
      unknown
    >
    const fixed = JSON.parse('{"__proto__": "x"}') as FixedParams
    const out = applyFixedParams(params, fixed)
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype)
    expect(Object.prototype.hasOwnProperty.call(out, '__proto__')).toBe(true)
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined()
  })

  it.each<[string, unknown]>([
    ['null', null],
    ['undefined', undefined],
    ['empty string', ''],
    ['empty array', []],
    ['array with an empty string', ['a', '']],
    ['array with null', ['a', null]],
    ['nested array', [['a']]],
    ['object', { a: 1 }],
    ['NaN', Number.NaN],
  ])('refuses a fixed param that is %s with ERR_AUTH_FIXED_PARAM', (_name, value) => {
    const fixed = { org_id: value } as unknown as FixedParams
    const e = thrown(() => applyFixedParams({ org_id: 'caller' }, fixed))
    expect(e).toBeInstanceOf(ServerError)
    expect(e).toMatchObject({
      code: 'ERR_AUTH_FIXED_PARAM',
      status: 403,
      details: { param: 'org_id' },
    })
    expect((e as ServerError).message).not.toContain('caller')
  })

  it('returns an empty merge unchanged', () => {
    expect(applyFixedParams({ a: '1' }, {})).toEqual({ a: '1' })
  })
})

describe('fixed params from a verified JWT, end to end', () => {
  const secret = 'p.admin-token-for-fixed-params-tests'
  const clock: Clock = { nowMs: () => 1_700_000_000_000 }
  const policy = {
    workspaceId: 'ws',
    keys: [{ alg: 'HS256' as const, secret, status: 'active' as const }],
  }
  const sign = (payload: unknown): Promise<string> =>
    new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(new TextEncoder().encode(secret))

  it('pins org_id for the scoped pipe whatever the caller sends', async () => {
    const token = await sign({
      workspace_id: 'ws',
      name: 'tenant acme',
      exp: 1_700_000_600,
      scopes: [
        {
          type: 'PIPES:READ',
          resource: 'top_pages',
          fixed_params: { org_id: 'acme', tags: ['a', 'b'] },
        },
      ],
    })
    const p = await verifyJwt(token, policy, clock)
    const access = pipeAccess(p, { id: 't_1', name: 'top_pages' })
    expect(access).not.toBeNull()
    const merged = applyFixedParams(
      { org_id: 'globex', tags: 'x', date_from: '2024-01-01' },
      access!.fixedParams,
    )
    expect(merged).toEqual({ org_id: 'acme', tags: ['a', 'b'], date_from: '2024-01-01' })
  })

  it('an empty fixed param in a JWT verifies but fails loudly when the pipe is called', async () => {
    const token = await sign({
      workspace_id: 'ws',
      name: 'n',
      exp: 1_700_000_600,
      scopes: [{ type: 'PIPES:READ', resource: 'top_pages', fixed_params: { org_id: '' } }],
    })
    const p = await verifyJwt(token, policy, clock)
    const access = pipeAccess(p, { id: 't_1', name: 'top_pages' })!
    expect(thrown(() => applyFixedParams({}, access.fixedParams))).toMatchObject({
      code: 'ERR_AUTH_FIXED_PARAM',
    })
  })
})
