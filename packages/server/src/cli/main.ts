#!/usr/bin/env node
/** @module `dunlin`: argv → commands. */
import { Command, InvalidArgumentError, Option } from 'commander'
import {
  checkCommand,
  processIo,
  sqlCommand,
  startCommand,
  tokenCreateJwtCommand,
  type StartOptions,
} from './commands.js'
import { CliHttpError } from './http.js'
import { registerJobCommands } from './job-commands.js'
import { registerIngestCommands } from './ingest-commands.js'
import { registerTokenCommands } from './token-commands.js'
import { ServerError } from '../errors.js'
import { envVar } from '../env.js'

const int = (v: string): number => {
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number')
  return n
}
const collect = (v: string, prev: string[]): string[] => [...prev, v]

function startCommandDef(name: 'start' | 'dev', description: string): Command {
  return new Command(name)
    .description(description)
    .argument('[project]', 'folder with .datasource and .pipe files (searched recursively)')
    .option('-p, --port <port>', 'port to listen on', int, Number(envVar('DUNLIN_PORT') ?? 7181))
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .option(
      '--data-dir <dir>',
      'data directory (engine files and catalog)',
      envVar('DUNLIN_DATA_DIR') ?? '.dunlin',
    )
    .option(
      '--local',
      'local mode: serve GET /tokens on loopback and print the admin token at every start',
      name === 'dev',
    )
    .option('--force', 'recreate data sources whose change would drop data', false)
    .option('--no-fixtures', 'do not load fixtures/ into empty data sources')
    .option('--populate', 'fill new or changed materialized views from existing data', false)
    .addOption(
      new Option(
        '--auth-status <status>',
        'HTTP status for token failures: 403 (Tinybird, default) or 401 (RFC 6750)',
      ).choices(['401', '403']),
    )
    .option('--leeway <seconds>', 'clock-skew leeway for JWT exp/nbf, in seconds (default 0)', int)
    .option('--max-ttl <seconds>', 'refuse JWTs that live longer than this, in seconds', int)
    .option(
      '--clickhouse-url <url>',
      'use a ClickHouse server instead of the embedded engine (default $DUNLIN_CLICKHOUSE_URL)',
    )
    .option(
      '--clickhouse-user <user>',
      'ClickHouse user, overriding one in the URL (default $DUNLIN_CLICKHOUSE_USER; the password is read from $DUNLIN_CLICKHOUSE_PASSWORD only, so it never shows in the process list)',
    )
    .option(
      '--clickhouse-ca <file>',
      'PEM file of the CA that signed an https:// server (default $DUNLIN_CLICKHOUSE_CA)',
    )
    .option(
      '--clickhouse-cert <file>',
      'PEM client certificate for mutual TLS, with --clickhouse-key and --clickhouse-ca (default $DUNLIN_CLICKHOUSE_CERT)',
    )
    .option(
      '--clickhouse-key <file>',
      'PEM key of --clickhouse-cert (default $DUNLIN_CLICKHOUSE_KEY)',
    )
    .option(
      '--database-prefix <prefix>',
      'prefix of the databases Dunlin creates (<prefix>catalog, <prefix>sandbox, <prefix><hex>) (default $DUNLIN_DATABASE_PREFIX, else dunlin_)',
    )
    .option(
      '--cluster <name>',
      'cluster mode: the ClickHouse cluster to spread data sources over, with ON CLUSTER DDL (default $DUNLIN_CLUSTER)',
    )
    .addOption(
      new Option(
        '--catalog <store>',
        'where the catalog lives: file (data dir) or clickhouse (shared by every process on the server); default clickhouse with --clickhouse-url, else file ($DUNLIN_CATALOG)',
      ).choices(['file', 'clickhouse']),
    )
    .option(
      '--public-url <url>',
      'the URL clients reach this server at, e.g. the load balancer, for job_url and embed links (default $DUNLIN_PUBLIC_URL)',
    )
    .option(
      '--no-copy-schedules',
      'do not run copy pipes on their COPY_SCHEDULE here (with several processes sharing a catalog, run them in one)',
    )
    .option(
      '--workspace <name>',
      'name of the shared catalog in ClickHouse: processes with the same name serve one workspace (default $DUNLIN_WORKSPACE, else dunlin)',
    )
    .option(
      '--config <file>',
      'JSON config file with an "auth" section (see docs/auth.md)',
      'dunlin.config.json',
    )
}

