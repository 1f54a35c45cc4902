/**
 * @module A small RFC 4180 CSV reader (quoted fields, doubled quotes, CRLF, a custom delimiter) that reports
 * an unterminated quote instead of swallowing the rest of the file. Pure; imports nothing.
 */

/** What {@link parseCsv} found. */
export interface CsvParse {
  /** Complete records, each a list of fields. */
  readonly records: string[][]
  /**
   * Set when a quoted field never closes: the 1-based line where it opened, and the raw text from there
   * to the end (kept for quarantine).
   */
  readonly unterminated: { readonly line: number; readonly text: string } | undefined
}

/**
 * Splits CSV text into records. Blank lines are skipped.
 *
 * Shape: {@link CsvParse}.
 *
 * @param delimiter - One character. Default `,`.
 * @see RFC 4180 §2
 * @example
 * ```ts
 * parseCsv('a,"b ""q"""\n1,2\n').records // → [['a', 'b "q"'], ['1', '2']]
 * ```
 */
export function parseCsv(text: string, delimiter = ','): CsvParse {
  const records: string[][] = []
  let field = ''
  let rec: string[] = []
  let i = 0
  let line = 1
  let recStart = 0
  let recLine = 1
  const n = text.length
  const esc = delimiter.replace(/[\\\]^-]/g, '\\$&')
  const stop = new RegExp(`[\\r\\n${esc}"]`, 'g')
  const endRecord = (): void => {
    rec.push(field)
    field = ''
    if (!(rec.length === 1 && rec[0] === '')) records.push(rec)
    rec = []
  }
  while (i < n) {
    const ch = text[i]
    if (ch === '"' && field === '') {
      // Quoted field.
      const openLine = line
      let j = i + 1
      let out = ''
      for (;;) {
        const q = text.indexOf('"', j)
        if (q < 0) {
          return {
            records,
            unterminated: { line: Math.min(openLine, recLine), text: text.slice(recStart) },
          }
        }
        const chunk = text.slice(j, q)
        for (const c of chunk) if (c === '\n') line++
        out += chunk
        if (text[q + 1] === '"') {
          out += '"'
          j = q + 2
          continue
        }
        i = q + 1
        break
      }
      field = out
      // Anything up to the next delimiter or newline is kept as-is (lenient).
      while (i < n && text[i] !== delimiter && text[i] !== '\n' && text[i] !== '\r')
        field += text.charAt(i++)
      continue
    }
    if (ch === delimiter) {
      rec.push(field)
      field = ''
      i++
    } else if (ch === '\n' || ch === '\r') {
      endRecord()
      if (ch === '\r' && text[i + 1] === '\n') i++
      i++
      line++
      recStart = i
      recLine = line
    } else {
      stop.lastIndex = i + 1
      const m = stop.exec(text)
      const end = m === null ? n : m.index
      field += text.slice(i, end)
      i = end
    }
  }
  if (field !== '' || rec.length > 0) endRecord()
  return { records, unterminated: undefined }
}
