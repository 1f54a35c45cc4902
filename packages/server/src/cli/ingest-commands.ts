/** @module CLI commands for writing data: `append`, `datasource …`, `mock`. Owned by the ingest area. */
import type { Command } from 'commander'
import type { Io } from './commands.js'

/** Adds the ingest commands to `program`. */
export function registerIngestCommands(_program: Command, _io: Io): void {
  // Filled in by the ingest area.
}
