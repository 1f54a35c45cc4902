/**
 * @module The few Python builtins templates may call (`len str int float range enumerate sum min max abs list
 * sorted`; `bool` is Tinybird's `Boolean` type helper) and the iteration protocol they share. Every element
 * produced counts against the render's loop budget. Pure; imports only siblings.
 */
import { bind, type EvalContext } from './call-args.js'
import { binaryOp } from './operators.js'
import { paramTypeError } from './template-errors.js'
import {
  asNumber,
  asText,
  MAX_VALUE_LENGTH,
  Placeholder,
  PyError,
  PyList,
  PyRange,
  PyTuple,
  pyCompare,
  pyStr,
  truthy,
  typeName,
  type CallArgs,
  type PyValue,
} from './values.js'

/** How many placeholders a test-mode loop over a missing parameter produces (as in Tinybird). */
export const PLACEHOLDER_ITERATIONS = 3

/**
 * Split a string into Python characters (code points).
 *
 * @example
 * ```ts
 * characters('a😀') // → ['a', '😀']
 * ```
 */
export function characters(s: string): string[] {
  return /[\uD800-\uDFFF]/.test(s) ? Array.from(s) : s.split('')
}

/**
 * The elements of an iterable value, charging each one to the loop budget.
 *
 * @throws {PyError} when `v` is not iterable.
 *
 * @example
 * ```ts
 * iterate(new PyRange(0n, 3n, 1n), ctx) // → [0n, 1n, 2n]
 * iterate(new Placeholder('x'), ctx) // → three placeholders
 * ```
 */
export function iterate(v: PyValue, ctx: EvalContext): PyValue[] {
  if (v instanceof Placeholder) {
    ctx.tick(PLACEHOLDER_ITERATIONS)
    return Array.from({ length: PLACEHOLDER_ITERATIONS }, () => new Placeholder(v.name))
  }
  if (typeof v === 'string') {
    ctx.tick(v.length)
    return characters(v)
  }
  if (v !== null && typeof v === 'object') {
    switch (v.kind) {
      case 'list':
      case 'tuple':
        ctx.tick(v.items.length)
        return [...v.items]
      case 'dict':
        ctx.tick(v.map.size)
        return [...v.map.keys()]
      case 'sql':
        if (v.items) {
          ctx.tick(v.items.length)
          return [...v.items]
        }
        ctx.tick(v.sql.length)
        return characters(v.sql)
      case 'range': {
        const n = v.length
        ctx.tick(n > BigInt(MAX_VALUE_LENGTH) ? MAX_VALUE_LENGTH + 1 : Number(n))
        const out: PyValue[] = []
        for (let i = v.start; v.step > 0n ? i < v.stop : i > v.stop; i += v.step) out.push(i)
        return out
      }
      default:
        break
    }
  }
  throw new PyError(`'${typeName(v)}' object is not iterable`)
}

function toInt(v: PyValue, label: string): bigint {
  if (v instanceof Placeholder) return 0n
  const n = asNumber(v)
  if (typeof n === 'bigint') return n
  if (typeof n === 'number') {
    if (!Number.isFinite(n)) throw new PyError('cannot convert float infinity or NaN to integer')
    return BigInt(Math.trunc(n))
  }
  const text = asText(v)
  if (text !== undefined) {
    const m = /^\s*([+-]?\d+(?:_\d+)*)\s*$/.exec(text)
    if (m?.[1] !== undefined) return BigInt(m[1].replace(/_/g, ''))
    throw paramTypeError(label, 'int')
  }
  throw new PyError(`int() argument must be a string or a number, not '${typeName(v)}'`)
}

function toFloat(v: PyValue, label: string): number {
  if (v instanceof Placeholder) return 0
  const n = asNumber(v)
  if (n !== undefined) return Number(n)
  const text = asText(v)
  if (text !== undefined) {
    const t = text.trim().replace(/(\d)_(?=\d)/g, '$1')
    if (/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(t)) return Number(t)
    const special = /^([+-]?)(inf|infinity|nan)$/i.exec(t)
    if (special)
      return special[2]?.toLowerCase() === 'nan'
        ? Number.NaN
        : special[1] === '-'
          ? -Infinity
          : Infinity
    throw paramTypeError(label, 'float')
  }
  throw new PyError(`float() argument must be a string or a number, not '${typeName(v)}'`)
}

function intArg(v: PyValue | undefined, fname: string): bigint {
  const n = asNumber(v ?? null)
  if (typeof n !== 'bigint')
    throw new PyError(
      `'${typeName(v ?? null)}' object cannot be interpreted as an integer in ${fname}()`,
    )
  return n
}

