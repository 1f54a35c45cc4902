/**
 * @module Recursive-descent parser for the Python expression subset of the template language: boolean logic,
 * comparisons (chained), arithmetic without `**`, conditional expressions, literals (str, int, float, True, False,
 * None, lists, tuples, dicts), calls with keyword arguments, attribute access, indexing and slicing. Lambdas,
 * comprehensions, starred arguments, walrus, bit operators and `**` are rejected. Pure; imports only siblings.
 */
import type { BinaryOp, CompareOp, Expr, Kwarg, Target } from './ast.js'
import { tokenize, type Token } from './expr-lexer.js'
import { syntaxError, type LineIndex } from './template-errors.js'

/** Nesting limit for brackets and operators inside one expression. */
export const MAX_EXPRESSION_DEPTH = 100

const KEYWORDS = new Set([
  'False',
  'None',
  'True',
  'and',
  'as',
  'assert',
  'async',
  'await',
  'break',
  'class',
  'continue',
  'def',
  'del',
  'elif',
  'else',
  'except',
  'finally',
  'for',
  'from',
  'global',
  'if',
  'import',
  'in',
  'is',
  'lambda',
  'nonlocal',
  'not',
  'or',
  'pass',
  'raise',
  'return',
  'try',
  'while',
  'with',
  'yield',
])

/**
 * Parses tokens of one `{{ }}` or `{% %}` code span.
 *
 * @example
 * ```ts
 * new ExprParser('1 + 2', 0, 5, new LineIndex('1 + 2')).parseExpression()
 * // → { type: 'binary', op: '+', left: { type: 'const', value: 1n, … }, right: { type: 'const', value: 2n, … }, … }
 * ```
 */
export class ExprParser {
  readonly #tokens: Token[]
  readonly #lines: LineIndex
  #pos = 0
  #depth = 0

  constructor(source: string, start: number, end: number, lines: LineIndex) {
    this.#lines = lines
    this.#tokens = tokenize(source, start, end, lines)
  }

  /** The current token. */
  peek(): Token {
    return (
      this.#tokens[this.#pos] ??
      this.#tokens[this.#tokens.length - 1] ?? { kind: 'eof', value: '', start: 0, end: 0 }
    )
  }

  /** True when the current token is the keyword or operator `value`. */
  at(value: string): boolean {
    const t = this.peek()
    return (t.kind === 'op' || t.kind === 'name') && t.value === value
  }

  /** Consume the keyword or operator `value`, or fail. */
  expect(value: string): Token {
    const t = this.peek()
    if (!this.at(value))
      this.fail(
        t.kind === 'eof' ? `expected '${value}'` : `expected '${value}' but found ${describe(t)}`,
        t,
      )
    this.#pos++
    return t
  }

  /** Consume the current token if it is `value`. */
  accept(value: string): boolean {
    if (!this.at(value)) return false
    this.#pos++
    return true
  }

  /** Fail with a syntax error at `token` (default: the current one). */
  fail(message: string, token: Token = this.peek()): never {
    const pos = this.#lines.positionAt(token.start)
    throw syntaxError(`Syntax error: ${message} at line ${pos.line}`, pos)
  }

  /** Fail unless every token was consumed. */
  expectEnd(): void {
    const t = this.peek()
    if (t.kind !== 'eof') this.fail(`unexpected ${describe(t)}`, t)
  }

