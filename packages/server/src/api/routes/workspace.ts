/** @module Workspace routes: `/v1/workspace`, the local-mode `/tokens`, health and readiness. */
import type { Hono } from 'hono'
import { getConnInfo } from '@hono/node-server/conninfo'
import { ServerError } from '../../errors.js'
import { authenticate, requireAdmin } from '../authn.js'
import type { AppEnv } from '../context.js'

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/

/** Registers workspace, local-mode and health routes. */
export function workspaceRoutes(app: Hono<AppEnv>): void {
  app.get('/v1/workspace', async (c) => {
    await authenticate(c, { allowJwt: false })
    const ws = c.get('deps').workspace.info
    return c.json({ id: ws.id, name: ws.name })
  })

  // Tinybird Local's token route, so `tb`/SDK tooling finds its tokens. Local mode and loopback only.
  app.get('/tokens', (c) => {
    const deps = c.get('deps')
    let remote: string | undefined
    try {
      remote = getConnInfo(c).remote.address
    } catch {
      remote = undefined
    }
    if (!deps.config.local || remote === undefined || !LOOPBACK.test(remote)) {
      throw new ServerError('ERR_REQUEST_NOT_FOUND', 'Not found')
    }
    const admin = deps.workspace.adminToken()
    return c.json({ admin_token: admin, user_token: admin, workspace_admin_token: admin })
  })

  // Prometheus scrape endpoint; needs an admin token (scrapers send it as a bearer token).
  app.get('/metrics', async (c) => {
    requireAdmin(await authenticate(c, { allowJwt: false }))
    const { registry } = c.get('deps').metrics
    c.header('Content-Type', registry.contentType)
    return c.body(await registry.metrics())
  })

  app.get('/health', (c) => c.json({ status: 'ok' }))
  // Readiness: the engine answers (a remote server may be down while this process lives).
  app.get('/ready', async (c) => {
    try {
      await c.get('deps').engine.query('SELECT 1', { format: 'JSON', timeoutMs: 2_000 })
    } catch (e) {
      throw new ServerError('ERR_UNAVAILABLE', 'The engine does not answer', { cause: e })
    }
    return c.json({ status: 'ready', workspace: c.get('deps').workspace.info.name })
  })
}
