/** @module The only file that binds a port. */
import { serve, type ServerType } from '@hono/node-server'
import type { Hono } from 'hono'
import type { AppEnv } from './context.js'

/** A listening server. */
export interface Listening {
  /** The bound port (useful with port 0). */
  readonly port: number
  /** Stops accepting connections and waits for open requests to finish. */
  close(): Promise<void>
}

/**
 * Serves `app` on `host:port` (port 0 picks a free port).
 *
 * @throws {Error} `EADDRINUSE` when the port is taken.
 */
export function listen(
  app: Hono<AppEnv>,
  opts: { port: number; host: string },
): Promise<Listening> {
  return new Promise((resolve, reject) => {
    const server: ServerType = serve(
      { fetch: app.fetch, port: opts.port, hostname: opts.host },
      (info) => {
        const s = server
        resolve({
          port: info.port,
          close: () =>
            new Promise<void>((res) => {
              s.close(() => {
                res()
              })
              if ('closeIdleConnections' in s) s.closeIdleConnections()
            }),
        })
      },
    )
    server.once('error', reject)
  })
}
