/**
 * @module Compile-only tests of the public types of `@dunlin/client` (jose's `test-d/` idea): checked by
 * `tsc -p packages/client/test-d`, never run. Each `@ts-expect-error` line must stay an error.
 */
import { expectTypeOf } from 'vitest'
import {
  DunlinApiError,
  DunlinClientError,
  createClient,
  createJWT,
  createTokenHandler,
  decodeExpiry,
  tokenFromEndpoint,
} from '../src/index.js'
import type {
  ClientErrorCode,
  DunlinClient,
  EventsResult,
  ExpiresIn,
  JWTScope,
  QueryResult,
  ServerErrorCode,
  TokenRefreshedEvent,
} from '../src/index.js'

declare const key: string
declare const client: DunlinClient

// ── createJWT ────────────────────────────────────────────────────────────────────────────────────────────
expectTypeOf(
  createJWT(key, {
    workspaceId: 'ws',
    name: 'n',
    expiresIn: '10m',
    scopes: [{ type: 'PIPES:READ', resource: 'p', fixedParams: { tenant_id: 't', ids: [1, 2] } }],
    limits: { rps: 5 },
    kid: 'k',
  }),
).toEqualTypeOf<Promise<string>>()

expectTypeOf<'30s'>().toExtend<ExpiresIn>()
expectTypeOf<'1d'>().toExtend<ExpiresIn>()
expectTypeOf<600>().toExtend<ExpiresIn>()
// @ts-expect-error: a unit the parser does not know
export const badUnit: ExpiresIn = '10y'
// @ts-expect-error: no number before the unit
export const noNumber: ExpiresIn = 'm'

// @ts-expect-error: expiresIn is required (a token without exp is refused)
void createJWT(key, {
  workspaceId: 'ws',
  name: 'n',
  scopes: [{ type: 'PIPES:READ', resource: 'p' }],
})

export const dsWithFixed: JWTScope = {
  type: 'DATASOURCES:READ',
  resource: 'd',
  // @ts-expect-error: fixed params belong to PIPES:READ; DATASOURCES:READ takes a filter
  fixedParams: { a: 1 },
}
// @ts-expect-error: scope type is a closed union
export const unknownScope: JWTScope = { type: 'PIPES:WRITE', resource: 'p' }
export const nullFixed: JWTScope = {
  type: 'PIPES:READ',
  resource: 'p',
  // @ts-expect-error: a fixed param value may not be null
  fixedParams: { tenant_id: null },
}
export const dsWithFilter: JWTScope = {
  type: 'DATASOURCES:READ',
  resource: 'd',
  filter: "tenant = 'a'",
}

// ── token handler and provider ───────────────────────────────────────────────────────────────────────────
expectTypeOf(
  createTokenHandler({
    signingKey: key,
    workspaceId: 'ws',
    authorize: () => Promise.resolve(null),
  }),
).toEqualTypeOf<(request: Request) => Promise<Response>>()
expectTypeOf(tokenFromEndpoint('/api/token')).toEqualTypeOf<() => Promise<string>>()
expectTypeOf(decodeExpiry).returns.toEqualTypeOf<number | undefined>()

// ── client ───────────────────────────────────────────────────────────────────────────────────────────────
createClient({ host: 'https://api.tinybird.co', token: 'static' })
createClient({ host: 'https://api.tinybird.co', token: () => Promise.resolve('t'), fetch })
// @ts-expect-error: a sync provider is not accepted (it must return a Promise)
createClient({ host: 'h', token: () => 't' })
// @ts-expect-error: host is required
createClient({ token: 't' })
createClient({
  host: 'h',
  token: 't',
  onTokenRefreshed: (event) => {
    expectTypeOf(event).toEqualTypeOf<TokenRefreshedEvent>()
    expectTypeOf(event.source).toEqualTypeOf<'provider' | 'broadcast'>()
  },
})

interface Airline {
  airline: string
  bookings: number
}
expectTypeOf(client.pipe<Airline>('top_airlines')).toEqualTypeOf<Promise<QueryResult<Airline>>>()
expectTypeOf(client.pipe('p'))
  .resolves.toHaveProperty('data')
  .toEqualTypeOf<Record<string, unknown>[]>()
expectTypeOf(client.pipe('p'))
  .resolves.toHaveProperty('statistics')
  .toHaveProperty('elapsed')
  .toBeNumber()
void client.pipe('p', {
  limit: 10,
  ids: [1, 2],
  from: '2026-01-01',
  big: 10n,
  maybe: undefined,
  none: null,
})
// @ts-expect-error: a nested object is not a parameter
void client.pipe('p', { nested: { a: 1 } })
// @ts-expect-error: only the json format is typed
void client.pipe('p', {}, { format: 'csv' })
void client.pipe('p', {}, { method: 'POST', signal: new AbortController().signal })
expectTypeOf(client.sql<{ n: number }>('SELECT 1 AS n')).toEqualTypeOf<
  Promise<QueryResult<{ n: number }>>
>()

const clicks = client.events<{ path: string }>('clicks')
expectTypeOf(clicks.send({ path: '/' })).toEqualTypeOf<Promise<EventsResult>>()
void clicks.send([{ path: '/a' }, { path: '/b' }], { wait: true })
// @ts-expect-error: rows are typed per data source
void clicks.send({ url: '/' })
expectTypeOf(client.getToken()).toEqualTypeOf<Promise<string>>()
expectTypeOf<ReturnType<DunlinClient['close']>>().toBeVoid()

// ── errors ───────────────────────────────────────────────────────────────────────────────────────────────
declare const err: unknown
if (err instanceof DunlinApiError) {
  expectTypeOf(err.status).toBeNumber()
  expectTypeOf(err.code).toEqualTypeOf<ServerErrorCode | undefined>()
  expectTypeOf(err.retryAfterSeconds).toEqualTypeOf<number | undefined>()
}
expectTypeOf<'ERR_AUTH_SCOPE_DENIED'>().toExtend<ServerErrorCode>()
expectTypeOf<'ERR_FUTURE_CODE'>().toExtend<ServerErrorCode>() // open: a newer server may add codes
// @ts-expect-error: every server code starts with ERR_
export const notACode: ServerErrorCode = 'SCOPE_DENIED'
if (err instanceof DunlinClientError) {
  expectTypeOf(err.code).toEqualTypeOf<ClientErrorCode>()
}
// @ts-expect-error: client codes are a closed union
export const unknownClientCode: ClientErrorCode = 'ERR_SOMETHING_ELSE'
