/**
 * @module Events API batching: rows sent to the same data source (with the same `wait`) in one tick are
 * joined into one NDJSON request; a batch over the byte limit is split between callers, never inside one
 * caller's rows. Imports nothing but types.
 */

/**
 * The Events API's answer, in its wire names: rows written and rows sent to `<ds>_quarantine`.
 *
 * @example
 * ```ts
 * const { successful_rows, quarantined_rows } = await client.events('clicks').send(rows, { wait: true })
 * ```
 */
export interface EventsResult {
  successful_rows: number
  quarantined_rows: number
}

/**
 * Options of {@link EventsSender.send}.
 *
 * @example
 * ```ts
 * await client.events('clicks').send(rows, { wait: true })
 * ```
 */
export interface SendOptions {
  /**
   * Ask the server to answer only after the rows are written (`wait=true`, HTTP 200), so write errors
   * surface. Default `false` (HTTP 202, errors only logged server-side).
   */
  readonly wait?: boolean
}

/**
 * Sends rows to one data source.
 *
 * @example
 * ```ts
 * const clicks: EventsSender<{ path: string }> = client.events('clicks')
 * await clicks.send({ path: '/' })
 * ```
 */
export interface EventsSender<Row extends object> {
  /**
   * Queue one row or a list of rows; rows queued in the same tick (for this data source and `wait`) go in one
   * request. Resolves with that request's counts (for the whole batch, not only these rows).
   */
  send(rows: Row | readonly Row[], options?: SendOptions): Promise<EventsResult>
}

interface Pending {
  readonly ndjson: string
  readonly bytes: number
  readonly resolve: (result: EventsResult) => void
  readonly reject: (error: unknown) => void
}

/**
 * Sends one NDJSON body; supplied by the client (token, retries).
 *
 * @example
 * ```ts
 * const sendBatch: SendBatch = (ds, wait, ndjson) => postEvents(ds, wait, ndjson)
 * ```
 */
export type SendBatch = (datasource: string, wait: boolean, ndjson: string) => Promise<EventsResult>

const encoder = new TextEncoder()

/**
 * A per-client queue that batches `send` calls made in the same tick.
 *
 * @example
 * ```ts
 * const queue = createEventQueue(sendBatch, 8 * 1024 * 1024)
 * await Promise.all([queue.enqueue('clicks', false, [{ a: 1 }]), queue.enqueue('clicks', false, [{ a: 2 }])]) // one request
 * ```
 */
export interface EventQueue {
  /** Queue rows; see {@link EventsSender.send}. */
  enqueue(datasource: string, wait: boolean, rows: readonly object[]): Promise<EventsResult>
}

/**
 * Create an {@link EventQueue}.
 *
 * @param sendBatch - Sends one body.
 * @param maxBatchBytes - Largest body, in bytes, before a batch is split between callers.
 * @returns The queue.
 * @example
 * ```ts
 * const queue = createEventQueue((ds, wait, body) => post(ds, wait, body), 8_388_608)
 * ```
 */
export function createEventQueue(sendBatch: SendBatch, maxBatchBytes: number): EventQueue {
  const batches = new Map<string, { datasource: string; wait: boolean; items: Pending[] }>()

  function flush(key: string): void {
    const batch = batches.get(key)
    batches.delete(key)
    if (batch === undefined) return
    let chunk: Pending[] = []
    let chunkBytes = 0
    const chunks: Pending[][] = []
    for (const item of batch.items) {
      if (chunk.length > 0 && chunkBytes + item.bytes > maxBatchBytes) {
        chunks.push(chunk)
        chunk = []
        chunkBytes = 0
      }
      chunk.push(item)
      chunkBytes += item.bytes
    }
    if (chunk.length > 0) chunks.push(chunk)
    for (const items of chunks) {
      sendBatch(batch.datasource, batch.wait, items.map((i) => i.ndjson).join('')).then(
        (result) => {
          for (const item of items) item.resolve(result)
        },
        (error: unknown) => {
          for (const item of items) item.reject(error)
        },
      )
    }
  }

  return {
    enqueue: (datasource, wait, rows) =>
      new Promise<EventsResult>((resolve, reject) => {
        let ndjson: string
        try {
          ndjson = rows.map((row) => `${JSON.stringify(row)}\n`).join('')
        } catch (error) {
          reject(
            error instanceof Error ? error : new TypeError('A row could not be serialized to JSON'),
          )
          return
        }
        if (ndjson === '') {
          resolve({ successful_rows: 0, quarantined_rows: 0 })
          return
        }
        const key = `${wait ? 'w' : 'n'}:${datasource}`
        let batch = batches.get(key)
        if (batch === undefined) {
          batch = { datasource, wait, items: [] }
          batches.set(key, batch)
          queueMicrotask(() => {
            flush(key)
          })
        }
        batch.items.push({ ndjson, bytes: encoder.encode(ndjson).length, resolve, reject })
      }),
  }
}
