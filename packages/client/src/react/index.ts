/**
 * @module `@dunlin/client/react`: `<DunlinProvider client>` and `usePipe(name, params, { refreshInterval })`.
 * Peer dependency: `react` (18 or later). Built on `useSyncExternalStore` and {@link createPipeStore}, not on
 * SWR: the client already does what SWR's error retry would (token renewal, 429 and network retries), so the
 * hook only has to poll and keep the last data on screen. SWR users can keep SWR and pass `client.pipe` as the
 * fetcher (see the README).
 */
import {
  createContext,
  createElement,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useSyncExternalStore,
} from 'react'
import type { ReactElement, ReactNode } from 'react'
import type { DunlinClient, QueryParams } from '../index.js'
import { createPipeStore, INITIAL_PIPE_STATE } from './pipe-store.js'
import type { PipeState, PipeStore } from './pipe-store.js'

export { createPipeStore, INITIAL_PIPE_STATE } from './pipe-store.js'
export type { PipeState, PipeStore, PipeStoreOptions } from './pipe-store.js'

const IDLE_STATE: PipeState<never> = Object.freeze({ ...INITIAL_PIPE_STATE, isLoading: false })

const DunlinContext = createContext<DunlinClient | null>(null)

/**
 * Props of {@link DunlinProvider}.
 *
 * @example
 * ```tsx
 * const props: DunlinProviderProps = { client, children: <Dashboard /> }
 * ```
 */
export interface DunlinProviderProps {
  /** The client every `usePipe` below uses. Create it once (module scope or `useMemo`), not per render. */
  readonly client: DunlinClient
  readonly children?: ReactNode
}

/**
 * Makes a {@link DunlinClient} available to {@link usePipe} and {@link useDunlinClient} below it.
 *
 * @example
 * ```tsx
 * const client = createClient({ host: process.env.NEXT_PUBLIC_TINYBIRD_HOST!, token: generateJWT })
 * export default function App() {
 *   return <DunlinProvider client={client}><TopAirlines /></DunlinProvider>
 * }
 * ```
 */
export function DunlinProvider(props: DunlinProviderProps): ReactElement {
  return createElement(DunlinContext.Provider, { value: props.client }, props.children)
}

/**
 * The client of the nearest {@link DunlinProvider}.
 *
 * @throws {Error} outside a `DunlinProvider`.
 * @example
 * ```tsx
 * const client = useDunlinClient()
 * const onClick = () => client.events('clicks').send({ ts: new Date().toISOString() })
 * ```
 */
export function useDunlinClient(): DunlinClient {
  const client = useContext(DunlinContext)
  if (client === null)
    throw new Error('useDunlinClient/usePipe must be used inside <DunlinProvider client={…}>')
  return client
}

/**
 * Options of {@link usePipe}.
 *
 * @example
 * ```ts
 * const options: UsePipeOptions = { refreshInterval: 5000, keepPreviousData: true }
 * ```
 */
export interface UsePipeOptions {
  /** Poll every this many milliseconds. `0` or absent: fetch on mount and when the key changes. */
  readonly refreshInterval?: number
  /** Keep polling while the tab is hidden. Default `false`: polling pauses and catches up when shown. */
  readonly refreshWhenHidden?: boolean
  /**
   * When `name` or `params` change, show the previous rows until the new ones arrive. Default `false`
   * (a new key starts empty, so one tenant's rows never show under another's filter).
   */
  readonly keepPreviousData?: boolean
  /** Use this client instead of the provider's. */
  readonly client?: DunlinClient
}

/**
 * What {@link usePipe} returns.
 *
 * @example
 * ```ts
 * const { data, error, isLoading, statistics }: UsePipeResult<{ airline: string }> = usePipe('top_airlines')
 * ```
 */
export interface UsePipeResult<Row> extends PipeState<Row> {
  /** Fetch now; data stays on screen meanwhile. */
  readonly refresh: () => Promise<void>
}

