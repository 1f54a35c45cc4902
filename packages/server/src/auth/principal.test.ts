/** @module Unit tests for access decisions: admin, scope checks, pipe read, data source read, append. */
import { describe, expect, it } from 'vitest'
import {
  canAppend,
  datasourceReadAccess,
  hasScope,
  isAdmin,
  pipeAccess,
  type Principal,
} from './principal.js'
import { parseScope, type Scope } from './scopes.js'

const staticP = (...scopes: (string | Scope)[]): Principal => ({
  kind: 'static',
  tokenId: 't',
  name: 'n',
  scopes: scopes.map((s) => (typeof s === 'string' ? parseScope(s) : s)),
})
const jwtP = (...scopes: Scope[]): Principal => ({
  kind: 'jwt',
  name: 'n',
  scopes,
  expSeconds: 2e9,
})
const pipe = { id: 't_123', name: 'top_pages' }
const ds = { id: 't_ds1', name: 'events' }

describe('isAdmin / hasScope', () => {
  it('ADMIN and ADMIN_USER are admin; others are not', () => {
    expect(isAdmin(staticP('ADMIN'))).toBe(true)
    expect(isAdmin(staticP('ADMIN_USER:u1'))).toBe(true)
    expect(isAdmin(staticP('TOKENS', 'PIPES:CREATE', 'DATASOURCES:CREATE'))).toBe(false)
    expect(isAdmin(jwtP({ type: 'PIPES:READ', resource: 'p' }))).toBe(false)
  })

  it('hasScope is literal', () => {
    expect(hasScope(staticP('TOKENS'), 'TOKENS')).toBe(true)
    expect(hasScope(staticP('ADMIN'), 'TOKENS')).toBe(false)
    expect(hasScope(staticP('PIPES:READ:a'), 'PIPES:READ')).toBe(true)
  })
})

describe('pipeAccess', () => {
  it('PIPES:READ by name or by id', () => {
    expect(pipeAccess(staticP('PIPES:READ:top_pages'), pipe)).toEqual({ fixedParams: {} })
    expect(pipeAccess(staticP('PIPES:READ:t_123'), pipe)).toEqual({ fixedParams: {} })
  })

  it('denies other pipes and other scope types', () => {
    expect(pipeAccess(staticP('PIPES:READ:other'), pipe)).toBeNull()
    expect(pipeAccess(staticP('PIPES:DROP:top_pages'), pipe)).toBeNull()
    expect(pipeAccess(staticP('DATASOURCES:READ:top_pages'), pipe)).toBeNull()
    expect(pipeAccess(staticP('TOKENS'), pipe)).toBeNull()
    expect(pipeAccess(staticP(), pipe)).toBeNull()
    expect(pipeAccess(staticP('PIPES:READ:TOP_PAGES'), pipe)).toBeNull() // case-sensitive
  })

  it('ADMIN, ADMIN_USER and PIPES:CREATE read every pipe', () => {
    for (const s of ['ADMIN', 'ADMIN_USER:u', 'PIPES:CREATE']) {
      expect(pipeAccess(staticP(s), pipe)).toEqual({ fixedParams: {} })
    }
  })

  it("returns the JWT scope's fixed params for that pipe only", () => {
    const p = jwtP(
      { type: 'PIPES:READ', resource: 'top_pages', fixedParams: { org_id: 'acme' } },
      { type: 'PIPES:READ', resource: 'other', fixedParams: { org_id: 'zzz' } },
    )
    expect(pipeAccess(p, pipe)).toEqual({ fixedParams: { org_id: 'acme' } })
    expect(pipeAccess(p, { id: 'x', name: 'other' })).toEqual({ fixedParams: { org_id: 'zzz' } })
  })

  it('returns a static filter, and applies a matching scope even for an admin token', () => {
    expect(pipeAccess(staticP('PIPES:READ:top_pages:org = 1'), pipe)).toEqual({
      fixedParams: {},
      filter: 'org = 1',
    })
    const admin = staticP('ADMIN', {
      type: 'PIPES:READ',
      resource: 'top_pages',
      fixedParams: { org_id: 'a' },
    })
    expect(pipeAccess(admin, pipe)).toEqual({ fixedParams: { org_id: 'a' } })
  })

  it('last matching scope wins (Tinybird builds its per-pipe dict in order)', () => {
    const p = jwtP(
      { type: 'PIPES:READ', resource: 'top_pages', fixedParams: { org_id: 'first' } },
      { type: 'PIPES:READ', resource: 't_123', fixedParams: { org_id: 'last' } },
    )
    expect(pipeAccess(p, pipe)).toEqual({ fixedParams: { org_id: 'last' } })
  })
})

describe('datasourceReadAccess', () => {
  it('DATASOURCES:READ by name or id, with its filter', () => {
    expect(datasourceReadAccess(staticP('DATASOURCES:READ:events'), ds)).toEqual({})
    expect(datasourceReadAccess(staticP('DATASOURCES:READ:t_ds1'), ds)).toEqual({})
    expect(datasourceReadAccess(staticP("DATASOURCES:READ:events:org = 'a'"), ds)).toEqual({
      filter: "org = 'a'",
    })
  })

  it('also grants <ds>_quarantine, keeping the filter', () => {
    const q = { id: 't_q', name: 'events_quarantine' }
    expect(datasourceReadAccess(staticP('DATASOURCES:READ:events'), q)).toEqual({})
    expect(datasourceReadAccess(staticP('DATASOURCES:READ:events:org = 1'), q)).toEqual({
      filter: 'org = 1',
    })
    expect(datasourceReadAccess(staticP('DATASOURCES:READ:events_quarantine'), ds)).toBeNull()
    expect(datasourceReadAccess(staticP('DATASOURCES:READ:other'), q)).toBeNull()
  })

  it('does not treat a bare "_quarantine" as the quarantine of ""', () => {
    expect(
      datasourceReadAccess(staticP('DATASOURCES:READ:x'), { id: 'i', name: '_quarantine' }),
    ).toBeNull()
  })

  it('ADMIN reads all; other scopes and JWTs do not', () => {
    expect(datasourceReadAccess(staticP('ADMIN'), ds)).toEqual({})
    expect(
      datasourceReadAccess(
        staticP('DATASOURCES:APPEND:events', 'DATASOURCES:CREATE', 'PIPES:READ:events'),
        ds,
      ),
    ).toBeNull()
    expect(datasourceReadAccess(jwtP({ type: 'PIPES:READ', resource: 'events' }), ds)).toBeNull()
  })
})

describe('canAppend', () => {
  it('ADMIN, DATASOURCES:CREATE or DATASOURCES:APPEND:<ds>', () => {
    expect(canAppend(staticP('ADMIN'), 'events')).toBe(true)
    expect(canAppend(staticP('ADMIN_USER:u'), 'events')).toBe(true)
    expect(canAppend(staticP('DATASOURCES:CREATE'), 'anything')).toBe(true)
    expect(canAppend(staticP('DATASOURCES:APPEND:events'), 'events')).toBe(true)
    expect(canAppend(staticP('DATASOURCES:APPEND:events'), 'other')).toBe(false)
    expect(canAppend(staticP('DATASOURCES:READ:events', 'PIPES:CREATE', 'TOKENS'), 'events')).toBe(
      false,
    )
    expect(canAppend(jwtP({ type: 'PIPES:READ', resource: 'events' }), 'events')).toBe(false)
  })
})
