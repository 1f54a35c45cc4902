/** @module Charts: definitions and the embeddable page. */
import type { Hono } from 'hono'
import type { AppEnv } from '../context.js'

/** Registers Charts. */
export function chartRoutes(_app: Hono<AppEnv>): void {
  // Filled in by the module that owns these routes.
}