/** A stable text key of the params: sorted keys, so `{ a, b }` and `{ b, a }` are one query. */
function paramsKey(params: QueryParams | undefined): string {
  if (params === undefined) return ''
  const entries = Object.keys(params)
    .sort()
    .flatMap((key) => {
      const value = params[key]
      if (value === undefined || value === null) return []
      const text = Array.isArray(value) ? (value as readonly unknown[]).map(String) : String(value)
      return [[key, text]]
    })
  return JSON.stringify(entries)
}

/**
 * Query a pipe and keep the result fresh. Returns `{ data, error, isLoading, statistics }` (and `meta`,
 * `isValidating`, `refresh`). `isLoading` is true only until the first answer; after that the last rows stay
 * on screen while a refresh or the client's token renewal runs, and a failed refresh sets `error` without
 * clearing `data`. Token expiry never shows up here at all: the client renews and retries inside the request.
 * Pass `null` as `name` to not query (e.g. until the user picks something). Renders `isLoading` on the server.
 *
 * @param name - Pipe name, or `null` to skip.
 * @param params - Pipe parameters (compared by value, not identity).
 * @param options - See {@link UsePipeOptions}.
 * @returns A {@link UsePipeResult}.
 * @example
 * ```tsx
 * function TopAirlines() {
 *   const { data, error, isLoading, statistics } = usePipe<{ airline: string; bookings: number }>(
 *     'top_airlines', { limit: 10 }, { refreshInterval: 5000 },
 *   )
 *   if (isLoading) return <p>Loading…</p>
 *   return (
 *     <>
 *       {error ? <p role="alert">Could not refresh</p> : null}
 *       <ul>{data?.map((r) => <li key={r.airline}>{r.airline}: {r.bookings}</li>)}</ul>
 *       <small>{((statistics?.elapsed ?? 0) * 1000).toFixed(1)} ms</small>
 *     </>
 *   )
 * }
 * ```
 */
export function usePipe<Row = Record<string, unknown>>(
  name: string | null,
  params?: QueryParams,
  options: UsePipeOptions = {},
): UsePipeResult<Row> {
  const contextClient = useContext(DunlinContext)
  const client = options.client ?? contextClient
  if (client === null) throw new Error('usePipe must be used inside <DunlinProvider client={…}>')
  const key = paramsKey(params)
  const interval = options.refreshInterval ?? 0
  const whenHidden = options.refreshWhenHidden ?? false
  const lastState = useRef<PipeState<Row> | undefined>(undefined)
  const keepPrevious = options.keepPreviousData ?? false

  const store = useMemo<PipeStore<Row> | undefined>(
    () =>
      name === null
        ? undefined
        : createPipeStore<Row>(client, name, params, {
            refreshInterval: interval,
            refreshWhenHidden: whenHidden,
            ...(keepPrevious && lastState.current?.data !== undefined
              ? { initial: lastState.current }
              : {}),
          }),
    // `params` is compared through `key`; `keepPrevious` only matters when the key changes.
    [client, name, key, interval, whenHidden],
  )

  const subscribe = useCallback(
    (listener: () => void) => (store === undefined ? () => undefined : store.subscribe(listener)),
    [store],
  )
  const getSnapshot = useCallback(
    (): PipeState<Row> => store?.getSnapshot() ?? (IDLE_STATE as PipeState<Row>),
    [store],
  )
  const getServerSnapshot = useCallback(
    (): PipeState<Row> => (store === undefined ? IDLE_STATE : INITIAL_PIPE_STATE) as PipeState<Row>,
    [store],
  )
  const state = useSyncExternalStore(subscribe, getSnapshot, getServerSnapshot)
  useEffect(() => {
    lastState.current = state
  }, [state])

  const refresh = useCallback((): Promise<void> => store?.refresh() ?? Promise.resolve(), [store])
  return useMemo(() => ({ ...state, refresh }), [state, refresh])
}
