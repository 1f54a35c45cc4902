/**
 * @module Static analysis of a parsed template, in the spirit of Tinybird's `get_var_names_and_types`: which
 * request parameters it reads (with types, defaults and docs from the typed helpers), which are mandatory, which
 * reserved names it uses, and which parameters are typed arrays. Pure; imports only siblings.
 */
import type { ConstValue, Expr, Target, TemplateNode } from './ast.js'
import { BUILTINS } from './builtins.js'
import { HELPERS } from './helpers.js'
import { declaredType, TYPED_HELPERS } from './typed-helpers.js'
import type { TemplateValue } from './values.js'

/** One request parameter a template reads. `type` is a ClickHouse type name, `String` when only used untyped. */
export interface TemplateParam {
  name: string
  type: string
  default?: TemplateValue
  required: boolean
  description?: string
  example?: string
  enum?: string[]
  format?: string
}

/** Names Tinybird reserves for its own query-string parameters. */
export const RESERVED_PARAM_NAMES: ReadonlySet<string> = new Set([
  '__tb__semver',
  'debug_source_tables',
  'debug',
  'explain',
  'finalize_aggregations',
  'output_format_json_quote_64bit_integers',
  'output_format_json_quote_denormals',
  'output_format_parquet_string_as_string',
  'pipeline',
  'playground',
  'q',
  'query_id',
  'release_replacements',
  'tag',
  'template_parameters',
  'token',
  'job_timestamp',
])

/** Names that may never be template variables. */
export const FORBIDDEN_PARAM_NAMES: ReadonlySet<string> = new Set(['format', 'q'])

/** The result of {@link analyze}. */
export interface Analysis {
  readonly params: readonly TemplateParam[]
  /** Parameters whose absence fails the render (typed without default, or printed bare), never tested by `defined()`. */
  readonly mandatory: readonly string[]
  /** First use of `format` or `q`, if any. */
  readonly forbidden: { readonly name: string; readonly start: number } | undefined
  /** Reserved names used, first-use order (not `q`, which is forbidden). */
  readonly reserved: readonly string[]
  /** Element type of every parameter first declared with `Array(name, 'T')`. */
  readonly arrayTypes: ReadonlyMap<string, string>
}

interface ParamState {
  param: TemplateParam
  typed: boolean
  mandatory: boolean
}

function literal(
  e: Expr | undefined,
): { ok: true; value: ConstValue | ConstValue[] } | { ok: false } {
  if (e === undefined) return { ok: false }
  if (e.type === 'const') return { ok: true, value: e.value }
  if (e.type === 'unary' && e.op === '-' && e.operand.type === 'const') {
    const v = e.operand.value
    if (typeof v === 'bigint' || typeof v === 'number') return { ok: true, value: -v }
  }
  if (e.type === 'list' || e.type === 'tuple') {
    const values: ConstValue[] = []
    for (const item of e.items) {
      if (item.type !== 'const') return { ok: false }
      values.push(item.value)
    }
    return { ok: true, value: values }
  }
  return { ok: false }
}

/** Literal defaults as they appear in the template (ints beyond 2^53 as strings, like Tinybird). */
function toLiteral(v: ConstValue | ConstValue[]): TemplateValue {
  if (Array.isArray(v)) return v.map((x) => toLiteral(x))
  if (typeof v === 'bigint')
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(v)
      : v.toString()
  return v
}

function literalText(e: Expr | undefined): string | undefined {
  const l = literal(e)
  if (!l.ok || l.value === null || Array.isArray(l.value)) return undefined
  return typeof l.value === 'boolean' ? (l.value ? 'True' : 'False') : String(l.value)
}

/**
 * Analyse a parsed template body.
 *
 * @example
 * ```ts
 * analyze(parseTemplate('{{Int32(a, 1)}}{{b}}', 0, lines))
 * // → { params: [{ name: 'a', type: 'Int32', default: 1, required: false }, { name: 'b', type: 'String', required: false }],
 * //      mandatory: ['b'], forbidden: undefined, reserved: [], arrayTypes: Map {} }
 * ```
 */
