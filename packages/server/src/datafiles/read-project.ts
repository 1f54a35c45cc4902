/**
 * @module Reads a Tinybird project folder: finds every `.datasource` and `.pipe`, resolves `INCLUDE`s, parses them
 * and collects every problem as a {@link Diagnostic}. The only I/O in `datafiles/` (`node:fs/promises`).
 */
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { datafileErrorDetails } from './datafile-error.js'
import { displayPath, expandIncludes, type LineOrigin } from './expand-includes.js'
import { parseDatasource } from './parse-datasource.js'
import { parsePipe } from './parse-pipe.js'
import type { DatasourceFile, Diagnostic, PipeFile, Project } from './types.js'

const SKIPPED_DIRS = new Set(['node_modules', 'fixtures'])

async function walk(dir: string, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true })
  for (const e of entries) {
    const abs = path.join(dir, e.name)
    if (e.isDirectory()) {
      if (e.name.startsWith('.') || SKIPPED_DIRS.has(e.name)) continue
      await walk(abs, out)
    } else if (e.isFile() && /\.(datasource|pipe)$/.test(e.name)) {
      out.push(abs)
    }
  }
}

async function readIfExists(abs: string): Promise<string | undefined> {
  try {
    return await readFile(abs, 'utf8')
  } catch (e) {
    if (e instanceof Error && 'code' in e && (e.code === 'ENOENT' || e.code === 'EISDIR'))
      return undefined
    throw e
  }
}

function originOf(origins: readonly LineOrigin[], line: number): LineOrigin | undefined {
  if (origins.length === 0) return undefined
  return origins[Math.min(Math.max(line, 1), origins.length) - 1]
}

function byName<T extends { name: string; file: string }>(a: T, b: T): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1
  return a.file < b.file ? -1 : a.file > b.file ? 1 : 0
}

/**
 * Reads every `*.datasource` and `*.pipe` under `dir`, recursively, skipping `node_modules`, dot-folders and
 * `fixtures` folders; resolves `INCLUDE "x.incl" [KEY=value]` textually (relative to the including file, then to
 * `dir`); parses everything and checks names are unique across the project.
 *
 * Shape: `{ project, diagnostics }`. `project` holds every file that parsed (sorted by name; `file` is the path
 * relative to `project.root`, `/`-separated; `line`/`sqlLine` of text that came from an include point at the
 * `INCLUDE` line). `diagnostics` holds one entry per file that failed (its first error, located in the file that
 * holds the offending line, which may be an `.incl`) plus one per cross-file conflict (duplicate data source or
 * pipe name, a pipe named like a data source), sorted by file then line. Reading does not stop at the first
 * problem; callers refuse to deploy when `diagnostics` is not empty.
 *
 * @param dir - Project folder (absolute, or relative to the process cwd).
 * @throws Node's fs error when `dir` itself cannot be listed (e.g. `ENOENT`): that is not a datafile problem.
 * @see https://www.tinybird.co/docs/forward/dev-reference/datafiles (project layout)
 * @see https://www.tinybird.co/docs/classic/cli/datafiles/pipe-files (INCLUDE)
 */
export async function readProject(
  dir: string,
): Promise<{ project: Project; diagnostics: Diagnostic[] }> {
  const root = path.resolve(dir)
  const files: string[] = []
  await walk(root, files)
  files.sort()
  const diagnostics: Diagnostic[] = []
  const datasources: DatasourceFile[] = []
  const pipes: PipeFile[] = []

  for (const abs of files) {
    const rel = displayPath(root, abs)
    let origins: LineOrigin[] = []
    try {
      const text = await readFile(abs, 'utf8')
      const expanded = await expandIncludes(text, abs, root, readIfExists)
      origins = expanded.origins
      const top = (line: number): number => originOf(origins, line)?.topLine ?? line
      if (abs.endsWith('.datasource')) {
        const ds = parseDatasource(expanded.text, rel)
        for (const c of ds.columns) c.line = top(c.line)
        datasources.push(ds)
      } else {
        const pipe = parsePipe(expanded.text, rel)
        for (const n of pipe.nodes) n.sqlLine = top(n.sqlLine)
        pipes.push(pipe)
      }
    } catch (e) {
      const d = datafileErrorDetails(e)
      if (d === undefined) {
        const reason = e instanceof Error && 'code' in e ? String(e.code) : 'read error'
        diagnostics.push({
          file: rel,
          line: 1,
          column: 1,
          message: `Cannot read the file (${reason}).`,
          code: 'ERR_DATAFILE_SYNTAX',
        })
        continue
      }
      // Errors raised by the include expander already name the file that holds the INCLUDE line.
      const o = d.file === rel ? originOf(origins, d.line) : undefined
      diagnostics.push({
        file: o?.file ?? d.file,
        line: o?.line ?? d.line,
        column: d.column,
        message: d.message,
        code: d.code,
      })
    }
  }

  const keptDatasources = dedupe(datasources, 'data source', diagnostics)
  const dsNames = new Map(keptDatasources.map((d) => [d.name, d.file]))
  const keptPipes = dedupe(pipes, 'pipe', diagnostics).filter((p) => {
    const other = dsNames.get(p.name)
    if (other === undefined) return true
    diagnostics.push({
      file: p.file,
      line: 1,
      column: 1,
      message: `Pipe \`${p.name}\` has the same name as the data source in ${other}; names must be unique across data sources and pipes.`,
      code: 'ERR_DATAFILE_INVALID',
    })
    return false
  })
  diagnostics.sort((a, b) =>
    a.file !== b.file ? (a.file < b.file ? -1 : 1) : a.line - b.line || a.column - b.column,
  )
  return {
    project: { root, datasources: keptDatasources, pipes: keptPipes, charts: [] },
    diagnostics,
  }
}

/** Keeps the first file (by path) of each name; every later one becomes a diagnostic. */
function dedupe<T extends { name: string; file: string }>(
  items: readonly T[],
  what: string,
  diagnostics: Diagnostic[],
): T[] {
  const first = new Map<string, T>()
  for (const item of [...items].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))) {
    const prev = first.get(item.name)
    if (prev === undefined) {
      first.set(item.name, item)
      continue
    }
    diagnostics.push({
      file: item.file,
      line: 1,
      column: 1,
      message: `Duplicate ${what} \`${item.name}\`: also defined in ${prev.file}; names must be unique in a project.`,
      code: 'ERR_DATAFILE_INVALID',
    })
  }
  return [...first.values()].sort(byName)
}