  /** `a, b, c` → a tuple; a single expression without a trailing comma stays itself. */
  parseExpressionList(): Expr {
    const first = this.parseExpression()
    if (!this.at(',')) return first
    const items = [first]
    while (this.accept(',')) {
      if (this.#atExpressionEnd()) break
      items.push(this.parseExpression())
    }
    return {
      type: 'tuple',
      items,
      start: first.start,
      end: items[items.length - 1]?.end ?? first.end,
    }
  }

  /** One full expression, including `x if c else y`. */
  parseExpression(): Expr {
    const t = this.peek()
    if (t.kind === 'name' && t.value === 'lambda') this.fail('lambda is not supported')
    return this.#nested(() => {
      const body = this.#parseOr()
      if (!this.at('if')) return body
      this.#pos++
      const test = this.#parseOr()
      this.expect('else')
      const orelse = this.parseExpression()
      return { type: 'cond', test, body, orelse, start: body.start, end: orelse.end }
    })
  }

  /** Targets of `set` and `for`: `a`, `a, b`, `(a, b)`, `[a, b]`. */
  parseTargetList(): Target {
    const first = this.#parseTarget()
    if (!this.at(',')) return first
    const items = [first]
    while (this.accept(',')) {
      if (
        this.at('=') ||
        this.at('in') ||
        this.at('+=') ||
        this.at('-=') ||
        this.peek().kind === 'eof'
      )
        break
      items.push(this.#parseTarget())
    }
    return {
      type: 'tuple',
      items,
      start: first.start,
      end: items[items.length - 1]?.end ?? first.end,
    }
  }

  #parseTarget(): Target {
    const t = this.peek()
    if (t.kind === 'name' && !KEYWORDS.has(t.value)) {
      this.#pos++
      return { type: 'name', name: t.value, start: t.start, end: t.end }
    }
    if (this.at('(') || this.at('[')) {
      const close = this.at('(') ? ')' : ']'
      this.#pos++
      const inner = this.#nested(() => this.parseTargetList())
      const end = this.expect(close).end
      return inner.type === 'tuple' ? { ...inner, start: t.start, end } : inner
    }
    return this.fail(`cannot assign to ${describe(t)}`, t)
  }

  #atExpressionEnd(): boolean {
    const t = this.peek()
    return (
      t.kind === 'eof' ||
      (t.kind === 'op' &&
        (t.value === ')' ||
          t.value === ']' ||
          t.value === '}' ||
          t.value === '=' ||
          t.value === ':'))
    )
  }

  #nested<T>(fn: () => T): T {
    if (++this.#depth > MAX_EXPRESSION_DEPTH) this.fail('expression is nested too deeply')
    try {
      return fn()
    } finally {
      this.#depth--
    }
  }

  #parseOr(): Expr {
    const first = this.#parseAnd()
    if (!this.at('or')) return first
    const values = [first]
    while (this.accept('or')) values.push(this.#parseAnd())
    return {
      type: 'bool',
      op: 'or',
      values,
      start: first.start,
      end: values[values.length - 1]?.end ?? first.end,
    }
  }

  #parseAnd(): Expr {
    const first = this.#parseNot()
    if (!this.at('and')) return first
    const values = [first]
    while (this.accept('and')) values.push(this.#parseNot())
    return {
      type: 'bool',
      op: 'and',
      values,
      start: first.start,
      end: values[values.length - 1]?.end ?? first.end,
    }
  }

  #parseNot(): Expr {
    const t = this.peek()
    if (t.kind === 'name' && t.value === 'not') {
      this.#pos++
      const operand = this.#nested(() => this.#parseNot())
      return { type: 'unary', op: 'not', operand, start: t.start, end: operand.end }
    }
    return this.#parseComparison()
  }

  #compareOp(): CompareOp | undefined {
    const t = this.peek()
    if (t.kind === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(t.value)) {
      this.#pos++
      return t.value as CompareOp
    }
    if (t.kind !== 'name') return undefined
    if (t.value === 'in') {
      this.#pos++
      return 'in'
    }
    if (t.value === 'is') {
      this.#pos++
      return this.accept('not') ? 'is not' : 'is'
    }
    if (
      t.value === 'not' &&
      this.#tokens[this.#pos + 1]?.kind === 'name' &&
      this.#tokens[this.#pos + 1]?.value === 'in'
    ) {
      this.#pos += 2
      return 'not in'
    }
    return undefined
  }

  #parseComparison(): Expr {
    const left = this.#parseArith()
    const ops: CompareOp[] = []
    const rights: Expr[] = []
    for (let op = this.#compareOp(); op !== undefined; op = this.#compareOp()) {
      ops.push(op)
      rights.push(this.#parseArith())
    }
    if (ops.length === 0) return left
    return {
      type: 'compare',
      left,
      ops,
      rights,
      start: left.start,
      end: rights[rights.length - 1]?.end ?? left.end,
    }
  }

  #parseArith(): Expr {
    let left = this.#parseTerm()
    for (;;) {
      const t = this.peek()
      if (t.kind !== 'op' || (t.value !== '+' && t.value !== '-')) break
      this.#pos++
      const right = this.#parseTerm()
      left = { type: 'binary', op: t.value, left, right, start: left.start, end: right.end }
    }
    this.#rejectBitOperators()
    return left
  }

  #rejectBitOperators(): void {
    const t = this.peek()
    if (t.kind === 'op' && ['|', '&', '^', '<<', '>>', '@', ':='].includes(t.value)) {
      this.fail(`operator '${t.value}' is not supported`, t)
    }
  }

  #parseTerm(): Expr {
    let left = this.#parseFactor()
    for (;;) {
      const t = this.peek()
      if (t.kind !== 'op' || !['*', '/', '//', '%'].includes(t.value)) break
      this.#pos++
      const right = this.#parseFactor()
      left = {
        type: 'binary',
        op: t.value as BinaryOp,
        left,
        right,
        start: left.start,
        end: right.end,
      }
    }
    return left
  }

  #parseFactor(): Expr {
    const t = this.peek()
    if (t.kind === 'op' && (t.value === '-' || t.value === '+')) {
      this.#pos++
      const operand = this.#nested(() => this.#parseFactor())
      return { type: 'unary', op: t.value, operand, start: t.start, end: operand.end }
    }
    if (t.kind === 'op' && t.value === '~') this.fail("operator '~' is not supported", t)
    const base = this.#parsePrimary()
    const pow = this.peek()
    if (pow.kind === 'op' && pow.value === '**') {
      const pos = this.#lines.positionAt(pow.start)
      throw syntaxError(`Template Syntax Error: Invalid BinOp: Pow() at line ${pos.line}`, pos)
    }
    return base
  }

  #parsePrimary(): Expr {
    let expr = this.#parseAtom()
    for (;;) {
      const t = this.peek()
      if (t.kind !== 'op') break
      if (t.value === '(') {
        this.#pos++
        expr = this.#nested(() => this.#parseCall(expr))
      } else if (t.value === '[') {
        this.#pos++
        expr = this.#nested(() => this.#parseSubscript(expr))
      } else if (t.value === '.') {
        this.#pos++
        const name = this.peek()
        if (name.kind !== 'name') this.fail('expected an attribute name after "."', name)
        this.#pos++
        expr = { type: 'attr', object: expr, name: name.value, start: expr.start, end: name.end }
      } else break
    }
    return expr
  }

  #parseCall(func: Expr): Expr {
    const args: Expr[] = []
    const kwargs: Kwarg[] = []
    while (!this.at(')')) {
      const t = this.peek()
      if (t.kind === 'op' && (t.value === '*' || t.value === '**'))
        this.fail('starred arguments are not supported', t)
      const next = this.#tokens[this.#pos + 1]
      if (t.kind === 'name' && next?.kind === 'op' && next.value === '=') {
        if (KEYWORDS.has(t.value)) this.fail(`invalid keyword argument ${describe(t)}`, t)
        this.#pos += 2
        if (kwargs.some((k) => k.name === t.value))
          this.fail(`keyword argument repeated: ${t.value}`, t)
        kwargs.push({ name: t.value, value: this.parseExpression() })
      } else {
        if (kwargs.length > 0) this.fail('positional argument follows keyword argument', t)
        args.push(this.parseExpression())
        this.#rejectComprehension()
      }
      if (!this.accept(',')) break
    }
    const end = this.expect(')').end
    return { type: 'call', func, args, kwargs, start: func.start, end }
  }

  #parseSubscript(object: Expr): Expr {
    const parts: (Expr | undefined)[] = [undefined]
    let colons = 0
    while (!this.at(']')) {
      if (this.accept(':')) {
        if (++colons > 2) this.fail('invalid slice')
        parts.push(undefined)
        continue
      }
      if (parts[parts.length - 1] !== undefined) this.fail(`unexpected ${describe(this.peek())}`)
      parts[parts.length - 1] = colons === 0 ? this.parseExpressionList() : this.parseExpression()
    }
    const end = this.expect(']').end
    if (colons === 0) {
      const index = parts[0]
      if (index === undefined) return this.fail('empty subscript')
      return { type: 'index', object, index, start: object.start, end }
    }
    return {
      type: 'slice',
      object,
      lower: parts[0],
      upper: parts[1],
      step: parts[2],
      start: object.start,
      end,
    }
  }

  #rejectComprehension(): void {
    const t = this.peek()
    if (t.kind === 'name' && t.value === 'for') this.fail('comprehensions are not supported', t)
  }

  #parseAtom(): Expr {
    const t = this.peek()
    switch (t.kind) {
      case 'int':
      case 'float':
        this.#pos++
        return { type: 'const', value: t.value, start: t.start, end: t.end }
      case 'string': {
        this.#pos++
        let value = t.value
        let end = t.end
        for (let next = this.peek(); next.kind === 'string'; next = this.peek()) {
          value += next.value
          end = next.end
          this.#pos++
        }
        return { type: 'const', value, start: t.start, end }
      }
      case 'name': {
        this.#pos++
        if (t.value === 'True' || t.value === 'False' || t.value === 'None') {
          const value = t.value === 'None' ? null : t.value === 'True'
          return { type: 'const', value, start: t.start, end: t.end }
        }
        if (t.value === 'import' || t.value === 'from') this.fail('import is forbidden', t)
        if (KEYWORDS.has(t.value)) this.fail(`unexpected ${describe(t)}`, t)
        return { type: 'name', name: t.value, start: t.start, end: t.end }
      }
      case 'op':
        if (t.value === '(') return this.#parseParen()
        if (t.value === '[') return this.#parseList()
        if (t.value === '{') return this.#parseDict()
        return this.fail(`unexpected ${describe(t)}`, t)
      case 'eof':
        return this.fail('unexpected end of expression', t)
    }
  }

  #parseParen(): Expr {
    const open = this.expect('(')
    if (this.at(')')) {
      const end = this.expect(')').end
      return { type: 'tuple', items: [], start: open.start, end }
    }
    return this.#nested(() => {
      const first = this.parseExpression()
      this.#rejectComprehension()
      if (this.at(')')) {
        this.#pos++
        return first
      }
      const items = [first]
      while (this.accept(',')) {
        if (this.at(')')) break
        items.push(this.parseExpression())
      }
      const end = this.expect(')').end
      return { type: 'tuple', items, start: open.start, end }
    })
  }

  #parseList(): Expr {
    const open = this.expect('[')
    return this.#nested(() => {
      const items: Expr[] = []
      while (!this.at(']')) {
        items.push(this.parseExpression())
        this.#rejectComprehension()
        if (!this.accept(',')) break
      }
      const end = this.expect(']').end
      return { type: 'list', items, start: open.start, end }
    })
  }

  #parseDict(): Expr {
    const open = this.expect('{')
    return this.#nested(() => {
      const entries: (readonly [Expr, Expr])[] = []
      while (!this.at('}')) {
        const key = this.parseExpression()
        if (!this.at(':')) this.fail('set literals are not supported')
        this.#pos++
        const value = this.parseExpression()
        this.#rejectComprehension()
        entries.push([key, value])
        if (!this.accept(',')) break
      }
      const end = this.expect('}').end
      return { type: 'dict', entries, start: open.start, end }
    })
  }
}

function describe(t: Token): string {
  if (t.kind === 'eof') return 'end of expression'
  if (t.kind === 'string') return 'string literal'
  if (t.kind === 'int' || t.kind === 'float') return 'number'
  return `'${t.value}'`
}
