/**
 * @module Turns pipes into one ClickHouse statement, and confines user SQL (`/v0/sql`, `q=`) to what a
 * token may read. Nodes are rendered from their templates, then every table reference is rewritten: an
 * earlier node or another pipe becomes a subquery, a data source becomes its qualified table (wrapped in the
 * token's row filter when it has one). Subqueries rather than CTEs, so the SQL also runs on servers without
 * CTE support.
 */
import { ServerError } from '../errors.js'
import {
  analyzeSql,
  replaceRanges,
  SqlLexError,
  type Replacement,
  type SqlAnalysis,
} from '../sql/index.js'
import {
  renderTemplate,
  escapeIdentifier,
  type TemplateArgs,
  type TemplateValue,
} from '../template/index.js'
import { endpointNode as datafileEndpointNode, type PipeNode } from '../datafiles/index.js'
import type { DatasourceEntry, PipeEntry } from './types.js'
import { SERVICE_DATASOURCES, serviceTable } from './service.js'

/** What a caller may read. Built by the api layer from the verified token. */
export interface ReadPolicy {
  /** True for admin tokens: every workspace resource, no filters. */
  readonly admin: boolean
  /** Read access to a data source, with an optional SQL row filter; null when denied. */
  datasource(ds: DatasourceEntry): { readonly filter?: string } | null
  /** Read access to a pipe, with the params it fixes; null when denied. */
  pipe(p: PipeEntry): { readonly fixedParams?: Readonly<Record<string, TemplateValue>> } | null
  /** Read access to service data sources (`tinybird.*`): ADMIN or PIPES:CREATE, as Tinybird. Default false. */
  readonly serviceDataSources?: boolean
}

/** The internal table for `tinybird.<name>`, or undefined when `name` is no service data source. */
function serviceRef(database: string | undefined, name: string): string | undefined {
  if (database?.toLowerCase() !== 'tinybird') return undefined
  const known = SERVICE_DATASOURCES.find((s) => s === name)
  return known === undefined ? undefined : serviceTable(known)
}

/** The policy of pipe authors: pipe SQL may read every workspace resource. */
export const PIPE_AUTHOR_POLICY: ReadPolicy = {
  admin: true,
  serviceDataSources: true,
  datasource: () => ({}),
  pipe: () => ({}),
}

/** The resources compose can resolve names against. */
export interface Resources {
  readonly database: string
  datasource(name: string): DatasourceEntry | undefined
  pipe(nameOrId: string): PipeEntry | undefined
  /**
   * The table that holds a data source's rows, when not the data source's own name: a materialized view in
   * cluster mode reads the shard's local table (`<name>__local`). Default: the name itself.
   */
  physicalTable?(name: string): string
  /**
   * Read every data source through `(SELECT * FROM table)` (cluster mode on servers without
   * `distributedRewrite`). Default false.
   */
  readonly readsAsSubqueries?: boolean
}

/** A composed statement. */
export interface Composed {
  /** Plain ClickHouse SQL without `FORMAT` or trailing `;`. */
  readonly sql: string
  /** Settings collected from templates (`max_threads(2)`). */
  readonly settings: Record<string, string | number>
  readonly warnings: string[]
  readonly usedParams: string[]
  readonly cacheTtlSeconds: number | undefined
}

/** Options of {@link composePipe}. */
export interface ComposeOptions {
  /** Render templates in Tinybird's test mode (placeholders for missing params). Default false. */
  readonly testMode?: boolean
  /** Compose up to this node instead of the endpoint node. */
  readonly nodeName?: string
}

/**
 * The node a pipe serves: its `TYPE endpoint` node; in a Classic pipe with no typed output node, its last
 * node; else undefined (materialized, copy and sink pipes have no endpoint).
 */
export function endpointNode(pipe: PipeEntry): PipeNode | undefined {
  return datafileEndpointNode(pipe.def)
}

/** The node other pipes read when they name this pipe: the endpoint node, else the last node. */
export function outputNode(pipe: PipeEntry): PipeNode | undefined {
  return endpointNode(pipe) ?? pipe.def.nodes.at(-1)
}

class Composer {
  readonly settings: Record<string, string | number> = {}
  readonly warnings: string[] = []
  readonly usedParams: string[] = []
  cacheTtlSeconds: number | undefined
  private readonly memo = new Map<string, string>()
  private readonly stack: string[] = []

  private readonly res: Resources
  private readonly args: TemplateArgs
  private readonly testMode: boolean

  constructor(res: Resources, args: TemplateArgs, testMode: boolean) {
    this.res = res
    this.args = args
    this.testMode = testMode
  }

  qualified(name: string): string {
    return `${escapeIdentifier(this.res.database)}.${escapeIdentifier(name)}`
  }

