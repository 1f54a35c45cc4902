/**
 * @module Binding of call arguments to a helper's Python-style signature (positional or keyword), and the shared
 * iteration budget type. Pure; imports only siblings.
 */
import { PyError, type CallArgs, type PyValue } from './values.js'

/** What the helpers need from the running render. */
export interface EvalContext {
  /** Tinybird test mode: missing parameters are placeholders and `error()` is a no-op. */
  readonly testMode: boolean
  /** ClickHouse settings collected from `max_threads()`. */
  readonly settings: Record<string, string | number>
  /** Set by `cache_ttl()`, in seconds. */
  cacheTtlSeconds: number | undefined
  /** Charge `n` loop iterations against the render's budget. @throws when the budget is exhausted. */
  tick(n?: number): void
  /** The parameter names to list in a "Required parameter is not defined" message (always including `label`). */
  missingParams(label: string): string[]
}

/** Arguments bound to parameter names, plus the label of each bound positional argument. */
export interface Bound {
  readonly values: ReadonlyMap<string, PyValue>
  /** Label of the argument bound to `name` (the parameter name for `Int32(limit)` is `limit`), or `name`. */
  label(name: string): string
}

/**
 * Bind `call` to `params` (Python semantics: positional first, then keywords; no duplicates; unknown keywords
 * rejected unless `extraKwargs`). Missing parameters are simply absent from `values`.
 *
 * @throws {PyError} for too many positional arguments, a duplicated or unknown keyword, or a missing required one.
 *
 * @example
 * ```ts
 * bind('f', { args: [1n], kwargs: new Map([['b', 2n]]), labels: ['x'] }, ['a', 'b']).values // → Map { a: 1n, b: 2n }
 * bind('f', { args: [1n], kwargs: new Map(), labels: ['x'] }, ['a']).label('a') // → 'x'
 * ```
 */
export function bind(
  fname: string,
  call: CallArgs,
  params: readonly string[],
  opts: { required?: number; extraKwargs?: boolean } = {},
): Bound {
  if (call.args.length > params.length) {
    throw new PyError(
      `${fname}() takes at most ${params.length} arguments (${call.args.length} given)`,
    )
  }
  const values = new Map<string, PyValue>()
  const labels = new Map<string, string>()
  call.args.forEach((v, i) => {
    const name = params[i] ?? ''
    values.set(name, v)
    labels.set(name, call.labels[i] ?? name)
  })
  for (const [name, v] of call.kwargs) {
    if (!params.includes(name)) {
      if (opts.extraKwargs === true) continue
      throw new PyError(`${fname}() got an unexpected keyword argument '${name}'`)
    }
    if (values.has(name)) throw new PyError(`${fname}() got multiple values for argument '${name}'`)
    values.set(name, v)
  }
  const required = opts.required ?? 0
  for (let i = 0; i < required; i++) {
    const name = params[i] ?? ''
    if (!values.has(name)) throw new PyError(`${fname}() missing required argument: '${name}'`)
  }
  return { values, label: (name) => labels.get(name) ?? name }
}

/**
 * `values.get(name)`, with `undefined` and `None` both meaning "not given".
 *
 * @example
 * ```ts
 * given(bind('f', { args: [null], kwargs: new Map(), labels: [] }, ['a']), 'a') // → undefined
 * ```
 */
export function given(b: Bound, name: string): PyValue | undefined {
  const v = b.values.get(name)
  return v === null ? undefined : v
}
