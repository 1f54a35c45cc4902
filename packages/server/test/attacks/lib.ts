/**
 * Shared helpers of the attack suite: one real server per file (chdb allows one data dir per process), a way to
 * send a token the ways a browser can, and the checks every attack makes: status, `code`, no data, no echo.
 */
import { afterAll, beforeAll, expect } from 'vitest'
import { startTestServer, type TestServer } from '../helpers/server.js'
import type { CreateServerOptions } from '../../src/server.js'

/** The fixture's `events` rows hold these tenants; a body naming one leaked data. */
export const TENANTS = ['org_a', 'org_b', 'org_c'] as const

/** Starts a server for this file; `srv()` returns it inside tests. */
export function useServer(opts: Partial<CreateServerOptions> = {}): () => TestServer {
  let t: TestServer | undefined
  beforeAll(async () => {
    t = await startTestServer(opts)
  })
  afterAll(async () => {
    await t?.close()
  })
  return () => {
    if (t === undefined) throw new Error('server not started')
    return t
  }
}

/** A PIPES:READ scope. */
export const read = (
  resource: string,
  fixed?: Record<string, unknown>,
): Record<string, unknown> => ({
  type: 'PIPES:READ',
  resource,
  ...(fixed ? { fixed_params: fixed } : {}),
})

/** base64url of a JSON value or a string. */
export function b64(v: unknown): string {
  return Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url')
}

/** Builds a compact JWS from raw parts (for malformed and unsigned tokens). */
export function rawJwt(header: unknown, payload: unknown, signature = ''): string {
  return `${b64(header)}.${b64(payload)}.${signature}`
}

/**
 * Asserts a refusal: the status, the `code` in body and `X-Error-Code`, no `data`/`rows` in the body, no tenant or
 * airline value from the fixture, and the token not echoed.
 */
export async function expectRefused(
  res: Response,
  status: number,
  code: string,
  token?: string,
): Promise<void> {
  const text = await res.text()
  expect(res.status, text).toBe(status)
  const body = JSON.parse(text) as Record<string, unknown>
  expect(body['code']).toBe(code)
  expect(res.headers.get('x-error-code')).toBe(code)
  expect(body['data']).toBeUndefined()
  expect(body['rows']).toBeUndefined()
  for (const tenant of TENANTS) expect(text).not.toContain(`"${tenant}"`)
  if (token !== undefined) {
    expect(text).not.toContain(token)
    const sig = token.split('.')[2]
    if (sig !== undefined && sig.length > 8) expect(text).not.toContain(sig)
  }
}

/** GETs a pipe endpoint with the token in `?token=`. */
export function getPipe(t: TestServer, pipe: string, token: string, extra = ''): Promise<Response> {
  return t.fetch(`/v0/pipes/${pipe}.json?token=${encodeURIComponent(token)}${extra}`)
}

/** The distinct `org_id`s of a successful endpoint answer. */
export async function orgsIn(res: Response): Promise<string[]> {
  const text = await res.text()
  expect(res.status, text).toBe(200)
  const body = JSON.parse(text) as { data: { org_id?: string }[] }
  return [...new Set(body.data.map((r) => r.org_id ?? ''))].sort()
}
