import { describe } from 'vitest'
import { hasZooKeeper, startClickHouse } from '../helpers/clickhouse.js'
import { describeEngineSetup } from './suite.js'

// A two-shard cluster (`dunlin`: 2 shards × 1 replica, ClickHouse 18.16) with ZooKeeper for ON CLUSTER DDL.
describe.skipIf(!hasZooKeeper)('two-shard cluster', () => {
  describeEngineSetup('a two-shard ClickHouse cluster', () => {
    const ch = startClickHouse(28523, { zookeeper: true })
    return {
      clickhouseUrl: ch.url,
      cluster: 'dunlin',
      otherNodeUrl: ch.url2,
      stop: () => {
        ch.stop()
      },
    }
  })
})
