/**
 * examples/nextjs-dashboard end to end: `next build` (into this run's own `distDir`, against this run's Dunlin:
 * `NEXT_PUBLIC_TINYBIRD_HOST` is inlined at build time) + `next start` of the example (its own npm project,
 * installed with `npm ci` in its folder; skipped when it is not installed), 5-second tokens, Chromium watching each page
 * across several expiries while events are ingested: the bars change, and no error is ever shown.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hasChromium, launchChromium, watchErrors } from '../helpers/browser.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { EXAMPLES } from './run-example.js'

const APP = join(EXAMPLES, 'nextjs-dashboard')
const NEXT = join(APP, 'node_modules', 'next', 'dist', 'bin', 'next')
const TTL = 5
const installed = existsSync(NEXT)
/** This run's own build folder (`distDir`): concurrent runs on one checkout never share a build. */
const DIST_DIR = `.next-e2e-${process.pid}`

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      probe.close(() => {
        resolve(port)
      })
    })
  })
}

function run(args: string[], env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [NEXT, ...args], {
      cwd: APP,
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const output: string[] = []
    child.stdout.on('data', (c: Buffer) => output.push(c.toString()))
    child.stderr.on('data', (c: Buffer) => output.push(c.toString()))
    child.once('exit', (code) => {
      if (code === 0) resolve()
      else
        reject(new Error(`next ${args.join(' ')} exited with ${String(code)}:\n${output.join('')}`))
    })
  })
}

/** Bookings of a new airline, enough to enter the top 10. */
function bookings(airline: string, n: number): string {
  return Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      timestamp: '2025-06-01 12:00:00',
      transaction_id: `${airline}-${i}`,
      name: `P ${i}`,
      email: `p${i}@example.com`,
      age: 30,
      passport_number: 200000 + i,
      flight_from: 'SFO',
      flight_to: 'JFK',
      extra_bags: 0,
      priority_boarding: 0,
      meal_choice: 'veg',
      airline,
      org_id: 'org_a',
    }),
  ).join('\n')
}

describe.skipIf(!hasChromium || !installed)('examples/nextjs-dashboard', () => {
  let dunlin: TestServer
  let next: ChildProcess | undefined
  let appUrl: string
  let browser: Browser

  beforeAll(async () => {
    dunlin = await startTestServer({ project: 'bookings' })
    // NEXT_PUBLIC_TINYBIRD_HOST is inlined at build time: build against this server.
    // `next build` adds `<distDir>/types/**/*.ts` to tsconfig.json: put the committed file back afterwards.
    const tsconfig = readFileSync(join(APP, 'tsconfig.json'), 'utf8')
    try {
      await run(['build'], { NEXT_PUBLIC_TINYBIRD_HOST: dunlin.url, NEXT_DIST_DIR: DIST_DIR })
    } finally {
      writeFileSync(join(APP, 'tsconfig.json'), tsconfig)
    }
    const port = await freePort()
    appUrl = `http://127.0.0.1:${port}`
    next = spawn(process.execPath, [NEXT, 'start', '-H', '127.0.0.1', '-p', String(port)], {
      cwd: APP,
      env: {
        ...process.env,
        NEXT_TELEMETRY_DISABLED: '1',
        NEXT_DIST_DIR: DIST_DIR,
        NEXT_PUBLIC_TINYBIRD_HOST: dunlin.url,
        TINYBIRD_SIGNING_TOKEN: dunlin.adminToken,
        TINYBIRD_WORKSPACE: dunlin.workspaceId,
        TOKEN_TTL_SECONDS: String(TTL),
      },
      stdio: 'ignore',
    })
    for (let i = 0; i < 100; i++) {
      const up = await fetch(appUrl).then(
        (r) => r.ok,
        () => false,
      )
      if (up) break
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    browser = await launchChromium()
  }, 240_000)

  afterAll(async () => {
    await browser.close()
    if (next?.exitCode === null) {
      const exited = new Promise((resolve) => next?.once('exit', resolve))
      next.kill('SIGTERM')
      await exited
    }
    await dunlin.close()
    rmSync(join(APP, DIST_DIR), { recursive: true, force: true })
  })

  it.each([
    ['guide', 'Dunlin Air', 80],
    ['client', 'Dunlin Express', 120],
  ] as const)(
    '/%s: the bars follow ingested events across token expiries, with no error shown',
    async (route, airline, count) => {
      const page = await browser.newPage()
      // The guide's fetcher meets a 403 on each expired token (then refreshes): the browser logs those.
      const errors = watchErrors(
        page,
        (text) => route === 'guide' && text.includes('status of 403'),
      )
      const actions: number[] = []
      const failures: number[] = []
      page.on('request', (req) => {
        if (req.method() === 'POST' && req.headers()['next-action'] !== undefined)
          actions.push(Date.now())
      })
      page.on('response', (res) => {
        if (res.url().includes('/v0/pipes/') && res.status() >= 400) failures.push(res.status())
      })
      await page.goto(`${appUrl}/${route}`)
      await page.waitForSelector('.bar-row')
      const labels = (): Promise<string[]> =>
        page.evaluate<string[]>(
          `[...document.querySelectorAll('.bar-row')].map((r) => r.getAttribute('data-label') ?? '')`,
        )
      expect(await labels()).not.toContain(airline)

      let ingested = false
      const start = Date.now()
      while (Date.now() - start < TTL * 3.2 * 1000) {
        expect(await page.locator('#error').count()).toBe(0)
        expect(await page.locator('.bar-row').count()).toBeGreaterThan(0)
        expect(await page.textContent('.latency')).toMatch(/Latency: [\d.]+ ms/)
        if (!ingested && Date.now() - start > TTL * 1000) {
          const res = await dunlin.fetch('/v0/events?name=events&wait=true', {
            method: 'POST',
            headers: { authorization: `Bearer ${dunlin.adminToken}` },
            body: bookings(airline, count),
          })
          expect(res.status, await res.text()).toBeLessThan(300)
          ingested = true
        }
        await page.waitForTimeout(500)
      }
      await page.waitForFunction(
        `[...document.querySelectorAll('.bar-row')].some((r) => r.getAttribute('data-label') === ${JSON.stringify(airline)})`,
        undefined,
        { timeout: 10_000 },
      )
      expect((await labels())[0]).toBe(airline) // more bookings than any other: the new top airline
      expect(actions.length).toBeGreaterThanOrEqual(3) // the server action minted a token per lifetime
      if (route === 'client') expect(failures).toEqual([]) // renewed before expiry
      errors.assertClean()
      await page.close()
    },
  )
})
