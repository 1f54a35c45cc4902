/**
 * The page of seed 004, two ways. `?client=manual` (default): the seed's loop by hand — query with the stored
 * token; on an expired/invalid token (a 401, or a 403 with an `ERR_AUTH_TOKEN_*` code) log in again, store the
 * new token, retry once. `?client=dunlin`: the same loop run by `@dunlin/client`, the login being the token
 * provider (it also refreshes before expiry and never loops).
 */
import { createClient, DunlinApiError } from '@dunlin/client'
import type { DunlinClient, QueryResult } from '@dunlin/client'

type Row = Record<string, unknown>

function $(id: string): HTMLElement {
  const element = document.getElementById(id)
  if (element === null) throw new Error(`#${id} is missing`)
  return element
}

const config = (await (await fetch('/config.json')).json()) as { host: string; pipe: string }
const mode = new URLSearchParams(location.search).get('client') === 'dunlin' ? 'dunlin' : 'manual'
$('mode').textContent = mode

let credentials: { username: string; password: string } | undefined // memory only; a real app has a session cookie
let logins = 0
let client: DunlinClient | undefined

/** `POST /auth/login` → store the token (the seed's `authToken` variable) and return it. */
async function login(): Promise<string> {
  const res = await fetch('/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(credentials),
  })
  if (!res.ok) throw new Error(`login failed (${res.status})`)
  const { authToken, tenant } = (await res.json()) as { authToken: string; tenant: string }
  sessionStorage.setItem('authToken', authToken)
  logins += 1
  $('logins').textContent = String(logins)
  $('tenant').textContent = tenant
  return authToken
}

const TOKEN_CODES = new Set([
  'ERR_AUTH_TOKEN_EXPIRED',
  'ERR_AUTH_TOKEN_INVALID',
  'ERR_AUTH_TOKEN_MISSING',
])

/** The hand-written loop: one data request and, on an expired token, one login and one retry. */
async function queryManually(): Promise<QueryResult<Row>> {
  const url = `${config.host}/v0/pipes/${encodeURIComponent(config.pipe)}.json`
  const request = (): Promise<Response> =>
    fetch(url, {
      headers: { authorization: `Bearer ${sessionStorage.getItem('authToken') ?? ''}` },
    })
  let res = await request()
  if (res.status === 401 || res.status === 403) {
    const failure = (await res
      .clone()
      .json()
      .catch(() => ({}))) as { code?: string }
    if (res.status === 401 || TOKEN_CODES.has(failure.code ?? '')) {
      await login()
      res = await request()
    }
  }
  const body = (await res.json()) as QueryResult<Row> & { error?: string; code?: string }
  if (!res.ok)
    throw new Error(`${res.status} ${body.code ?? ''}: ${body.error ?? 'request failed'}`)
  return body
}

/** The library: the stored token first, then a login whenever the client needs a new token. */
function dunlinClient(username: string): DunlinClient {
  let stored = sessionStorage.getItem('authToken')
  return createClient({
    host: config.host,
    broadcast: username, // tabs of different users never share tokens
    token: async () => {
      if (stored !== null) {
        const token = stored
        stored = null
        return token
      }
      return login()
    },
  })
}

function render(result: QueryResult<Row>): void {
  const table = $('rows') as HTMLTableElement
  table.replaceChildren()
  const head = table.createTHead().insertRow()
  for (const column of result.meta) {
    const th = document.createElement('th')
    th.textContent = column.name
    head.append(th)
  }
  const tbody = table.createTBody()
  for (const row of result.data) {
    const tr = tbody.insertRow()
    for (const column of result.meta) tr.insertCell().textContent = String(row[column.name])
  }
  $('status').textContent = `${result.rows} rows at ${new Date().toLocaleTimeString()}`
}

async function load(): Promise<void> {
  const button = $('refresh') as HTMLButtonElement
  button.disabled = true
  try {
    render(client === undefined ? await queryManually() : await client.pipe<Row>(config.pipe))
    $('error').textContent = ''
  } catch (error) {
    $('error').textContent =
      error instanceof DunlinApiError
        ? `${error.status} ${error.code ?? ''}: ${error.message}`
        : String(error)
  } finally {
    button.disabled = false
  }
}

$('login').addEventListener('submit', (event) => {
  event.preventDefault()
  const form = new FormData(event.currentTarget as HTMLFormElement)
  const field = (name: string): string => {
    const value = form.get(name)
    return typeof value === 'string' ? value : ''
  }
  const username = field('username')
  credentials = { username, password: field('password') }
  sessionStorage.removeItem('authToken')
  client?.close()
  client = undefined
  void (async () => {
    try {
      await login()
    } catch (error) {
      $('error').textContent = String(error)
      return
    }
    if (mode === 'dunlin') client = dunlinClient(username)
    await load()
  })()
})
$('refresh').addEventListener('click', () => {
  void load()
})
