/**
 * @module Builds the statement tree of a template body from its chunks: `{{ expr }}`, `{% if %}` / `{% elif %}` /
 * `{% else %}`, `{% for %}`, `{% while %}`, `{% set %}`, `{% break %}`, `{% continue %}`, `{% comment %}`, all closed
 * by `{% end %}`. `{% import %}` and every other Tornado operator are rejected. Pure; imports only siblings.
 */
import type { Expr, Target, TemplateNode } from './ast.js'
import { ExprParser } from './expr-parser.js'
import { syntaxError, type LineIndex } from './template-errors.js'
import { splitChunks } from './template-lexer.js'

/** Nesting limit for `{% if %}` / `{% for %}` / `{% while %}` blocks. */
export const MAX_BLOCK_DEPTH = 64

type Open =
  | {
      kind: 'if'
      start: number
      branches: { test: Expr; body: TemplateNode[] }[]
      orelse?: TemplateNode[]
      body: TemplateNode[]
    }
  | { kind: 'for'; start: number; target: Target; iter: Expr; body: TemplateNode[] }
  | { kind: 'while'; start: number; test: Expr; body: TemplateNode[] }

/**
 * Parse a template body (`source` from offset `from`) into nodes.
 *
 * @throws {ServerError} `ERR_TEMPLATE_SYNTAX` (400): any syntax error; `details` = `{ line, column }`, 1-based.
 *
 * @example
 * ```ts
 * parseTemplate('{% if x %}A{% end %}', 0, new LineIndex('{% if x %}A{% end %}'))
 * // → [{ type: 'if', branches: [{ test: { type: 'name', name: 'x', … }, body: [{ type: 'text', text: 'A' }] }], … }]
 * ```
 */
export function parseTemplate(source: string, from: number, lines: LineIndex): TemplateNode[] {
  const root: TemplateNode[] = []
  const stack: Open[] = []
  const fail = (message: string, at: number): never => {
    const pos = lines.positionAt(at)
    throw syntaxError(`${message} at line ${pos.line}`, pos)
  }
  const emit = (node: TemplateNode): void => {
    ;(stack[stack.length - 1]?.body ?? root).push(node)
  }

  for (const chunk of splitChunks(source, from, lines)) {
    if (chunk.kind === 'text') {
      emit({ type: 'text', text: chunk.text })
      continue
    }
    const codeEnd = chunk.codeStart + chunk.code.length
    if (chunk.kind === 'expr') {
      const p = new ExprParser(source, chunk.codeStart, codeEnd, lines)
      const expr = p.parseExpressionList()
      p.expectEnd()
      emit({ type: 'output', expr, start: chunk.start })
      continue
    }
    const operator = /^[A-Za-z_]\w*/.exec(chunk.code)?.[0] ?? ''
    const parser = (): ExprParser =>
      new ExprParser(source, chunk.codeStart + operator.length, codeEnd, lines)
    const bare = chunk.code === operator
    switch (operator) {
      case 'if':
      case 'while': {
        if (stack.length >= MAX_BLOCK_DEPTH) fail('Blocks are nested too deeply', chunk.start)
        const p = parser()
        const test = p.parseExpression()
        p.expectEnd()
        const body: TemplateNode[] = []
        stack.push(
          operator === 'if'
            ? { kind: 'if', start: chunk.start, branches: [{ test, body }], body }
            : { kind: 'while', start: chunk.start, test, body },
        )
        break
      }
      case 'for': {
        if (stack.length >= MAX_BLOCK_DEPTH) fail('Blocks are nested too deeply', chunk.start)
        const p = parser()
        const target = p.parseTargetList()
        p.expect('in')
        const iter = p.parseExpressionList()
        p.expectEnd()
        stack.push({ kind: 'for', start: chunk.start, target, iter, body: [] })
        break
      }
      case 'elif':
      case 'else': {
        const top = stack[stack.length - 1]
        if (top?.kind !== 'if') return fail(`'${operator}' outside 'if' block`, chunk.start)
        if (top.orelse !== undefined) fail(`'${operator}' after 'else'`, chunk.start)
        const body: TemplateNode[] = []
        if (operator === 'elif') {
          const p = parser()
          const test = p.parseExpression()
          p.expectEnd()
          top.branches.push({ test, body })
        } else {
          if (!bare) fail("'else' takes no expression", chunk.start)
          top.orelse = body
        }
        top.body = body
        break
      }
      case 'end': {
        // Like Tornado, text after `end` (`{% end if %}`) is ignored.
        const top = stack.pop()
        if (top === undefined) return fail('Extra {% end %} block', chunk.start)
        if (top.kind === 'if')
          emit({ type: 'if', branches: top.branches, orelse: top.orelse, start: top.start })
        else if (top.kind === 'for')
          emit({
            type: 'for',
            target: top.target,
            iter: top.iter,
            body: top.body,
            start: top.start,
          })
        else emit({ type: 'while', test: top.test, body: top.body, start: top.start })
        break
      }
      case 'set': {
        const p = parser()
        if (p.peek().kind === 'eof') fail('Missing expression in set', chunk.start)
        const target = p.parseTargetList()
        const t = p.peek()
        const op =
          t.kind === 'op' && (t.value === '=' || t.value === '+=' || t.value === '-=')
            ? t.value
            : undefined
        if (op === undefined) return p.fail("expected '=' in set")
        p.expect(op)
        const value = p.parseExpressionList()
        p.expectEnd()
        emit({ type: 'set', target, op, value, start: chunk.start })
        break
      }
      case 'break':
      case 'continue':
        if (!bare) fail(`'${operator}' takes no expression`, chunk.start)
        if (!stack.some((b) => b.kind !== 'if')) fail(`'${operator}' outside loop`, chunk.start)
        emit({ type: operator, start: chunk.start })
        break
      case 'comment':
        break
      case 'import':
      case 'from':
        fail('import is forbidden', chunk.start)
        break
      default:
        fail(`Unsupported template operator '${operator || chunk.code.slice(0, 20)}'`, chunk.start)
    }
  }
  const open = stack[stack.length - 1]
  if (open !== undefined) fail(`Missing {% end %} block for ${open.kind}`, open.start)
  return root
}
