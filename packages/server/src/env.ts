/** @module Environment variables, read the same way by the server and the CLI. Imports nothing. */

/** An environment variable; an empty value counts as unset (so `FOO=` in a unit file means the default). */
export function envVar(name: string): string | undefined {
  const v = process.env[name]
  return v === undefined || v === '' ? undefined : v
}
