/**
 * @module Compile-only tests of `@dunlin/client/react`: checked by `tsc -p packages/client/test-d`, never run.
 * Each `@ts-expect-error` line must stay an error.
 */
import { createElement } from 'react'
import type { ReactElement } from 'react'
import { expectTypeOf } from 'vitest'
import type { DunlinClient, QueryStatistics } from '../src/index.js'
import { DunlinProvider, createPipeStore, useDunlinClient, usePipe } from '../src/react/index.js'
import type { PipeState, UsePipeOptions, UsePipeResult } from '../src/react/index.js'

declare const client: DunlinClient
interface Airline {
  airline: string
  bookings: number
}

// ── DunlinProvider ───────────────────────────────────────────────────────────────────────────────────────
expectTypeOf(createElement(DunlinProvider, { client })).toExtend<ReactElement>()
// @ts-expect-error the client is required
createElement(DunlinProvider, {})
// @ts-expect-error a string is not a client
createElement(DunlinProvider, { client: 'token' })
expectTypeOf(useDunlinClient()).toEqualTypeOf<DunlinClient>()

// ── usePipe ──────────────────────────────────────────────────────────────────────────────────────────────
const typed = usePipe<Airline>('top_airlines', { limit: 10 }, { refreshInterval: 5000 })
expectTypeOf(typed).toEqualTypeOf<UsePipeResult<Airline>>()
expectTypeOf(typed.data).toEqualTypeOf<Airline[] | undefined>()
expectTypeOf(typed.error).toEqualTypeOf<unknown>()
expectTypeOf(typed.isLoading).toEqualTypeOf<boolean>()
expectTypeOf(typed.statistics).toEqualTypeOf<QueryStatistics | undefined>()
expectTypeOf(typed.refresh).returns.toEqualTypeOf<Promise<void>>()
expectTypeOf(usePipe('top_airlines').data).toEqualTypeOf<Record<string, unknown>[] | undefined>()
usePipe(null)
usePipe('p', { airlines: ['BA', 'LH'], day: '2026-01-01', n: 1, flag: true, skip: undefined })
// @ts-expect-error params are scalars or lists of scalars
usePipe('p', { nested: { a: 1 } })
// @ts-expect-error refreshInterval is milliseconds, a number
usePipe('p', {}, { refreshInterval: '5s' })
// @ts-expect-error the result is read-only state
typed.data = []
expectTypeOf<UsePipeOptions>().toHaveProperty('keepPreviousData')

// ── createPipeStore ──────────────────────────────────────────────────────────────────────────────────────
const store = createPipeStore<Airline>(client, 'top_airlines', {}, { refreshInterval: 1000 })
expectTypeOf(store.getSnapshot()).toEqualTypeOf<PipeState<Airline>>()
expectTypeOf(store.subscribe(() => undefined)).toEqualTypeOf<() => void>()
