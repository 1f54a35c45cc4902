/**
 * @module Parses one `.datasource` file (Tinybird Classic and Forward syntax) into a {@link DatasourceFile}.
 * Pure (no I/O); imports only sibling helpers and `../errors.js` through them.
 */
import { invalidError, isValidName, syntaxError } from './datafile-error.js'
import { buildEngine, isEngineKeyword } from './parse-engine.js'
import { parseIndexes, parseSchema } from './parse-schema.js'
import {
  scanStatements,
  splitArgs,
  textValue,
  unquote,
  type KeywordSet,
  type Statement,
} from './scan-statements.js'
import type { DatasourceFile, TokenLine } from './types.js'

const PLAIN = new Set([
  'DESCRIPTION',
  'SCHEMA',
  'INDEXES',
  'TOKEN',
  'TAGS',
  'FORWARD_QUERY',
  'VERSION',
  'INCLUDE',
])
/** Connector settings Dunlin accepts and ignores (no connectors yet). */
const IGNORED_PREFIXES = ['KAFKA_', 'IMPORT_']
const IGNORED = new Set(['SHARED_WITH', 'BACKFILL', 'EXPORT_SERVICE'])
const ONCE = new Set(['DESCRIPTION', 'SCHEMA', 'INDEXES', 'FORWARD_QUERY', 'VERSION'])
const BLOCK_ONLY = new Set(['SCHEMA', 'INDEXES', 'FORWARD_QUERY'])

const DATASOURCE_KEYWORDS: KeywordSet = {
  kind: '.datasource',
  isKeyword: (w) =>
    PLAIN.has(w) ||
    IGNORED.has(w) ||
    isEngineKeyword(w) ||
    IGNORED_PREFIXES.some((p) => w.startsWith(p) && w.length > p.length),
  expected:
    'DESCRIPTION, SCHEMA, INDEXES, ENGINE, ENGINE_* (SORTING_KEY, PARTITION_KEY, PRIMARY_KEY, TTL, VER, SIGN, VERSION, IS_DELETED, SETTINGS, ...), TOKEN, TAGS, FORWARD_QUERY, VERSION, SHARED_WITH, KAFKA_*, IMPORT_*',
}

/** `name` of a datafile: the basename without its extension (either `/` or `\` separated). */
export function baseName(file: string, ext: string): string {
  const base = file.split(/[\\/]/).pop() ?? file
  return base.toLowerCase().endsWith(ext) ? base.slice(0, base.length - ext.length) : base
}

/**
 * Parses the text of a `.datasource` file.
 *
 * Shape: {@link DatasourceFile}; `name` is the file basename without `.datasource`, `engine.type` defaults to
 * `MergeTree`. `KAFKA_*`, `IMPORT_*`, `SHARED_WITH` and `BACKFILL` lines are accepted and ignored.
 *
 * @param text - The file content (UTF-8 text; `\n` or `\r\n` line ends). `INCLUDE` lines must already be resolved
 *   (see `readProject`).
 * @param file - Path used for `name` and in error details.
 * @throws {ServerError} `ERR_DATAFILE_SYNTAX` (400): unknown keyword, bad indentation, malformed column, missing
 *   `SCHEMA >`; `details` = `{ file, line, column }`, 1-based.
 * @throws {ServerError} `ERR_DATAFILE_INVALID` (400): invalid name, empty schema, duplicate column, engine setting
 *   that does not fit the engine; same `details`.
 * @see https://www.tinybird.co/docs/forward/dev-reference/datafiles/datasource-files
 * @see https://www.tinybird.co/docs/classic/cli/datafiles/datasource-files
 */
