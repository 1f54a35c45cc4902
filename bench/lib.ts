/** Shared benchmark helpers: closed-loop load with N concurrent clients for a fixed time, percentiles, JSON out. */
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'

export interface LoadResult {
  readonly requests: number
  readonly errors: number
  readonly seconds: number
  readonly rps: number
  readonly p50Ms: number
  readonly p99Ms: number
}

/** Percentile of sorted samples (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}

/** Runs `op` in `clients` closed loops for `seconds`; every call must resolve to true for success. */
export async function load(
  clients: number,
  seconds: number,
  op: () => Promise<boolean>,
): Promise<LoadResult> {
  const latencies: number[] = []
  let errors = 0
  const deadline = performance.now() + seconds * 1000
  const started = performance.now()
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now()
        const ok = await op().catch(() => false)
        latencies.push(performance.now() - t0)
        if (!ok) errors++
      }
    }),
  )
  const elapsed = (performance.now() - started) / 1000
  latencies.sort((a, b) => a - b)
  const r = (x: number): number => Math.round(x * 10) / 10
  return {
    requests: latencies.length,
    errors,
    seconds: r(elapsed),
    rps: r(latencies.length / elapsed),
    p50Ms: r(percentile(latencies, 50)),
    p99Ms: r(percentile(latencies, 99)),
  }
}

/** Writes `bench/results/<name>.json` (latest) with machine facts, and returns its path. */
export function writeResult(name: string, result: Record<string, unknown>): string {
  const dir = join(import.meta.dirname, 'results')
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `${name}.json`)
  writeFileSync(
    file,
    `${JSON.stringify({ name, at: new Date().toISOString(), machine: { cpus: cpus().length, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version }, ...result }, null, 2)}\n`,
  )
  return file
}
