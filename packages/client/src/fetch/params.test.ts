import { describe, expect, it } from 'vitest'
import {
  MAX_GET_URL_LENGTH,
  appendParams,
  buildEventsRequest,
  buildReadRequest,
  paramsToJson,
} from './params.js'

const URL_BASE = 'https://api.example.com/v0/pipes/p.json'

describe('appendParams', () => {
  it('sends arrays as repeated keys and skips null/undefined', () => {
    const s = new URLSearchParams()
    appendParams(s, {
      a: 1,
      ids: [2, 3],
      flag: true,
      big: 10n,
      none: null,
      gone: undefined,
      text: 'x y',
    })
    expect(s.toString()).toBe('a=1&ids=2&ids=3&flag=true&big=10&text=x+y')
  })
})

describe('paramsToJson', () => {
  it('keeps arrays and numbers, stringifies bigints, drops null/undefined', () => {
    expect(paramsToJson({ ids: [1, 2n], n: 10n, s: 'a', b: false, x: null, y: undefined })).toEqual(
      {
        ids: [1, '2'],
        n: '10',
        s: 'a',
        b: false,
      },
    )
  })
})

describe('buildReadRequest', () => {
  it('makes a GET with the token in the Authorization header by default', () => {
    const { url, init } = buildReadRequest(URL_BASE, { limit: 5 }, 'tok', 'header')
    expect(url).toBe(`${URL_BASE}?limit=5`)
    expect(init.method).toBe('GET')
    expect(init.headers).toEqual({ authorization: 'Bearer tok' })
  })

  it('puts the token in the query when asked, and leaves no "?" when there is nothing', () => {
    expect(buildReadRequest(URL_BASE, {}, 'tok', 'query').url).toBe(`${URL_BASE}?token=tok`)
    expect(buildReadRequest(URL_BASE, {}, 'tok', 'header').url).toBe(URL_BASE)
  })

  it('switches to POST with a JSON body just past 2,048 characters', () => {
    const fill = (n: number): string => 'x'.repeat(n - `${URL_BASE}?q=`.length)
    const atLimit = buildReadRequest(URL_BASE, { q: fill(MAX_GET_URL_LENGTH) }, 't', 'header')
    expect(atLimit.url.length).toBe(MAX_GET_URL_LENGTH)
    expect(atLimit.init.method).toBe('GET')
    const over = buildReadRequest(
      URL_BASE,
      { q: fill(MAX_GET_URL_LENGTH + 1), ids: [1, 2] },
      't',
      'header',
    )
    expect(over.init.method).toBe('POST')
    expect(over.url).toBe(URL_BASE)
    expect(JSON.parse(over.init.body as string)).toEqual({
      q: fill(MAX_GET_URL_LENGTH + 1),
      ids: [1, 2],
    })
    expect(over.init.headers).toMatchObject({
      'content-type': 'application/json',
      authorization: 'Bearer t',
    })
  })

  it('counts a query token in the URL length, and keeps it in the URL of a POST', () => {
    const long = buildReadRequest(URL_BASE, { a: 'b' }, 't'.repeat(3000), 'query')
    expect(long.init.method).toBe('POST')
    expect(long.url).toBe(`${URL_BASE}?token=${'t'.repeat(3000)}`)
  })

  it('obeys a forced method', () => {
    expect(buildReadRequest(URL_BASE, { a: 1 }, 't', 'header', 'POST').init.method).toBe('POST')
    const q = 'x'.repeat(5000)
    expect(buildReadRequest(URL_BASE, { q }, 't', 'header', 'GET').init.method).toBe('GET')
  })
})

describe('buildEventsRequest', () => {
  it('posts NDJSON to /v0/events?name=<ds>[&wait=true]', () => {
    const { url, init } = buildEventsRequest(
      'https://h/v0/events',
      'clicks',
      true,
      '{"a":1}\n',
      't',
      'header',
    )
    expect(url).toBe('https://h/v0/events?name=clicks&wait=true')
    expect(init).toMatchObject({
      method: 'POST',
      body: '{"a":1}\n',
      headers: { 'content-type': 'application/x-ndjson', authorization: 'Bearer t' },
    })
  })
})
