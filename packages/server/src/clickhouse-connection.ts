/**
 * @module How this process reaches a ClickHouse server (URL, user, password, TLS files) and the prefix of the
 * databases it creates, from options or `DUNLIN_*` variables, checked before anything connects. Reads the TLS
 * files; imports the error catalogue and the environment reader.
 */
import { readFile } from 'node:fs/promises'
import { envVar } from './env.js'
import { ServerError } from './errors.js'

/** The database prefix when none is set: `dunlin_catalog`, `dunlin_sandbox`, `dunlin_<16 hex>`. */
export const DEFAULT_DATABASE_PREFIX = 'dunlin_'

/** What {@link resolveClickHouseConnection} reads; each field falls back to its variable. */
export interface ClickHouseConnectionInput {
  /** `DUNLIN_CLICKHOUSE_URL`. */
  readonly url?: string | undefined
  /** `DUNLIN_CLICKHOUSE_USER`; overrides a user in the URL. */
  readonly user?: string | undefined
  /** `DUNLIN_CLICKHOUSE_PASSWORD`; overrides a password in the URL. */
  readonly password?: string | undefined
  /** `DUNLIN_CLICKHOUSE_CA`: PEM file of the CA that signed the server's certificate. */
  readonly caFile?: string | undefined
  /** `DUNLIN_CLICKHOUSE_CERT`: PEM client certificate for mutual TLS (with `keyFile` and `caFile`). */
  readonly certFile?: string | undefined
  /** `DUNLIN_CLICKHOUSE_KEY`: PEM private key of `certFile`. */
  readonly keyFile?: string | undefined
}

/** A checked connection: what the engine adapter and the catalog store take. */
export interface ClickHouseConnection {
  readonly url: string
  readonly username?: string
  readonly password?: string
  readonly tls?: { readonly caCert: Buffer; readonly cert?: Buffer; readonly key?: Buffer }
}

const PREFIX = /^[A-Za-z_][A-Za-z0-9_]{0,31}$/

function invalid(setting: string, sentence: string): ServerError {
  return new ServerError('ERR_CONFIG_INVALID', `${setting}: ${sentence}`, { details: { setting } })
}

/**
 * The database prefix from `prefix` or `DUNLIN_DATABASE_PREFIX`: a letter or `_`, then letters, digits or `_`, at
 * most 32 characters, so every name built from it is a plain ClickHouse identifier.
 *
 * @throws {ServerError} `ERR_CONFIG_INVALID` naming `DUNLIN_DATABASE_PREFIX` otherwise.
 */
export function resolveDatabasePrefix(prefix?: string): string {
  const value = prefix ?? envVar('DUNLIN_DATABASE_PREFIX') ?? DEFAULT_DATABASE_PREFIX
  if (!PREFIX.test(value)) {
    throw invalid(
      'DUNLIN_DATABASE_PREFIX',
      'expected a letter or _, then letters, digits or _ (at most 32), e.g. staging_',
    )
  }
  return value
}

async function readPem(setting: string, file: string): Promise<Buffer> {
  try {
    return await readFile(file)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'unreadable'
    throw invalid(setting, `cannot read ${file} (${code})`)
  }
}

/**
 * The ClickHouse connection of this process, or undefined for the embedded engine (no URL).
 *
 * Passwords are taken from options or the environment and never logged; the URL is checked to be `http(s)://`.
 * TLS files need an `https://` URL; a client certificate needs its key and the CA.
 *
 * @throws {ServerError} `ERR_CONFIG_INVALID` (the message and `details.setting` name the variable) for a URL that
 *   is not http(s), TLS files with an `http://` URL, half a client certificate, or an unreadable file.
 */
export async function resolveClickHouseConnection(
  input: ClickHouseConnectionInput,
): Promise<ClickHouseConnection | undefined> {
  const url = input.url ?? envVar('DUNLIN_CLICKHOUSE_URL')
  if (url === undefined || url === '') return undefined
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw invalid(
      'DUNLIN_CLICKHOUSE_URL',
      'expected an http:// or https:// URL, e.g. http://host:8123',
    )
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw invalid(
      'DUNLIN_CLICKHOUSE_URL',
      'expected an http:// or https:// URL, e.g. http://host:8123',
    )
  const user = input.user ?? envVar('DUNLIN_CLICKHOUSE_USER')
  const password = input.password ?? envVar('DUNLIN_CLICKHOUSE_PASSWORD')
  const caFile = input.caFile ?? envVar('DUNLIN_CLICKHOUSE_CA')
  const certFile = input.certFile ?? envVar('DUNLIN_CLICKHOUSE_CERT')
  const keyFile = input.keyFile ?? envVar('DUNLIN_CLICKHOUSE_KEY')
  const anyTls = caFile !== undefined || certFile !== undefined || keyFile !== undefined
  if (anyTls && parsed.protocol !== 'https:')
    throw invalid('DUNLIN_CLICKHOUSE_CA', 'TLS files need an https:// DUNLIN_CLICKHOUSE_URL')
  if ((certFile === undefined) !== (keyFile === undefined))
    throw invalid(
      certFile === undefined ? 'DUNLIN_CLICKHOUSE_CERT' : 'DUNLIN_CLICKHOUSE_KEY',
      'mutual TLS needs both the client certificate and its key',
    )
  if (certFile !== undefined && caFile === undefined)
    throw invalid('DUNLIN_CLICKHOUSE_CA', 'mutual TLS needs the CA that signed the server too')
  const tls =
    caFile === undefined
      ? undefined
      : {
          caCert: await readPem('DUNLIN_CLICKHOUSE_CA', caFile),
          ...(certFile !== undefined && keyFile !== undefined
            ? {
                cert: await readPem('DUNLIN_CLICKHOUSE_CERT', certFile),
                key: await readPem('DUNLIN_CLICKHOUSE_KEY', keyFile),
              }
            : {}),
        }
  return {
    url,
    ...(user !== undefined ? { username: user } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(tls !== undefined ? { tls } : {}),
  }
}
