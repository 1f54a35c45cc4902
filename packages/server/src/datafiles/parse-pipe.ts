/**
 * @module Parses one `.pipe` file (Tinybird Classic and Forward syntax) into a {@link PipeFile} and checks the
 * pipe-level rules (one output node, materialized nodes need a target and no template). Pure (no I/O).
 */
import { invalidError, isValidName, syntaxError, type Position } from './datafile-error.js'
import {
  baseName,
  checkVersion,
  parseTags,
  parseToken,
  unresolvedInclude,
} from './parse-datasource.js'
import { buildEngine, isEngineKeyword } from './parse-engine.js'
import {
  scanStatements,
  splitArgs,
  textValue,
  type KeywordSet,
  type Statement,
} from './scan-statements.js'
import type { NodeType, PipeFile, PipeNode } from './types.js'

const NODE_KEYWORDS = new Set([
  'SQL',
  'TYPE',
  'DATASOURCE',
  'TARGET_DATASOURCE',
  'COPY_SCHEDULE',
  'COPY_MODE',
])
const PIPE_KEYWORDS = new Set(['VERSION', 'DESCRIPTION', 'TOKEN', 'TAGS', 'NODE', 'INCLUDE'])
/** Sink/deployment settings Dunlin accepts and ignores. */
const IGNORED = new Set(['DEPLOYMENT_METHOD'])
const IGNORED_PREFIXES = ['EXPORT_', 'KAFKA_']

const PIPE_KEYWORD_SET: KeywordSet = {
  kind: '.pipe',
  isKeyword: (w) =>
    PIPE_KEYWORDS.has(w) ||
    NODE_KEYWORDS.has(w) ||
    IGNORED.has(w) ||
    isEngineKeyword(w) ||
    IGNORED_PREFIXES.some((p) => w.startsWith(p) && w.length > p.length),
  expected:
    'NODE, SQL, TYPE, DESCRIPTION, DATASOURCE, TARGET_DATASOURCE, COPY_SCHEDULE, COPY_MODE, TOKEN, TAGS, VERSION, INCLUDE, ENGINE, ENGINE_*',
}

const NODE_TYPES: readonly NodeType[] = ['endpoint', 'materialized', 'copy', 'sink', 'standard']
const OUTPUT_TYPES: readonly NodeType[] = ['endpoint', 'materialized', 'copy', 'sink']

/** The message Tinybird answers when materialized SQL is templated. */
export const MATERIALIZED_TEMPLATE_MESSAGE =
  "Materialized nodes don't support templates. Please remove any `{% ... %}` template code or the `%` mark from this pipe node."

interface Draft {
  node: PipeNode
  at: Position
  hasSql: boolean
  explicitType: boolean
  where: Map<string, Position>
  engine: Statement[]
}

/** True when SQL text is a template (its first non-blank character is `%`). */
export function isTemplatedSql(sql: string): boolean {
  return sql.trimStart().startsWith('%')
}

/**
 * Parses the text of a `.pipe` file.
 *
 * Shape: {@link PipeFile}; `name` is the basename without `.pipe`; nodes keep file order; `DESCRIPTION` before the
 * first `NODE` is the pipe's, inside a node the node's. A node with `DATASOURCE` and no `TYPE` is materialized
 * (Classic). `EXPORT_*`, `KAFKA_*` and `DEPLOYMENT_METHOD` lines are accepted and ignored.
 *
 * @param text - The file content; `INCLUDE` lines must already be resolved (see `readProject`).
 * @param file - Path used for `name` and in error details.
 * @throws {ServerError} `ERR_DATAFILE_SYNTAX` (400): unknown keyword, node keyword before `NODE`, missing or empty
 *   `SQL >`, unknown `TYPE`; `details` = `{ file, line, column }`, 1-based.
 * @throws {ServerError} `ERR_DATAFILE_INVALID` (400): more than one output node, `TYPE materialized` without
 *   `DATASOURCE`, `TYPE copy` without `TARGET_DATASOURCE`, templated materialized SQL, duplicate or invalid names.
 * @see https://www.tinybird.co/docs/forward/dev-reference/datafiles/pipe-files
 * @see https://www.tinybird.co/docs/classic/cli/datafiles/pipe-files
 */
