/** @module Tests of day_diff and the date_diff_in_* helpers, and of the datetime.ts parsers. */
import { describe, expect, it } from 'vitest'
import { parseIsoDate, parseIsoDateTime, strptime } from './datetime.js'
import { renderTemplate, type TemplateArgs } from './index.js'

const thrown = (fn: () => unknown): unknown => {
  try {
    fn()
  } catch (e) {
    return e
  }
  throw new Error('did not throw')
}
const sql = (src: string, args: TemplateArgs = {}, testMode = false): string =>
  renderTemplate(`%\n${src}`, args, { testMode }).sql

describe('day_diff() / date_diff_in_days()', () => {
  it.each([
    ["day_diff('2020-03-01', '2020-03-01')", '0'],
    ["day_diff('2020-03-01', '2020-03-02')", '1'],
    ["day_diff('2020-03-02', '2020-03-01')", '1'],
    ["day_diff('2020-02-01', '2020-03-01')", '29'],
    ["day_diff('2019-02-01', '2019-03-01')", '28'],
    [
      "date_diff_in_days('2021-06-10 10:00:00', '2021-06-01 09:00:00', date_format='%Y-%m-%d %H:%M:%S')",
      '9',
    ],
    ["date_diff_in_days('2021-06-01', '2021/06/05', backup_date_format='%Y/%m/%d')", '4'],
    [
      "date_diff_in_days('2021-06-01T20:00:00Z', '2021-06-15', '%Y-%m-%dT%H:%M:%SZ', backup_date_format='%Y-%m-%d')",
      '13',
    ],
    [
      "date_diff_in_days('2021-06-01T20:00:00z', '2021-06-15', '%Y-%m-%dT%H:%M:%SZ', backup_date_format='%Y-%m-%d')",
      '13',
    ],
    ["date_diff_in_days('2021-06-01', '2021-00-02', none_if_error=True) is None", '1'],
    [
      "date_diff_in_days('2021-06-01 00:00:00', '2021-06-02 00:00:00', none_if_error=True) is None",
      '1',
    ],
  ])('{{ %s }} → %s', (expr, expected) => {
    expect(sql(`{{ ${expr} }}`)).toBe(expected)
  })
  it.each([
    [
      "day_diff('2019-01-01', '2019/01/02')",
      'invalid date format in function `day_diff`, it must be ISO format date YYYY-MM-DD, e.g. 2018-09-26. For other formats, try `date_diff_in_days`',
    ],
    [
      "date_diff_in_days('2019-01-01', '2019-02-30')",
      'invalid date format in function `date_diff_in_days`, it must be ISO format date YYYY-MM-DD, e.g. 2018-09-26',
    ],
  ])('{{ %s }} fails with ERR_TEMPLATE_PARAM_TYPE', (expr, message) => {
    expect(thrown(() => sql(`{{ ${expr} }}`))).toMatchObject({
      code: 'ERR_TEMPLATE_PARAM_TYPE',
      message: `Template Syntax Error: ${message}`,
    })
  })
  it('names the parameter that failed', () => {
    expect(thrown(() => sql('{{ day_diff(a, b) }}', { a: '2020-01-01', b: 'soon' }))).toMatchObject(
      { details: { param: 'b', expected: '%Y-%m-%d' } },
    )
  })
  it('a missing parameter is reported as missing', () => {
    expect(thrown(() => sql('{{ day_diff(a, b) }}', { a: '2020-01-01' }))).toMatchObject({
      code: 'ERR_TEMPLATE_PARAM_MISSING',
      details: { params: ['b'] },
    })
  })
  it('an unsupported directive is the author’s syntax error', () => {
    expect(thrown(() => sql("{{ date_diff_in_days('a', 'b', '%A') }}"))).toMatchObject({
      code: 'ERR_TEMPLATE_SYNTAX',
    })
  })
})

