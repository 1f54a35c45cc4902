import { createElement } from 'react'
import { renderToString } from 'react-dom/server'
import { describe, expect, it } from 'vitest'
import type { DunlinClient } from '../fetch/client.js'
import { DunlinProvider, useDunlinClient, usePipe } from './index.js'

/** A client whose every call is counted and never answers (server rendering must not call it). */
function countingClient(): DunlinClient & { calls: number } {
  const self = {
    calls: 0,
    pipe: () => {
      self.calls += 1
      return new Promise<never>(() => undefined)
    },
    sql: () => Promise.reject(new Error('unused')),
    events: () => ({ send: () => Promise.reject(new Error('unused')) }),
    getToken: () => Promise.resolve('t'),
    close: () => undefined,
  }
  return self
}

function Table(): ReturnType<typeof createElement> {
  const { data, isLoading, error } = usePipe<{ airline: string }>('top_airlines', { limit: 3 })
  if (isLoading) return createElement('p', null, 'loading')
  return createElement('p', null, `${String(data?.length)} ${String(error)}`)
}

describe('@dunlin/client/react on the server', () => {
  it('renders the loading state and sends no request', () => {
    const client = countingClient()
    const html = renderToString(createElement(DunlinProvider, { client }, createElement(Table)))
    expect(html).toBe('<p>loading</p>')
    expect(client.calls).toBe(0)
  })

  it('usePipe(null) is idle, not loading', () => {
    const client = countingClient()
    function Idle(): ReturnType<typeof createElement> {
      const { isLoading, data } = usePipe(null)
      return createElement(
        'p',
        null,
        `${String(isLoading)} ${data === undefined ? 'none' : 'rows'}`,
      )
    }
    expect(renderToString(createElement(DunlinProvider, { client }, createElement(Idle)))).toBe(
      '<p>false none</p>',
    )
  })

  it('useDunlinClient returns the provider client and throws outside one', () => {
    const client = countingClient()
    let seen: DunlinClient | undefined
    function Probe(): null {
      seen = useDunlinClient()
      return null
    }
    renderToString(createElement(DunlinProvider, { client }, createElement(Probe)))
    expect(seen).toBe(client)
    expect(() => renderToString(createElement(Probe))).toThrow(/DunlinProvider/)
  })
})
