// Attack: a token signed with this workspace's key but naming another workspace, or none.
import { randomUUID } from 'node:crypto'
import { describe, it } from 'vitest'
import { expectRefused, getPipe, read, useServer } from './lib.js'

const srv = useServer()

describe('wrong workspace_id', () => {
  it('refuses a foreign, missing, empty or non-string workspace_id', async () => {
    const t = srv()
    for (const workspace_id of [randomUUID(), undefined, '', 42, [t.workspaceId]]) {
      const token = await t.signJwt({
        workspace_id,
        exp: t.nowSeconds() + 60,
        scopes: [read('top_airlines')],
      })
      await expectRefused(
        await getPipe(t, 'top_airlines', token),
        403,
        'ERR_AUTH_TOKEN_INVALID',
        token,
      )
    }
  })
})
