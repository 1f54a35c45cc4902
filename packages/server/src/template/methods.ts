/**
 * @module Methods templates may call on values: the usual `str` methods (`split lower upper strip lstrip rstrip
 * replace startswith endswith join isdigit find count`), `dict.get/keys/values/items`, `list.index/count`, and the
 * few a test-mode placeholder answers. Any other attribute, and every name starting with `_`, is refused.
 * Pure; imports only siblings.
 */
import { bind, type EvalContext } from './call-args.js'
import { iterate } from './builtins.js'
import {
  asNumber,
  asSequence,
  asText,
  dictKey,
  MAX_VALUE_LENGTH,
  Placeholder,
  PyError,
  PyFunction,
  PyList,
  PyTuple,
  pyEquals,
  typeName,
  type CallArgs,
  type PyKey,
  type PyValue,
} from './values.js'

// Python's str.isspace(): Unicode whitespace plus the ASCII information separators.
// eslint-disable-next-line no-control-regex
const WHITESPACE = /[\s\u001c-\u001f\u0085]/u

function textArg(v: PyValue | undefined, fname: string, what = 'str'): string {
  const t = asText(v ?? null)
  if (t === undefined)
    throw new PyError(`${fname}() argument must be ${what}, not ${typeName(v ?? null)}`)
  return t
}

function optionalInt(v: PyValue | undefined, fallback: number): number {
  if (v === undefined || v === null) return fallback
  const n = asNumber(v)
  if (typeof n !== 'bigint')
    throw new PyError(`'${typeName(v)}' object cannot be interpreted as an integer`)
  return Number(n)
}

function splitWhitespace(s: string, maxsplit: number): string[] {
  const out: string[] = []
  let i = 0
  const n = s.length
  while (i < n) {
    while (i < n && WHITESPACE.test(s[i] ?? '')) i++
    if (i >= n) break
    if (maxsplit >= 0 && out.length >= maxsplit) {
      out.push(s.slice(i).replace(/\s+$/u, ''))
      break
    }
    let j = i
    while (j < n && !WHITESPACE.test(s[j] ?? '')) j++
    out.push(s.slice(i, j))
    i = j
  }
  return out
}

function pySplit(s: string, sep: string | undefined, maxsplit: number): string[] {
  if (sep === undefined) return splitWhitespace(s, maxsplit)
  if (sep === '') throw new PyError('empty separator')
  const parts = s.split(sep)
  if (maxsplit < 0 || parts.length <= maxsplit + 1) return parts
  return [...parts.slice(0, maxsplit), parts.slice(maxsplit).join(sep)]
}

function stripChars(s: string, chars: string | undefined, left: boolean, right: boolean): string {
  const isStrip = (ch: string): boolean =>
    chars === undefined ? WHITESPACE.test(ch) : chars.includes(ch)
  let a = 0
  let b = s.length
  if (left) while (a < b && isStrip(s[a] ?? '')) a++
  if (right) while (b > a && isStrip(s[b - 1] ?? '')) b--
  return s.slice(a, b)
}

function affixTest(s: string, call: CallArgs, fname: 'startswith' | 'endswith'): boolean {
  const b = bind(fname, call, ['prefix'], { required: 1 })
  const arg = b.values.get('prefix') ?? null
  const options =
    arg !== null && typeof arg === 'object' && arg.kind === 'tuple' ? arg.items : [arg]
  return options.some((o) => {
    const t = textArg(o, fname, 'str or a tuple of str')
    return fname === 'startswith' ? s.startsWith(t) : s.endsWith(t)
  })
}

type Method = (call: CallArgs, ctx: EvalContext) => PyValue

