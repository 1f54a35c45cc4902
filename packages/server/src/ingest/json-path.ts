/**
 * @module Compiles the JSONPaths of a `.datasource` (`$.a.b`, `$['a-b']`, `$.list[0]`, `$.tags[:]`,
 * `$.items[:].id`) into fast extractors. Pure; imports nothing.
 */

type Step = { kind: 'key'; key: string } | { kind: 'index'; index: number } | { kind: 'all' }

/** An extractor: the value at the path, or `undefined` when the path is absent. */
export type Extractor = (root: unknown) => unknown

/** A compiled path: the extractor, and the key when the path is a single top-level key (`$.name`). */
export interface CompiledPath {
  readonly extract: Extractor
  /** Set for `$.name` / `$['name']`: the only key the path reads. */
  readonly topKey: string | undefined
}

/**
 * Parses a JSONPath into steps.
 *
 * @throws {TypeError} for syntax Dunlin does not support (filters, recursive descent, slices with bounds).
 */
function parseSteps(path: string): Step[] {
  if (!path.startsWith('$')) throw new TypeError(`JSONPath must start with $: ${path}`)
  const steps: Step[] = []
  let i = 1
  while (i < path.length) {
    const ch = path[i]
    if (ch === '.') {
      const m = /^[^.[\]]+/.exec(path.slice(i + 1))
      if (m === null) throw new TypeError(`Unsupported JSONPath: ${path}`)
      steps.push({ kind: 'key', key: m[0] })
      i += 1 + m[0].length
    } else if (ch === '[') {
      const close = path.indexOf(']', i)
      if (close < 0) throw new TypeError(`Unsupported JSONPath: ${path}`)
      const inner = path.slice(i + 1, close).trim()
      if (inner === ':' || inner === '*') steps.push({ kind: 'all' })
      else if (/^-?\d+$/.test(inner)) steps.push({ kind: 'index', index: Number(inner) })
      else if (/^'.*'$|^".*"$/.test(inner)) steps.push({ kind: 'key', key: inner.slice(1, -1) })
      else throw new TypeError(`Unsupported JSONPath: ${path}`)
      i = close + 1
    } else {
      throw new TypeError(`Unsupported JSONPath: ${path}`)
    }
  }
  return steps
}

function run(steps: readonly Step[], from: number, v: unknown): unknown {
  let cur = v
  for (let i = from; i < steps.length; i++) {
    const s = steps[i]
    if (s === undefined) break
    if (cur === null || typeof cur !== 'object') return undefined
    if (s.kind === 'key') {
      if (Array.isArray(cur)) return undefined
      cur = Object.hasOwn(cur, s.key) ? (cur as Record<string, unknown>)[s.key] : undefined
    } else if (s.kind === 'index') {
      if (!Array.isArray(cur)) return undefined
      cur = cur.at(s.index)
    } else {
      if (!Array.isArray(cur)) return undefined
      const rest = i + 1
      if (rest === steps.length) return cur
      return cur.map((x) => run(steps, rest, x)).filter((x) => x !== undefined)
    }
    if (cur === undefined) return undefined
  }
  return cur
}

/**
 * Compiles a JSONPath.
 *
 * Shape: {@link CompiledPath}. `[:]` maps the rest of the path over an array and drops absent elements, so
 * `$.items[:].id` on `{"items":[{"id":1},{}]}` gives `[1]`.
 *
 * @throws {TypeError} for unsupported syntax.
 * @see https://www.tinybird.co/docs/get-data-in/ingest-apis/events-api (JSONPaths)
 * @example
 * ```ts
 * compilePath('$.a.b').extract({ a: { b: 1 } }) // → 1
 * compilePath('$.tags[:]').extract({ tags: ['x'] }) // → ['x']
 * ```
 */
export function compilePath(path: string): CompiledPath {
  const steps = parseSteps(path.trim())
  const first = steps[0]
  if (steps.length === 1 && first?.kind === 'key') {
    const key = first.key
    return {
      topKey: key,
      extract: (root) =>
        root !== null &&
        typeof root === 'object' &&
        !Array.isArray(root) &&
        Object.hasOwn(root, key)
          ? (root as Record<string, unknown>)[key]
          : undefined,
    }
  }
  return { topKey: undefined, extract: (root) => run(steps, 0, root) }
}
