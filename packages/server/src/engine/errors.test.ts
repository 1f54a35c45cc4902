/** @module Unit tests for how engine failures below ClickHouse (network, TLS, login) map to error codes. */
import { describe, expect, it } from 'vitest'
import { connectionFailureReason, isConnectionFailure, toServerError } from './errors.js'

const nodeError = (message: string, code: string, extra: object = {}): Error =>
  Object.assign(new Error(message), { code }, extra)

describe('connection failures', () => {
  it('answers a network or TLS failure with 503 ERR_ENGINE_UNREACHABLE and a fixed sentence', () => {
    for (const err of [
      nodeError('connect ECONNREFUSED 10.0.0.7:8123', 'ECONNREFUSED'),
      nodeError('socket hang up', 'ECONNRESET'),
      nodeError('self-signed certificate in certificate chain', 'SELF_SIGNED_CERT_IN_CHAIN'),
    ]) {
      const e = toServerError(err)
      expect({ code: e.code, status: e.status }).toEqual({
        code: 'ERR_ENGINE_UNREACHABLE',
        status: 503,
      })
      // A browser is never told where the engine lives.
      expect(e.message).toBe('The engine cannot be reached; retry later')
    }
  })

  it('answers a refused login the same way, on old and new servers', () => {
    for (const message of [
      'Code: 193, e.displayText() = DB::Exception: Wrong password for user app, e.what() = DB::Exception',
      'Code: 516. DB::Exception: app: Authentication failed: password is incorrect. (AUTHENTICATION_FAILED)',
    ]) {
      expect(toServerError(new Error(message)).code).toBe('ERR_ENGINE_UNREACHABLE')
    }
  })

  it('tells a connection failure from a ClickHouse or chdb exception by its code', () => {
    expect(isConnectionFailure(nodeError('Unknown table', '60'))).toBe(false)
    expect(isConnectionFailure(nodeError('Syntax error', 'CHDB_SYNTAX'))).toBe(false)
    expect(isConnectionFailure(nodeError('premature close', 'ERR_STREAM_PREMATURE_CLOSE'))).toBe(
      false,
    )
    expect(isConnectionFailure(nodeError('getaddrinfo ENOTFOUND ch', 'ENOTFOUND'))).toBe(true)
    expect(isConnectionFailure(nodeError('bad cert', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'))).toBe(true)
    expect(isConnectionFailure(new Error('no code'))).toBe(false)
    expect(isConnectionFailure(nodeError('refused', 'ECONNREFUSED'))).toBe(true)
  })

  it("gives the operator the failure's own words at start", () => {
    const tls = nodeError(
      '8031:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:rec_layer_s3.c:1601',
      'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
      { reason: 'tlsv13 alert certificate required' },
    )
    expect(connectionFailureReason(tls)).toBe(
      'tlsv13 alert certificate required (ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED)',
    )
    expect(
      connectionFailureReason(
        new Error(
          'Code: 193, e.displayText() = DB::Exception: Wrong password for user app, e.what() = DB::Exception',
        ),
      ),
    ).toBe('Wrong password for user app')
  })
})
