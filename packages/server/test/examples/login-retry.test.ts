/**
 * examples/login-retry end to end in real Chromium, against the server in 403 mode (Tinybird's) and 401 mode
 * (seed 004's): two tenants log in, each sees exactly its own rows; after the 2-second token expired, a refresh
 * logs in again (the hand-written loop after a 401/403, the client before expiry) and still shows only the
 * tenant's rows.
 */
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hasChromium, launchChromium, watchErrors } from '../helpers/browser.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { runExample, type RunningExample } from './run-example.js'

const TTL_SECONDS = 2
const TENANTS = { alice: 'org_a', bob: 'org_b' } as const

type TableRow = Record<string, string>

/** The rendered table as objects (a string expression: this tsconfig has no DOM types). */
async function readTable(page: Page): Promise<TableRow[]> {
  return page.evaluate<TableRow[]>(`(() => {
    const headers = [...document.querySelectorAll('#rows thead th')].map((th) => th.textContent)
    return [...document.querySelectorAll('#rows tbody tr')].map((tr) =>
      Object.fromEntries([...tr.querySelectorAll('td')].map((td, i) => [headers[i] ?? '', td.textContent])),
    )
  })()`)
}

async function logins(page: Page): Promise<number> {
  return Number(await page.textContent('#logins'))
}

describe.skipIf(!hasChromium).each([403, 401] as const)(
  'examples/login-retry, auth failures → %i',
  (status) => {
    let dunlin: TestServer
    let app: RunningExample
    let browser: Browser
    const expected = new Map<string, TableRow[]>()

    beforeAll(async () => {
      dunlin = await startTestServer({
        project: 'bookings',
        config: { auth: { failureStatus: status } },
      })
      app = await runExample('login-retry', {
        DUNLIN_HOST: dunlin.url,
        DUNLIN_SIGNING_TOKEN: dunlin.adminToken,
        DUNLIN_WORKSPACE_ID: dunlin.workspaceId,
        TOKEN_TTL_SECONDS: String(TTL_SECONDS),
        PIPE: 'org_bookings',
        TENANT_PARAM: 'org_id',
        USERS: Object.entries(TENANTS)
          .map(([user, org]) => `${user}:${org}`)
          .join(','),
      })
      for (const org of Object.values(TENANTS)) {
        const res = await dunlin.fetch(`/v0/pipes/org_bookings.json?org_id=${org}`, {
          headers: { authorization: `Bearer ${dunlin.adminToken}` },
        })
        const body = (await res.json()) as { data: Record<string, unknown>[] }
        expected.set(
          org,
          body.data.map((row) =>
            Object.fromEntries(Object.entries(row).map(([k, v]) => [k, String(v)])),
          ),
        )
      }
      browser = await launchChromium()
    })

    afterAll(async () => {
      await browser.close()
      await app.stop()
      await dunlin.close()
    })

    it.each(['manual', 'dunlin'] as const)(
      'client=%s: each tenant sees only its rows, also after the token expired',
      async (mode) => {
        const sessions = await Promise.all(
          Object.entries(TENANTS).map(async ([user, org]) => {
            const context = await browser.newContext()
            const page = await context.newPage()
            // The browser logs every 401/403 the page provokes on purpose as a console error.
            const errors = watchErrors(page, (text) => /status of 40[13]/.test(text))
            const authFailures: number[] = []
            page.on('response', (res) => {
              if (res.url().includes('/v0/pipes/') && res.status() === status)
                authFailures.push(status)
            })
            await page.goto(`${app.url}/?client=${mode}`)
            await page.fill('input[name=username]', user)
            await page.fill('input[name=password]', 'demo')
            await page.click('button[type=submit]')
            await page.waitForSelector('#rows tbody tr')
            return { user, org, context, page, errors, authFailures }
          }),
        )
        for (const s of sessions) {
          const rows = await readTable(s.page)
          expect(rows.length).toBeGreaterThan(0)
          expect(rows).toEqual(expected.get(s.org))
          expect(new Set(rows.map((r) => r['org_id']))).toEqual(new Set([s.org]))
          expect(await s.page.textContent('#tenant')).toBe(s.org)
          expect(await logins(s.page)).toBeGreaterThanOrEqual(1)
        }

        await new Promise((resolve) => setTimeout(resolve, (TTL_SECONDS + 1) * 1000))

        for (const s of sessions) {
          const before = await logins(s.page)
          const stamp = await s.page.textContent('#status')
          await s.page.click('#refresh')
          await s.page.waitForFunction(
            `document.querySelector('#status')?.textContent !== ${JSON.stringify(stamp)}`,
          )
          expect(await s.page.textContent('#error')).toBe('')
          const rows = await readTable(s.page)
          expect(rows).toEqual(expected.get(s.org))
          expect(new Set(rows.map((r) => r['org_id']))).toEqual(new Set([s.org]))
          if (mode === 'manual') {
            // The seed's loop: the expired token met a 401/403, one login, one retry.
            expect(s.authFailures).toEqual([status])
            expect(await logins(s.page)).toBe(before + 1)
          } else {
            // The client refreshed before expiry (through the login provider): no failed request at all.
            expect(await logins(s.page)).toBeGreaterThan(1)
            expect(s.authFailures).toEqual([])
          }
          s.errors.assertClean()
          await s.context.close()
        }
      },
    )
  },
)
