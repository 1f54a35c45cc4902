// Attack: keep a valid signature but change the payload (another pipe, another tenant, a later exp), or change the
// header (drop kid, switch alg) under the old signature.
import { describe, it } from 'vitest'
import { b64, expectRefused, getPipe, read, useServer } from './lib.js'

const srv = useServer()

describe('tampered payload with the old signature', () => {
  it('refuses every payload or header edit', async () => {
    const t = srv()
    const claims = {
      exp: t.nowSeconds() + 60,
      scopes: [read('org_bookings', { org_id: 'org_a' })],
    }
    const token = await t.signJwt(claims)
    const [h, , s] = token.split('.') as [string, string, string]
    const full = { workspace_id: t.workspaceId, name: 'test_jwt', ...claims }
    const edits: Record<string, unknown>[] = [
      { ...full, scopes: [read('org_bookings', { org_id: 'org_b' })] },
      { ...full, scopes: [read('org_bookings')] },
      { ...full, exp: full.exp + 86_400 },
      { ...full, scopes: [read('top_airlines')] },
    ]
    for (const p of edits) {
      const forged = `${h}.${b64(p)}.${s}`
      await expectRefused(
        await getPipe(t, 'org_bookings', forged),
        403,
        'ERR_AUTH_TOKEN_INVALID',
        forged,
      )
    }
    const headerEdit = `${b64({ alg: 'HS384', typ: 'JWT' })}.${token.split('.')[1]}.${s}`
    await expectRefused(
      await getPipe(t, 'org_bookings', headerEdit),
      403,
      'ERR_AUTH_TOKEN_INVALID',
      headerEdit,
    )
  })
})
