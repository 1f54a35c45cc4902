/**
 * @module Collects `ENGINE` and `ENGINE_*` statements into an {@link EngineDef}, for `.datasource` files and
 * materialized pipe nodes alike, and checks each setting fits its engine. Pure; imports only sibling helpers.
 */
import { invalidError, syntaxError, type Position } from './datafile-error.js'
import { textValue, type Statement } from './scan-statements.js'
import type { EngineDef } from './types.js'

type EngineField = Exclude<keyof EngineDef, 'type' | 'params'>

/** `ENGINE_*` keyword → {@link EngineDef} field. */
export const ENGINE_SETTINGS: Readonly<Record<string, EngineField>> = {
  ENGINE_SORTING_KEY: 'sortingKey',
  ENGINE_PARTITION_KEY: 'partitionKey',
  ENGINE_PRIMARY_KEY: 'primaryKey',
  ENGINE_SAMPLING_KEY: 'samplingKey',
  ENGINE_TTL: 'ttl',
  ENGINE_VER: 'ver',
  ENGINE_SIGN: 'sign',
  ENGINE_VERSION: 'version',
  ENGINE_IS_DELETED: 'isDeleted',
  ENGINE_SETTINGS: 'settings',
  ENGINE_SHARDING_KEY: 'shardingKey',
  ENGINE_SUMMING_COLUMNS: 'summingColumns',
  ENGINE_JOIN_STRICTNESS: 'joinStrictness',
  ENGINE_JOIN_TYPE: 'joinType',
  ENGINE_KEY_COLUMNS: 'keyColumns',
}

/** True for `ENGINE` and every `ENGINE_*` keyword. */
export function isEngineKeyword(keyword: string): boolean {
  return keyword === 'ENGINE' || Object.hasOwn(ENGINE_SETTINGS, keyword)
}

const MERGE_TREES = [
  'MergeTree',
  'ReplacingMergeTree',
  'SummingMergeTree',
  'AggregatingMergeTree',
  'CollapsingMergeTree',
  'VersionedCollapsingMergeTree',
] as const

/** Every engine name a datafile may use, canonical spelling. */
export const KNOWN_ENGINES: readonly string[] = [
  ...MERGE_TREES,
  'Null',
  'Join',
  ...MERGE_TREES.map((e) => `Replicated${e}`),
]

const CANONICAL = new Map(KNOWN_ENGINES.map((e) => [e.toLowerCase(), e]))

/** The engine without a `Replicated` prefix: the family that decides which settings apply. */
export function engineFamily(type: string): string {
  return type.startsWith('Replicated') ? type.slice('Replicated'.length) : type
}

/** Which engines accept each engine-specific setting (others apply to every MergeTree). */
const ONLY_FOR: Partial<Record<EngineField, readonly string[]>> = {
  ver: ['ReplacingMergeTree'],
  isDeleted: ['ReplacingMergeTree'],
  sign: ['CollapsingMergeTree', 'VersionedCollapsingMergeTree'],
  version: ['VersionedCollapsingMergeTree'],
  summingColumns: ['SummingMergeTree'],
  joinStrictness: ['Join'],
  joinType: ['Join'],
  keyColumns: ['Join'],
}

const REQUIRED: Readonly<Record<string, readonly EngineField[]>> = {
  CollapsingMergeTree: ['sign'],
  VersionedCollapsingMergeTree: ['sign', 'version'],
  Join: ['joinStrictness', 'joinType', 'keyColumns'],
}

const FIELD_KEYWORD = new Map(Object.entries(ENGINE_SETTINGS).map(([k, f]) => [f, k]))

/**
 * Builds the engine from a file's (or node's) `ENGINE*` statements. `undefined` when there are none.
 *
 * @throws {ServerError} `ERR_DATAFILE_SYNTAX` (400): a repeated keyword or a malformed `ENGINE` value.
 * @throws {ServerError} `ERR_DATAFILE_INVALID` (400): an unknown engine, a setting that does not apply to the
 * engine, or a missing required one (`ENGINE_SIGN` for CollapsingMergeTree, ...).
 * @see https://www.tinybird.co/docs/forward/dev-reference/datafiles/datasource-files (Engine settings)
 */
export function buildEngine(statements: readonly Statement[], file: string): EngineDef | undefined {
  if (statements.length === 0) return undefined
  const engine: EngineDef = { type: 'MergeTree' }
  const where = new Map<string, Position>()
  for (const st of statements) {
    const at = { line: st.line, column: st.column }
    const prev = where.get(st.keyword)
    if (prev !== undefined) {
      throw syntaxError(
        file,
        at,
        `\`${st.keyword}\` appears twice (first on line ${prev.line}); expected it once.`,
      )
    }
    where.set(st.keyword, at)
    const value = textValue(st)
    if (st.keyword === 'ENGINE') {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*(?:\(([\s\S]*)\))?$/.exec(value)
      const name = m?.[1]
      if (m === null || name === undefined) {
        throw syntaxError(
          file,
          { line: st.line, column: st.restColumn },
          'Expected an engine name after ENGINE, e.g. `ENGINE "MergeTree"`.',
        )
      }
      const canonical = CANONICAL.get(name.toLowerCase())
      if (canonical === undefined) {
        throw invalidError(
          file,
          { line: st.line, column: st.restColumn },
          `Unknown engine \`${name}\`; expected one of ${KNOWN_ENGINES.join(', ')}.`,
        )
      }
      engine.type = canonical
      const params = m[2]?.trim()
      if (params !== undefined && params !== '') engine.params = params
      continue
    }
    const field = ENGINE_SETTINGS[st.keyword]
    if (field !== undefined && value !== '') engine[field] = value
  }
  const family = engineFamily(engine.type)
  for (const [field, engines] of Object.entries(ONLY_FOR) as [EngineField, readonly string[]][]) {
    if (engine[field] === undefined || engines.includes(family)) continue
    const keyword = FIELD_KEYWORD.get(field) ?? field
    throw invalidError(
      file,
      where.get(keyword) ?? { line: 1, column: 1 },
      `\`${keyword}\` does not apply to engine ${engine.type}; it is for ${engines.join(' or ')}.`,
    )
  }
  if (engine.params === undefined) {
    for (const field of REQUIRED[family] ?? []) {
      if (engine[field] !== undefined) continue
      const keyword = FIELD_KEYWORD.get(field) ?? field
      throw invalidError(
        file,
        where.get('ENGINE') ?? { line: 1, column: 1 },
        `Engine ${engine.type} needs \`${keyword}\`.`,
      )
    }
    if (engine.isDeleted !== undefined && engine.ver === undefined) {
      throw invalidError(
        file,
        where.get('ENGINE_IS_DELETED') ?? { line: 1, column: 1 },
        '`ENGINE_IS_DELETED` needs `ENGINE_VER` (ReplacingMergeTree(ver, is_deleted)).',
      )
    }
  }
  return engine
}