export function analyze(nodes: readonly TemplateNode[]): Analysis {
  const states = new Map<string, ParamState>()
  const stored = new Set<string>()
  const testedByDefined = new Set<string>()
  const reserved: string[] = []
  const arrayTypes = new Map<string, string>()
  let forbidden: { name: string; start: number } | undefined

  const seeName = (name: string, start: number): void => {
    if (FORBIDDEN_PARAM_NAMES.has(name)) forbidden ??= { name, start }
    else if (RESERVED_PARAM_NAMES.has(name) && !reserved.includes(name)) reserved.push(name)
  }
  const isFunctionName = (name: string): boolean =>
    HELPERS.has(name) || TYPED_HELPERS.has(name) || Object.hasOwn(BUILTINS, name)

  const read = (name: string, opts: { mandatory?: boolean } = {}): void => {
    if (stored.has(name) || isFunctionName(name)) return
    const state = states.get(name)
    if (state) {
      state.mandatory ||= opts.mandatory === true
      return
    }
    states.set(name, {
      param: { name, type: 'String', required: false },
      typed: false,
      mandatory: opts.mandatory === true,
    })
  }

  const typedRead = (name: string, fname: string, call: Extract<Expr, { type: 'call' }>): void => {
    if (stored.has(name) || isFunctionName(name)) return
    const kw = new Map(call.kwargs.map((k) => [k.name, k.value]))
    const isArray = fname === 'Array'
    const arrayType = isArray ? literalText(call.args[1] ?? kw.get('type')) : undefined
    const type = declaredType(fname, arrayType) ?? 'String'
    if (isArray && !arrayTypes.has(name)) arrayTypes.set(name, arrayType ?? 'String')
    const defaultExpr = kw.get('default') ?? call.args[isArray ? 2 : 1]
    const dflt = literal(defaultExpr)
    const definedFalse = (() => {
      const d = literal(kw.get('defined') ?? call.args[isArray ? 3 : 2])
      return d.ok && d.value === false
    })()
    const mandatory =
      !(dflt.ok && dflt.value !== null) && !definedFalse && type !== 'Boolean' && type !== 'JSON'
    const existing = states.get(name)
    if (existing?.typed) {
      existing.mandatory ||= mandatory
      return
    }
    const param: TemplateParam = { name, type, required: false }
    if (dflt.ok && dflt.value !== null) param.default = toLiteral(dflt.value)
    const required = literal(kw.get('required'))
    param.required = required.ok && required.value === true
    for (const key of ['description', 'example', 'format'] as const) {
      const text = literalText(kw.get(key))
      if (text !== undefined) param[key] = text
    }
    const en = literal(kw.get('enum'))
    if (en.ok && Array.isArray(en.value))
      param.enum = en.value.map((v) => (v === null ? 'None' : String(v)))
    states.set(name, { param, typed: true, mandatory: mandatory || existing?.mandatory === true })
  }

  const visit = (e: Expr, bareOutput = false): void => {
    switch (e.type) {
      case 'name':
        seeName(e.name, e.start)
        read(e.name, { mandatory: bareOutput })
        return
      case 'const':
        return
      case 'list':
      case 'tuple':
        for (const i of e.items) visit(i)
        return
      case 'dict':
        for (const [k, v] of e.entries) {
          visit(k)
          visit(v)
        }
        return
      case 'unary':
        visit(e.operand)
        return
      case 'binary':
        visit(e.left)
        visit(e.right)
        return
      case 'bool':
        for (const v of e.values) visit(v)
        return
      case 'compare':
        visit(e.left)
        for (const r of e.rights) visit(r)
        return
      case 'cond':
        visit(e.test)
        visit(e.body)
        visit(e.orelse)
        return
      case 'attr':
        visit(e.object)
        return
      case 'index':
        visit(e.object)
        visit(e.index)
        return
      case 'slice':
        visit(e.object)
        for (const part of [e.lower, e.upper, e.step]) if (part) visit(part)
        return
      case 'call': {
        const first = e.args[0]
        if (e.func.type === 'name') {
          seeName(e.func.name, e.func.start)
          const fname = e.func.name
          if (first?.type === 'name' && TYPED_HELPERS.has(fname)) {
            seeName(first.name, first.start)
            typedRead(first.name, fname, e)
            for (const a of e.args.slice(1)) visit(a)
            for (const k of e.kwargs) visit(k.value)
            return
          }
          if (fname === 'defined' && first?.type === 'name') testedByDefined.add(first.name)
        } else visit(e.func)
        for (const a of e.args) visit(a)
        for (const k of e.kwargs) visit(k.value)
        return
      }
    }
  }

  const store = (t: Target): void => {
    if (t.type === 'name') {
      seeName(t.name, t.start)
      stored.add(t.name)
    } else for (const item of t.items) store(item)
  }

  const walk = (body: readonly TemplateNode[]): void => {
    for (const node of body) {
      switch (node.type) {
        case 'output':
          visit(node.expr, true)
          break
        case 'if':
          for (const branch of node.branches) {
            visit(branch.test)
            walk(branch.body)
          }
          if (node.orelse) walk(node.orelse)
          break
        case 'for':
          visit(node.iter)
          store(node.target)
          walk(node.body)
          break
        case 'while':
          visit(node.test)
          walk(node.body)
          break
        case 'set':
          if (node.op !== '=')
            visit(
              node.target.type === 'name'
                ? {
                    type: 'name',
                    name: node.target.name,
                    start: node.target.start,
                    end: node.target.end,
                  }
                : { type: 'const', value: null, start: 0, end: 0 },
            )
          visit(node.value)
          store(node.target)
          break
        default:
          break
      }
    }
  }
  walk(nodes)

  const all = [...states.values()]
  return {
    params: all.map((s) => s.param),
    mandatory: all
      .filter((s) => s.mandatory && !testedByDefined.has(s.param.name))
      .map((s) => s.param.name),
    forbidden,
    reserved,
    arrayTypes,
  }
}
