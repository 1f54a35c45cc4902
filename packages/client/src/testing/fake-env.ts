/**
 * @module Test doubles (not built, not exported) for the browser seams: page visibility, Web Locks and a
 * BroadcastChannel hub connecting several "tabs" in one process.
 */
import type { ChannelLike, LockManagerLike, VisibilityLike } from '../token/environment.js'

/** A tab's visibility, switched by the test. */
export class FakeVisibility implements VisibilityLike {
  hidden = false
  readonly #listeners = new Set<() => void>()

  isHidden(): boolean {
    return this.hidden
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  get listenerCount(): number {
    return this.#listeners.size
  }

  set(hidden: boolean): void {
    this.hidden = hidden
    for (const listener of this.#listeners) listener()
  }
}

/** Exclusive named locks shared by every "tab" holding the same instance. */
export class FakeLocks implements LockManagerLike {
  readonly #tails = new Map<string, Promise<unknown>>()
  requests = 0

  request<T>(name: string, callback: () => Promise<T>): Promise<T> {
    this.requests += 1
    const previous = this.#tails.get(name) ?? Promise.resolve()
    const run = previous.then(callback, callback)
    this.#tails.set(
      name,
      run.catch(() => undefined),
    )
    return run
  }
}

/** Channels by name; a post reaches every other channel of that name on a later macrotask. */
export class FakeChannelHub {
  readonly #channels = new Map<string, Set<(message: unknown) => void>>()
  posted: unknown[] = []
  closed = 0

  open = (name: string): ChannelLike => {
    let members = this.#channels.get(name)
    if (members === undefined) {
      members = new Set()
      this.#channels.set(name, members)
    }
    const group = members
    let mine: ((message: unknown) => void) | undefined
    return {
      post: (message) => {
        this.posted.push(message)
        for (const listener of group) {
          if (listener !== mine) {
            globalThis.setTimeout(() => {
              listener(message)
            }, 0)
          }
        }
      },
      subscribe: (listener) => {
        mine = listener
        group.add(listener)
      },
      close: () => {
        if (mine !== undefined) group.delete(mine)
        this.closed += 1
      },
    }
  }
}
