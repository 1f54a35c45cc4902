/** @module How CLI commands reach a running server: HTTP only, never its data dir. */
import type { Command } from 'commander'

/** Where and as whom the CLI talks to a server. */
export interface Target {
  readonly host: string
  readonly token: string
}

/** A failed HTTP call, with the server's `code` when it sent one. */
export class CliHttpError extends Error {
  readonly status: number
  readonly code: string | undefined
  constructor(message: string, status: number, code: string | undefined) {
    super(message)
    this.name = 'CliHttpError'
    this.status = status
    this.code = code
  }
}

/**
 * Resolves the server and token: `--host`/`DUNLIN_HOST` (default `http://localhost:7181`), then
 * `--token`/`DUNLIN_TOKEN`/`TINYBIRD_TOKEN`, then the local-mode `GET /tokens` route.
 *
 * @throws {CliHttpError} when no token can be found.
 */
export async function resolveTarget(opts: { host?: string; token?: string }): Promise<Target> {
  const host = (opts.host ?? process.env['DUNLIN_HOST'] ?? 'http://localhost:7181').replace(
    /\/+$/,
    '',
  )
  const token = opts.token ?? process.env['DUNLIN_TOKEN'] ?? process.env['TINYBIRD_TOKEN']
  if (token !== undefined && token !== '') return { host, token }
  let res: Response
  try {
    res = await fetch(`${host}/tokens`)
  } catch {
    throw new CliHttpError(`Cannot reach ${host}. Is the server running? (npm start)`, 0, undefined)
  }
  if (!res.ok) {
    throw new CliHttpError(
      `No token given and ${host} does not serve local tokens. Pass --token or set DUNLIN_TOKEN`,
      res.status,
      undefined,
    )
  }
  const body = (await res.json()) as { admin_token: string }
  return { host, token: body.admin_token }
}

/** GET/POST with the target's token; returns the response for 2xx, else throws with the server's message. */
export async function call(
  target: Target,
  path: string,
  init: RequestInit = {},
): Promise<Response> {
  let res: Response
  try {
    res = await fetch(`${target.host}${path}`, {
      ...init,
      headers: {
        ...(init.headers as Record<string, string> | undefined),
        Authorization: `Bearer ${target.token}`,
      },
    })
  } catch {
    throw new CliHttpError(`Cannot reach ${target.host}. Is the server running?`, 0, undefined)
  }
  if (res.ok) return res
  const text = await res.text()
  let message = text
  let code: string | undefined
  try {
    const j = JSON.parse(text) as { error?: string; code?: string }
    message = j.error ?? text
    code = j.code
  } catch {
    // plain-text error body
  }
  throw new CliHttpError(
    `${res.status}${code ? ` ${code}` : ''}: ${message.trim()}`,
    res.status,
    code,
  )
}

/**
 * Adds `--host` and `--token` to a command that talks to a running server (see {@link resolveTarget}).
 *
 * @param tokenHelp - What the token must be allowed to do, for `--help`.
 */
export function withTarget(
  cmd: Command,
  tokenHelp = "token (default $DUNLIN_TOKEN, or the local server's admin token)",
): Command {
  return cmd
    .option('--host <url>', 'server URL (default $DUNLIN_HOST or http://localhost:7181)')
    .option('--token <token>', tokenHelp)
}
