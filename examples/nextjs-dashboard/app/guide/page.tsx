/* eslint-disable -- Tinybird's guide code as published, kept as is to prove compatibility (not typed to this repo's rules). */
'use client'

// Tinybird's guide page (app/page.tsx of tinybirdco/guide-nextjs-jwt-auth), unchanged but for the chart:
// Tremor's Card/Title/BarChart are replaced by plain elements and a small bar chart.
import useSWR from 'swr'
import { BarChart } from '@/components/BarChart'
import { getEndpointUrl } from '@/utils'
import { useFetcher } from '@/hooks/useFetch'

const REFRESH_INTERVAL_IN_MILLISECONDS = 5000 // five seconds

export default function Dashboard() {
  const endpointUrl = getEndpointUrl()
  const fetcher = useFetcher()
  let top_airline, latency, errorMessage

  const { data } = useSWR(endpointUrl, fetcher, {
    refreshInterval: REFRESH_INTERVAL_IN_MILLISECONDS,
    onError: (error) => (errorMessage = error),
  })

  if (!data) return

  if (data?.error) {
    errorMessage = data.error
    return
  }

  top_airline = data.data
  latency = data.statistics?.elapsed

  return (
    <div className="card">
      <h2>Top airlines by bookings</h2>
      <p>Ranked from highest to lowest</p>
      {top_airline && <BarChart data={top_airline} index="airline" category="bookings" />}
      {latency && <p className="latency">Latency: {latency * 1000} ms</p>}
      {errorMessage && (
        <div className="error" id="error">
          <p>
            Oops, something happens: <strong>{errorMessage}</strong>
          </p>
          <p className="text-sm">Check your console for more information</p>
        </div>
      )}
    </div>
  )
}
