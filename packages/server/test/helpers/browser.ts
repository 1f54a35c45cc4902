/**
 * Headless Chromium for browser tests: Debian's `chromium` driven by `playwright-core` (which downloads no
 * browser). Network is closed to everything but loopback. Tests fail on page errors and console errors.
 */
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core'

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium'

/** Where screenshots go (gitignored). */
export const TEST_OUTPUT = join(import.meta.dirname, '..', '..', '..', '..', 'test-output')

/** True when Chromium is installed (CI installs it in .ci/run). */
export const hasChromium = existsSync(CHROMIUM)

/** Launches Chromium with the flags measured to keep it off the network. */
export function launchChromium(): Promise<Browser> {
  mkdirSync(TEST_OUTPUT, { recursive: true })
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
    ],
  })
}

/**
 * Collects page errors and console errors on `page`; call `assertClean()` at the end of a test.
 * `allow` filters expected messages (e.g. a 403 the test provokes on purpose).
 */
export function watchErrors(
  page: Page,
  allow: (text: string) => boolean = () => false,
): { errors: string[]; assertClean(): void } {
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`))
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error' && !allow(m.text())) errors.push(`console: ${m.text()}`)
  })
  return {
    errors,
    assertClean() {
      if (errors.length > 0) throw new Error(`browser errors:\n${errors.join('\n')}`)
    },
  }
}