async function main(argv: string[]): Promise<number> {
  const io = processIo
  let exitCode = 0
  const program = new Command('dunlin')
    .description('Dunlin: a self-hostable, Tinybird-compatible real-time analytics API server')
    .version('0.1.0')
    .showHelpAfterError()

  const runStart =
    (watch: boolean) => async (project: string | undefined, o: Record<string, unknown>) => {
      const opts: StartOptions = {
        port: o['port'] as number,
        host: o['host'] as string,
        dataDir: o['dataDir'] as string,
        local: o['local'] === true,
        force: o['force'] === true,
        fixtures: o['fixtures'] !== false,
        populate: o['populate'] === true,
        ...(o['authStatus'] !== undefined
          ? { authStatus: o['authStatus'] === '401' ? (401 as const) : (403 as const) }
          : {}),
        ...(o['leeway'] !== undefined ? { leeway: o['leeway'] as number } : {}),
        configFile: typeof o['config'] === 'string' ? o['config'] : 'dunlin.config.json',
        ...(o['maxTtl'] !== undefined ? { maxTtl: o['maxTtl'] as number } : {}),
        ...(typeof o['clickhouseUrl'] === 'string' ? { clickhouseUrl: o['clickhouseUrl'] } : {}),
        ...(typeof o['clickhouseUser'] === 'string' ? { clickhouseUser: o['clickhouseUser'] } : {}),
        ...(typeof o['clickhouseCa'] === 'string' ? { clickhouseCa: o['clickhouseCa'] } : {}),
        ...(typeof o['clickhouseCert'] === 'string' ? { clickhouseCert: o['clickhouseCert'] } : {}),
        ...(typeof o['clickhouseKey'] === 'string' ? { clickhouseKey: o['clickhouseKey'] } : {}),
        ...(typeof o['databasePrefix'] === 'string' ? { databasePrefix: o['databasePrefix'] } : {}),
        ...(typeof o['cluster'] === 'string' ? { cluster: o['cluster'] } : {}),
        ...(typeof o['publicUrl'] === 'string' ? { publicUrl: o['publicUrl'] } : {}),
        ...(o['catalog'] === 'file' || o['catalog'] === 'clickhouse'
          ? { catalog: o['catalog'] }
          : {}),
        ...(typeof o['workspace'] === 'string' ? { workspaceName: o['workspace'] } : {}),
        ...(o['copySchedules'] === false ? { copySchedules: false } : {}),
      }
      await startCommand(project, opts, io, watch)
    }
  program.addCommand(
    startCommandDef('start', 'start the server, applying a project first').action(runStart(false)),
  )
  program.addCommand(
    startCommandDef('dev', 'start in local mode and re-apply datafiles when they change').action(
      runStart(true),
    ),
  )

  program
    .command('check')
    .description(
      'validate datafiles and templates without starting; exit code 1 with file:line:col errors',
    )
    .argument('[project]', 'project folder', '.')
    .action(async (project: string) => {
      exitCode = await checkCommand(project, io)
    })

  program
    .command('sql')
    .description('run a read-only SQL query on a running server')
    .argument('<query>', 'SQL; data sources and pipes by name')
    .option('--host <url>', 'server URL (default $DUNLIN_HOST or http://localhost:7181)')
    .option(
      '--token <token>',
      "static token (default $DUNLIN_TOKEN, or the local server's admin token)",
    )
    .option(
      '--format <format>',
      'output format: PrettyCompact, JSON, CSVWithNames, JSONEachRow, …',
      'PrettyCompact',
    )
    .action(async (query: string, o: { host?: string; token?: string; format: string }) => {
      await sqlCommand(query, o, io)
    })

  const token = program.command('token').description('tokens and JWTs')
  const create = token.command('create').description('create a token')
  create
    .command('jwt')
    .description('sign a JWT that may read the given pipes (HS256 with the workspace admin token)')
    .requiredOption('--pipe <name>', 'pipe the JWT may read (repeatable)', collect, [])
    .option('--ttl <duration>', 'lifetime: 30s, 10m, 1h, 1d', '10m')
    .option('--name <name>', 'JWT name (logs and rate-limit bucket)', 'cli_jwt')
    .option('--fixed-param <key=value>', 'fixed parameter, repeatable', collect, [])
    .option('--rps <n>', 'requests per second limit for this JWT', int)
    .option(
      '--kid <kid>',
      'sign on the server with this named signing key (dunlin key ls) instead of the admin token',
    )
    .option('--host <url>', 'server URL (default $DUNLIN_HOST or http://localhost:7181)')
    .option('--token <token>', "admin token (default $DUNLIN_TOKEN, or the local server's)")
    .action(
      async (o: {
        pipe: string[]
        ttl: string
        name: string
        fixedParam: string[]
        rps?: number
        kid?: string
        host?: string
        token?: string
      }) => {
        await tokenCreateJwtCommand(o, io)
      },
    )

  registerTokenCommands(program, token, io)
  registerIngestCommands(program, io)
  registerJobCommands(program, io)

  try {
    await program.parseAsync(argv)
  } catch (e) {
    if (e instanceof ServerError) {
      io.err(`error [${e.code}]: ${e.message}`)
      const diags = e.details?.['diagnostics']
      if (Array.isArray(diags))
        for (const d of diags as { file: string; line: number; column: number; message: string }[])
          io.err(`  ${d.file}:${d.line}:${d.column}: ${d.message}`)
      return 1
    }
    if (e instanceof CliHttpError || e instanceof Error) {
      io.err(`error: ${e.message}`)
      return 1
    }
    throw e
  }
  return exitCode
}

main(process.argv).then(
  (code) => {
    process.exitCode = code
  },
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
    process.exitCode = 1
  },
)
