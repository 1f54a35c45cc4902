/**
 * @module The state machine behind `usePipe`, free of React so it runs (and is tested) anywhere: one pipe
 * query, polled every `refreshInterval` ms while it has subscribers, that keeps the last good data while a
 * refresh (or the client's token renewal inside it) is in flight, and drops answers of superseded requests.
 * Imports only types and `../clock.js`.
 */
import { systemClock } from '../clock.js'
import type { Clock } from '../clock.js'
import type {
  DunlinClient,
  QueryParams,
  QueryResult,
  QueryStatistics,
  ColumnMeta,
} from '../index.js'

/**
 * A snapshot of one pipe query, as `usePipe` returns it (without `refresh`).
 *
 * @example
 * ```ts
 * const state: PipeState<{ airline: string }> = store.getSnapshot()
 * if (state.data) render(state.data)
 * ```
 */
export interface PipeState<Row> {
  /** Rows of the last successful answer; kept while a refresh is in flight and after a failed refresh. */
  readonly data: Row[] | undefined
  /** Column names and types of the last successful answer. */
  readonly meta: ColumnMeta[] | undefined
  /** Statistics of the last successful answer (`elapsed` is the query time in seconds). */
  readonly statistics: QueryStatistics | undefined
  /** The error of the last request, cleared by the next success. Data stays alongside it. */
  readonly error: unknown
  /** True while the first answer is awaited (no data yet). Never true again once data arrived. */
  readonly isLoading: boolean
  /** True while any request (first or refresh) is in flight. */
  readonly isValidating: boolean
}

/**
 * Options of {@link createPipeStore}.
 *
 * @example
 * ```ts
 * const options: PipeStoreOptions = { refreshInterval: 5000 }
 * ```
 */
export interface PipeStoreOptions {
  /** Poll every this many milliseconds while subscribed. `0` or absent: fetch once per subscription. */
  readonly refreshInterval?: number
  /** Poll even while the document is hidden. Default `false` (polls resume, with one fetch, on show). */
  readonly refreshWhenHidden?: boolean
  /** Start from this state (e.g. the previous key's data, with `keepPreviousData`). */
  readonly initial?: PipeState<unknown>
  /** Time and timers. Default the system clock. */
  readonly clock?: Clock
}

/**
 * One pipe query with subscribers: `subscribe` starts it (first fetch, then polling), the last unsubscribe
 * stops it (aborting the request in flight). Shaped for React's `useSyncExternalStore`.
 *
 * @example
 * ```ts
 * const store = createPipeStore(client, 'top_airlines', {}, { refreshInterval: 5000 })
 * const stop = store.subscribe(() => console.log(store.getSnapshot().data))
 * ```
 */
export interface PipeStore<Row> {
  subscribe(listener: () => void): () => void
  getSnapshot(): PipeState<Row>
  /** Fetch now (keeps the data on screen meanwhile). Resolves when that fetch settled. */
  refresh(): Promise<void>
}

/**
 * The state before the first answer.
 *
 * @example
 * ```ts
 * INITIAL_PIPE_STATE.isLoading // → true
 * ```
 */
export const INITIAL_PIPE_STATE: PipeState<never> = Object.freeze({
  data: undefined,
  meta: undefined,
  statistics: undefined,
  error: undefined,
  isLoading: true,
  isValidating: false,
})

interface DocumentLike {
  visibilityState?: string
  addEventListener(type: 'visibilitychange', listener: () => void): void
  removeEventListener(type: 'visibilitychange', listener: () => void): void
}

function currentDocument(): DocumentLike | undefined {
  const doc = (globalThis as { document?: DocumentLike }).document
  return doc !== undefined && typeof doc.addEventListener === 'function' ? doc : undefined
}

function isAbort(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { name?: unknown }).name === 'AbortError'
  )
}

/**
 * Create the store of one pipe query (what `usePipe` runs on). Answers of a request that was superseded or
 * aborted are dropped; a failed refresh keeps the previous data and sets `error`; the client's own token
 * renewal and retries happen inside one request, so they never show as an error or an empty table.
 *
 * @param client - A {@link DunlinClient}.
 * @param name - Pipe name.
 * @param params - Pipe parameters.
 * @param options - See {@link PipeStoreOptions}.
 * @returns A {@link PipeStore}.
 * @example
 * ```ts
 * const store = createPipeStore<{ airline: string }>(client, 'top_airlines', { limit: 5 }, { refreshInterval: 5000 })
 * const unsubscribe = store.subscribe(() => { console.log(store.getSnapshot()) })
 * ```
 */
export function createPipeStore<Row>(
  client: DunlinClient,
  name: string,
  params: QueryParams = {},
  options: PipeStoreOptions = {},
): PipeStore<Row> {
  const clock = options.clock ?? systemClock
  const interval = options.refreshInterval ?? 0
  let state = (options.initial ?? INITIAL_PIPE_STATE) as PipeState<Row>
  if (options.initial !== undefined) state = { ...state, isLoading: state.data === undefined }
  const listeners = new Set<() => void>()
  let controller: AbortController | undefined
  let timer: unknown
  let generation = 0
  let stale = false
  let unlistenVisibility: (() => void) | undefined

  const set = (patch: Partial<PipeState<Row>>): void => {
    state = { ...state, ...patch }
    for (const listener of [...listeners]) listener()
  }

  const hidden = (): boolean =>
    options.refreshWhenHidden !== true && currentDocument()?.visibilityState === 'hidden'

  const schedule = (): void => {
    if (interval <= 0 || listeners.size === 0) return
    clock.clearTimeout(timer)
    timer = clock.setTimeout(() => {
      timer = undefined
      if (hidden()) {
        stale = true // caught up by the visibilitychange listener
        return
      }
      void run()
    }, interval)
  }

  const run = (): Promise<void> => {
    controller?.abort()
    const own = new AbortController()
    controller = own
    generation += 1
    const mine = generation
    set({ isValidating: true, isLoading: state.data === undefined })
    const promise = client
      .pipe<Row>(name, params, { signal: own.signal })
      .then(
        (result: QueryResult<Row>) => {
          if (mine !== generation) return
          set({
            data: result.data,
            meta: result.meta,
            statistics: result.statistics,
            error: undefined,
            isLoading: false,
            isValidating: false,
          })
        },
        (error: unknown) => {
          if (mine !== generation || own.signal.aborted || isAbort(error)) return
          set({ error, isLoading: false, isValidating: false })
        },
      )
      .finally(() => {
        if (mine !== generation) return
        controller = undefined
        schedule()
      })
    return promise
  }

  const onVisibility = (): void => {
    if (!hidden() && stale) {
      stale = false
      void run()
    }
  }

  const start = (): void => {
    const doc = currentDocument()
    if (doc !== undefined && interval > 0) {
      doc.addEventListener('visibilitychange', onVisibility)
      unlistenVisibility = () => {
        doc.removeEventListener('visibilitychange', onVisibility)
      }
    }
    void run()
  }

  const stop = (): void => {
    generation += 1
    controller?.abort()
    controller = undefined
    clock.clearTimeout(timer)
    timer = undefined
    stale = false
    unlistenVisibility?.()
    unlistenVisibility = undefined
    if (state.isValidating) state = { ...state, isValidating: false }
  }

  return {
    subscribe(listener) {
      listeners.add(listener)
      if (listeners.size === 1) start()
      return () => {
        listeners.delete(listener)
        if (listeners.size === 0) stop()
      }
    },
    getSnapshot: () => state,
    refresh: () => (listeners.size === 0 ? Promise.resolve() : run()),
  }
}
