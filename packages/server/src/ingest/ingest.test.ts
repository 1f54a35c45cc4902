import { describe, expect, it } from 'vitest'
import { ByteBudget } from './byte-budget.js'
import { parseCsv } from './csv.js'
import { inferDatasource } from './infer-schema.js'
import { compilePath } from './json-path.js'
import { compileRowMapper } from './row-mapper.js'
import { checkValue, parseType } from './type-check.js'
import { splitLines } from './body.js'
import { mockRows } from './mock.js'
import { addressKind, checkImportUrl } from './url-guard.js'

describe('compilePath', () => {
  it.each([
    ['$.a.b', { a: { b: 1 } }, 1],
    ["$['a-b']", { 'a-b': 2 }, 2],
    ['$.tags[:]', { tags: ['x', 'y'] }, ['x', 'y']],
    ['$.items[:].id', { items: [{ id: 1 }, {}, { id: 3 }] }, [1, 3]],
    ['$.list[1]', { list: [5, 6] }, 6],
    ['$.a.b', { a: 'scalar' }, undefined],
    ['$.missing', {}, undefined],
  ])('%s', (path, obj, want) => {
    expect(compilePath(path).extract(obj)).toEqual(want)
  })
  it('refuses filters', () => {
    expect(() => compilePath('$..a')).toThrow(TypeError)
  })
})

describe('checkValue', () => {
  const ok = (t: string, v: unknown): unknown => {
    const r = checkValue(parseType(t), v)
    if (!r.ok) throw new Error(r.reason)
    return r.value
  }
  const bad = (t: string, v: unknown): string => {
    const r = checkValue(parseType(t), v)
    if (r.ok) throw new Error('accepted')
    return r.reason
  }
  it('checks integer ranges, numeric strings and big integers', () => {
    expect(ok('Int16', 12)).toBe(12)
    expect(ok('UInt64', '18446744073709551615')).toBe('18446744073709551615')
    expect(bad('Int16', 40000)).toBe('40000 is out of range for Int16')
    expect(bad('UInt8', -1)).toMatch(/out of range/)
    expect(bad('Int32', 1.5)).toMatch(/not an integer/)
    expect(bad('Int32', 'abc')).toMatch(/expected Int32/)
  })
  it('turns scalars and objects into text for String, and keeps strings as they are', () => {
    const s = 'x'
    expect(ok('String', s)).toBe(s)
    expect(ok('String', 7)).toBe('7')
    expect(ok('LowCardinality(String)', { a: 1 })).toBe('{"a":1}')
  })
  it('accepts null only for Nullable', () => {
    expect(ok('Nullable(Int32)', null)).toBe(null)
    expect(bad('Int32', null)).toMatch(/not Nullable/)
  })
  it('checks dates, arrays, maps, UUIDs, enums and bools', () => {
    expect(ok('DateTime', '2025-01-02 03:04:05')).toBe('2025-01-02 03:04:05')
    expect(ok("DateTime64(3, 'UTC')", '2025-01-02T03:04:05.123Z')).toBeTruthy()
    expect(ok('DateTime', 1700000000)).toBe(1700000000)
    expect(bad('DateTime', 'yesterday')).toMatch(/not a valid DateTime/)
    expect(bad('Date', '01/02/2025')).toMatch(/Date/)
    expect(ok('Array(Int8)', [1, 2])).toEqual([1, 2])
    expect(bad('Array(Int8)', [1, 999])).toMatch(/element 1/)
    expect(bad('Array(String)', 'x')).toMatch(/expected an Array/)
    expect(ok('Map(String, UInt8)', { a: 1 })).toEqual({ a: 1 })
    expect(bad('UUID', 'nope')).toMatch(/UUID/)
    expect(ok("Enum8('a' = 1, 'b' = 2)", 'a')).toBe('a')
    expect(bad("Enum8('a' = 1, 'b' = 2)", 'c')).toMatch(/Enum8/)
    expect(ok('Bool', 'true')).toBe(true)
  })
  it('passes unknown types through', () => {
    expect(ok('JSON', { a: 1 })).toEqual({ a: 1 })
  })
})

describe('compileRowMapper', () => {
  const cols = [
    { name: 'ts', type: 'DateTime', jsonPath: '$.ts', line: 1 },
    { name: 'n', type: 'Int32', jsonPath: '$.n', line: 2 },
    { name: 'tag', type: 'Nullable(String)', jsonPath: '$.tag', line: 3 },
    { name: 'd', type: 'String', jsonPath: '$.d', defaultExpr: "'z'", line: 4 },
  ]
  it('reuses a valid line verbatim, quarantines bad ones with the line', () => {
    const m = compileRowMapper(cols)
    const good = '{"ts":"2025-01-01 00:00:00","n":1}'
    const r = m.mapLines([good, '{"ts":"2025-01-01 00:00:00","n":"x"}', '{"n":1}', 'nope', ''])
    expect(r.good).toEqual([good])
    expect(r.quarantine.map((q) => q.errors[0])).toEqual([
      "column 'n': expected Int32, got a string",
      "missing value for column 'ts' (not Nullable and no DEFAULT)",
      'invalid JSON',
    ])
    expect(r.quarantine[0]?.values).toMatchObject({ n: 'x', ts: '2025-01-01 00:00:00' })
    expect(r.quarantine[2]?.line).toBe('nope')
  })
  it('re-serializes rows whose paths are nested', () => {
    const m = compileRowMapper([{ name: 'id', type: 'Int64', jsonPath: '$.user.id', line: 1 }])
    expect(m.mapLines(['{"user":{"id":5}}']).good).toEqual(['{"id":5}'])
  })
  it('maps CSV records by column name with empty fields as null or default', () => {
    const m = compileRowMapper(cols.map(({ jsonPath: _j, ...c }) => c))
    const r = m.mapRecords(
      [
        ['2025-01-01 00:00:00', '3', '', ''],
        ['2025-01-01 00:00:00', 'x', 'a', 'b'],
      ],
      ['ts', 'n', 'tag', 'd'],
    )
    expect(r.good.map((l) => JSON.parse(l) as unknown)).toEqual([
      { ts: '2025-01-01 00:00:00', n: '3', tag: '', d: '' },
    ])
    expect(r.quarantine).toHaveLength(1)
  })
})

