/**
 * @module Quoting of user values for ClickHouse SQL: string literals and backquoted identifiers. Pure; imports
 * nothing.
 */

const NAMED_ESCAPES: Readonly<Record<string, string>> = {
  '\0': '\\0',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  "'": "\\'",
  '"': '\\"',
  '\\': '\\\\',
  '`': '\\`',
}

// Every ASCII control character, DEL, both quotes, the backslash and the backquote.
// eslint-disable-next-line no-control-regex
const STRING_SPECIALS = /[\x00-\x1f\x7f'"\\`]/g
// eslint-disable-next-line no-control-regex
const IDENTIFIER_SPECIALS = /[\x00-\x1f\x7f\\`]/g

function escapeChar(ch: string): string {
  const named = NAMED_ESCAPES[ch]
  if (named !== undefined) return named
  return `\\x${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`
}

/**
 * Quote `value` as a ClickHouse string literal.
 *
 * Shape: `'…'`. Inside the quotes, `\0 \b \f \n \r \t ' " \ \`` are backslash-escaped and every other ASCII
 * control character (and DEL) becomes `\xHH`; everything else (including all non-ASCII text) is copied as is.
 * ClickHouse decodes each of these escapes back to the original character, so the literal always round-trips and
 * no value can end the literal early or add SQL after it.
 *
 * Unlike Tinybird, `%` is not escaped: ClickHouse keeps the backslash of an unknown escape such as `\%`, so
 * escaping it would change the value (Tinybird users undo it with `sql_unescape(x, '%')`, which is a no-op here).
 *
 * @param value - Any string, of any length.
 * @see ClickHouse `parseComplexEscapeSequence` (ReadHelpers.cpp): the escapes it decodes
 * @see tinybird-compat.md §5.3 "Escaping"
 * @example
 * ```ts
 * escapeString("it's") // → "'it\\'s'"
 * escapeString('a\nb') // → "'a\\nb'"
 * escapeString('\u0001') // → "'\\x01'"
 * ```
 */
export function escapeString(value: string): string {
  return `'${value.replace(STRING_SPECIALS, escapeChar)}'`
}

/**
 * Quote `name` as a ClickHouse backquoted identifier.
 *
 * Shape: `` `…` ``. Backquotes, backslashes and ASCII control characters are backslash-escaped, so the name
 * always stays one identifier. Dots are kept inside the quotes (`` `a.b` `` is one name); use the template's
 * `column()` to split `json.a` into `` `json`.`a` ``.
 *
 * @param name - Any string.
 * @example
 * ```ts
 * escapeIdentifier('events') // → '`events`'
 * escapeIdentifier('a`b') // → '`a\\`b`'
 * ```
 */
export function escapeIdentifier(name: string): string {
  return `\`${name.replace(IDENTIFIER_SPECIALS, escapeChar)}\``
}
