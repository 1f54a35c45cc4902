import { mkdtempSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { projectFingerprint } from './watch-project.js'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

describe('projectFingerprint()', () => {
  it('changes on an in-place edit, a rename-style save and a new file; ignores other files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dunlin-watch-'))
    dirs.push(dir)
    mkdirSync(join(dir, 'pipes'))
    const pipe = join(dir, 'pipes', 'a.pipe')
    writeFileSync(pipe, 'NODE a\nSQL >\n    SELECT 1\n')
    const f0 = await projectFingerprint(dir)
    writeFileSync(join(dir, 'notes.txt'), 'not a datafile')
    expect(await projectFingerprint(dir)).toBe(f0)
    writeFileSync(pipe, 'NODE a\nSQL >\n    SELECT 12\n')
    const f1 = await projectFingerprint(dir)
    expect(f1).not.toBe(f0)
    writeFileSync(`${pipe}.tmp`, 'NODE a\nSQL >\n    SELECT 123\n')
    renameSync(`${pipe}.tmp`, pipe)
    const f2 = await projectFingerprint(dir)
    expect(f2).not.toBe(f1)
    writeFileSync(join(dir, 'pipes', 'b.pipe'), 'NODE b\nSQL >\n    SELECT 2\n')
    expect(await projectFingerprint(dir)).not.toBe(f2)
  })
  it('is empty for a missing folder', async () => {
    expect(await projectFingerprint(join(tmpdir(), 'dunlin-no-such-folder'))).toBe('')
  })
})
