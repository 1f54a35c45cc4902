/**
 * @module Token renewal for embedded Dunlin chart iframes: answers each frame's `dunlin:token-expired`
 * message with a fresh token, so charts keep working without a reload. Web APIs only.
 */

/** What a chart frame asks for: its chart id and pipe, and the `<iframe>` element it lives in. */
export interface ChartTokenRequest {
  readonly chartId: string
  readonly pipe: string | undefined
  readonly frame: HTMLIFrameElement
}

/** Options of {@link connectChartFrames}. */
export interface ConnectChartFramesOptions {
  /** Returns a token that may read the frame's pipe (e.g. `fetch('/generate-token')`). */
  readonly getToken: (request: ChartTokenRequest) => string | Promise<string>
  /** Dunlin's origin, e.g. `https://dunlin.example.com`. Default: the origin of each iframe's `src`. */
  readonly origin?: string
  /** Called when `getToken` fails; the frame keeps showing its expiry message. Default: ignore. */
  readonly onError?: (error: unknown, request: ChartTokenRequest) => void
  /** The window to listen on. Default: `globalThis.window`. */
  readonly window?: Window
}

/**
 * Answers `{ type: 'dunlin:token-expired', chartId }` messages from every chart iframe on the page with
 * `{ type: 'dunlin:token', token, chartId }`, posted to that frame only and only to the Dunlin origin.
 * Messages from other windows, or whose origin is not Dunlin's, are ignored.
 *
 * @returns A function that stops listening.
 * @example
 * ```ts
 * const stop = connectChartFrames({
 *   getToken: async () => (await (await fetch('/generate-token')).json()).token,
 * })
 * ```
 */
export function connectChartFrames(opts: ConnectChartFramesOptions): () => void {
  const win = opts.window ?? window
  const onMessage = (ev: MessageEvent): void => {
    const d: unknown = ev.data
    if (typeof d !== 'object' || d === null) return
    const msg = d as { type?: unknown; chartId?: unknown; pipe?: unknown }
    if (msg.type !== 'dunlin:token-expired' || typeof msg.chartId !== 'string') return
    const frame = Array.from(win.document.querySelectorAll('iframe')).find(
      (f) => f.contentWindow !== null && f.contentWindow === ev.source,
    )
    if (frame === undefined) return
    const origin = opts.origin ?? new URL(frame.src, win.location.href).origin
    if (ev.origin !== origin) return
    const request = {
      chartId: msg.chartId,
      pipe: typeof msg.pipe === 'string' ? msg.pipe : undefined,
      frame,
    }
    Promise.resolve()
      .then(() => opts.getToken(request))
      .then(
        (token) => {
          frame.contentWindow?.postMessage(
            { type: 'dunlin:token', token, chartId: request.chartId },
            origin,
          )
        },
        (err: unknown) => opts.onError?.(err, request),
      )
  }
  win.addEventListener('message', onMessage)
  return () => {
    win.removeEventListener('message', onMessage)
  }
}
