import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { CATALOGUE, CustomTemplateError, ServerError, isServerError } from './errors.js'

const DOC = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8')
const documented = new Map(
  [...DOC.matchAll(/^\|\s*`(ERR_[A-Z_]+)`\s*\|\s*(\d{3})\s*\|/gm)].map((m) => [
    m[1]!,
    Number(m[2]),
  ]),
)

describe('error catalogue', () => {
  it('documents every code in docs/errors.md with its status', () => {
    for (const [code, entry] of Object.entries(CATALOGUE)) {
      expect(documented.get(code), `${code} row in docs/errors.md`).toBe(entry.status)
    }
  })
  it('has no row in docs/errors.md without a code', () => {
    for (const code of documented.keys()) expect(Object.keys(CATALOGUE)).toContain(code)
  })
  it('takes the status from the catalogue, never from the throw site', () => {
    const e = new ServerError('ERR_ENGINE_TIMEOUT', 'Query timed out')
    expect(e).toMatchObject({ code: 'ERR_ENGINE_TIMEOUT', status: 408, message: 'Query timed out' })
    expect(isServerError(e, 'ERR_ENGINE_TIMEOUT')).toBe(true)
    expect(isServerError(e, 'ERR_INTERNAL')).toBe(false)
  })
  it('clamps a custom_error status outside 4xx/5xx to 400', () => {
    expect(new CustomTemplateError({ a: 1 }, 200).status).toBe(400)
    expect(new CustomTemplateError('x', 418).status).toBe(418)
  })
})