describe('parseCsv', () => {
  it('reads quoted fields, doubled quotes and CRLF', () => {
    expect(parseCsv('a,"b ""q"""\r\n1,"x\ny"\n').records).toEqual([
      ['a', 'b "q"'],
      ['1', 'x\ny'],
    ])
  })
  it('reports an unterminated quote with its line', () => {
    const r = parseCsv('1,2\n3,"oops\n5,6\n')
    expect(r.records).toEqual([['1', '2']])
    expect(r.unterminated?.line).toBe(2)
  })
})

describe('inferDatasource', () => {
  it('flattens objects, types arrays and marks absent keys Nullable', () => {
    const d = inferDatasource('x', ['{"a":1,"o":{"b":"s"},"t":[1.5]}', '{"a":2,"t":[]}'])
    expect(d?.columns.map((c) => [c.name, c.type, c.jsonPath])).toEqual([
      ['a', 'Int64', '$.a'],
      ['o_b', 'Nullable(String)', '$.o.b'],
      ['t', 'Array(Float64)', '$.t[:]'],
    ])
  })
  it('gives up without any JSON object', () => {
    expect(inferDatasource('x', ['nope'])).toBeUndefined()
  })
})

describe('splitLines', () => {
  it('flags only the lines with invalid UTF-8', () => {
    const r = splitLines(
      Buffer.concat([Buffer.from('ok\n'), Buffer.from([0xff]), Buffer.from('\nok')]),
    )
    expect(r.lines).toHaveLength(3)
    expect([...r.invalidUtf8]).toEqual([1])
  })
})

describe('ByteBudget', () => {
  it('refills at the rate and answers Retry-After in whole seconds', () => {
    let now = 0
    const b = new ByteBudget({ nowMs: () => now })
    expect(b.take('k', 100, 100).allowed).toBe(true)
    const r = b.take('k', 100, 100)
    expect(r).toEqual({ allowed: false, retryAfterSeconds: 1 })
    now = 1000
    expect(b.take('k', 100, 100).allowed).toBe(true)
  })
})

describe('mockRows', () => {
  const cols = [
    { name: 'timestamp', type: 'DateTime', jsonpath: '$.timestamp' },
    { name: 'age', type: 'Int16', jsonpath: '$.age' },
    { name: 'airline', type: 'String', jsonpath: '$.airline' },
    { name: 'user_id', type: 'Int64', jsonpath: '$.user.id' },
    { name: 'tags', type: 'Array(String)', jsonpath: '$.tags[:]' },
  ]
  it('is deterministic for a seed, shaped by the JSONPaths and valid for the types', () => {
    const a = mockRows(cols, 5, () => 0)
    const b = mockRows(cols, 5, () => 0)
    const rowsA = [a(0), a(1)]
    expect([b(0), b(1)]).toEqual(rowsA)
    const m = compileRowMapper(
      cols.map((c) => ({ name: c.name, type: c.type, jsonPath: c.jsonpath, line: 1 })),
    )
    const mapped = m.mapLines(rowsA.map((r) => JSON.stringify(r)))
    expect(mapped.quarantine).toEqual([])
    expect(rowsA[0]).toHaveProperty('user.id')
  })
})

describe('addressKind', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.20.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'private'],
    ['100.64.0.1', 'private'],
    ['fd00::1', 'private'],
    ['fe80::1', 'private'],
    ['::ffff:10.0.0.1', 'private'],
    ['0.0.0.0', 'private'],
    ['8.8.8.8', 'public'],
    ['2606:4700::1', 'public'],
  ])('%s is %s', (ip, kind) => {
    expect(addressKind(ip)).toBe(kind)
  })
})

describe('checkImportUrl', () => {
  it('refuses private and link-local addresses unless the host is allowed by configuration', async () => {
    await expect(checkImportUrl('http://10.1.2.3/data.csv')).rejects.toMatchObject({
      code: 'ERR_REQUEST_PARAM',
    })
    await expect(checkImportUrl('http://169.254.169.254/latest/meta-data')).rejects.toMatchObject({
      code: 'ERR_REQUEST_PARAM',
    })
    await expect(checkImportUrl('http://127.0.0.1/x.csv')).rejects.toMatchObject({
      code: 'ERR_REQUEST_PARAM',
    })
    expect((await checkImportUrl('http://127.0.0.1/x.csv', { allowLoopback: true })).hostname).toBe(
      '127.0.0.1',
    )
    expect(
      (await checkImportUrl('http://10.1.2.3/data.csv', { allowHosts: ['10.1.2.3'] })).href,
    ).toBe('http://10.1.2.3/data.csv')
    await expect(
      checkImportUrl('http://10.1.2.4/data.csv', { allowHosts: ['10.1.2.3'] }),
    ).rejects.toMatchObject({ code: 'ERR_REQUEST_PARAM' })
    await expect(checkImportUrl('file:///etc/passwd', { allowHosts: [''] })).rejects.toMatchObject({
      code: 'ERR_REQUEST_PARAM',
    })
  })
})