  /** The SQL for one data source read, row filter applied. */
  datasourceSql(ds: DatasourceEntry, filter: string | undefined): string {
    const table = this.qualified(this.res.physicalTable?.(ds.name) ?? ds.name)
    if (filter !== undefined && filter.trim() !== '')
      return `(SELECT * FROM ${table} WHERE ${filter})`
    return this.res.readsAsSubqueries === true ? `(SELECT * FROM ${table})` : table
  }

  /** Renders one node and rewrites its table references; memoized per (pipe, node). */
  node(pipe: PipeEntry, node: PipeNode): string {
    const key = `${pipe.id}/${node.name}`
    const hit = this.memo.get(key)
    if (hit !== undefined) return hit
    if (this.stack.includes(key)) {
      throw new ServerError(
        'ERR_DATAFILE_INVALID',
        `Pipe '${pipe.name}' reads itself through node '${node.name}'`,
        {
          details: { pipe: pipe.name, node: node.name, cycle: [...this.stack, key] },
        },
      )
    }
    this.stack.push(key)
    try {
      let rendered
      try {
        rendered = renderTemplate(node.sql, this.args, { testMode: this.testMode })
      } catch (e) {
        if (e instanceof ServerError && e.code === 'ERR_TEMPLATE_SYNTAX') {
          throw new ServerError(
            e.code,
            `${e.message} (in node '${node.name}' from pipe '${pipe.name}')`,
            {
              details: { ...e.details, pipe: pipe.name, node: node.name },
              cause: e,
            },
          )
        }
        throw e
      }
      Object.assign(this.settings, rendered.settings)
      this.warnings.push(...rendered.warnings)
      for (const p of rendered.usedParams) if (!this.usedParams.includes(p)) this.usedParams.push(p)
      if (rendered.cacheTtlSeconds !== undefined) this.cacheTtlSeconds = rendered.cacheTtlSeconds
      const sql = this.rewrite(rendered.sql, pipe, node)
      this.memo.set(key, sql)
      return sql
    } finally {
      this.stack.pop()
    }
  }

  /** The SQL another query reads when it names `pipe`. */
  pipeSql(pipe: PipeEntry): string {
    const out = outputNode(pipe)
    if (out === undefined) {
      throw new ServerError('ERR_DATAFILE_INVALID', `Pipe '${pipe.name}' has no nodes`, {
        details: { pipe: pipe.name },
      })
    }
    return this.node(pipe, out)
  }

  private rewrite(sql: string, pipe: PipeEntry, node: PipeNode): string {
    const a = analyze(sql, `node '${node.name}' of pipe '${pipe.name}'`)
    const reps: Replacement[] = []
    for (const t of a.tables) {
      const service = serviceRef(t.database, t.name)
      if (service !== undefined) {
        reps.push({ start: t.start, end: t.end, text: this.qualified(service) })
        continue
      }
      if (t.database !== undefined || a.cteNames.has(t.name)) continue
      const sibling = pipe.def.nodes.find((n) => n.name === t.name && n !== node)
      if (sibling !== undefined) {
        reps.push(subquery(t, this.node(pipe, sibling)))
        continue
      }
      const ds = this.res.datasource(t.name)
      if (ds !== undefined) {
        const text = this.datasourceSql(ds, undefined)
        // A subquery read keeps the data source's name as its alias, so `events.col` still resolves.
        const alias =
          this.res.readsAsSubqueries === true && !t.hasAlias
            ? ` AS ${escapeIdentifier(t.name)}`
            : ''
        reps.push({ start: t.start, end: t.end, text: text + alias })
        continue
      }
      const other = this.res.pipe(t.name)
      if (other !== undefined && other.id !== pipe.id) {
        reps.push(subquery(t, this.pipeSql(other)))
        continue
      }
      throw new ServerError(
        'ERR_DATAFILE_INVALID',
        `Resource '${t.name}' not found (node '${node.name}' of pipe '${pipe.name}'): it is not a node, pipe or data source`,
        { details: { pipe: pipe.name, node: node.name, resource: t.name } },
      )
    }
    return replaceRanges(sql, reps)
  }
}

function subquery(
  t: { start: number; end: number; hasAlias: boolean; name: string },
  sql: string,
): Replacement {
  return {
    start: t.start,
    end: t.end,
    text: `(\n${sql}\n)${t.hasAlias ? '' : ` AS ${escapeIdentifier(t.name)}`}`,
  }
}

function analyze(sql: string, where: string): SqlAnalysis {
  try {
    return analyzeSql(sql)
  } catch (e) {
    if (e instanceof SqlLexError) {
      throw new ServerError('ERR_ENGINE_QUERY_INVALID', `${e.message} in ${where}`, {
        details: { offset: e.offset },
      })
    }
    throw e
  }
}

