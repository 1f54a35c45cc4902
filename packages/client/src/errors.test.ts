import { describe, expect, it } from 'vitest'
import {
  DunlinApiError,
  DunlinClientError,
  apiErrorFromResponse,
  parseRetryAfter,
  redactTokens,
} from './errors.js'

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE3Njc0NDUyMDB9.c2lnbmF0dXJl'

describe('apiErrorFromResponse', () => {
  it('reads Dunlin JSON { error, code } and keeps the status', async () => {
    const res = new Response(
      JSON.stringify({ error: 'Token expired', code: 'ERR_AUTH_TOKEN_EXPIRED' }),
      {
        status: 403,
        headers: { 'content-type': 'application/json', 'x-error-code': 'ERR_AUTH_TOKEN_EXPIRED' },
      },
    )
    const err = await apiErrorFromResponse(res, [], 0)
    expect(err).toBeInstanceOf(DunlinApiError)
    expect(err).toBeInstanceOf(Error)
    expect(err).toMatchObject({
      name: 'DunlinApiError',
      status: 403,
      code: 'ERR_AUTH_TOKEN_EXPIRED',
      message: 'Token expired',
      retryAfterSeconds: undefined,
    })
  })

  it('takes the code from X-Error-Code when the body has none', async () => {
    const res = new Response(JSON.stringify({ error: 'slow down' }), {
      status: 429,
      headers: { 'x-error-code': 'ERR_REQUEST_RATE_LIMITED', 'retry-after': '3' },
    })
    expect(await apiErrorFromResponse(res, [], 0)).toMatchObject({
      status: 429,
      code: 'ERR_REQUEST_RATE_LIMITED',
      retryAfterSeconds: 3,
    })
  })

  it('reads the text/plain bodies of the Events API', async () => {
    const res = new Response('Invalid token\n', {
      status: 403,
      headers: { 'content-type': 'text/plain' },
    })
    expect(await apiErrorFromResponse(res, [], 0)).toMatchObject({
      status: 403,
      code: undefined,
      message: 'Invalid token',
    })
  })

  it('falls back to the status line for an empty body', async () => {
    const res = new Response(null, { status: 500, statusText: 'Internal Server Error' })
    expect((await apiErrorFromResponse(res, [], 0)).message).toBe('HTTP 500 Internal Server Error')
  })

  it('ignores a code that is not ERR_*', async () => {
    const res = new Response(JSON.stringify({ error: 'x', code: 42 }), {
      status: 400,
      headers: { 'x-error-code': 'nope' },
    })
    expect((await apiErrorFromResponse(res, [], 0)).code).toBeUndefined()
  })

  it('never keeps a token Tinybird echoes in its message', async () => {
    const res = new Response(
      JSON.stringify({
        error: `invalid authentication token. Invalid token b'${JWT}': Signature has expired`,
      }),
      { status: 403 },
    )
    const err = await apiErrorFromResponse(res, [JWT], 0)
    expect(err.message).toBe(
      "invalid authentication token. Invalid token b'[redacted]': Signature has expired",
    )
    expect(JSON.stringify(err, Object.getOwnPropertyNames(err))).not.toContain(JWT)
  })

  it('redacts before truncating, so no partial token survives a long message', async () => {
    const long = `${'x'.repeat(990)} ${JWT}`
    const err = await apiErrorFromResponse(new Response(long, { status: 400 }), [JWT], 0)
    expect(err.message).not.toContain(JWT.slice(0, 12))
  })
})

describe('redactTokens', () => {
  it.each([
    ['a JWT', `token ${JWT} here`, [], 'token [redacted] here'],
    ['a Tinybird static token', 'bad p.eyJ1IjoiYSJ9.abc_DEF-1 !', [], 'bad [redacted] !'],
    [
      'an exact opaque secret',
      'echo s3cr3t-opaque twice s3cr3t-opaque',
      ['s3cr3t-opaque'],
      'echo [redacted] twice [redacted]',
    ],
    ['nothing to redact', 'plain text', ['tok'], 'plain text'],
  ] as const)('%s', (_name, input, secrets, output) => {
    expect(redactTokens(input, secrets)).toBe(output)
  })
})

describe('parseRetryAfter', () => {
  it.each([
    ['delay-seconds', '7', 7],
    ['decimal seconds', '1.5', 1.5],
    ['absent', null, undefined],
    ['garbage', 'soon', undefined],
  ] as const)('%s', (_name, value, expected) => {
    expect(parseRetryAfter(value, 0)).toBe(expected)
  })

  it('converts an HTTP date to seconds from now, never negative', () => {
    const now = Date.UTC(2026, 0, 1, 0, 0, 0)
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5)
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0)
  })
})

describe('DunlinClientError', () => {
  it('carries a code and a cause', () => {
    const cause = new Error('boom')
    const err = new DunlinClientError('ERR_CLIENT_NETWORK', 'The network request failed', { cause })
    expect(err).toMatchObject({ name: 'DunlinClientError', code: 'ERR_CLIENT_NETWORK', cause })
  })
})
