/**
 * @module Watches a project folder for datafile changes by polling a fingerprint. Node 20's recursive
 * `fs.watch` on Linux stops reporting a file once an editor saves it by rename (vim, `sed -i`, "atomic save"),
 * measured; polling mtimes and sizes every half second is robust to every save style and cheap for a project.
 */
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'

const DATAFILE = /\.(datasource|pipe|incl|chart)$/

/**
 * A fingerprint of every datafile under `dir`: path, size and mtime, sorted. Missing folders give ''.
 */
export async function projectFingerprint(dir: string): Promise<string> {
  let names: string[]
  try {
    names = await readdir(dir, { recursive: true })
  } catch {
    return ''
  }
  const parts: string[] = []
  for (const name of names.filter((n) => DATAFILE.test(n) && !n.includes('node_modules')).sort()) {
    try {
      const s = await stat(join(dir, name))
      parts.push(`${name}:${s.size}:${s.mtimeMs}`)
    } catch {
      // deleted between readdir and stat: the next poll sees it gone
    }
  }
  return parts.join('\n')
}

/**
 * Calls `onChange` (never concurrently) after the datafiles under `dir` change.
 *
 * @param intervalMs - Poll period, in milliseconds. Default 500.
 * @returns a function that stops watching.
 */
export function watchProject(
  dir: string,
  onChange: () => Promise<void>,
  intervalMs = 500,
): () => void {
  let last: string | undefined
  let running = false
  let stopped = false
  const tick = async (): Promise<void> => {
    if (running || stopped) return
    running = true
    try {
      const now = await projectFingerprint(dir)
      if (last !== undefined && now !== last) await onChange()
      last = now
    } finally {
      running = false
    }
  }
  void tick()
  const timer = setInterval(() => void tick(), intervalMs)
  return () => {
    stopped = true
    clearInterval(timer)
  }
}
