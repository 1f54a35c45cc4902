/**
 * @module How a runtime value becomes SQL text when a template prints it (`{{ value }}`): strings are escaped
 * literals, numbers bare (negatives in parentheses so `x -{{n}}` can never form a `--` comment), booleans `1`/`0`,
 * lists ClickHouse arrays, tuples tuples, dicts `map(…)`, trusted fragments verbatim. Pure; imports only siblings.
 */
import { escapeString } from './escape.js'
import { floatRepr, MAX_VALUE_DEPTH, PyError, type PyValue } from './values.js'

const MAX_RENDERED_RANGE = 100_000n

function renderNumber(v: bigint | number): string {
  const text = typeof v === 'bigint' ? v.toString() : floatRepr(v)
  return text.startsWith('-') ? `(${text})` : text
}

/**
 * Render `v` as SQL. `None` inside a container renders `NULL`; a top-level `None` is rejected by the caller first.
 *
 * @throws {PyError} for functions, values nested deeper than {@link MAX_VALUE_DEPTH} or ranges too long to print.
 *
 * @example
 * ```ts
 * renderValue(-5n) // → '(-5)'
 * renderValue(new PyList(['a', 1n])) // → "['a',1]"
 * renderValue(new PyDict(new Map([['k', 1.5]]))) // → "map('k',1.5)"
 * ```
 */
export function renderValue(v: PyValue, depth = 0): string {
  if (depth > MAX_VALUE_DEPTH) throw new PyError('value is nested too deeply')
  if (v === null) return 'NULL'
  switch (typeof v) {
    case 'boolean':
      return v ? '1' : '0'
    case 'bigint':
    case 'number':
      return renderNumber(v)
    case 'string':
      return escapeString(v)
    default:
      break
  }
  switch (v.kind) {
    case 'sql':
      return v.sql
    case 'placeholder':
      return "'__no_value__'"
    case 'list':
      return `[${v.items.map((x) => renderValue(x, depth + 1)).join(',')}]`
    case 'tuple':
      if (v.items.length === 1) return `tuple(${renderValue(v.items[0] ?? null, depth + 1)})`
      return v.items.length === 0
        ? 'tuple()'
        : `(${v.items.map((x) => renderValue(x, depth + 1)).join(',')})`
    case 'dict': {
      const parts: string[] = []
      for (const [k, x] of v.map) parts.push(renderValue(k, depth + 1), renderValue(x, depth + 1))
      return `map(${parts.join(',')})`
    }
    case 'range': {
      if (v.length > MAX_RENDERED_RANGE) throw new PyError('range is too long to render')
      const parts: string[] = []
      for (let i = v.start; v.step > 0n ? i < v.stop : i > v.stop; i += v.step)
        parts.push(renderNumber(i))
      return `[${parts.join(',')}]`
    }
    case 'function':
      throw new PyError(
        `the function ${v.name} cannot be rendered into SQL (did you forget to call it?)`,
      )
  }
}
