/**
 * @module Python operators over runtime values: arithmetic (`+ - * / // %`), unary minus/plus, comparisons,
 * membership and identity. Results that could grow without bound (string/list repetition and concatenation, big
 * ints) are capped. Pure; imports only siblings.
 */
import type { BinaryOp, CompareOp } from './ast.js'
import {
  asNumber,
  asSequence,
  asText,
  dictKey,
  MAX_VALUE_LENGTH,
  Placeholder,
  PyError,
  PyList,
  PyTuple,
  pyCompare,
  pyEquals,
  typeName,
  type PyValue,
} from './values.js'

/** Largest magnitude an int may reach (2^4096); beyond it arithmetic fails instead of eating memory. */
const MAX_INT = 1n << 4096n

function checkInt(v: bigint): bigint {
  if (v > MAX_INT || v < -MAX_INT) throw new PyError('integer result is too large')
  return v
}

function checkLength(n: number): void {
  if (n > MAX_VALUE_LENGTH) throw new PyError('result is too large')
}

function unsupported(op: string, a: PyValue, b: PyValue): PyError {
  return new PyError(`unsupported operand type(s) for ${op}: '${typeName(a)}' and '${typeName(b)}'`)
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q
}

function pyMod(a: bigint, b: bigint): bigint {
  const r = a % b
  return r !== 0n && r < 0n !== b < 0n ? r + b : r
}

function repeat(seq: PyValue, times: bigint): PyValue | undefined {
  const n = times < 0n ? 0 : times > BigInt(MAX_VALUE_LENGTH) ? MAX_VALUE_LENGTH + 1 : Number(times)
  const text = asText(seq)
  if (text !== undefined) {
    checkLength(text.length * n)
    return text.repeat(n)
  }
  const items = asSequence(seq)
  if (items === undefined || seq === null || typeof seq !== 'object') return undefined
  checkLength(items.length * n)
  const out: PyValue[] = []
  for (let i = 0; i < n; i++) out.push(...items)
  return seq.kind === 'tuple' ? new PyTuple(out) : new PyList(out)
}

function arith(op: BinaryOp, x: bigint | number, y: bigint | number): PyValue {
  if (typeof x === 'bigint' && typeof y === 'bigint') {
    switch (op) {
      case '+':
        return checkInt(x + y)
      case '-':
        return checkInt(x - y)
      case '*':
        return checkInt(x * y)
      case '/':
        if (y === 0n) throw new PyError('division by zero')
        return Number(x) / Number(y)
      case '//':
        if (y === 0n) throw new PyError('integer division or modulo by zero')
        return floorDiv(x, y)
      case '%':
        if (y === 0n) throw new PyError('integer division or modulo by zero')
        return pyMod(x, y)
    }
  }
  const a = Number(x)
  const b = Number(y)
  switch (op) {
    case '+':
      return a + b
    case '-':
      return a - b
    case '*':
      return a * b
    case '/':
      if (b === 0) throw new PyError('float division by zero')
      return a / b
    case '//':
      if (b === 0) throw new PyError('float floor division by zero')
      return Math.floor(a / b)
    case '%': {
      if (b === 0) throw new PyError('float modulo')
      const r = a % b
      return r !== 0 && r < 0 !== b < 0 ? r + b : r
    }
  }
}

/**
 * `a <op> b` with Python semantics. Operations involving a test-mode placeholder yield a placeholder.
 *
 * @throws {PyError} for unsupported operand types, division by zero and oversized results.
 *
 * @example
 * ```ts
 * binaryOp('//', -7n, 2n) // → -4n
 * binaryOp('+', 'a', 'b') // → 'ab'
 * binaryOp('/', 4n, 2n) // → 2 (a float)
 * ```
 */