export function parsePipe(text: string, file: string): PipeFile {
  const name = baseName(file, '.pipe')
  if (!isValidName(name)) {
    throw invalidError(
      file,
      { line: 1, column: 1 },
      `Invalid pipe name \`${name}\`; names must match [A-Za-z_][A-Za-z0-9_]* (rename the file).`,
    )
  }
  const pipe: PipeFile = { kind: 'pipe', name, file, nodes: [], tokens: [], tags: [] }
  const drafts: Draft[] = []
  let current: Draft | undefined
  let pipeDescriptionLine: number | undefined

  for (const st of scanStatements(text, file, PIPE_KEYWORD_SET)) {
    const at = { line: st.line, column: st.column }
    if (NODE_KEYWORDS.has(st.keyword) || isEngineKeyword(st.keyword)) {
      if (current === undefined) {
        throw syntaxError(file, at, `\`${st.keyword}\` must follow a \`NODE name\` line.`)
      }
      applyNodeStatement(current, st, file)
      continue
    }
    switch (st.keyword) {
      case 'NODE': {
        const nodeName = singleName(st, file, 'NODE', 'node')
        const dup = drafts.find((d) => d.node.name === nodeName)
        if (dup !== undefined) {
          throw invalidError(
            file,
            at,
            `Duplicate node \`${nodeName}\` (first defined on line ${dup.at.line}); node names must be unique in a pipe.`,
          )
        }
        current = {
          node: { name: nodeName, sql: '', sqlLine: st.line + 1, type: 'standard' },
          at,
          hasSql: false,
          explicitType: false,
          where: new Map(),
          engine: [],
        }
        drafts.push(current)
        break
      }
      case 'DESCRIPTION':
        if (current === undefined) {
          if (pipeDescriptionLine !== undefined) {
            throw syntaxError(
              file,
              at,
              `\`DESCRIPTION\` appears twice (first on line ${pipeDescriptionLine}); expected it once per pipe.`,
            )
          }
          pipeDescriptionLine = st.line
          pipe.description = textValue(st)
        } else {
          once(current, st, file)
          current.node.description = textValue(st)
        }
        break
      case 'TOKEN':
        pipe.tokens.push(parseToken(st, file, ['READ']))
        break
      case 'TAGS':
        pipe.tags.push(...parseTags(st))
        break
      case 'VERSION':
        checkVersion(st, file)
        break
      case 'INCLUDE':
        throw unresolvedInclude(st, file)
      default:
        // EXPORT_*, KAFKA_*, DEPLOYMENT_METHOD: sink and deployment settings, accepted and ignored.
        break
    }
  }

  if (drafts.length === 0) {
    throw syntaxError(
      file,
      { line: 1, column: 1 },
      'A pipe needs at least one node; expected `NODE name` followed by `SQL >` and an indented block.',
    )
  }
  for (const d of drafts) pipe.nodes.push(finishNode(d, file))
  checkOutputs(drafts, file)
  return pipe
}

function once(d: Draft, st: Statement, file: string): void {
  const prev = d.where.get(st.keyword)
  if (prev !== undefined) {
    throw syntaxError(
      file,
      { line: st.line, column: st.column },
      `\`${st.keyword}\` appears twice in node \`${d.node.name}\` (first on line ${prev.line}); expected it once.`,
    )
  }
  d.where.set(st.keyword, { line: st.line, column: st.column })
}

function applyNodeStatement(d: Draft, st: Statement, file: string): void {
  if (isEngineKeyword(st.keyword)) {
    d.engine.push(st)
    return
  }
  once(d, st, file)
  const node = d.node
  const at = { line: st.line, column: st.column }
  switch (st.keyword) {
    case 'SQL': {
      if (st.block === undefined || st.block.text.trim() === '') {
        throw syntaxError(
          file,
          at,
          `Expected \`SQL >\` followed by an indented block in node \`${node.name}\`.`,
        )
      }
      node.sql = st.block.text
      node.sqlLine = st.block.line
      d.hasSql = true
      return
    }
    case 'TYPE': {
      const value = singleValue(st, file, 'TYPE').toLowerCase()
      const type = NODE_TYPES.find((t) => t === value)
      if (type === undefined) {
        throw syntaxError(
          file,
          { line: st.line, column: st.restColumn },
          `Unknown node TYPE \`${value}\` in node \`${node.name}\`; expected one of endpoint, materialized, copy, sink.`,
        )
      }
      node.type = type
      d.explicitType = true
      return
    }
    case 'DATASOURCE':
      node.datasource = singleName(st, file, 'DATASOURCE', 'data source')
      return
    case 'TARGET_DATASOURCE':
      node.targetDatasource = singleName(st, file, 'TARGET_DATASOURCE', 'data source')
      return
    case 'COPY_SCHEDULE': {
      const value = textValue(st)
      if (value === '') {
        throw syntaxError(
          file,
          at,
          'Expected a cron expression or `@on-demand` after COPY_SCHEDULE.',
        )
      }
      node.copySchedule = value
      return
    }
    case 'COPY_MODE': {
      const value = singleValue(st, file, 'COPY_MODE').toLowerCase()
      if (value !== 'append' && value !== 'replace') {
        throw syntaxError(
          file,
          { line: st.line, column: st.restColumn },
          `Invalid COPY_MODE \`${value}\` in node \`${node.name}\`; expected append or replace.`,
        )
      }
      node.copyMode = value
      return
    }
    default:
      return
  }
}

