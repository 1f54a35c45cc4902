/**
 * A Dunlin server in its own process, for the durability tests: `node --import tsx child-server.ts <dataDir>
 * <project>`. Prints one JSON line `{url, adminToken}` on stdout when listening; on SIGTERM closes the
 * server the way `dunlin start` does (ingest buffers drain) and exits 0.
 */
import { createServer } from '../../src/server.js'
import { pino } from 'pino'

const [dataDir, project] = process.argv.slice(2)
if (dataDir === undefined || project === undefined)
  throw new Error('usage: child-server <dataDir> <project>')
const srv = await createServer({
  dataDir,
  project,
  port: 0,
  logger: pino({ level: 'warn' }, process.stderr),
})
process.stdout.write(
  JSON.stringify({ url: srv.url, adminToken: srv.workspace.adminToken() }) + '\n',
)
process.once('SIGTERM', () => {
  void srv.close().then(() => process.exit(0))
})
