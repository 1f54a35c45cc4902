import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { FIXTURES } from '../helpers/server.js'

// The built CLI (`npm test` runs `tsc -b` first, which emits packages/server/dist).
const CLI = fileURLToPath(new URL('../../bin/dunlin.js', import.meta.url))

const run = (...args: string[]): { status: number | null; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('dunlin check', () => {
  it('is built', () => {
    expect(existsSync(CLI)).toBe(true)
  })

  it('passes a valid project', () => {
    const r = run('check', `${FIXTURES}datafiles/bookings`)
    expect(r.stderr).toBe('')
    expect(r.stdout).toMatch(/^ok: 4 data sources, 9 pipes/)
    expect(r.status).toBe(0)
  })

  it('fails with file:line:col errors for each broken datafile', () => {
    const r = run('check', `${FIXTURES}datafiles/broken`)
    expect(r.status).toBe(1)
    const lines = r.stderr.trim().split('\n')
    expect(lines.find((l) => l.includes('bad_keyword.pipe'))).toMatch(
      /bad_keyword\.pipe:2:1: .*SQLL/,
    )
    expect(lines.find((l) => l.includes('bad_template.pipe'))).toMatch(
      /bad_template\.pipe:\d+:\d+: .*end/i,
    )
    expect(lines.find((l) => l.includes('unknown_table.pipe'))).toMatch(
      /unknown_table\.pipe:\d+:\d+: .*missing_datasource/,
    )
  })

  it('prints --help for every command', () => {
    for (const cmd of [[], ['start'], ['dev'], ['check'], ['sql'], ['token', 'create', 'jwt']]) {
      const r = run(...cmd, '--help')
      expect(r.status, cmd.join(' ')).toBe(0)
      expect(r.stdout, cmd.join(' ')).toMatch(/^Usage: dunlin/)
    }
  })
})
