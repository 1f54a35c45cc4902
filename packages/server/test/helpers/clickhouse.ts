/**
 * A real ClickHouse server for tests: Debian's `clickhouse-server` (18.16 in CI), started on loopback by
 * `scripts/clickhouse-test-cluster.sh` in a temp dir with its own ports, and stopped by PID.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const SCRIPT = join(
  import.meta.dirname,
  '..',
  '..',
  '..',
  '..',
  'scripts',
  'clickhouse-test-cluster.sh',
)

/** True when the server binary is installed (`.ci/run` installs it). */
export const hasClickHouseServer = existsSync('/usr/sbin/clickhouse-server')

/** A running test server. */
export interface TestClickHouse {
  /** HTTP URL of the first node. */
  readonly url: string
  /** HTTP URL of the second node (cluster tests). */
  readonly url2: string
  /** HTTPS URL of the first node (with `tlsDir`): mutual TLS, client certificates signed by `tlsDir/ca.crt`. */
  readonly httpsUrl: string
  stop(): void
}

/** True when ZooKeeper is installed too (cluster tests: `ON CLUSTER` DDL and `Replicated*MergeTree`). */
export const hasZooKeeper =
  hasClickHouseServer && existsSync('/usr/share/java/zookeeper.jar') && existsSync('/usr/bin/java')

/**
 * Starts two servers on ports derived from `basePort`, e.g. 28123 → HTTP 28123/28124, and with `zookeeper` a
 * ZooKeeper on `basePort + 900`, and with `tlsDir` (holding `ca.crt`, `server.crt`, `server.key`) HTTPS on
 * `basePort + 2`; `timezone` sets the servers' time zone (default UTC). Clusters: `dunlin` (2 shards × 1 replica), `dunlin_repl` (1 shard × 2 replicas).
 */
export function startClickHouse(
  basePort = 28123,
  opts: { zookeeper?: boolean; tlsDir?: string; timezone?: string } = {},
): TestClickHouse {
  const root = mkdtempSync(join(tmpdir(), 'dunlin-ch-'))
  const env = {
    ...process.env,
    ROOT: root,
    ...(opts.zookeeper === true ? { ZK_PORT: String(basePort + 900) } : { NO_ZK: '1' }),
    N1_HTTP: String(basePort),
    N2_HTTP: String(basePort + 1),
    N1_TCP: String(basePort + 877),
    N2_TCP: String(basePort + 878),
    N1_IS: String(basePort + 886),
    ...(opts.tlsDir !== undefined ? { TLS_DIR: opts.tlsDir, N1_HTTPS: String(basePort + 2) } : {}),
    ...(opts.timezone !== undefined ? { CH_TIMEZONE: opts.timezone } : {}),
    N2_IS: String(basePort + 887),
  }
  execFileSync('bash', [SCRIPT], { env, stdio: 'pipe', timeout: 120_000 })
  return {
    url: `http://127.0.0.1:${basePort}`,
    url2: `http://127.0.0.1:${basePort + 1}`,
    httpsUrl: `https://127.0.0.1:${basePort + 2}`,
    stop() {
      try {
        execFileSync('bash', [SCRIPT, 'stop'], { env, stdio: 'pipe', timeout: 30_000 })
      } finally {
        rmSync(root, { recursive: true, force: true })
      }
    },
  }
}
