/** @module Parses durations like `10m`, `1h`, `48h`, `1d`, `30s`, `90`. */

/**
 * Parses a TTL into seconds. Accepts a bare number of seconds or `<n>(s|sec|m|min|h|d)`, as `tb token
 * create jwt --ttl` does.
 *
 * @throws {Error} for anything else, or a TTL that is not positive.
 * @example
 * ```ts
 * parseTtlSeconds('10m') // → 600
 * parseTtlSeconds('1d') // → 86400
 * ```
 */
export function parseTtlSeconds(text: string): number {
  const m =
    /^\s*(\d+(?:\.\d+)?)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?|d|days?)?\s*$/i.exec(
      text,
    )
  if (m === null) throw new Error(`Invalid TTL '${text}': use e.g. 30s, 10m, 1h, 1d`)
  const n = Number(m[1])
  const unit = (m[2] ?? 's').toLowerCase()
  const mult = unit.startsWith('d')
    ? 86_400
    : unit.startsWith('h')
      ? 3_600
      : unit.startsWith('m')
        ? 60
        : 1
  const seconds = Math.round(n * mult)
  if (seconds <= 0) throw new Error(`Invalid TTL '${text}': it must be positive`)
  return seconds
}
