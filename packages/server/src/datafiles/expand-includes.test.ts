/** @module Unit tests for INCLUDE expansion over an in-memory reader: substitution, line map, missing files, cycles. */
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ServerError } from '../errors.js'
import { expandIncludes, substitute } from './expand-includes.js'

const ROOT = path.resolve('/project')
const at = (rel: string): string => path.join(ROOT, rel)

/** An in-memory reader: absolute path → content. */
const reader =
  (files: Record<string, string>) =>
  (abs: string): Promise<string | undefined> =>
    Promise.resolve(files[path.relative(ROOT, abs).split(path.sep).join('/')])

describe('substitute (Python string.Template.safe_substitute)', () => {
  it.each([
    ['$NAME', 'SELECT $COL', { COL: 'a' }, 'SELECT a'],
    ['${NAME}', 'x_${SUFFIX}_y', { SUFFIX: 'v1' }, 'x_v1_y'],
    ['$$ escapes', 'cost $$5', {}, 'cost $5'],
    ['unknown stays', 'keep $OTHER and ${X}', { COL: 'a' }, 'keep $OTHER and ${X}'],
    ['lone $', 'a $ b', {}, 'a $ b'],
  ])('%s', (_name, text, vars, out) => {
    expect(substitute(text, new Map(Object.entries(vars)))).toBe(out)
  })
})

describe('expandIncludes', () => {
  it('replaces INCLUDE lines, substitutes KEY=value and maps lines back', async () => {
    const files = {
      'includes/node.incl':
        "NODE only_$ACTION\nSQL >\n    SELECT * FROM events WHERE action = '$ACTION'\n",
    }
    const text = 'INCLUDE "../includes/node.incl" "ACTION=buy"\n\nNODE endpoint'
    const out = await expandIncludes(text, at('pipes/p.pipe'), ROOT, reader(files))
    expect(out.text).toBe(
      "NODE only_buy\nSQL >\n    SELECT * FROM events WHERE action = 'buy'\n\n\nNODE endpoint",
    )
    expect(out.origins.map((o) => `${o.file}:${o.line}@${o.topLine}`)).toEqual([
      'includes/node.incl:1@1',
      'includes/node.incl:2@1',
      'includes/node.incl:3@1',
      'includes/node.incl:4@1',
      'pipes/p.pipe:2@2',
      'pipes/p.pipe:3@3',
    ])
  })

  it('resolves nested includes relative to the including file, then to the root', async () => {
    const files = {
      'includes/a.incl': 'INCLUDE "b.incl"',
      'includes/b.incl': 'X',
      'shared.incl': 'Y',
    }
    const out = await expandIncludes(
      'INCLUDE "../includes/a.incl"\nINCLUDE shared.incl',
      at('pipes/p.pipe'),
      ROOT,
      reader(files),
    )
    expect(out.text).toBe('X\nY')
    expect(out.origins[0]).toEqual({ file: 'includes/b.incl', line: 1, topLine: 1 })
  })

  it.each([
    [
      'missing file',
      {},
      'INCLUDE "nope.incl"',
      'pipes/p.pipe',
      1,
      9,
      /Included file `nope.incl` not found/,
    ],
    [
      'cycle',
      { 'pipes/a.incl': 'INCLUDE "a.incl"' },
      'x\nINCLUDE "a.incl"',
      'pipes/a.incl',
      1,
      9,
      /forms a cycle/,
    ],
    [
      'bad variable',
      { 'pipes/a.incl': '' },
      'INCLUDE "a.incl" nokey',
      'pipes/p.pipe',
      1,
      18,
      /Expected `KEY=value`/,
    ],
  ])(
    'reports a %s at the INCLUDE line',
    async (_name, files, text, file, line, column, message) => {
      const e = await expandIncludes(text, at('pipes/p.pipe'), ROOT, reader(files)).then(
        () => undefined,
        (err: unknown) => err,
      )
      expect(e).toBeInstanceOf(ServerError)
      expect(e).toMatchObject({ code: 'ERR_DATAFILE_SYNTAX', details: { file, line, column } })
      expect((e as ServerError).message).toMatch(message)
    },
  )
})
