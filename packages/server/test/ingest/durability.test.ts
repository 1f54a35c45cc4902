import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { FIXTURES } from '../helpers/server.js'
import { booking } from './helpers.js'

const CHILD = fileURLToPath(new URL('./child-server.ts', import.meta.url))
const PROJECT = join(FIXTURES, 'datafiles', 'bookings')
const dirs: string[] = []

interface Child {
  readonly proc: ChildProcess
  readonly url: string
  readonly token: string
}

async function startChild(dataDir: string): Promise<Child> {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, PROJECT], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  proc.stderr.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  const rl = createInterface({ input: proc.stdout })
  const first = await new Promise<string>((resolve, reject) => {
    rl.once('line', resolve)
    proc.once('exit', (code) => {
      reject(new Error(`child exited ${String(code)}: ${stderr}`))
    })
  })
  const { url, adminToken } = JSON.parse(first) as { url: string; adminToken: string }
  return { proc, url, token: adminToken }
}

const exited = (p: ChildProcess): Promise<number | null> =>
  p.exitCode !== null || p.signalCode !== null
    ? Promise.resolve(p.exitCode)
    : new Promise((r) => p.once('exit', r))

async function countByTx(c: Child, prefix: string): Promise<Map<string, number>> {
  const q = `SELECT transaction_id AS id, count() AS n FROM events WHERE startsWith(transaction_id, '${prefix}') GROUP BY id FORMAT JSON`
  const res = await fetch(`${c.url}/v0/sql?q=${encodeURIComponent(q)}`, {
    headers: { Authorization: `Bearer ${c.token}` },
  })
  const j = (await res.json()) as { data: { id: string; n: number }[] }
  return new Map(j.data.map((r) => [r.id, r.n]))
}

function batch(prefix: string, b: number, size: number): string {
  let s = ''
  for (let i = 0; i < size; i++)
    s += JSON.stringify(booking(i, { transaction_id: `${prefix}${String(b)}_${String(i)}` })) + '\n'
  return s
}

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

describe('durability (server in a child process)', () => {
  it('keeps every acknowledged wait=true row exactly once across a SIGKILL', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'dunlin-dur-'))
    dirs.push(dataDir)
    const c = await startChild(dataDir)
    const acked: number[] = []
    let next = 0
    let stop = false
    const sender = async (): Promise<void> => {
      while (!stop) {
        const b = next++
        try {
          const res = await fetch(`${c.url}/v0/events?name=events&wait=true`, {
            method: 'POST',
            body: batch('k', b, 50),
            headers: { Authorization: `Bearer ${c.token}` },
          })
          if (res.status === 200) acked.push(b)
        } catch {
          return // the server died mid-request: not acknowledged
        }
      }
    }
    const senders = Array.from({ length: 4 }, sender)
    await new Promise((r) => setTimeout(r, 2_000))
    c.proc.kill('SIGKILL')
    stop = true
    await Promise.all(senders)
    await exited(c.proc)
    expect(acked.length).toBeGreaterThan(5)

    const again = await startChild(dataDir)
    try {
      const counts = await countByTx(again, 'k')
      for (const b of acked) {
        for (let i = 0; i < 50; i++) expect(counts.get(`k${String(b)}_${String(i)}`)).toBe(1)
      }
      for (const n of counts.values()) expect(n).toBe(1)
    } finally {
      again.proc.kill('SIGTERM')
      await exited(again.proc)
    }
  })

  it('drains accepted 202 rows on SIGTERM before exiting', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'dunlin-dur-'))
    dirs.push(dataDir)
    const c = await startChild(dataDir)
    let accepted = 0
    for (let b = 0; b < 20; b++) {
      const res = await fetch(`${c.url}/v0/events?name=events`, {
        method: 'POST',
        body: batch('s', b, 100),
        headers: { Authorization: `Bearer ${c.token}` },
      })
      expect(res.status).toBe(202)
      accepted += ((await res.json()) as { successful_rows: number }).successful_rows
    }
    c.proc.kill('SIGTERM')
    expect(await exited(c.proc)).toBe(0)
    const again = await startChild(dataDir)
    try {
      const counts = await countByTx(again, 's')
      expect(counts.size).toBe(accepted)
    } finally {
      again.proc.kill('SIGTERM')
      await exited(again.proc)
    }
  })
})