export function parseDatasource(text: string, file: string): DatasourceFile {
  const name = baseName(file, '.datasource')
  if (!isValidName(name)) {
    throw invalidError(
      file,
      { line: 1, column: 1 },
      `Invalid data source name \`${name}\`; names must match [A-Za-z_][A-Za-z0-9_]* (rename the file).`,
    )
  }
  const statements = scanStatements(text, file, DATASOURCE_KEYWORDS)
  const ds: DatasourceFile = {
    kind: 'datasource',
    name,
    file,
    columns: [],
    engine: { type: 'MergeTree' },
    indexes: [],
    tokens: [],
    tags: [],
  }
  const firstSeen = new Map<string, number>()
  const engineStatements: Statement[] = []
  let schemaSeen = false
  for (const st of statements) {
    const at = { line: st.line, column: st.column }
    if (ONCE.has(st.keyword)) {
      const first = firstSeen.get(st.keyword)
      if (first !== undefined) {
        throw syntaxError(
          file,
          at,
          `\`${st.keyword}\` appears twice (first on line ${first}); expected it once.`,
        )
      }
      firstSeen.set(st.keyword, st.line)
    }
    if (BLOCK_ONLY.has(st.keyword) && st.block === undefined) {
      throw syntaxError(file, at, `Expected \`${st.keyword} >\` followed by an indented block.`)
    }
    if (isEngineKeyword(st.keyword)) {
      engineStatements.push(st)
      continue
    }
    switch (st.keyword) {
      case 'DESCRIPTION':
        ds.description = textValue(st)
        break
      case 'SCHEMA':
        if (st.block !== undefined) ds.columns = parseSchema(st.block, file, at)
        schemaSeen = true
        break
      case 'INDEXES':
        if (st.block !== undefined) ds.indexes = parseIndexes(st.block, file)
        break
      case 'FORWARD_QUERY':
        if (st.block !== undefined) {
          if (st.block.text.trim() === '') {
            throw syntaxError(
              file,
              at,
              'Expected `FORWARD_QUERY >` followed by an indented SELECT.',
            )
          }
          ds.forwardQuery = st.block.text
        }
        break
      case 'TOKEN':
        ds.tokens.push(parseToken(st, file, ['READ', 'APPEND']))
        break
      case 'TAGS':
        ds.tags.push(...parseTags(st))
        break
      case 'VERSION':
        checkVersion(st, file)
        break
      case 'INCLUDE':
        throw unresolvedInclude(st, file)
      default:
        // KAFKA_*, IMPORT_*, SHARED_WITH, BACKFILL: connector settings, accepted and ignored.
        break
    }
  }
  if (!schemaSeen) {
    throw syntaxError(
      file,
      { line: 1, column: 1 },
      'Missing `SCHEMA >` followed by an indented column list.',
    )
  }
  const engine = buildEngine(engineStatements, file)
  if (engine !== undefined) ds.engine = engine
  return ds
}

/**
 * Parses `TOKEN name PERMISSION` (name quoted or bare).
 *
 * @throws {ServerError} `ERR_DATAFILE_SYNTAX` (400): wrong argument count or a permission not in `allowed`.
 */
export function parseToken(
  st: Statement,
  file: string,
  allowed: readonly TokenLine['permission'][],
): TokenLine {
  if (st.block !== undefined) {
    throw syntaxError(
      file,
      { line: st.line, column: st.column },
      'TOKEN takes one line: `TOKEN "name" READ`.',
    )
  }
  const args = splitArgs(st, file)
  const [name, perm] = args
  if (args.length !== 2 || name === undefined || perm === undefined || name.value === '') {
    throw syntaxError(
      file,
      { line: st.line, column: args[2]?.column ?? st.column },
      `TOKEN takes a name and a permission, e.g. \`TOKEN "my_token" ${allowed.join(' or ')}\`.`,
    )
  }
  const permission = perm.value.toUpperCase()
  if (permission !== 'READ' && permission !== 'APPEND') {
    throw syntaxError(
      file,
      { line: st.line, column: perm.column },
      `Invalid token permission \`${perm.value}\`; expected ${allowed.join(' or ')}.`,
    )
  }
  if (!allowed.includes(permission)) {
    throw invalidError(
      file,
      { line: st.line, column: perm.column },
      `Token permission ${permission} does not apply here; expected ${allowed.join(' or ')}.`,
    )
  }
  return { name: name.value, permission }
}

/** `TAGS "a, b"` (or `TAGS "a", "b"`) → `['a', 'b']`. */
export function parseTags(st: Statement): string[] {
  return textValue(st)
    .split(/[,\n]/)
    .map((t) => unquote(t.trim()).trim())
    .filter((t) => t !== '')
}

/**
 * Checks `VERSION n` (deprecated in Tinybird, accepted and ignored).
 *
 * @throws {ServerError} `ERR_DATAFILE_SYNTAX` (400): not a non-negative integer.
 */
export function checkVersion(st: Statement, file: string): void {
  if (!/^\d+$/.test(textValue(st))) {
    throw syntaxError(
      file,
      { line: st.line, column: st.restColumn },
      'Expected a non-negative integer after VERSION.',
    )
  }
}

/** The error for an `INCLUDE` line that reached a parser unresolved. */
export function unresolvedInclude(st: Statement, file: string): Error {
  return syntaxError(
    file,
    { line: st.line, column: st.column },
    'INCLUDE is resolved when reading a project folder (readProject); expected the included text instead of `INCLUDE`.',
  )
}
