/**
 * @module Splits a template body into chunks the way Tornado's template reader does: literal text, `{{ expr }}`,
 * `{% statement %}`; `{# comments #}` are dropped and `{{!`, `{%!`, `{#!` produce the literal `{{`, `{%`, `{#`.
 * Whitespace is kept exactly (Tornado's `all` mode). Pure; imports only sibling modules.
 */
import { syntaxError, type LineIndex } from './template-errors.js'

/** One piece of a template body. Offsets index the whole node SQL, so errors can point at the original text. */
export type Chunk =
  | { readonly kind: 'text'; readonly text: string; readonly start: number }
  | {
      readonly kind: 'expr' | 'block'
      /** The code between the delimiters, trimmed. */
      readonly code: string
      /** Offset of the opening `{{` or `{%`. */
      readonly start: number
      /** Offset of the first character of `code`. */
      readonly codeStart: number
    }

/**
 * Split `source[from..]` into chunks.
 *
 * @throws {ServerError} `ERR_TEMPLATE_SYNTAX` (400): an unterminated `{{`, `{%` or `{#`, or an empty tag.
 *
 * @example
 * ```ts
 * splitChunks('a{{b}}{%c%}{#d#}', 0, new LineIndex('a{{b}}{%c%}{#d#}'))
 * // → [{ kind: 'text', text: 'a', start: 0 }, { kind: 'expr', code: 'b', start: 1, codeStart: 3 },
 * //    { kind: 'block', code: 'c', start: 6, codeStart: 8 }]
 * ```
 */
export function splitChunks(source: string, from: number, lines: LineIndex): Chunk[] {
  const chunks: Chunk[] = []
  const end = source.length
  let textStart = from
  let pos = from
  const pushText = (upTo: number): void => {
    if (upTo > textStart)
      chunks.push({ kind: 'text', text: source.slice(textStart, upTo), start: textStart })
  }
  for (;;) {
    const curly = source.indexOf('{', pos)
    if (curly < 0 || curly + 1 >= end) break
    const next = source[curly + 1]
    if (next !== '{' && next !== '%' && next !== '#') {
      pos = curly + 1
      continue
    }
    // `{{{` : the first brace is text, as in Tornado.
    if (next === '{' && source[curly + 2] === '{') {
      pos = curly + 1
      continue
    }
    pushText(curly)
    if (source[curly + 2] === '!') {
      chunks.push({ kind: 'text', text: `{${next}`, start: curly })
      pos = curly + 3
      textStart = pos
      continue
    }
    const closer = next === '{' ? '}}' : next === '%' ? '%}' : '#}'
    const close = source.indexOf(closer, curly + 2)
    if (close < 0) {
      const what = next === '{' ? 'expression }}' : next === '%' ? 'block %}' : 'comment #}'
      throw syntaxError(
        `Missing end ${what} at line ${lines.positionAt(curly).line}`,
        lines.positionAt(curly),
      )
    }
    pos = close + 2
    textStart = pos
    if (next === '#') continue
    const raw = source.slice(curly + 2, close)
    const code = raw.trim()
    if (code === '') {
      const msg = next === '{' ? 'Empty expression' : 'Empty block tag ({% %})'
      throw syntaxError(`${msg} at line ${lines.positionAt(curly).line}`, lines.positionAt(curly))
    }
    const lead = raw.length - raw.trimStart().length
    chunks.push({
      kind: next === '{' ? 'expr' : 'block',
      code,
      start: curly,
      codeStart: curly + 2 + lead,
    })
  }
  pushText(end)
  return chunks
}
