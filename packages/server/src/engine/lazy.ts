/**
 * @module An engine opened on first use. A remote deployment keeps a small embedded engine for what only this
 * machine can read (fixture files, an uploaded Parquet body) and opens it only when that happens.
 */
import type { Engine, EngineCapabilities } from './engine.js'

/** An {@link Engine} that opens itself on the first call; `close()` before any call opens nothing. */
export interface LazyEngine extends Engine {
  /** True once the engine was opened. */
  readonly opened: boolean
}

/**
 * Wraps `open` so it runs once, on the first query, command or insert. `capabilities` is only valid after a call.
 *
 * @param kind - The kind `open` returns (reported before it is opened).
 */
export function lazyEngine(kind: Engine['kind'], open: () => Promise<Engine>): LazyEngine {
  let engine: Promise<Engine> | undefined
  let closed = false
  const get = (): Promise<Engine> => {
    if (closed) return Promise.reject(new Error('engine closed'))
    engine ??= open()
    return engine
  }
  let caps: EngineCapabilities = {
    ctes: true,
    version: '',
    dropSync: true,
    mapType: true,
    lowCardinality: true,
    distributedRewrite: true,
  }
  const withEngine = async <T>(fn: (e: Engine) => Promise<T>): Promise<T> => {
    const e = await get()
    caps = e.capabilities
    return fn(e)
  }
  return {
    kind,
    get capabilities() {
      return caps
    },
    get opened() {
      return engine !== undefined
    },
    query: (sql, opts) => withEngine((e) => e.query(sql, opts)),
    command: (sql, opts) => withEngine((e) => e.command(sql, opts)),
    insert: (table, body, format, opts) => withEngine((e) => e.insert(table, body, format, opts)),
    async close() {
      closed = true
      if (engine !== undefined) await (await engine).close()
    },
  }
}
