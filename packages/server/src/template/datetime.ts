/**
 * @module Calendar parsing for the typed helpers (`Date`, `DateTime`, `DateTime64`) and the `date_diff_*` helpers:
 * strict ISO-like parsing with calendar validation, and a small `strptime` for the directives Tinybird's docs use.
 * Pure; imports nothing.
 */

/** Broken-down timestamp. `fraction` holds the fractional-second digits as written (0–9 of them). */
export interface CivilTime {
  readonly year: number
  readonly month: number
  readonly day: number
  readonly hour: number
  readonly minute: number
  readonly second: number
  readonly fraction: string
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28
  return [4, 6, 9, 11].includes(month) ? 30 : 31
}

function valid(t: CivilTime): boolean {
  return (
    t.year >= 1 &&
    t.month >= 1 &&
    t.month <= 12 &&
    t.day >= 1 &&
    t.day <= daysInMonth(t.year, t.month) &&
    t.hour <= 23 &&
    t.minute <= 59 &&
    t.second <= 59
  )
}

const pad = (n: number, width = 2): string => n.toString().padStart(width, '0')

/**
 * Parse `YYYY-MM-DD`, validating the calendar.
 *
 * @example
 * ```ts
 * parseIsoDate('2020-02-29') // → { year: 2020, month: 2, day: 29, hour: 0, minute: 0, second: 0, fraction: '' }
 * parseIsoDate('2019-02-29') // → undefined
 * ```
 */
export function parseIsoDate(s: string): CivilTime | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s)
  if (!m) return undefined
  const t = {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: 0,
    minute: 0,
    second: 0,
    fraction: '',
  }
  return valid(t) ? t : undefined
}

/**
 * Parse `YYYY-MM-DD[( |T)HH:MM:SS[.fffffffff]][Z]`, validating the calendar. A trailing `Z` is accepted and
 * dropped (the value is then read in the column's time zone, UTC by default).
 *
 * @example
 * ```ts
 * parseIsoDateTime('2018-09-07T23:55:00.5Z') // → { year: 2018, month: 9, day: 7, hour: 23, minute: 55, second: 0, fraction: '5' }
 * ```
 */
export function parseIsoDateTime(s: string): CivilTime | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?)?([zZ])?$/.exec(
    s,
  )
  if (!m) return undefined
  if (m[4] === undefined && m[8] !== undefined) return undefined
  const t = {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4] ?? 0),
    minute: Number(m[5] ?? 0),
    second: Number(m[6] ?? 0),
    fraction: m[7] ?? '',
  }
  return valid(t) ? t : undefined
}

/**
 * `YYYY-MM-DD`.
 *
 * @example
 * ```ts
 * formatDate(parseIsoDateTime('2018-09-07 23:55:00')!) // → '2018-09-07'
 * ```
 */
export function formatDate(t: CivilTime): string {
  return `${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)}`
}

/**
 * `YYYY-MM-DD HH:MM:SS`, or with `.fff…` when `fractionDigits` is given (padding or keeping the written digits).
 *
 * @example
 * ```ts
 * formatDateTime(parseIsoDateTime('2018-09-07T23:55:00Z')!) // → '2018-09-07 23:55:00'
 * formatDateTime(parseIsoDateTime('2018-09-07T23:55:00Z')!, true) // → '2018-09-07 23:55:00.000'
 * ```
 */
export function formatDateTime(t: CivilTime, withFraction = false): string {
  const base = `${formatDate(t)} ${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}`
  if (!withFraction) return base
  return `${base}.${t.fraction === '' ? '000' : t.fraction.length < 3 ? t.fraction.padEnd(3, '0') : t.fraction}`
}

/**
 * Milliseconds since the epoch, treating the time as UTC (fractions beyond milliseconds are dropped).
 *
 * @example
 * ```ts
 * epochMs(parseIsoDate('1970-01-02')!) // → 86400000
 * ```
 */
export function epochMs(t: CivilTime): number {
  const ms = Number((t.fraction + '000').slice(0, 3))
  const d = new Date(0)
  d.setUTCFullYear(t.year, t.month - 1, t.day)
  d.setUTCHours(t.hour, t.minute, t.second, ms)
  return d.getTime()
}

const DIRECTIVES: Readonly<Record<string, string>> = {
  Y: '(\\d{4})',
  m: '(\\d{1,2})',
  d: '(\\d{1,2})',
  H: '(\\d{1,2})',
  M: '(\\d{1,2})',
  S: '(\\d{1,2})',
  f: '(\\d{1,6})',
}

/** Thrown for a format string using a directive this `strptime` does not know. */
export class UnsupportedFormatError extends Error {}

/**
 * A subset of Python's `datetime.strptime`: directives `%Y %m %d %H %M %S %f %%`, other text matched literally
 * and case-insensitively, whitespace matching any run of whitespace. Returns undefined when `s` does not match
 * or is not a valid calendar time.
 *
 * @throws {UnsupportedFormatError} for another directive.
 *
 * @example
 * ```ts
 * strptime('2019/01/04', '%Y/%m/%d') // → { year: 2019, month: 1, day: 4, … }
 * strptime('x', '%Y') // → undefined
 * ```
 */
export function strptime(s: string, format: string): CivilTime | undefined {
  const order: string[] = []
  let pattern = '^'
  for (let i = 0; i < format.length; i++) {
    const ch = format[i] ?? ''
    if (ch === '%') {
      const d = format[++i] ?? ''
      if (d === '%') {
        pattern += '%'
        continue
      }
      const re = DIRECTIVES[d]
      if (re === undefined) throw new UnsupportedFormatError(`unsupported directive %${d}`)
      order.push(d)
      pattern += re
    } else if (/\s/.test(ch)) {
      pattern += '\\s+'
      while (/\s/.test(format[i + 1] ?? '')) i++
    } else {
      pattern += ch.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')
    }
  }
  const m = new RegExp(`${pattern}$`, 'i').exec(s)
  if (!m) return undefined
  const parts: Record<string, string> = {}
  order.forEach((d, i) => (parts[d] = m[i + 1] ?? ''))
  const t = {
    year: Number(parts['Y'] ?? 1900),
    month: Number(parts['m'] ?? 1),
    day: Number(parts['d'] ?? 1),
    hour: Number(parts['H'] ?? 0),
    minute: Number(parts['M'] ?? 0),
    second: Number(parts['S'] ?? 0),
    fraction: parts['f'] ?? '',
  }
  return valid(t) ? t : undefined
}
