import { describe, expect, it } from 'vitest'
import { DunlinApiError } from '../errors.js'
import type { ServerErrorCode } from '../errors.js'
import { DEFAULT_RETRY_POLICY, backoffDelayMs, isRefreshable } from './transport.js'

describe('isRefreshable', () => {
  it.each<[number, ServerErrorCode | undefined, string, boolean]>([
    [403, 'ERR_AUTH_TOKEN_EXPIRED', '', true],
    [401, 'ERR_AUTH_TOKEN_EXPIRED', '', true],
    [403, 'ERR_AUTH_TOKEN_INVALID', '', true],
    [403, 'ERR_AUTH_TOKEN_MISSING', '', true],
    [403, 'ERR_AUTH_TOKEN_REVOKED', '', false],
    [403, 'ERR_AUTH_SCOPE_DENIED', '', false],
    [403, 'ERR_AUTH_JWT_NOT_ALLOWED', '', false],
    [403, 'ERR_AUTH_FIXED_PARAM', '', false],
    [403, undefined, 'invalid authentication token', true],
    [401, undefined, '', true],
    [403, undefined, "The token you have provided doesn't have access to this resource", false],
    [403, undefined, 'invalid authentication token. Handler X does not support JWT tokens', false],
    [404, undefined, 'nope', false],
    [429, 'ERR_REQUEST_RATE_LIMITED', '', false],
  ])('%i %s %j → %s', (status, code, message, expected) => {
    expect(isRefreshable(new DunlinApiError(status, message, code))).toBe(expected)
  })
})

describe('backoffDelayMs (full jitter)', () => {
  it.each([
    [0, 0.5, 125],
    [1, 0.5, 250],
    [2, 0.5, 500],
    [10, 0.5, 4000],
    [3, 0, 0],
    [3, 0.999, 1998],
  ])('attempt %i, random %f → %i ms', (attempt, r, expected) => {
    expect(backoffDelayMs(attempt, DEFAULT_RETRY_POLICY, () => r)).toBe(expected)
  })
})
