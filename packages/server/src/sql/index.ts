/** @module SQL inspection (tokenize, analyze, rewrite). Pure; imports no sibling folder. */
export { tokenize, isSignificant, SqlLexError, type Token, type TokenKind } from './tokenize.js'
export {
  analyzeSql,
  replaceRanges,
  type SqlAnalysis,
  type TableRef,
  type FunctionRef,
  type Replacement,
} from './analyze.js'
