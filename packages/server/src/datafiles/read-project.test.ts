/**
 * @module Tests for reading a project folder written to a temp dir: discovery, skipped folders, includes, and the
 * diagnostics for broken files and cross-file name conflicts.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readProject, type Diagnostic, type Project } from './index.js'

const lines = (...xs: string[]): string => xs.join('\n')

/** The project tree, path → content. */
const TREE: Record<string, string> = {
  'datasources/events.datasource': lines(
    'SCHEMA >',
    '    `airline` String `json:$.airline`,',
    '    `timestamp` String `json:$.timestamp`',
    '',
    'ENGINE "MergeTree"',
    'ENGINE_SORTING_KEY "airline, timestamp"',
  ),
  'datasources/analytics_hits.datasource': lines(
    'INCLUDE "../includes/description.incl"',
    '',
    'SCHEMA >',
    '    `timestamp` DateTime `json:$.timestamp`,',
    '    `action` String `json:$.action`',
    '',
    'INCLUDE "../includes/kafka.incl" TOPIC=hits',
  ),
  'includes/description.incl': lines('DESCRIPTION >', '    Raw hits'),
  'includes/kafka.incl': lines('KAFKA_CONNECTION_NAME kafka_prod', 'KAFKA_TOPIC $TOPIC'),
  'includes/only_action.incl': lines(
    'NODE only_$ACTION',
    'SQL >',
    "    SELECT * FROM events WHERE action = '$ACTION'",
  ),
  'includes/bad_node.incl': lines('NODE bad', 'SQL >', '    SELECT 1', 'TYPO x'),
  'pipes/buys.pipe': lines(
    'INCLUDE "../includes/only_action.incl" "ACTION=buy"',
    '',
    'NODE counted',
    'SQL >',
    '    SELECT count() FROM only_buy',
  ),
  'endpoints/top_airlines.pipe':
    'TOKEN "top_airlines_read_static" READ\n\nNODE endpoint\nSQL >\n\n    SELECT\n        airline,\n        count() as bookings\n    FROM events\n    GROUP BY airline\n    ORDER BY bookings DESC\n    LIMIT 10\nTYPE endpoint\n\n',
  'materializations/hits_mv.pipe': lines(
    'NODE mv',
    'SQL >',
    '    SELECT toDate(timestamp) AS d, count() AS c FROM analytics_hits GROUP BY d',
    'TYPE MATERIALIZED',
    'DATASOURCE hits_by_day',
  ),
  'broken/oops.datasource': lines('SCHEMA >', '    a Int32,', '    a String'),
  'broken/uses_bad.pipe': lines('# uses a broken include', 'INCLUDE "../includes/bad_node.incl"'),
  'broken/missing.pipe': lines('NODE a', 'INCLUDE "nope.incl"'),
  'copy/events.datasource': lines('SCHEMA >', '    x Int8'),
  'pipes/analytics_hits.pipe': lines('NODE n', 'SQL >', '    SELECT 1'),
  // Skipped folders: never read, even though broken.
  'datasources/fixtures/skipped.datasource': 'NOT A DATAFILE',
  'node_modules/pkg/skipped.pipe': 'NOT A DATAFILE',
  '.tinyb/skipped.pipe': 'NOT A DATAFILE',
  'notes.txt': 'not a datafile',
}

describe('readProject', () => {
  let root = ''
  let project: Project
  let diagnostics: Diagnostic[]

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'dunlin-datafiles-'))
    for (const [rel, content] of Object.entries(TREE)) {
      const abs = path.join(root, rel)
      await mkdir(path.dirname(abs), { recursive: true })
      await writeFile(abs, content)
    }
    ;({ project, diagnostics } = await readProject(root))
  })

  afterAll(async () => {
    await rm(root, { recursive: true, force: true })
  })

  it('returns the files that parsed, sorted by name, with paths relative to the root', () => {
    expect(project.root).toBe(path.resolve(root))
    expect(project.charts).toEqual([])
    expect(project.datasources.map((d) => [d.name, d.file])).toEqual([
      ['analytics_hits', 'datasources/analytics_hits.datasource'],
      ['events', 'copy/events.datasource'],
    ])
    expect(project.pipes.map((p) => [p.name, p.file])).toEqual([
      ['buys', 'pipes/buys.pipe'],
      ['hits_mv', 'materializations/hits_mv.pipe'],
      ['top_airlines', 'endpoints/top_airlines.pipe'],
    ])
  })

  it('resolves includes, with substitution, and keeps line numbers of the including file', () => {
    const hits = project.datasources.find((d) => d.name === 'analytics_hits')!
    expect(hits.description).toBe('Raw hits')
    expect(hits.columns.map((c) => [c.name, c.line])).toEqual([
      ['timestamp', 4],
      ['action', 5],
    ])
    const buys = project.pipes.find((p) => p.name === 'buys')!
    expect(buys.nodes.map((n) => [n.name, n.sqlLine, n.sql])).toEqual([
      ['only_buy', 1, "SELECT * FROM events WHERE action = 'buy'"],
      ['counted', 5, 'SELECT count() FROM only_buy'],
    ])
    expect(project.pipes.find((p) => p.name === 'hits_mv')!.nodes[0]).toMatchObject({
      type: 'materialized',
      datasource: 'hits_by_day',
    })
  })

  it('reports every problem, located in the file holding the offending line', () => {
    expect(diagnostics).toEqual([
      {
        file: 'broken/missing.pipe',
        line: 2,
        column: 9,
        code: 'ERR_DATAFILE_SYNTAX',
        message:
          'Included file `nope.incl` not found; expected a path relative to this file or to the project root.',
      },
      {
        file: 'broken/oops.datasource',
        line: 3,
        column: 5,
        code: 'ERR_DATAFILE_INVALID',
        message: 'Duplicate column `a` (first defined on line 2); column names must be unique.',
      },
      {
        file: 'datasources/events.datasource',
        line: 1,
        column: 1,
        code: 'ERR_DATAFILE_INVALID',
        message:
          'Duplicate data source `events`: also defined in copy/events.datasource; names must be unique in a project.',
      },
      {
        file: 'includes/bad_node.incl',
        line: 4,
        column: 1,
        code: 'ERR_DATAFILE_SYNTAX',
        message: expect.stringMatching(/^Unknown keyword `TYPO` in a \.pipe file/) as unknown,
      },
      {
        file: 'pipes/analytics_hits.pipe',
        line: 1,
        column: 1,
        code: 'ERR_DATAFILE_INVALID',
        message:
          'Pipe `analytics_hits` has the same name as the data source in datasources/analytics_hits.datasource; names must be unique across data sources and pipes.',
      },
    ])
  })

  it('rejects a folder that does not exist', async () => {
    await expect(readProject(path.join(root, 'nope'))).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('reads an empty folder as an empty project', async () => {
    const empty = await mkdtemp(path.join(tmpdir(), 'dunlin-empty-'))
    try {
      expect(await readProject(empty)).toEqual({
        project: { root: path.resolve(empty), datasources: [], pipes: [], charts: [] },
        diagnostics: [],
      })
    } finally {
      await rm(empty, { recursive: true, force: true })
    }
  })
})