export function binaryOp(op: BinaryOp, a: PyValue, b: PyValue): PyValue {
  if (a instanceof Placeholder) return a
  if (b instanceof Placeholder) return b
  const x = asNumber(a)
  const y = asNumber(b)
  if (x !== undefined && y !== undefined) return arith(op, x, y)
  if (op === '+') {
    const ta = asText(a)
    const tb = asText(b)
    if (ta !== undefined && tb !== undefined) {
      checkLength(ta.length + tb.length)
      return ta + tb
    }
    if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
      if ((a.kind === 'list' && b.kind === 'list') || (a.kind === 'tuple' && b.kind === 'tuple')) {
        checkLength(a.items.length + b.items.length)
        const items = [...a.items, ...b.items]
        return a.kind === 'list' ? new PyList(items) : new PyTuple(items)
      }
    }
  }
  if (op === '*') {
    const r =
      typeof y === 'bigint' ? repeat(a, y) : typeof x === 'bigint' ? repeat(b, x) : undefined
    if (r !== undefined) return r
  }
  if (op === '%' && asText(a) !== undefined)
    throw new PyError("string formatting with '%' is not supported")
  throw unsupported(op, a, b)
}

/**
 * Unary `-`, `+` and `not`.
 *
 * @example
 * ```ts
 * unaryOp('-', 1.5, truthy) // → -1.5
 * unaryOp('not', '', truthy) // → true
 * ```
 */
export function unaryOp(
  op: '-' | '+' | 'not',
  v: PyValue,
  truthy: (v: PyValue) => boolean,
): PyValue {
  if (op === 'not') return !truthy(v)
  if (v instanceof Placeholder) return v
  const n = asNumber(v)
  if (n === undefined) throw new PyError(`bad operand type for unary ${op}: '${typeName(v)}'`)
  if (op === '+') return n
  return -n
}

/**
 * `item in container`.
 *
 * @throws {PyError} when the container does not support membership.
 *
 * @example
 * ```ts
 * contains(new PyList([1n]), 1.0) // → true
 * contains('abc', 'b') // → true
 * ```
 */
export function contains(container: PyValue, item: PyValue): boolean {
  if (container instanceof Placeholder) return false
  const items = asSequence(container)
  if (items !== undefined) return items.some((x) => pyEquals(x, item))
  const text = asText(container)
  if (text !== undefined) {
    const needle = asText(item)
    if (needle === undefined)
      throw new PyError(`'in <string>' requires string as left operand, not ${typeName(item)}`)
    return text.includes(needle)
  }
  if (container !== null && typeof container === 'object') {
    if (container.kind === 'dict') return container.map.has(dictKey(item))
    if (container.kind === 'range') {
      const n = asNumber(item)
      if (n === undefined || (typeof n === 'number' && !Number.isInteger(n))) return false
      const i = BigInt(n)
      const { start, stop, step } = container
      const inside = step > 0n ? i >= start && i < stop : i <= start && i > stop
      return inside && (i - start) % step === 0n
    }
  }
  throw new PyError(`argument of type '${typeName(container)}' is not iterable`)
}

/**
 * `a <op> b` for one comparison operator.
 *
 * @throws {PyError} for ordering of unorderable types or membership in a non-container.
 *
 * @example
 * ```ts
 * compareOp('not in', 'z', 'abc') // → true
 * compareOp('<=', 2n, 2.0) // → true
 * ```
 */
export function compareOp(op: CompareOp, a: PyValue, b: PyValue): boolean {
  switch (op) {
    case '==':
      return pyEquals(a, b)
    case '!=':
      return !pyEquals(a, b)
    case '<':
      return pyCompare(a, b, op) < 0
    case '<=':
      return pyCompare(a, b, op) <= 0
    case '>':
      return pyCompare(a, b, op) > 0
    case '>=':
      return pyCompare(a, b, op) >= 0
    case 'in':
      return contains(b, a)
    case 'not in':
      return !contains(b, a)
    case 'is':
      return a === b
    case 'is not':
      return a !== b
  }
}
