/** @module Data Sources API, write side: create, append, replace, truncate, delete, drop; jobs. */
import type { Hono } from 'hono'
import type { AppEnv } from '../context.js'

/** Registers Data Sources API, write side. */
export function datasourceWriteRoutes(_app: Hono<AppEnv>): void {
  // Filled in by the module that owns these routes.
}
