import { describe, expect, it } from 'vitest'
import { opsLogDdl, SERVICE_DATASOURCES, serviceTable, ttlSupported } from './service.js'

describe('ttlSupported', () => {
  it.each([
    ['18.16.1', false],
    ['19.5.3.8', false],
    ['19.6.1', true],
    ['20.3.4', true],
    ['26.7.1.1', true],
    ['unknown', false],
  ])('%s → %s', (version, expected) => {
    expect(ttlSupported(version)).toBe(expected)
  })
})

describe('opsLogDdl', () => {
  it('is a service data source stored as tinybird__datasources_ops_log', () => {
    expect(SERVICE_DATASOURCES).toContain('datasources_ops_log')
    expect(opsLogDdl('db')).toContain(
      `CREATE TABLE IF NOT EXISTS \`db\`.\`${serviceTable('datasources_ops_log')}\``,
    )
  })

  it('keeps rows 7 days, unless the server has no TTL', () => {
    expect(opsLogDdl('db')).toMatch(/TTL timestamp \+ INTERVAL 7 DAY$/)
    expect(opsLogDdl('db', { ttl: false })).not.toContain('TTL')
  })

  it('uses only types ClickHouse 18.16 has', () => {
    expect(opsLogDdl('db')).not.toMatch(/Map\(|DateTime64|LowCardinality/)
    expect(opsLogDdl('db')).toContain('Options Nested(Names String, Values String)')
  })
})
