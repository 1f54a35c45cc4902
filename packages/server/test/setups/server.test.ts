import { describe } from 'vitest'
import { hasClickHouseServer, startClickHouse } from '../helpers/clickhouse.js'
import { describeEngineSetup } from './suite.js'

// One ClickHouse server (Debian's 18.16 in CI), started on loopback by the test.
describe.skipIf(!hasClickHouseServer)('single server', () => {
  describeEngineSetup('a ClickHouse server', () => {
    const ch = startClickHouse(28423)
    return {
      clickhouseUrl: ch.url,
      stop: () => {
        ch.stop()
      },
    }
  })
})
