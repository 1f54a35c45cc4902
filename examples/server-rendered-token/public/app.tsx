/**
 * The page of both routes. The server wrote `{ host, pipe, refreshMs, mode, token? }` into
 * `<script id="dunlin-config">`: with a `token` (the 1-day server-rendered one) the client gets that string;
 * without one it gets an async function that fetches a 1-minute token from `/api/get-auth-token`.
 */
import { createClient, decodeExpiry } from '@dunlin/client'
import type { DunlinClient } from '@dunlin/client'
import { DunlinProvider, usePipe } from '@dunlin/client/react'
import { useEffect, useState } from 'react'
import { createRoot } from 'react-dom/client'

interface PageConfig {
  host: string
  pipe: string
  refreshMs: number
  mode: 'server-rendered' | 'on-demand'
  token?: string
}

/** One render as tests see it: `window.dunlinRenders`. */
interface RenderRecord {
  rows: number | null
  error: boolean
  isLoading: boolean
}

const config = JSON.parse(
  document.getElementById('dunlin-config')?.textContent ?? '{}',
) as PageConfig
const renders: RenderRecord[] = []
;(window as unknown as { dunlinRenders: RenderRecord[] }).dunlinRenders = renders

let tokenCalls = 0
/** Token updates for the page header: this tab's provider calls and tokens shared by other tabs. */
const tokenListeners = new Set<(expiresAt: number | undefined, source: string) => void>()
const client: DunlinClient = createClient({
  host: config.host,
  token:
    config.token ??
    // Portive's `authToken: async () => …`, as is.
    (async () => {
      tokenCalls += 1
      const response = await fetch('/api/get-auth-token')
      if (!response.ok) throw new Error(`token endpoint answered ${response.status}`)
      return ((await response.json()) as { token: string }).token
    }),
  onTokenRefreshed: (event) => {
    for (const listener of tokenListeners) listener(event.expiresAtSeconds, event.source)
  },
})

function TokenInfo(): React.JSX.Element {
  const [expiresAt, setExpiresAt] = useState<number | undefined>(
    config.token === undefined ? undefined : decodeExpiry(config.token),
  )
  const [source, setSource] = useState('')
  useEffect(() => {
    const listener = (exp: number | undefined, from: string): void => {
      setExpiresAt(exp)
      setSource(from)
    }
    tokenListeners.add(listener)
    return () => {
      tokenListeners.delete(listener)
    }
  }, [])
  return (
    <p>
      Token: <strong id="mode">{config.mode}</strong> (
      {config.token === undefined ? 'async function' : 'string'}), expires{' '}
      <span id="expires">
        {expiresAt === undefined ? '…' : new Date(expiresAt * 1000).toISOString()}
      </span>
      {source === '' ? '' : ` (from ${source === 'broadcast' ? 'another tab' : 'this tab'})`}, token
      requests from this tab: <span id="token-calls">{tokenCalls}</span>
    </p>
  )
}

function Table(): React.JSX.Element {
  const { data, error, isLoading, statistics, meta } = usePipe(config.pipe, undefined, {
    refreshInterval: config.refreshMs,
  })
  renders.push({ rows: data?.length ?? null, error: error !== undefined, isLoading })
  if (isLoading) return <p id="loading">Loading…</p>
  return (
    <>
      {error === undefined ? null : (
        <p id="error" role="alert">
          Could not refresh: {error instanceof Error ? error.message : 'unknown error'}
        </p>
      )}
      <table id="rows">
        <thead>
          <tr>
            {meta?.map((column) => (
              <th key={column.name}>{column.name}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {data?.map((row, i) => (
            <tr key={i}>
              {meta?.map((column) => (
                <td key={column.name}>{String(row[column.name])}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <p>
        Latency <span id="latency">{((statistics?.elapsed ?? 0) * 1000).toFixed(1)}</span> ms
      </p>
    </>
  )
}

const root = document.getElementById('root')
if (root !== null) {
  createRoot(root).render(
    <DunlinProvider client={client}>
      <h1>
        {config.mode === 'server-rendered'
          ? 'A 1-day token rendered by the server'
          : '1-minute tokens on demand'}
      </h1>
      <TokenInfo />
      <Table />
    </DunlinProvider>,
  )
}
