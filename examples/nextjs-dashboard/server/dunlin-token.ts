'use server'

import { createJWT } from '@dunlin/client'

/**
 * The guide's `generateJWT`, with `@dunlin/client`'s `createJWT` (refuses a token without `exp` or scopes).
 * A server action: the browser calls it as a plain async function, and `createClient` takes it as the token.
 */
export async function generateDunlinJWT(): Promise<string> {
  return createJWT(process.env.TINYBIRD_SIGNING_TOKEN ?? '', {
    workspaceId: process.env.TINYBIRD_WORKSPACE ?? '',
    name: 'my_demo_jwt',
    expiresIn: Number(process.env.TOKEN_TTL_SECONDS ?? 600), // 10 minutes, as the guide
    scopes: [{ type: 'PIPES:READ', resource: 'top_airlines' }],
  })
}
