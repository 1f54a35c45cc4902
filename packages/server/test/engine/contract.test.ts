import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, it } from 'vitest'
import { openChdbEngine, openClickHouseEngine } from '../../src/engine/index.js'
import { engineContract } from '../contracts/engine.contract.js'
import { hasClickHouseServer, startClickHouse, type TestClickHouse } from '../helpers/clickhouse.js'

engineContract('chdb (embedded)', () =>
  openChdbEngine({ dataDir: mkdtempSync(join(tmpdir(), 'dunlin-contract-')) }),
)

if (hasClickHouseServer) {
  let server: TestClickHouse | undefined
  afterAll(() => {
    server?.stop()
  })
  engineContract('ClickHouse server (HTTP)', () => {
    server = startClickHouse(28123)
    return openClickHouseEngine({ url: server.url })
  })
} else {
  describe('engine contract: ClickHouse server (HTTP)', () => {
    it.skip('needs Debian clickhouse-server (installed by .ci/run): not installed on this machine', () =>
      undefined)
  })
}
