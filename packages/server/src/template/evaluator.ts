/**
 * @module The interpreter: runs a parsed template against request parameters and returns the SQL text. Name
 * lookup goes locals (`set`/`for`) → helpers → request parameters → builtins → "missing" (`None`, or a placeholder in
 * test mode). Loops share one iteration budget; output size is checked as it grows. Pure; imports only siblings and
 * `../errors.js`.
 */
import { ServerError } from '../errors.js'
import type { Analysis } from './analysis.js'
import type { Expr, Target, TemplateNode } from './ast.js'
import { BUILTINS, characters, iterate } from './builtins.js'
import type { EvalContext } from './call-args.js'
import { HELPERS } from './helpers.js'
import { getMethod } from './methods.js'
import { binaryOp, compareOp, unaryOp } from './operators.js'
import { renderValue } from './render-value.js'
import {
  MESSAGE_PREFIX,
  paramMissingError,
  paramTypeError,
  syntaxError,
  type LineIndex,
} from './template-errors.js'
import { convertArrayParam, TYPED_HELPERS, type Helper } from './typed-helpers.js'
import {
  asNumber,
  asSequence,
  asText,
  dictKey,
  fromJsonValue,
  Placeholder,
  PyDict,
  PyError,
  PyFunction,
  PyList,
  PyTuple,
  truthy,
  typeName,
  type PyKey,
  type PyValue,
  type TemplateValue,
} from './values.js'

/** Total loop iterations (all loops, plus elements walked by builtins) one render may run. */
export const MAX_LOOP_ITERATIONS = 100_000

/** Everything one render needs. */
export interface EvalOptions {
  readonly source: string
  readonly lines: LineIndex
  readonly analysis: Analysis
  readonly args: Readonly<Record<string, TemplateValue | undefined>>
  readonly testMode: boolean
  readonly maxSqlBytes: number
}

type Signal = 'break' | 'continue' | undefined

const LABEL_LENGTH = 20

/**
 * Runs one render. Create a new instance per render.
 *
 * @example
 * ```ts
 * // renderTemplate() builds one per render:
 * new Evaluator({ source, lines, analysis, args: { x: '1' }, testMode: false, maxSqlBytes: 1_048_576 }).run(body) // → "'1'" for `%\n{{x}}`
 * ```
 */
export class Evaluator implements EvalContext {
  readonly testMode: boolean
  readonly settings: Record<string, string | number> = {}
  cacheTtlSeconds: number | undefined
  readonly usedParams: string[] = []

  readonly #opts: EvalOptions
  readonly #locals = new Map<string, PyValue>()
  readonly #argCache = new Map<string, PyValue>()
  readonly #used = new Set<string>()
  readonly #functions = new Map<string, PyFunction>()
  #iterations = 0
  #out: string[] = []
  #outLength = 0
  /** Offset of the statement being run, for error positions. */
  #at = 0

  constructor(opts: EvalOptions) {
    this.#opts = opts
    this.testMode = opts.testMode
  }

  /** Run `nodes` and return the rendered SQL. */
  run(nodes: readonly TemplateNode[]): string {
    this.#exec(nodes)
    return this.#out.join('')
  }

