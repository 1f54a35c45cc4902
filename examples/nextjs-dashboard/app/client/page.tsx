'use client'

// The same dashboard with @dunlin/client: the server action is the token provider (called for the first token
// and before each expiry, once for all tabs), `usePipe` polls every 5 s and keeps the bars on screen meanwhile.
import { createClient } from '@dunlin/client'
import { DunlinProvider, usePipe } from '@dunlin/client/react'
import { BarChart } from '@/components/BarChart'
import { generateDunlinJWT } from '@/server/dunlin-token'

const REFRESH_INTERVAL_IN_MILLISECONDS = 5000 // five seconds

const client = createClient({
  host: process.env.NEXT_PUBLIC_TINYBIRD_HOST ?? '',
  token: generateDunlinJWT,
})

function TopAirlines() {
  const { data, error, isLoading, statistics } = usePipe<{ airline: string; bookings: number }>(
    'top_airlines',
    undefined,
    { refreshInterval: REFRESH_INTERVAL_IN_MILLISECONDS },
  )
  if (isLoading) return <p>Loading…</p>
  return (
    <div className="card">
      <h2>Top airlines by bookings</h2>
      <p>Ranked from highest to lowest</p>
      {data && <BarChart data={data} index="airline" category="bookings" />}
      {statistics && (
        <p className="latency">Latency: {(statistics.elapsed * 1000).toFixed(2)} ms</p>
      )}
      {error !== undefined && (
        <div className="error" id="error">
          Oops, something happens:{' '}
          <strong>{error instanceof Error ? error.message : 'unknown error'}</strong>
        </div>
      )}
    </div>
  )
}

export default function Dashboard() {
  return (
    <DunlinProvider client={client}>
      <TopAirlines />
    </DunlinProvider>
  )
}
