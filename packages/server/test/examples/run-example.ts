/**
 * Starts an example app (`examples/<name>/server.ts`) as its README says — `node --import tsx server.ts` from
 * its folder — on a free port, against a test server, and stops it by PID.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const EXAMPLES = fileURLToPath(new URL('../../../../examples/', import.meta.url))

/** A running example app. */
export interface RunningExample {
  readonly url: string
  readonly output: string[]
  stop(): Promise<void>
}

/** Runs `node --import tsx server.ts` in `examples/<name>` with `env`; resolves once it prints its URL. */
export async function runExample(
  name: string,
  env: Record<string, string>,
): Promise<RunningExample> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'server.ts'], {
    cwd: `${EXAMPLES}${name}`,
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const output: string[] = []
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`example ${name} did not start:\n${output.join('')}`))
    }, 30_000)
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString('utf8')
      output.push(text)
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(text)
      if (match?.[1] !== undefined) {
        clearTimeout(timer)
        resolve(match[1])
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`example ${name} exited with ${String(code)}:\n${output.join('')}`))
    })
  })
  return {
    url,
    output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) {
          resolve()
          return
        }
        child.once('exit', () => {
          resolve()
        })
        child.kill('SIGTERM')
        setTimeout(() => child.kill('SIGKILL'), 5_000).unref()
      }),
  }
}
