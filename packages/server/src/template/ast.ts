/**
 * @module Syntax trees of the template language: the Python expression subset and the template statements.
 * Types only. Every node carries `start`/`end` offsets into the node SQL as given. Imports nothing.
 */

/** A literal constant: `None`, `True`/`False`, an int (bigint), a float (number) or a string. */
export type ConstValue = null | boolean | bigint | number | string

/** Comparison operators, as spelled in Python. */
export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not in' | 'is' | 'is not'

/** Arithmetic operators. `**` is rejected by the parser, as in Tinybird. */
export type BinaryOp = '+' | '-' | '*' | '/' | '//' | '%'

interface Span {
  readonly start: number
  readonly end: number
}

/** One expression node. */
export type Expr =
  | (Span & { readonly type: 'name'; readonly name: string })
  | (Span & { readonly type: 'const'; readonly value: ConstValue })
  | (Span & { readonly type: 'list' | 'tuple'; readonly items: readonly Expr[] })
  | (Span & { readonly type: 'dict'; readonly entries: readonly (readonly [Expr, Expr])[] })
  | (Span & { readonly type: 'unary'; readonly op: 'not' | '-' | '+'; readonly operand: Expr })
  | (Span & {
      readonly type: 'binary'
      readonly op: BinaryOp
      readonly left: Expr
      readonly right: Expr
    })
  | (Span & { readonly type: 'bool'; readonly op: 'and' | 'or'; readonly values: readonly Expr[] })
  | (Span & {
      readonly type: 'compare'
      readonly left: Expr
      readonly ops: readonly CompareOp[]
      readonly rights: readonly Expr[]
    })
  | (Span & {
      readonly type: 'cond'
      readonly test: Expr
      readonly body: Expr
      readonly orelse: Expr
    })
  | (Span & {
      readonly type: 'call'
      readonly func: Expr
      readonly args: readonly Expr[]
      readonly kwargs: readonly Kwarg[]
    })
  | (Span & { readonly type: 'attr'; readonly object: Expr; readonly name: string })
  | (Span & { readonly type: 'index'; readonly object: Expr; readonly index: Expr })
  | (Span & {
      readonly type: 'slice'
      readonly object: Expr
      readonly lower: Expr | undefined
      readonly upper: Expr | undefined
      readonly step: Expr | undefined
    })

/** A keyword argument `name=value` of a call. */
export interface Kwarg {
  readonly name: string
  readonly value: Expr
}

/** The left side of `{% set … = %}` and `{% for … in %}`: a name or a (nested) tuple of names. */
export type Target =
  | (Span & { readonly type: 'name'; readonly name: string })
  | (Span & { readonly type: 'tuple'; readonly items: readonly Target[] })

/** One node of a parsed template body. */
export type TemplateNode =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'output'; readonly expr: Expr; readonly start: number }
  | {
      readonly type: 'if'
      readonly branches: readonly { readonly test: Expr; readonly body: readonly TemplateNode[] }[]
      readonly orelse: readonly TemplateNode[] | undefined
      readonly start: number
    }
  | {
      readonly type: 'for'
      readonly target: Target
      readonly iter: Expr
      readonly body: readonly TemplateNode[]
      readonly start: number
    }
  | {
      readonly type: 'while'
      readonly test: Expr
      readonly body: readonly TemplateNode[]
      readonly start: number
    }
  | {
      readonly type: 'set'
      readonly target: Target
      readonly op: '=' | '+=' | '-='
      readonly value: Expr
      readonly start: number
    }
  | { readonly type: 'break' | 'continue'; readonly start: number }
