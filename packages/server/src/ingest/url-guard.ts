/**
 * @module The SSRF guard of URL imports: only http(s), and only hosts whose every address is public (loopback
 * allowed when asked, for local mode). Node only (dns); imports `../errors.js`.
 */
import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import { ServerError } from '../errors.js'

function v4(parts: number[]): 'loopback' | 'private' | 'public' {
  const [a = 0, b = 0] = parts
  if (a === 127) return 'loopback'
  if (
    a === 0 ||
    a === 10 ||
    (a === 100 && b >= 64 && b < 128) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b < 32) ||
    (a === 192 && b === 168) ||
    (a === 198 && (b === 18 || b === 19)) ||
    a >= 224
  )
    return 'private'
  return 'public'
}

/**
 * Classifies an IP address: `loopback` (127/8, ::1), `private` (RFC 1918, CGNAT, link-local, unique-local,
 * multicast, unspecified, benchmarking, IPv4-mapped private), or `public`.
 *
 * @example
 * ```ts
 * addressKind('169.254.169.254') // → 'private'
 * ```
 */
export function addressKind(ip: string): 'loopback' | 'private' | 'public' {
  if (isIP(ip) === 4) return v4(ip.split('.').map(Number))
  const s = ip.toLowerCase()
  if (s === '::1') return 'loopback'
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(s)
  if (mapped?.[1] !== undefined) return v4(mapped[1].split('.').map(Number))
  if (s === '::' || /^f[cd]/.test(s) || /^fe[89ab]/.test(s) || s.startsWith('ff')) return 'private'
  return 'public'
}

/**
 * Checks that `raw` is an http(s) URL whose host resolves only to allowed addresses.
 *
 * Shape: the parsed `URL`. The caller must not follow redirects (each hop would need the same check).
 *
 * @param opts.allowLoopback - Accept loopback addresses (local mode). Default false.
 * @param opts.allowHosts - Host names accepted whatever they resolve to (an operator's own storage on a private
 *   network, `ingest.allowUrlHosts`); compared case-insensitively with the URL's host name. Default none.
 * @throws {ServerError} `ERR_REQUEST_PARAM` (400) `Invalid url` for another scheme, an unresolvable host, or
 *   a private, link-local or (unless allowed) loopback address.
 * @see tinybird-compat.md §4.3 ("Private or redirected hosts are denied (SSRF guard) with 400 `Invalid url`")
 */
export async function checkImportUrl(
  raw: string,
  opts: { allowLoopback?: boolean; allowHosts?: readonly string[] } = {},
): Promise<URL> {
  let u: URL
  try {
    u = new URL(raw)
  } catch {
    throw new ServerError('ERR_REQUEST_PARAM', 'Invalid url', { details: { param: 'url' } })
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new ServerError('ERR_REQUEST_PARAM', 'Invalid url: only http and https are allowed')
  const host = u.hostname.replace(/^\[|\]$/g, '')
  if (opts.allowHosts?.some((h) => h.toLowerCase() === host.toLowerCase()) === true) return u
  let addrs: { address: string }[]
  try {
    addrs = isIP(host) !== 0 ? [{ address: host }] : await lookup(host, { all: true })
  } catch {
    throw new ServerError('ERR_REQUEST_PARAM', 'Invalid url: the host does not resolve')
  }
  for (const a of addrs) {
    const kind = addressKind(a.address)
    if (kind === 'private' || (kind === 'loopback' && opts.allowLoopback !== true))
      throw new ServerError('ERR_REQUEST_PARAM', 'Invalid url: private addresses are not allowed')
  }
  return u
}
