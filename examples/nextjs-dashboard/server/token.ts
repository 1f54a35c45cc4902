/* eslint-disable -- Tinybird's guide code as published, kept as is to prove compatibility (not typed to this repo's rules). */
'use server'

import jwt from 'jsonwebtoken'

const TINYBIRD_SIGNING_TOKEN = process.env.TINYBIRD_SIGNING_TOKEN ?? ''
const WORKSPACE_ID = process.env.TINYBIRD_WORKSPACE ?? ''
const PIPE_ID = 'top_airlines'
// Dunlin example: the guide's 10 minutes, overridable for the end-to-end test.
const TTL_MS = 1000 * Number(process.env.TOKEN_TTL_SECONDS ?? 60 * 10)

export async function generateJWT() {
  const next10minutes = new Date()
  next10minutes.setTime(next10minutes.getTime() + TTL_MS)

  const payload = {
    workspace_id: WORKSPACE_ID,
    name: 'my_demo_jwt',
    exp: Math.floor(next10minutes.getTime() / 1000),
    scopes: [
      {
        type: 'PIPES:READ',
        resource: PIPE_ID,
      },
    ],
  }

  return jwt.sign(payload, TINYBIRD_SIGNING_TOKEN, { noTimestamp: true })
}