describe('date_diff_in_hours / minutes / seconds', () => {
  it.each([
    [
      "date_diff_in_hours('2023-05-10T08:30:00.250Z', '2023-05-10T08:30:00.250Z', date_format='%Y-%m-%dT%H:%M:%S.%fz')",
      '0',
    ],
    [
      "date_diff_in_hours('2023-05-10T10:31:00Z', '2023-05-10T08:30:59Z', '%Y-%m-%dT%H:%M:%Sz')",
      '2',
    ],
    ["date_diff_in_hours('2023-05-05 08:00:00', '2023-05-10 08:00:00')", '120'],
    [
      "date_diff_in_hours('2023-05-10T05:10:00.500Z', '2023-05-10', date_format='%Y-%m-%dT%H:%M:%S.%fz', backup_date_format='%Y-%m-%d')",
      '5',
    ],
    [
      "date_diff_in_hours('2023-05-10', '2023-05-09', '%Y-%m-%dT%H:%M:%Sz', backup_date_format='%Y-%m-%d')",
      '24',
    ],
    ["date_diff_in_hours('2023-05-10', '2023-05-10 03:01:00', backup_date_format='%Y-%m-%d')", '3'],
    [
      "date_diff_in_hours('2023-05-32 00:00:00', '2023-05-10 00:00:00', none_if_error=True) is None",
      '1',
    ],
    [
      "date_diff_in_minutes('2023-05-10T08:31:10Z', '2023-05-10T08:30:20Z', '%Y-%m-%dT%H:%M:%Sz')",
      '0',
    ],
    ["date_diff_in_minutes('2023-05-09 08:00:00', '2023-05-10 08:00:00')", '1440'],
    [
      "date_diff_in_minutes('2023-05-10T02:15:30.100Z', '2023-05-10', date_format='%Y-%m-%dT%H:%M:%S.%fz', backup_date_format='%Y-%m-%d')",
      '135',
    ],
    [
      "date_diff_in_minutes('2023-05-10', '2023-05-10 00:02:00', backup_date_format='%Y-%m-%d')",
      '2',
    ],
    [
      "date_diff_in_seconds('2023-05-10T08:30:00Z', '2023-05-10T08:30:02Z', '%Y-%m-%dT%H:%M:%Sz')",
      '2',
    ],
    ["date_diff_in_seconds('2023-05-10 08:30:00', '2023-05-10 08:31:30')", '90'],
    [
      "date_diff_in_seconds('2023-05-10T08:30:00.100Z', '2023-05-10T08:30:00.900Z', '%Y-%m-%dT%H:%M:%S.%fz')",
      '0',
    ],
    [
      "date_diff_in_seconds('2023-05-10 08:30:00.250', '2023-05-10 08:30:01.250', '%Y-%m-%d %H:%M:%S.%f')",
      '1',
    ],
    [
      "date_diff_in_seconds('2023-05-10 08:30:00.999999', '2023-05-10 08:30:01.000001', '%Y-%m-%d %H:%M:%S.%f')",
      '0',
    ],
    [
      "date_diff_in_seconds('2023-05-10T00:00:04.700Z', '2023-05-10', date_format='%Y-%m-%dT%H:%M:%S.%fz', backup_date_format='%Y-%m-%d')",
      '4',
    ],
    [
      "date_diff_in_seconds('2023/05/10 00:00:00', '2023-05-10 00:00:00', none_if_error=True) is None",
      '1',
    ],
  ])('{{ %s }} → %s', (expr, expected) => {
    expect(sql(`{{ ${expr} }}`)).toBe(expected)
  })
  it('fails without none_if_error', () => {
    expect(
      thrown(() => sql("{{ date_diff_in_minutes('2023-05-10 08:00:00', '2023/05/10 08:00:00') }}")),
    ).toMatchObject({ code: 'ERR_TEMPLATE_PARAM_TYPE' })
  })
})

describe('test mode', () => {
  it.each([
    ['{{ day_diff(a, b) }}', '0'],
    ["{{ date_diff_in_days(a, '') }}", '0'],
    ['{{ date_diff_in_hours(a, b, default=7) }}', '7'],
    ['{{ date_diff_in_seconds(a, b) }}', '0'],
  ])('%s → %s', (src, expected) => {
    expect(sql(src, {}, true)).toBe(expected)
  })
})

describe('datetime.ts parsers', () => {
  it.each([
    ['2024-02-29', true],
    ['2023-02-29', false],
    ['1900-02-29', false],
    ['2000-02-29', true],
    ['2024-04-31', false],
    ['2024-4-30', false],
  ])('parseIsoDate(%j) valid: %s', (s, ok) => {
    expect(parseIsoDate(s) !== undefined).toBe(ok)
  })
  it.each([
    ['2024-01-02 03:04:05', { hour: 3, minute: 4, second: 5, fraction: '' }],
    ['2024-01-02T03:04:05.1Z', { hour: 3, minute: 4, second: 5, fraction: '1' }],
  ])('parseIsoDateTime(%j)', (s, expected) => {
    expect(parseIsoDateTime(s)).toMatchObject(expected)
  })
  it('strptime() matches literals case-insensitively and runs of whitespace', () => {
    expect(strptime('2024-01-02t03:04:05Z', '%Y-%m-%dT%H:%M:%Sz')).toMatchObject({
      year: 2024,
      hour: 3,
    })
    expect(strptime('2024-01-02   03:04:05', '%Y-%m-%d %H:%M:%S')).toMatchObject({ second: 5 })
    expect(strptime('2024-1-2', '%Y-%m-%d')).toMatchObject({ month: 1, day: 2 })
    expect(strptime('100%', '%%')).toBeUndefined()
  })
})