function stringMethods(s: string): Readonly<Record<string, Method>> {
  return {
    split: (call) => {
      const b = bind('split', call, ['sep', 'maxsplit'])
      const sep = b.values.get('sep')
      return new PyList(
        pySplit(
          s,
          sep === undefined || sep === null ? undefined : textArg(sep, 'split'),
          optionalInt(b.values.get('maxsplit'), -1),
        ),
      )
    },
    lower: (call) => (bind('lower', call, []), s.toLowerCase()),
    upper: (call) => (bind('upper', call, []), s.toUpperCase()),
    strip: (call) => stripOp(s, call, 'strip', true, true),
    lstrip: (call) => stripOp(s, call, 'lstrip', true, false),
    rstrip: (call) => stripOp(s, call, 'rstrip', false, true),
    replace: (call) => {
      const b = bind('replace', call, ['old', 'new', 'count'], { required: 2 })
      const from = textArg(b.values.get('old'), 'replace')
      const to = textArg(b.values.get('new'), 'replace')
      const count = optionalInt(b.values.get('count'), -1)
      const parts = from === '' ? ['', ...s.split(''), ''] : s.split(from)
      const limit = count < 0 ? parts.length - 1 : Math.min(count, parts.length - 1)
      const size = s.length + limit * (to.length - from.length)
      if (size > MAX_VALUE_LENGTH) throw new PyError('result is too large')
      return (
        parts.slice(0, limit + 1).join(to) +
        (limit + 1 < parts.length ? from + parts.slice(limit + 1).join(from) : '')
      )
    },
    startswith: (call) => affixTest(s, call, 'startswith'),
    endswith: (call) => affixTest(s, call, 'endswith'),
    join: (call, ctx) => {
      const items = iterate(
        bind('join', call, ['iterable'], { required: 1 }).values.get('iterable') ?? null,
        ctx,
      )
      const texts = items.map((x, i) => {
        const t = asText(x)
        if (t === undefined)
          throw new PyError(`sequence item ${i}: expected str instance, ${typeName(x)} found`)
        return t
      })
      const size =
        texts.reduce((n, t) => n + t.length, 0) + s.length * Math.max(0, texts.length - 1)
      if (size > MAX_VALUE_LENGTH) throw new PyError('result is too large')
      return texts.join(s)
    },
    isdigit: (call) => (bind('isdigit', call, []), /^\p{Nd}+$/u.test(s)),
    find: (call) =>
      BigInt(
        s.indexOf(textArg(bind('find', call, ['sub'], { required: 1 }).values.get('sub'), 'find')),
      ),
    count: (call) => {
      const sub = textArg(bind('count', call, ['sub'], { required: 1 }).values.get('sub'), 'count')
      return BigInt(sub === '' ? s.length + 1 : s.split(sub).length - 1)
    },
  }
}

function stripOp(s: string, call: CallArgs, fname: string, left: boolean, right: boolean): string {
  const chars = bind(fname, call, ['chars']).values.get('chars')
  return stripChars(
    s,
    chars === undefined || chars === null ? undefined : textArg(chars, fname),
    left,
    right,
  )
}

function dictMethods(map: ReadonlyMap<PyKey, PyValue>): Readonly<Record<string, Method>> {
  return {
    get: (call) => {
      const b = bind('get', call, ['key', 'default'], { required: 1 })
      const key = dictKey(b.values.get('key') ?? null)
      return map.has(key) ? (map.get(key) ?? null) : (b.values.get('default') ?? null)
    },
    keys: (call) => (bind('keys', call, []), new PyList([...map.keys()])),
    values: (call) => (bind('values', call, []), new PyList([...map.values()])),
    items: (call) => (
      bind('items', call, []),
      new PyList([...map].map(([k, v]) => new PyTuple([k, v])))
    ),
  }
}

function sequenceMethods(items: readonly PyValue[]): Readonly<Record<string, Method>> {
  return {
    index: (call) => {
      const x = bind('index', call, ['value'], { required: 1 }).values.get('value') ?? null
      const i = items.findIndex((y) => pyEquals(x, y))
      if (i < 0) throw new PyError('value is not in list')
      return BigInt(i)
    },
    count: (call) => {
      const x = bind('count', call, ['value'], { required: 1 }).values.get('value') ?? null
      return BigInt(items.filter((y) => pyEquals(x, y)).length)
    },
  }
}

function placeholderMethods(p: Placeholder): Readonly<Record<string, Method>> {
  const same: Method = () => p
  return {
    split: () => new PyList([new Placeholder(p.name), new Placeholder(p.name)]),
    startswith: () => false,
    endswith: () => false,
    lower: same,
    upper: same,
    strip: same,
    lstrip: same,
    rstrip: same,
    replace: same,
    get: same,
  }
}

/**
 * `obj.name` as a bound method.
 *
 * @throws {PyError} when `obj` has no such (allowed) method.
 *
 * @example
 * ```ts
 * getMethod('a,b', 'split', ctx).call({ args: [','], kwargs: new Map(), labels: [] }) // → PyList ['a', 'b']
 * ```
 */
export function getMethod(obj: PyValue, name: string, ctx: EvalContext): PyFunction {
  if (name.startsWith('_')) throw new PyError(`access to attribute '${name}' is not allowed`)
  let table: Readonly<Record<string, Method>> | undefined
  const text = asText(obj)
  if (text !== undefined) table = stringMethods(text)
  else if (obj instanceof Placeholder) table = placeholderMethods(obj)
  else if (obj !== null && typeof obj === 'object' && obj.kind === 'dict')
    table = dictMethods(obj.map)
  else {
    const items = asSequence(obj)
    if (items !== undefined) table = sequenceMethods(items)
  }
  const method = table !== undefined && Object.hasOwn(table, name) ? table[name] : undefined
  if (method === undefined) {
    const hint =
      name === 'get' && text !== undefined
        ? ". Make sure you're using an object/dictionary where trying to use .get()"
        : ''
    throw new PyError(`'${typeName(obj)}' object has no attribute '${name}'${hint}`)
  }
  return new PyFunction(name, (call) => method(call, ctx))
}
