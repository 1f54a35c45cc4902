/**
 * @module Browser seams of the token lifecycle, each optional: Web Locks (one tab refreshes), BroadcastChannel
 * (tabs share the new token), page visibility (pause the timer in hidden tabs). {@link detectEnvironment}
 * reads them from `globalThis` with `typeof` guards, so the same code runs in Node, workers and edge runtimes
 * where some or all are missing. Imports nothing.
 */

/**
 * The part of `navigator.locks` the client uses: run `callback` while holding an exclusive lock `name`.
 *
 * @example
 * ```ts
 * const locks: LockManagerLike = { request: (name, callback) => navigator.locks.request(name, callback) }
 * ```
 */
export interface LockManagerLike {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>
}

/**
 * A message channel shared by every tab of the origin (a `BroadcastChannel`).
 *
 * @example
 * ```ts
 * const channel: ChannelLike | undefined = detectEnvironment().openChannel?.('dunlin-token:https://api.tinybird.co')
 * ```
 */
export interface ChannelLike {
  /** Send `message` to every other subscriber (never back to this one). */
  post(message: unknown): void
  /** Receive messages posted by others. */
  subscribe(listener: (message: unknown) => void): void
  /** Stop receiving and release the channel. */
  close(): void
}

/**
 * Page visibility: whether the tab is hidden, and a way to hear when that changes.
 *
 * @example
 * ```ts
 * const hidden = detectEnvironment().visibility?.isHidden() ?? false
 * ```
 */
export interface VisibilityLike {
  isHidden(): boolean
  /** Call `listener` on every change; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void
}

/**
 * The environment the token manager runs in. Every member is optional; missing ones are simply not used.
 *
 * @example
 * ```ts
 * createClient({ host, token, environment: {} }) // no locks, no channel, no visibility: as in Node
 * ```
 */
export interface TokenEnvironment {
  /** Cross-tab lock (`navigator.locks`). */
  readonly locks?: LockManagerLike
  /** Open a cross-tab channel by name (`new BroadcastChannel(name)`). */
  readonly openChannel?: (name: string) => ChannelLike
  /** Page visibility (`document`). */
  readonly visibility?: VisibilityLike
  /**
   * Let pending cross-tab messages be delivered (one macrotask). Called after a lock is granted, before
   * deciding whether another tab already refreshed. Default `setTimeout(0)`.
   */
  readonly yieldToEvents?: () => Promise<void>
}

interface WebGlobals {
  navigator?: {
    locks?: {
      request: (name: string, callback: () => Promise<unknown>) => Promise<unknown>
    }
  }
  BroadcastChannel?: new (name: string) => {
    postMessage(message: unknown): void
    addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void
    close(): void
  }
  document?: {
    visibilityState?: string
    addEventListener(type: 'visibilitychange', listener: () => void): void
    removeEventListener(type: 'visibilitychange', listener: () => void): void
  }
}

interface Unrefable {
  unref?: () => void
}

/**
 * Read the token environment from `globalThis`: `navigator.locks`, `BroadcastChannel` and `document`, each
 * only when present. In Node, a `BroadcastChannel` is `unref`'d so it never keeps the process alive.
 *
 * @returns The environment; members are absent where the runtime lacks the API.
 * @example
 * ```ts
 * const env = detectEnvironment()
 * env.locks === undefined // → true in Node 20
 * ```
 */
export function detectEnvironment(): TokenEnvironment {
  const g = globalThis as unknown as WebGlobals
  const env: {
    locks?: LockManagerLike
    openChannel?: (name: string) => ChannelLike
    visibility?: VisibilityLike
  } = {}
  const locks = g.navigator?.locks
  if (locks !== undefined && typeof locks.request === 'function') {
    env.locks = {
      request: <T>(name: string, callback: () => Promise<T>): Promise<T> =>
        locks.request(name, callback) as Promise<T>,
    }
  }
  const Channel = g.BroadcastChannel
  if (typeof Channel === 'function') {
    env.openChannel = (name: string): ChannelLike => {
      const channel = new Channel(name)
      ;(channel as Unrefable).unref?.()
      return {
        post: (message) => {
          channel.postMessage(message)
        },
        subscribe: (listener) => {
          channel.addEventListener('message', (event) => {
            listener(event.data)
          })
        },
        close: () => {
          channel.close()
        },
      }
    }
  }
  const doc = g.document
  if (doc !== undefined && typeof doc.addEventListener === 'function') {
    env.visibility = {
      isHidden: () => doc.visibilityState === 'hidden',
      subscribe: (listener) => {
        doc.addEventListener('visibilitychange', listener)
        return () => {
          doc.removeEventListener('visibilitychange', listener)
        }
      },
    }
  }
  return env
}
