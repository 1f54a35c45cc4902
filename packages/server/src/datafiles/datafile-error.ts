/**
 * @module Builders for the two datafile error codes, so every throw site attaches the same
 * `details: { file, line, column }` (1-based). Imports only `../errors.js`.
 */
import { ServerError } from '../errors.js'

/** The code of a datafile problem: bad text (`SYNTAX`) or well-formed text that breaks a rule (`INVALID`). */
export type DatafileErrorCode = 'ERR_DATAFILE_SYNTAX' | 'ERR_DATAFILE_INVALID'

/** `details` of every datafile {@link ServerError}: where the problem is, 1-based. */
export interface DatafileErrorDetails {
  file: string
  line: number
  column: number
}

/** A position in a datafile, 1-based. */
export interface Position {
  line: number
  column: number
}

/**
 * A `ServerError` with code `ERR_DATAFILE_SYNTAX` (400) and `details = { file, line, column }`.
 *
 * @param message - A fixed sentence that names what was expected.
 */
export function syntaxError(file: string, at: Position, message: string): ServerError {
  return datafileError('ERR_DATAFILE_SYNTAX', file, at, message)
}

/** A `ServerError` with code `ERR_DATAFILE_INVALID` (400) and `details = { file, line, column }`. */
export function invalidError(file: string, at: Position, message: string): ServerError {
  return datafileError('ERR_DATAFILE_INVALID', file, at, message)
}

function datafileError(
  code: DatafileErrorCode,
  file: string,
  at: Position,
  message: string,
): ServerError {
  const details: DatafileErrorDetails = { file, line: at.line, column: at.column }
  return new ServerError(code, message, { details: { ...details } })
}

/** Reads `{ file, line, column }` back from a datafile error; `undefined` for any other value. */
export function datafileErrorDetails(
  e: unknown,
): (DatafileErrorDetails & { code: DatafileErrorCode; message: string }) | undefined {
  if (!(e instanceof ServerError)) return undefined
  if (e.code !== 'ERR_DATAFILE_SYNTAX' && e.code !== 'ERR_DATAFILE_INVALID') return undefined
  const d = e.details
  if (d === undefined) return undefined
  const { file, line, column } = d
  if (typeof file !== 'string' || typeof line !== 'number' || typeof column !== 'number') {
    return undefined
  }
  return { code: e.code, message: e.message, file, line, column }
}

/** The one rule for resource, node and index names (Tinybird's identifier rule). */
export const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/

/** True when `name` is a valid resource/node name (see {@link NAME_PATTERN}). */
export function isValidName(name: string): boolean {
  return NAME_PATTERN.test(name)
}
