/**
 * @module `.chart` datafiles: one chart per file, one `KEYWORD value` per line, in the style of `.pipe`
 * files. Parses text into the wire form and validates it; reads a project's chart files from disk.
 */
import { readdir, readFile } from 'node:fs/promises'
import { basename, join, relative } from 'node:path'
import { parseWireSpec, type ChartSpec } from './spec.js'

/** A problem in a `.chart` file, 1-based position. */
export interface ChartFileProblem {
  readonly line: number
  readonly column: number
  readonly message: string
}

/** A parsed `.chart` file. `spec` is set when the file is valid. */
export interface ChartFile {
  /** Path relative to the project root, `/`-separated. */
  readonly file: string
  /** The pipe the chart belongs to (`PIPE`), if given. */
  readonly pipe: string | undefined
  /** 1-based line of `PIPE`, for messages about the pipe. */
  readonly pipeLine: number
  readonly spec: ChartSpec | undefined
  readonly problems: readonly ChartFileProblem[]
}

type Kind = 'text' | 'list' | 'bool' | 'int' | 'map'

/** Keyword → the wire key and how its value is read. */
const KEYWORDS: Readonly<Record<string, { key: string; kind: Kind }>> = {
  NAME: { key: 'name', kind: 'text' },
  TYPE: { key: 'type', kind: 'text' },
  TITLE: { key: 'title', kind: 'text' },
  DESCRIPTION: { key: 'description', kind: 'text' },
  INDEX: { key: 'index', kind: 'text' },
  CATEGORIES: { key: 'categories', kind: 'list' },
  COLORS: { key: 'colors', kind: 'list' },
  STACKED: { key: 'stacked', kind: 'bool' },
  VALUE_FORMAT: { key: 'value_format', kind: 'text' },
  DECIMALS: { key: 'decimals', kind: 'int' },
  PREFIX: { key: 'prefix', kind: 'text' },
  SUFFIX: { key: 'suffix', kind: 'text' },
  INDEX_FORMAT: { key: 'index_format', kind: 'text' },
  REFRESH_INTERVAL: { key: 'refresh_interval', kind: 'int' },
  PARAMS: { key: 'params', kind: 'list' },
  DEFAULT_PARAMS: { key: 'default_params', kind: 'map' },
}

const unquote = (s: string): string =>
  s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1) : s

/**
 * Parses the text of a `.chart` file.
 *
 * Shape: see {@link ChartFile}. The chart's name defaults to the file name without `.chart`.
 *
 * @param file - Path for messages (relative to the project root).
 * @example
 * ```
 * PIPE top_airlines
 * TYPE bar
 * INDEX airline
 * CATEGORIES bookings
 * ```
 */
export function parseChartFile(file: string, text: string): ChartFile {
  const problems: ChartFileProblem[] = []
  const wire: Record<string, unknown> = { name: basename(file).replace(/\.chart$/, '') }
  const at = new Map<string, { line: number; column: number }>()
  let pipe: string | undefined
  let pipeLine = 1
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? ''
    const trimmed = raw.trim()
    if (trimmed === '' || trimmed.startsWith('#')) continue
    const line = i + 1
    const column = raw.length - raw.trimStart().length + 1
    const m = /^([A-Za-z_]+)(?:\s+(.*))?$/.exec(trimmed)
    const word = m?.[1]?.toUpperCase() ?? ''
    let value = (m?.[2] ?? '').trim()
    const valueColumn = column + (m?.[1]?.length ?? 0) + 1
    if (word === 'PIPE') {
      if (pipe !== undefined) problems.push({ line, column, message: 'PIPE is given twice' })
      pipe = unquote(value)
      pipeLine = line
      if (pipe === '') problems.push({ line, column, message: 'PIPE needs a pipe name' })
      continue
    }
    const kw = KEYWORDS[word]
    if (kw === undefined) {
      const known = ['PIPE', ...Object.keys(KEYWORDS)].join(', ')
      problems.push({
        line,
        column,
        message: `unknown keyword '${m?.[1] ?? trimmed}' (known: ${known})`,
      })
      continue
    }
    if (value === '>') {
      // Multi-line text: the following indented lines.
      const parts: string[] = []
      while (i + 1 < lines.length && /^\s+\S/.test(lines[i + 1] ?? ''))
        parts.push((lines[++i] ?? '').trim())
      value = parts.join('\n')
    }
    if (at.has(kw.key)) {
      problems.push({ line, column, message: `${word} is given twice` })
      continue
    }
    at.set(kw.key, { line, column: valueColumn })
    const items = (): string[] =>
      value
        .split(/,(?![^(]*\))/)
        .map((s) => unquote(s.trim()))
        .filter((s) => s !== '')
    switch (kw.kind) {
      case 'text':
        wire[kw.key] = unquote(value)
        break
      case 'list':
        wire[kw.key] = items()
        break
      case 'bool':
        if (!/^(true|false)$/i.test(value)) {
          problems.push({ line, column: valueColumn, message: `${word} must be true or false` })
        } else wire[kw.key] = value.toLowerCase() === 'true'
        break
      case 'int':
        if (!/^\d+$/.test(value)) {
          problems.push({ line, column: valueColumn, message: `${word} must be a whole number` })
        } else wire[kw.key] = Number(value)
        break
      case 'map': {
        const map: Record<string, string> = {}
        for (const item of items()) {
          const eq = item.indexOf('=')
          if (eq <= 0) {
            problems.push({ line, column: valueColumn, message: `${word} takes name=value pairs` })
            continue
          }
          map[item.slice(0, eq).trim()] = unquote(item.slice(eq + 1).trim())
        }
        wire[kw.key] = map
        break
      }
    }
  }
  if (pipe === undefined) problems.push({ line: 1, column: 1, message: 'missing PIPE <pipe name>' })
  let spec: ChartSpec | undefined
  if (problems.length === 0) {
    const r = parseWireSpec(wire)
    if (r.ok) spec = r.spec
    else {
      for (const p of r.problems) {
        const pos = at.get(p.key) ?? { line: 1, column: 1 }
        const keyword = Object.entries(KEYWORDS).find(([, v]) => v.key === p.key)?.[0]
        const message =
          keyword !== undefined ? p.message.replace(new RegExp(`^${p.key}`), keyword) : p.message
        problems.push({ ...pos, message })
      }
    }
  }
  return { file, pipe, pipeLine, spec, problems }
}

async function walk(dir: string, out: string[]): Promise<void> {
  let entries
  try {
    entries = await readdir(dir, { withFileTypes: true })
  } catch {
    return
  }
  for (const e of entries) {
    if (e.name.startsWith('.') || e.name === 'node_modules') continue
    const abs = join(dir, e.name)
    if (e.isDirectory()) await walk(abs, out)
    else if (e.isFile() && e.name.endsWith('.chart')) out.push(abs)
  }
}

/** Reads and parses every `*.chart` file under `projectRoot`, in path order. */
export async function readChartFiles(projectRoot: string): Promise<ChartFile[]> {
  const files: string[] = []
  await walk(projectRoot, files)
  files.sort()
  const out: ChartFile[] = []
  for (const abs of files) {
    const rel = relative(projectRoot, abs).split('\\').join('/')
    out.push(parseChartFile(rel, await readFile(abs, 'utf8')))
  }
  return out
}
