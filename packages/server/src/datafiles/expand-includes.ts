/**
 * @module Textual `INCLUDE "file.incl" [KEY=value ...]` expansion with a line map back to the original files.
 * Does no I/O itself: the caller passes the file reader (only `readProject` does I/O). Imports only sibling
 * helpers and `node:path` (path arithmetic).
 *
 * Tinybird's rule: the included text replaces the `INCLUDE` line; `$KEY` / `${KEY}` are substituted from the
 * `KEY=value` arguments and `$$` becomes `$` (Python `string.Template.safe_substitute`); unknown `$names` stay.
 */
import path from 'node:path'
import { syntaxError } from './datafile-error.js'
import { splitLines, splitArgs, type Statement } from './scan-statements.js'

/** Where one expanded line came from. */
export interface LineOrigin {
  /** Display path (relative to the project root) of the file holding the line. */
  file: string
  /** 1-based line in that file. */
  line: number
  /** 1-based line in the top-level file: the line itself, or the `INCLUDE` line that brought it in. */
  topLine: number
}

/** The expanded text and, per expanded line (index = line - 1), its origin. */
export interface Expanded {
  text: string
  origins: LineOrigin[]
}

/** Reads an include by absolute path; resolves `undefined` when the file does not exist. */
export type IncludeReader = (absPath: string) => Promise<string | undefined>

const MAX_DEPTH = 16
const INCLUDE_LINE = /^INCLUDE(\s+|$)/i

/**
 * Expands every `INCLUDE` line that starts at column 0, recursively. Paths resolve against the including file's
 * folder, then against `root`.
 *
 * @param text - Top-level file content.
 * @param absFile - Absolute path of the top-level file.
 * @param root - Absolute project root (for display paths and the fallback lookup).
 * @throws {ServerError} `ERR_DATAFILE_SYNTAX` (400): missing include file, include cycle, malformed INCLUDE; its
 *   `details` point at the INCLUDE line in the file that holds it.
 */
export async function expandIncludes(
  text: string,
  absFile: string,
  root: string,
  read: IncludeReader,
): Promise<Expanded> {
  const lines: string[] = []
  const origins: LineOrigin[] = []
  await expandInto(text, absFile, root, read, [absFile], undefined, lines, origins)
  return { text: lines.join('\n'), origins }
}

/** The display path of an absolute path: relative to `root`, `/`-separated. */
export function displayPath(root: string, abs: string): string {
  return path.relative(root, abs).split(path.sep).join('/')
}

async function expandInto(
  text: string,
  absFile: string,
  root: string,
  read: IncludeReader,
  stack: readonly string[],
  topLine: number | undefined,
  lines: string[],
  origins: LineOrigin[],
): Promise<void> {
  const shown = displayPath(root, absFile)
  const src = splitLines(text)
  for (let k = 0; k < src.length; k += 1) {
    const raw = src[k] ?? ''
    const line = k + 1
    const top = topLine ?? line
    if (!INCLUDE_LINE.test(raw)) {
      lines.push(raw)
      origins.push({ file: shown, line, topLine: top })
      continue
    }
    const rest = raw.slice('INCLUDE'.length)
    const st: Statement = {
      keyword: 'INCLUDE',
      line,
      column: 1,
      rest: rest.trim(),
      restColumn: 'INCLUDE'.length + (rest.length - rest.trimStart().length) + 1,
      block: undefined,
    }
    const [target, ...assignments] = splitArgs(st, shown)
    if (target === undefined || target.value === '') {
      throw syntaxError(
        shown,
        { line, column: 1 },
        'Expected a file after INCLUDE, e.g. `INCLUDE "../includes/x.incl"`.',
      )
    }
    const vars = new Map<string, string>()
    for (const a of assignments) {
      const eq = a.value.indexOf('=')
      if (eq <= 0) {
        throw syntaxError(
          shown,
          { line, column: a.column },
          'Expected `KEY=value` after the INCLUDE file.',
        )
      }
      vars.set(a.value.slice(0, eq), a.value.slice(eq + 1))
    }
    const candidates = [
      path.resolve(path.dirname(absFile), target.value),
      path.resolve(root, target.value),
    ]
    let found: { abs: string; content: string } | undefined
    for (const abs of candidates) {
      const content = await read(abs)
      if (content !== undefined) {
        found = { abs, content }
        break
      }
    }
    if (found === undefined) {
      throw syntaxError(
        shown,
        { line, column: target.column },
        `Included file \`${target.value}\` not found; expected a path relative to this file or to the project root.`,
      )
    }
    if (stack.includes(found.abs) || stack.length > MAX_DEPTH) {
      throw syntaxError(
        shown,
        { line, column: target.column },
        `INCLUDE of \`${target.value}\` forms a cycle; expected included files not to include themselves.`,
      )
    }
    await expandInto(
      substitute(found.content, vars),
      found.abs,
      root,
      read,
      [...stack, found.abs],
      top,
      lines,
      origins,
    )
  }
}

/** Python `string.Template.safe_substitute`: `$$` → `$`, `$name`/`${name}` → value when known, else unchanged. */
export function substitute(text: string, vars: ReadonlyMap<string, string>): string {
  return text.replace(
    /\$(?:(\$)|([_a-z][_a-z0-9]*)|\{([_a-z][_a-z0-9]*)\})/gi,
    (whole, dollar: string | undefined, bare: string | undefined, braced: string | undefined) => {
      if (dollar !== undefined) return '$'
      const key = bare ?? braced ?? ''
      return vars.get(key) ?? whole
    },
  )
}
