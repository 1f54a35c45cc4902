import Link from 'next/link'

export default function Home() {
  return (
    <main>
      <h1>Top airlines, two ways</h1>
      <ul>
        <li>
          <Link href="/guide">The guide&apos;s page</Link>: its own <code>useFetcher</code> (refresh
          on 403) and SWR, unchanged, against Dunlin.
        </li>
        <li>
          <Link href="/client">With @dunlin/client/react</Link>: <code>usePipe</code>, the server
          action as the token provider.
        </li>
      </ul>
    </main>
  )
}