/**
 * Composes a pipe's endpoint (or `opts.nodeName`) into one statement rendered with `args`.
 *
 * @param args - Request params after fixed params were applied (fixed params win).
 * @throws {ServerError} `ERR_TEMPLATE_*` (400) from rendering; `ERR_DATAFILE_INVALID` (400) for a name that
 *   is no node, pipe or data source, or a cycle; `ERR_REQUEST_NOT_FOUND` (404) for an unknown `nodeName`.
 * @see tinybird-compat.md §3.1: "The pipe name is replaced by the SQL of the endpoint node, with every node expanded"
 */
export function composePipe(
  res: Resources,
  pipe: PipeEntry,
  args: TemplateArgs,
  opts: ComposeOptions = {},
): Composed {
  const c = new Composer(res, args, opts.testMode ?? false)
  const node =
    opts.nodeName === undefined
      ? outputNode(pipe)
      : pipe.def.nodes.find((n) => n.name === opts.nodeName)
  if (node === undefined) {
    throw new ServerError(
      'ERR_REQUEST_NOT_FOUND',
      `Node '${opts.nodeName ?? ''}' not found in pipe '${pipe.name}'`,
    )
  }
  const sql = c.node(pipe, node)
  return {
    sql,
    settings: c.settings,
    warnings: c.warnings,
    usedParams: c.usedParams,
    cacheTtlSeconds: c.cacheTtlSeconds,
  }
}

/** Table functions user SQL may call: they read nothing but generated values. */
const SAFE_TABLE_FUNCTIONS = new Set([
  'numbers',
  'numbers_mt',
  'zeros',
  'zeros_mt',
  'values',
  'generaterandom',
  'null',
  'one',
])

/** Functions that read files, the network, other tables or server state by name. Lower case; prefixes end in `*`. */
const DENIED_FUNCTIONS = [
  'file',
  'url',
  's3',
  's3cluster',
  'hdfs',
  'remote',
  'remotesecure',
  'cluster',
  'clusterallreplicas',
  'mysql',
  'postgresql',
  'jdbc',
  'odbc',
  'sqlite',
  'mongodb',
  'redis',
  'input',
  'executable',
  'azureblobstorage',
  'gcs',
  'iceberg*',
  'deltalake*',
  'hudi*',
  'merge',
  'view',
  'viewifpermitted',
  'loop',
  'dictionary',
  'joinget*',
  'dictget*',
  'dicthas',
  'dictisin',
  'hascolumnintable',
  'getmacro',
  'getsetting*',
  'filesystem*',
  'currentuser',
  'shardnum',
  'initialqueryid',
  'queryid',
  'fuzzjson',
  'fuzzquery',
  'urlcluster',
  'filecluster',
  'ytsaurus',
  'arrowflight',
  'mergetreeindex',
  'mergetreeanalyzeindexes',
  'mergetreeprojection',
  'timeseries*',
  'prometheusquery*',
  'paimon*',
]

/** Settings user SQL may set; anything else (limits, `readonly`, access) is refused. */
const ALLOWED_SETTING =
  /^(max_threads|join_use_nulls|join_algorithm|joined_subquery_requires_alias|aggregate_functions_null_for_empty|any_join_distinct_right_table_keys|prefer_column_name_to_alias|optimize_[a-z0-9_]+|output_format_json_[a-z0-9_]+|output_format_parquet_[a-z0-9_]+|date_time_output_format|date_time_input_format|enable_analyzer|allow_experimental_analyzer|group_by_use_nulls|cast_keep_nullable|transform_null_in|count_distinct_implementation|distributed_product_mode|use_query_cache)$/

function isDeniedFunction(name: string): boolean {
  const n = name.toLowerCase()
  return DENIED_FUNCTIONS.some((d) => (d.endsWith('*') ? n.startsWith(d.slice(0, -1)) : n === d))
}

/** Options of {@link confineSql}. */
export interface ConfineOptions {
  /** The SQL `_` stands for (`q=` on an endpoint, `pipeline=` on `/v0/sql`). */
  readonly underscore?: string
  /** Template params for pipes the query reads. */
  readonly args?: TemplateArgs
  /** Databases that must never be named directly (the workspace's, `system`, …). */
  readonly protectedDatabases: readonly string[]
}

/**
 * Confines user SQL to what `policy` may read: one `SELECT`/`WITH` statement; every table reference
 * resolved to a data source (with the token's row filter), a pipe (composed, its fixed params applied) or
 * `_`; no table function beyond generated values; no function that reads files, URLs, dictionaries or other
 * tables by name; no setting beyond harmless query tuning; no direct database names. The analyzer errs on
 * the side of seeing a table, so anything it cannot place is refused rather than run.
 *
 * Shape: `{ sql, format }`: `sql` is the rewritten statement without `FORMAT`/`;`, `format` the trailing
 * `FORMAT` name when there was one.
 *
 * @throws {ServerError} `ERR_REQUEST_PARAM` (400) for more than one statement or a non-SELECT;
 *   `ERR_AUTH_SCOPE_DENIED` (403) for a resource the token cannot read (or that does not exist, for a
 *   non-admin: existence is not revealed), a denied function or setting; `ERR_REQUEST_NOT_FOUND` (404) for
 *   an unknown resource with an admin token.
 */
