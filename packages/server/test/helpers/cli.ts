/** Runs the `dunlin` CLI from source (through tsx) against a test server, as a user would from a shell. */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { TestServer } from './server.js'

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))
const run = promisify(execFile)

/** `dunlin <args> --host <t.url> --token <t's admin token>`; rejects when it exits non-zero. */
export function dunlinCli(
  t: TestServer,
  ...args: string[]
): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [
    '--import',
    'tsx',
    MAIN,
    ...args,
    '--host',
    t.url,
    '--token',
    t.adminToken,
  ])
}
