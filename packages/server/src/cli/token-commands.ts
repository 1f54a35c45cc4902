/** @module CLI commands for tokens and keys beyond `token create jwt`. Owned by the tokens area. */
import type { Command } from 'commander'
import type { Io } from './commands.js'

/** Adds token and key commands; `token` is the existing `dunlin token` command. */
export function registerTokenCommands(_program: Command, _token: Command, _io: Io): void {
  // Filled in by the tokens area.
}
