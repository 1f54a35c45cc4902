import { describe, expect, it } from 'vitest'
import { parseTtlSeconds } from './ttl.js'

describe('parseTtlSeconds()', () => {
  it.each([
    ['10m', 600],
    ['1d', 86_400],
    ['48h', 172_800],
    ['30s', 30],
    ['90', 90],
    ['30min', 1_800],
  ])('%s → %i', (text, seconds) => {
    expect(parseTtlSeconds(text)).toBe(seconds)
  })
  it.each(['', '10x', '-5m', '0s', 'm'])('rejects %j', (text) => {
    expect(() => parseTtlSeconds(text)).toThrow(/Invalid TTL/)
  })
})
