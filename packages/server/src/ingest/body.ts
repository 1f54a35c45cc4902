/**
 * @module Request bodies for ingestion: read with a byte cap, gunzip (by header or magic bytes, base64-gzip
 * too), split into lines with per-line UTF-8 validation. Node only (zlib); imports `../errors.js`.
 */
import { gunzip } from 'node:zlib'
import { promisify } from 'node:util'
import { ServerError } from '../errors.js'

const gunzipAsync = promisify(gunzip)

/**
 * Reads a request body stream into one buffer, refusing more than `maxBytes`.
 *
 * @param maxBytes - Largest accepted body, in bytes.
 * @throws {ServerError} `ERR_REQUEST_TOO_LARGE` (413) past `maxBytes`.
 */
export async function readBody(
  stream: ReadableStream<Uint8Array> | null,
  maxBytes: number,
): Promise<Buffer> {
  if (stream === null) return Buffer.alloc(0)
  const chunks: Uint8Array[] = []
  let total = 0
  const reader = stream.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined)
      throw tooLarge(maxBytes)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks, total)
}

function tooLarge(maxBytes: number): ServerError {
  return new ServerError(
    'ERR_REQUEST_TOO_LARGE',
    `The request body is larger than the limit of ${String(Math.round(maxBytes / 1024 / 1024))} MB`,
    { details: { maxBytes } },
  )
}

/** True when `buf` starts with the gzip magic bytes. */
export function isGzip(buf: Uint8Array): boolean {
  return buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b
}

/**
 * Decompresses a body when `contentEncoding` names gzip or the bytes are gzip (or base64 of gzip, as
 * Kinesis Firehose sends); returns other bodies unchanged.
 *
 * @param maxBytes - Largest decompressed size, in bytes.
 * @throws {ServerError} `ERR_REQUEST_BODY` (400) for a truncated or corrupt gzip stream;
 *   `ERR_REQUEST_TOO_LARGE` (413) when it inflates past `maxBytes`.
 * @see tinybird-compat.md §4.1 (gzip by header or magic bytes)
 */
export async function maybeGunzip(
  buf: Buffer,
  contentEncoding: string | undefined,
  maxBytes: number,
): Promise<Buffer> {
  let input = buf
  if (!isGzip(buf) && buf.length > 4 && buf.subarray(0, 4).toString('latin1') === 'H4sI') {
    input = Buffer.from(buf.toString('latin1').trim(), 'base64')
  }
  const declared = contentEncoding?.toLowerCase().includes('gzip') === true
  if (!isGzip(input)) {
    if (declared && buf.length > 0)
      throw new ServerError(
        'ERR_REQUEST_BODY',
        'The body is not gzip although Content-Encoding says gzip',
      )
    return buf
  }
  try {
    return await gunzipAsync(input, { maxOutputLength: maxBytes })
  } catch (e) {
    if (e instanceof RangeError || (e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
      throw tooLarge(maxBytes)
    throw new ServerError('ERR_REQUEST_BODY', 'The gzip body is truncated or corrupt', { cause: e })
  }
}

const strict = new TextDecoder('utf-8', { fatal: true })
const lenient = new TextDecoder('utf-8')

/**
 * Splits a body into lines (`\n`; a trailing `\r` is removed by the mapper).
 *
 * Shape: `{ lines, invalidUtf8 }`: `invalidUtf8` holds the indexes of lines that are not valid UTF-8 (their
 * text has U+FFFD in place of the bad bytes), so only those lines are quarantined.
 */
export function splitLines(buf: Buffer): { lines: string[]; invalidUtf8: Set<number> } {
  const invalidUtf8 = new Set<number>()
  try {
    return { lines: strict.decode(buf).split('\n'), invalidUtf8 }
  } catch {
    const lines: string[] = []
    let start = 0
    while (start <= buf.length) {
      let end = buf.indexOf(0x0a, start)
      if (end < 0) end = buf.length
      const part = buf.subarray(start, end)
      try {
        lines.push(strict.decode(part))
      } catch {
        invalidUtf8.add(lines.length)
        lines.push(lenient.decode(part))
      }
      start = end + 1
    }
    return { lines, invalidUtf8 }
  }
}
