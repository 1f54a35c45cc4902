/** @module Events API: `POST /v0/events` (NDJSON ingest with quarantine). */
import type { Hono } from 'hono'
import type { AppEnv } from '../context.js'

/** Registers Events API. */
export function eventsRoutes(_app: Hono<AppEnv>): void {
  // Filled in by the module that owns these routes.
}