function extremum(fname: 'min' | 'max', call: CallArgs, ctx: EvalContext): PyValue {
  if (call.kwargs.size > 0) throw new PyError(`${fname}() keyword arguments are not supported`)
  const items = call.args.length === 1 ? iterate(call.args[0] ?? null, ctx) : [...call.args]
  if (items.length === 0) throw new PyError(`${fname}() arg is an empty sequence`)
  let best = items[0] ?? null
  for (const x of items.slice(1)) {
    const c = pyCompare(x, best, fname === 'min' ? '<' : '>')
    if (fname === 'min' ? c < 0 : c > 0) best = x
  }
  return best
}

/** A builtin: receives the call and the running render. */
export type Builtin = (call: CallArgs, ctx: EvalContext) => PyValue

/** Builtins by name. */
export const BUILTINS: Readonly<Record<string, Builtin>> = {
  len: (call) => {
    const v = bind('len', call, ['obj'], { required: 1 }).values.get('obj') ?? null
    if (typeof v === 'string') return BigInt(characters(v).length)
    if (v instanceof Placeholder) return BigInt(PLACEHOLDER_ITERATIONS)
    if (v !== null && typeof v === 'object') {
      if (v.kind === 'list' || v.kind === 'tuple') return BigInt(v.items.length)
      if (v.kind === 'dict') return BigInt(v.map.size)
      if (v.kind === 'range') return v.length
      if (v.kind === 'sql') return BigInt(v.items ? v.items.length : characters(v.sql).length)
    }
    throw new PyError(`object of type '${typeName(v)}' has no len()`)
  },
  str: (call) => {
    const b = bind('str', call, ['object'])
    return b.values.has('object') ? pyStr(b.values.get('object') ?? null) : ''
  },
  int: (call) => {
    const b = bind('int', call, ['x'])
    return toInt(b.values.get('x') ?? 0n, b.label('x'))
  },
  float: (call) => {
    const b = bind('float', call, ['x'])
    return toFloat(b.values.get('x') ?? 0, b.label('x'))
  },
  range: (call) => {
    if (call.kwargs.size > 0) throw new PyError('range() takes no keyword arguments')
    const [a, b, c] = call.args
    if (a === undefined) throw new PyError('range expected at least 1 argument, got 0')
    if (call.args.length > 3)
      throw new PyError(`range expected at most 3 arguments, got ${call.args.length}`)
    const step = c === undefined ? 1n : intArg(c, 'range')
    if (step === 0n) throw new PyError('range() arg 3 must not be zero')
    return b === undefined
      ? new PyRange(0n, intArg(a, 'range'), 1n)
      : new PyRange(intArg(a, 'range'), intArg(b, 'range'), step)
  },
  enumerate: (call, ctx) => {
    const b = bind('enumerate', call, ['iterable', 'start'], { required: 1 })
    let i = b.values.has('start') ? intArg(b.values.get('start'), 'enumerate') : 0n
    return new PyList(
      iterate(b.values.get('iterable') ?? null, ctx).map((x) => new PyTuple([i++, x])),
    )
  },
  sum: (call, ctx) => {
    const b = bind('sum', call, ['iterable', 'start'], { required: 1 })
    let total: PyValue = b.values.get('start') ?? 0n
    if (asText(total) !== undefined)
      throw new PyError("sum() can't sum strings [use ''.join(seq) instead]")
    for (const x of iterate(b.values.get('iterable') ?? null, ctx)) total = binaryOp('+', total, x)
    return total
  },
  min: (call, ctx) => extremum('min', call, ctx),
  max: (call, ctx) => extremum('max', call, ctx),
  abs: (call) => {
    const v = bind('abs', call, ['x'], { required: 1 }).values.get('x') ?? null
    const n = asNumber(v)
    if (n === undefined) throw new PyError(`bad operand type for abs(): '${typeName(v)}'`)
    return n < 0 ? -n : n
  },
  list: (call, ctx) => {
    const v = bind('list', call, ['iterable']).values.get('iterable')
    return new PyList(v === undefined ? [] : iterate(v, ctx))
  },
  sorted: (call, ctx) => {
    const b = bind('sorted', call, ['iterable', 'reverse'], { required: 1 })
    const items = iterate(b.values.get('iterable') ?? null, ctx)
    items.sort((x, y) => pyCompare(x, y, '<'))
    if (truthy(b.values.get('reverse') ?? false)) items.reverse()
    return new PyList(items)
  },
}
