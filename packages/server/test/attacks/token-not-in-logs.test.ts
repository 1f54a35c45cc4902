// Attack: harvesting tokens from logs or error bodies. Every way of sending a token, good or bad, static or JWT,
// must leave no trace of it (nor of its signature, nor of the admin token or a signing key) in the captured log
// stream or in any response body.
import { describe, expect, it } from 'vitest'
import { read, useServer } from './lib.js'

const srv = useServer({ config: { verboseErrors: true } })

describe('token never in logs or error bodies', () => {
  it('holds for query, header and body tokens, accepted or refused', async () => {
    const t = srv()
    const { secret } = await t.srv.workspace.addSigningKey('logkey')
    const staticTok = t.srv.workspace.tokenValue(t.srv.workspace.token('top_airlines_read_static')!)
    const good = await t.signJwt({ exp: t.nowSeconds() + 60, scopes: [read('top_airlines')] })
    const expired = await t.signJwt({ exp: t.nowSeconds() - 60, scopes: [read('top_airlines')] })
    const wrongKey = await t.signJwt(
      { exp: t.nowSeconds() + 60, scopes: [read('top_airlines')] },
      { secret: 'nope' },
    )
    const denied = await t.signJwt({ exp: t.nowSeconds() + 60, scopes: [read('top_routes')] })
    const secrets = [
      t.adminToken,
      secret,
      staticTok,
      good,
      expired,
      wrongKey,
      denied,
      `${staticTok}x`,
    ]
    const bodies: string[] = []
    for (const tok of secrets) {
      for (const path of ['/v0/pipes/top_airlines.json', '/v0/sql?q=SELECT%201', '/v0/tokens']) {
        const sep = path.includes('?') ? '&' : '?'
        const q = await t.fetch(`${path}${sep}token=${encodeURIComponent(tok)}`)
        bodies.push(await q.text())
        const h = await t.fetch(path, { headers: { Authorization: `Bearer ${tok}` } })
        bodies.push(await h.text())
      }
      const form = await t.fetch('/v0/pipes/top_airlines.json', {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: tok }).toString(),
      })
      bodies.push(await form.text())
    }
    const logs = t.logs.join('\n')
    expect(logs).toContain('"tokenName"')
    const errorBodies = bodies.filter((b) => b.includes('"code"'))
    expect(errorBodies.length).toBeGreaterThan(10)
    for (const tok of secrets) {
      const parts = tok.includes('.') && !tok.startsWith('p.') ? [tok, tok.split('.')[2]!] : [tok]
      for (const part of parts) {
        expect(logs).not.toContain(part)
        for (const b of errorBodies) expect(b).not.toContain(part)
      }
    }
  })
})