export function confineSql(
  res: Resources,
  sql: string,
  policy: ReadPolicy,
  opts: ConfineOptions,
): { sql: string; format: string | undefined; composed: Omit<Composed, 'sql'> } {
  const a = analyze(sql, 'the query')
  if (a.statements !== 1) {
    throw new ServerError('ERR_REQUEST_PARAM', 'Only one SQL statement is allowed', {
      details: { param: 'q' },
    })
  }
  if (!['SELECT', 'WITH', '('].includes(a.leading)) {
    throw new ServerError('ERR_REQUEST_PARAM', 'Only SELECT queries are allowed', {
      details: { param: 'q' },
    })
  }
  const deny = (message: string, details: Record<string, unknown>): never => {
    throw new ServerError('ERR_AUTH_SCOPE_DENIED', message, { details })
  }
  for (const f of a.functions) {
    if (
      isDeniedFunction(f.name) ||
      (f.inTablePosition && !SAFE_TABLE_FUNCTIONS.has(f.name.toLowerCase()))
    ) {
      deny(`The function '${f.name}' is not allowed in queries`, { function: f.name })
    }
  }
  for (const s of a.settings)
    if (!ALLOWED_SETTING.test(s))
      deny(`The setting '${s}' cannot be changed in queries`, { setting: s })
  const protectedDbs = new Set(opts.protectedDatabases.map((d) => d.toLowerCase()))
  for (const q of a.qualifiers) {
    if (protectedDbs.has(q.toLowerCase()))
      deny(`Database '${q}' cannot be named directly; use resource names`, { database: q })
  }

  const c = new Composer(res, opts.args ?? {}, false)
  const reps: Replacement[] = []
  for (const t of a.tables) {
    if (t.database === undefined && a.cteNames.has(t.name)) continue
    const notAllowed = (): never =>
      policy.admin
        ? (() => {
            throw new ServerError('ERR_REQUEST_NOT_FOUND', `Resource '${t.name}' not found`, {
              details: { resource: t.name },
            })
          })()
        : deny(`Resource '${t.name}' not found or the token has no READ scope for it`, {
            resource: t.name,
          })
    const service = serviceRef(t.database, t.name)
    if (service !== undefined && (policy.admin || policy.serviceDataSources === true)) {
      reps.push({
        start: t.start,
        end: t.end,
        text: c.qualified(service) + (t.hasAlias ? '' : ` AS ${escapeIdentifier(t.name)}`),
      })
      continue
    }
    if (t.database !== undefined) notAllowed()
    if (t.name === '_' && opts.underscore !== undefined) {
      reps.push(subquery(t, opts.underscore))
      continue
    }
    const ds = res.datasource(t.name)
    if (ds !== undefined) {
      const access = policy.datasource(ds)
      if (access === null) notAllowed()
      reps.push({
        start: t.start,
        end: t.end,
        text:
          c.datasourceSql(ds, access?.filter) +
          ((access?.filter || res.readsAsSubqueries === true) && !t.hasAlias
            ? ` AS ${escapeIdentifier(t.name)}`
            : ''),
      })
      continue
    }
    const p = res.pipe(t.name)
    if (p !== undefined) {
      const access = policy.pipe(p)
      if (access === null) notAllowed()
      const fixed = access?.fixedParams ?? {}
      const pc = new Composer(res, { ...opts.args, ...fixed }, false)
      const node = endpointNode(p) ?? (policy.admin ? outputNode(p) : undefined)
      if (node === undefined) {
        throw new ServerError(
          'ERR_REQUEST_PARAM',
          `The pipe '${p.name}' does not have an endpoint yet`,
          { details: { resource: p.name } },
        )
      }
      reps.push(subquery(t, pc.node(p, node)))
      Object.assign(c.settings, pc.settings)
      continue
    }
    notAllowed()
  }
  const body = replaceRanges(
    sql.slice(0, a.format?.start ?? a.bodyEnd),
    reps.filter((r) => r.end <= (a.format?.start ?? a.bodyEnd)),
  )
  return {
    sql: body.trim(),
    format: a.format?.name,
    composed: {
      settings: c.settings,
      warnings: c.warnings,
      usedParams: c.usedParams,
      cacheTtlSeconds: c.cacheTtlSeconds,
    },
  }
}
