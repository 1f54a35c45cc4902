/** @module Token API: `/v0/tokens`. */
import type { Hono } from 'hono'
import type { AppEnv } from '../context.js'

/** Registers Token API. */
export function tokenRoutes(_app: Hono<AppEnv>): void {
  // Filled in by the module that owns these routes.
}