  /** Charge `n` iterations against {@link MAX_LOOP_ITERATIONS}. @throws {ServerError} `ERR_TEMPLATE_SYNTAX` (400) beyond it. */
  tick(n = 1): void {
    this.#iterations += n
    if (this.#iterations > MAX_LOOP_ITERATIONS) {
      throw this.#error(
        `${MESSAGE_PREFIX}the template exceeded ${MAX_LOOP_ITERATIONS} loop iterations`,
      )
    }
  }

  /** Mandatory parameters (see `Analysis.mandatory`) that were not sent, always including `label`. */
  missingParams(label: string): string[] {
    const absent = (name: string): boolean => this.#arg(name) === null && !this.#locals.has(name)
    const names = this.#opts.analysis.mandatory.filter(absent)
    return names.includes(label) ? names : [label, ...names.filter((n) => n !== label)]
  }

  /** The request value of `name` (own properties only), `null` when absent. */
  #arg(name: string): TemplateValue {
    const { args } = this.#opts
    return Object.hasOwn(args, name) ? (args[name] ?? null) : null
  }

  #error(message: string, at = this.#at): ServerError {
    return syntaxError(message, this.#opts.lines.positionAt(at))
  }

  #emit(text: string): void {
    this.#outLength += text.length
    if (this.#outLength > this.#opts.maxSqlBytes) throw tooLarge(this.#opts.maxSqlBytes)
    this.#out.push(text)
  }

  #exec(nodes: readonly TemplateNode[]): Signal {
    for (const node of nodes) {
      if (node.type === 'text') {
        this.#emit(node.text)
        continue
      }
      this.#at = node.start
      let signal: Signal
      try {
        signal = this.#execNode(node)
      } catch (e) {
        if (e instanceof PyError)
          throw this.#error(
            `${MESSAGE_PREFIX}${e.message}, line ${this.#opts.lines.positionAt(node.start).line}`,
            node.start,
          )
        throw e
      }
      if (signal !== undefined) return signal
    }
    return undefined
  }

  #execNode(node: Exclude<TemplateNode, { type: 'text' }>): Signal {
    switch (node.type) {
      case 'output': {
        const v = this.#eval(node.expr)
        this.#at = node.start
        if (v === null) throw this.#nullOutput(node.expr)
        this.#emit(renderValue(v))
        return undefined
      }
      case 'if':
        for (const branch of node.branches) {
          if (truthy(this.#eval(branch.test))) return this.#exec(branch.body)
        }
        return node.orelse ? this.#exec(node.orelse) : undefined
      case 'for': {
        // `iterate` already charged one tick per element.
        const items = this.#iterateExpr(node.iter)
        for (const item of items) {
          this.#at = node.start
          this.#assign(node.target, item)
          if (this.#exec(node.body) === 'break') break
        }
        return undefined
      }
      case 'while':
        while (truthy(this.#eval(node.test))) {
          this.tick()
          if (this.#exec(node.body) === 'break') break
          this.#at = node.start
        }
        return undefined
      case 'set': {
        let value = this.#eval(node.value)
        if (node.op !== '=') {
          if (node.target.type !== 'name')
            throw new PyError('illegal expression for augmented assignment')
          const current = this.#eval({
            type: 'name',
            name: node.target.name,
            start: node.target.start,
            end: node.target.end,
          })
          value = binaryOp(node.op === '+=' ? '+' : '-', current, value)
        }
        this.#assign(node.target, value)
        return undefined
      }
      case 'break':
      case 'continue':
        return node.type
    }
  }

  #nullOutput(expr: Expr): ServerError {
    const text = this.#opts.source.slice(expr.start, expr.end)
    const label = text.length > LABEL_LENGTH ? `${text.slice(0, LABEL_LENGTH)}...` : text
    const missing = this.#missingNamesIn(expr)
    const message = `${MESSAGE_PREFIX}expression "${label}" evaluated to null`
    if (missing.length === 0) return this.#error(message)
    return new ServerError('ERR_TEMPLATE_PARAM_MISSING', message, { details: { params: missing } })
  }

  #missingNamesIn(expr: Expr): string[] {
    const out: string[] = []
    const visit = (e: Expr): void => {
      if (e.type === 'name') {
        if (this.#isMissing(e.name) && !out.includes(e.name)) out.push(e.name)
        return
      }
      for (const child of children(e)) visit(child)
    }
    visit(expr)
    return out
  }

  #assign(target: Target, value: PyValue): void {
    if (target.type === 'name') {
      this.#locals.set(target.name, value)
      return
    }
    const items = iterate(value, this)
    if (items.length !== target.items.length) {
      throw new PyError(
        items.length > target.items.length
          ? `too many values to unpack (expected ${target.items.length})`
          : `not enough values to unpack (expected ${target.items.length}, got ${items.length})`,
      )
    }
    target.items.forEach((t, i) => {
      this.#assign(t, items[i] ?? null)
    })
  }

  #iterateExpr(expr: Expr): PyValue[] {
    const v = this.#eval(expr)
    if (v === null) this.#failIfMissing(expr)
    return iterate(v, this)
  }

  /** Throws the "Required parameter" error when `expr` is a parameter that was not sent. */
  #failIfMissing(expr: Expr): void {
    if (expr.type === 'name' && this.#isMissing(expr.name))
      throw paramMissingError(this.missingParams(expr.name))
  }

  #isMissing(name: string): boolean {
    if (this.#locals.has(name) || HELPERS.has(name) || TYPED_HELPERS.has(name)) return false
    if (this.#arg(name) !== null) return false
    return !Object.hasOwn(BUILTINS, name)
  }

  #helper(name: string): PyFunction | undefined {
    const cached = this.#functions.get(name)
    if (cached) return cached
    const impl: Helper | undefined =
      HELPERS.get(name) ??
      TYPED_HELPERS.get(name) ??
      (Object.hasOwn(BUILTINS, name) ? BUILTINS[name] : undefined)
    if (impl === undefined) return undefined
    const fn = new PyFunction(name, (call) => impl(call, this))
    this.#functions.set(name, fn)
    return fn
  }

  #param(name: string): PyValue | undefined {
    if (this.#argCache.has(name)) return this.#argCache.get(name)
    const raw = this.#arg(name)
    if (raw === null) return undefined
    let v: PyValue
    try {
      v = fromJsonValue(raw)
    } catch (e) {
      if (e instanceof PyError) throw paramTypeError(name, 'JSON value')
      throw e
    }
    const arrayType = this.#opts.analysis.arrayTypes.get(name)
    if (arrayType !== undefined) v = convertArrayParam(v, arrayType) ?? v
    this.#argCache.set(name, v)
    return v
  }

  #lookup(name: string): PyValue {
    const local = this.#locals.get(name)
    if (local !== undefined || this.#locals.has(name)) return local ?? null
    if (HELPERS.has(name) || TYPED_HELPERS.has(name)) return this.#helper(name) ?? null
    const param = this.#param(name)
    if (param !== undefined) {
      this.#markUsed(name)
      return param
    }
    if (Object.hasOwn(BUILTINS, name)) return this.#helper(name) ?? null
    this.#markUsed(name)
    return this.testMode ? new Placeholder(name) : null
  }

  #markUsed(name: string): void {
    if (this.#used.has(name)) return
    this.#used.add(name)
    this.usedParams.push(name)
  }

  #label(e: Expr): string {
    if (e.type === 'name') return e.name
    const text = this.#opts.source.slice(e.start, e.end)
    return text.length > LABEL_LENGTH ? `${text.slice(0, LABEL_LENGTH)}...` : text
  }

  #eval(e: Expr): PyValue {
    switch (e.type) {
      case 'const':
        return e.value
      case 'name':
        return this.#lookup(e.name)
      case 'list':
        return new PyList(e.items.map((i) => this.#eval(i)))
      case 'tuple':
        return new PyTuple(e.items.map((i) => this.#eval(i)))
      case 'dict': {
        const map = new Map<PyKey, PyValue>()
        for (const [k, v] of e.entries) map.set(dictKey(this.#eval(k)), this.#eval(v))
        return new PyDict(map)
      }
      case 'unary':
        return unaryOp(e.op, this.#eval(e.operand), truthy)
      case 'binary':
        return binaryOp(e.op, this.#eval(e.left), this.#eval(e.right))
      case 'bool': {
        let v: PyValue = null
        for (const part of e.values) {
          v = this.#eval(part)
          if (e.op === 'and' ? !truthy(v) : truthy(v)) return v
        }
        return v
      }
      case 'compare': {
        let left = this.#eval(e.left)
        for (let i = 0; i < e.ops.length; i++) {
          const op = e.ops[i] ?? '=='
          const rightExpr = e.rights[i] ?? e.left
          const right = this.#eval(rightExpr)
          if ((op === 'in' || op === 'not in') && right === null) this.#failIfMissing(rightExpr)
          if (!compareOp(op, left, right)) return false
          left = right
        }
        return true
      }
      case 'cond':
        return truthy(this.#eval(e.test)) ? this.#eval(e.body) : this.#eval(e.orelse)
      case 'attr': {
        const obj = this.#eval(e.object)
        if (obj === null) this.#failIfMissing(e.object)
        return getMethod(obj, e.name, this)
      }
      case 'index': {
        const obj = this.#eval(e.object)
        if (obj === null) this.#failIfMissing(e.object)
        return indexValue(obj, this.#eval(e.index))
      }
      case 'slice': {
        const obj = this.#eval(e.object)
        if (obj === null) this.#failIfMissing(e.object)
        const part = (x: Expr | undefined): bigint | undefined => {
          const v = x === undefined ? null : this.#eval(x)
          if (v === null) return undefined
          const n = asNumber(v)
          if (typeof n !== 'bigint') throw new PyError('slice indices must be integers or None')
          return n
        }
        return sliceValue(obj, part(e.lower), part(e.upper), part(e.step))
      }
      case 'call':
        return this.#call(e)
    }
  }

  #call(e: Extract<Expr, { type: 'call' }>): PyValue {
    let fn: PyValue
    if (e.func.type === 'name') {
      const name = e.func.name
      const local = this.#locals.get(name)
      if (this.#locals.has(name)) fn = local ?? null
      else {
        fn = this.#helper(name) ?? null
        if (fn === null && this.#arg(name) !== null) fn = this.#lookup(name)
        if (fn === null) throw new PyError(`'${name}' is not a valid function`)
      }
    } else fn = this.#eval(e.func)
    const args = e.args.map((a) => this.#eval(a))
    const kwargs = new Map(e.kwargs.map((k) => [k.name, this.#eval(k.value)] as const))
    if (!(fn instanceof PyFunction)) {
      if (fn instanceof Placeholder || e.func.type === 'name')
        throw new PyError(`'${this.#label(e.func)}' is not a valid function`)
      throw new PyError(`'${typeName(fn)}' object is not callable`)
    }
    return fn.call({ args, kwargs, labels: e.args.map((a) => this.#label(a)) })
  }
}

/**
 * The `ERR_REQUEST_TOO_LARGE` error for a rendered statement over `maxSqlBytes`.
 *
 * @example
 * ```ts
 * tooLarge(10) // → ServerError { code: 'ERR_REQUEST_TOO_LARGE', status: 413, details: { maxSqlBytes: 10 } }
 * ```
 */
export function tooLarge(maxSqlBytes: number): ServerError {
  return new ServerError(
    'ERR_REQUEST_TOO_LARGE',
    `The rendered SQL is larger than the limit of ${maxSqlBytes} bytes`,
    {
      details: { maxSqlBytes },
    },
  )
}

function children(e: Expr): Expr[] {
  switch (e.type) {
    case 'name':
    case 'const':
      return []
    case 'list':
    case 'tuple':
      return [...e.items]
    case 'dict':
      return e.entries.flatMap(([k, v]) => [k, v])
    case 'unary':
      return [e.operand]
    case 'binary':
      return [e.left, e.right]
    case 'bool':
      return [...e.values]
    case 'compare':
      return [e.left, ...e.rights]
    case 'cond':
      return [e.test, e.body, e.orelse]
    case 'attr':
      return [e.object]
    case 'index':
      return [e.object, e.index]
    case 'slice':
      return [e.object, ...[e.lower, e.upper, e.step].filter((x): x is Expr => x !== undefined)]
    case 'call':
      return [...e.args, ...e.kwargs.map((k) => k.value)]
  }
}

function normalizeIndex(index: PyValue, length: number, what: string): number {
  const n = asNumber(index)
  if (typeof n !== 'bigint')
    throw new PyError(`${what} indices must be integers or slices, not ${typeName(index)}`)
  const i = n < 0n ? n + BigInt(length) : n
  if (i < 0n || i >= BigInt(length)) throw new PyError(`${what} index out of range`)
  return Number(i)
}

function indexValue(obj: PyValue, index: PyValue): PyValue {
  if (obj instanceof Placeholder) {
    const n = asNumber(index)
    if (typeof n === 'bigint' && n > 2n) throw new PyError('index out of range')
    return new Placeholder(obj.name)
  }
  const items = asSequence(obj)
  if (items !== undefined)
    return (
      items[normalizeIndex(index, items.length, typeName(obj) === 'tuple' ? 'tuple' : 'list')] ??
      null
    )
  const text = asText(obj)
  if (text !== undefined) {
    const chars = characters(text)
    return chars[normalizeIndex(index, chars.length, 'string')] ?? null
  }
  if (obj !== null && typeof obj === 'object' && obj.kind === 'dict') {
    const key = dictKey(index)
    if (!obj.map.has(key)) throw new PyError('KeyError: the key is not in the dict')
    return obj.map.get(key) ?? null
  }
  if (obj !== null && typeof obj === 'object' && obj.kind === 'range') {
    const i = normalizeIndex(index, Number(obj.length), 'range object')
    return obj.start + BigInt(i) * obj.step
  }
  throw new PyError(`'${typeName(obj)}' object is not subscriptable`)
}

function sliceIndices(
  length: number,
  lower: bigint | undefined,
  upper: bigint | undefined,
  step: bigint,
): number[] {
  const len = BigInt(length)
  const clamp = (v: bigint | undefined, dflt: bigint, lo: bigint, hi: bigint): bigint => {
    if (v === undefined) return dflt
    const x = v < 0n ? v + len : v
    return x < lo ? lo : x > hi ? hi : x
  }
  const out: number[] = []
  if (step > 0n) {
    const start = clamp(lower, 0n, 0n, len)
    const stop = clamp(upper, len, 0n, len)
    for (let i = start; i < stop; i += step) out.push(Number(i))
  } else {
    const start = clamp(lower, len - 1n, -1n, len - 1n)
    const stop = clamp(upper, -1n, -1n, len - 1n)
    for (let i = start; i > stop; i += step) out.push(Number(i))
  }
  return out
}

function sliceValue(
  obj: PyValue,
  lower: bigint | undefined,
  upper: bigint | undefined,
  stepArg: bigint | undefined,
): PyValue {
  const step = stepArg ?? 1n
  if (step === 0n) throw new PyError('slice step cannot be zero')
  if (obj instanceof Placeholder) return obj
  const items = asSequence(obj)
  if (items !== undefined && obj !== null && typeof obj === 'object') {
    const picked = sliceIndices(items.length, lower, upper, step).map((i) => items[i] ?? null)
    return obj.kind === 'tuple' ? new PyTuple(picked) : new PyList(picked)
  }
  const text = asText(obj)
  if (text !== undefined) {
    const chars = characters(text)
    return sliceIndices(chars.length, lower, upper, step)
      .map((i) => chars[i] ?? '')
      .join('')
  }
  throw new PyError(`'${typeName(obj)}' object is not subscriptable`)
}