function finishNode(d: Draft, file: string): PipeNode {
  const node = d.node
  if (!d.hasSql) {
    throw syntaxError(
      file,
      d.at,
      `Node \`${node.name}\` has no SQL; expected \`SQL >\` followed by an indented block.`,
    )
  }
  if (!d.explicitType && node.datasource !== undefined) node.type = 'materialized'
  const misplaced = (keyword: string, owner: string): never => {
    throw invalidError(
      file,
      d.where.get(keyword) ?? d.at,
      `\`${keyword}\` in node \`${node.name}\` only applies to ${owner} nodes.`,
    )
  }
  if (node.type === 'materialized') {
    if (node.datasource === undefined) {
      throw invalidError(
        file,
        d.where.get('TYPE') ?? d.at,
        `Node \`${node.name}\` is TYPE materialized but has no \`DATASOURCE name\`; expected the target data source.`,
      )
    }
    if (isTemplatedSql(node.sql)) {
      throw invalidError(
        file,
        { line: node.sqlLine, column: 1 },
        `${MATERIALIZED_TEMPLATE_MESSAGE} (node \`${node.name}\`)`,
      )
    }
    const engine = buildEngine(d.engine, file)
    if (engine !== undefined) node.engine = engine
  } else {
    if (node.datasource !== undefined) misplaced('DATASOURCE', 'TYPE materialized')
    const engineLine = d.engine[0]
    if (engineLine !== undefined) {
      throw invalidError(
        file,
        { line: engineLine.line, column: engineLine.column },
        `\`${engineLine.keyword}\` in node \`${node.name}\` only applies to TYPE materialized nodes.`,
      )
    }
  }
  if (node.type === 'copy') {
    if (node.targetDatasource === undefined) {
      throw invalidError(
        file,
        d.where.get('TYPE') ?? d.at,
        `Node \`${node.name}\` is TYPE copy but has no \`TARGET_DATASOURCE name\`; expected the target data source.`,
      )
    }
  } else {
    if (node.targetDatasource !== undefined) misplaced('TARGET_DATASOURCE', 'TYPE copy')
    if (node.copySchedule !== undefined) misplaced('COPY_SCHEDULE', 'TYPE copy')
    if (node.copyMode !== undefined) misplaced('COPY_MODE', 'TYPE copy')
  }
  return node
}

function checkOutputs(drafts: readonly Draft[], file: string): void {
  const outputs = drafts.filter((d) => OUTPUT_TYPES.includes(d.node.type))
  const [first, second] = outputs
  if (first === undefined || second === undefined) return
  const at = second.where.get('TYPE') ?? second.where.get('DATASOURCE') ?? second.at
  if (first.node.type === 'endpoint' && second.node.type === 'endpoint') {
    throw invalidError(
      file,
      at,
      `There is more than one endpoint node. Pipes can only have one output (nodes \`${first.node.name}\` and \`${second.node.name}\`).`,
    )
  }
  throw invalidError(
    file,
    at,
    `Pipes can only have one output: node \`${first.node.name}\` is TYPE ${first.node.type} and node \`${second.node.name}\` is TYPE ${second.node.type}.`,
  )
}

function singleValue(st: Statement, file: string, keyword: string): string {
  if (st.block !== undefined) {
    throw syntaxError(
      file,
      { line: st.line, column: st.column },
      `\`${keyword}\` takes a single value on its line.`,
    )
  }
  const args = splitArgs(st, file)
  const [value] = args
  if (value === undefined || args.length !== 1 || value.value === '') {
    throw syntaxError(
      file,
      { line: st.line, column: args[1]?.column ?? st.restColumn },
      `Expected exactly one value after \`${keyword}\`.`,
    )
  }
  return value.value
}

function singleName(st: Statement, file: string, keyword: string, what: string): string {
  const value = singleValue(st, file, keyword)
  if (!isValidName(value)) {
    throw invalidError(
      file,
      { line: st.line, column: st.restColumn },
      `Invalid ${what} name \`${value}\` after ${keyword}; names must match [A-Za-z_][A-Za-z0-9_]*.`,
    )
  }
  return value
}

/**
 * The node a pipe serves as an API endpoint: the `TYPE endpoint` node, or, when no node declares an output type
 * (endpoint/materialized/copy/sink), the last node. The fallback is Tinybird Classic's push rule: a pipe without
 * `TYPE` publishes its last node (the seed `guide-tinybird-charts` pipes rely on it).
 *
 * @returns The endpoint node, or `undefined` for materialized/copy/sink pipes.
 * @see Tinybird CLI `new_pipe`: "the node with type endpoint, else the last node"
 */
export function endpointNode(pipe: PipeFile): PipeNode | undefined {
  const explicit = pipe.nodes.find((n) => n.type === 'endpoint')
  if (explicit !== undefined) return explicit
  if (pipe.nodes.some((n) => OUTPUT_TYPES.includes(n.type))) return undefined
  return pipe.nodes.at(-1)
}
