/**
 * @module CLI commands for writing data, over HTTP only: `dunlin append <ds> <file|url>`, `dunlin datasource
 * ls|truncate|rm`, `dunlin mock <ds> --rows N [--events-per-second R] [--seed S]`. Owned by the ingest area.
 */
import { readFile } from 'node:fs/promises'
import cliProgress from 'cli-progress'
import type { Command } from 'commander'
import { isGzip, mockRows, type MockColumn } from '../ingest/index.js'
import { gunzipSync } from 'node:zlib'
import type { Io } from './commands.js'
import { call, resolveTarget, withTarget, type Target } from './http.js'

interface TargetOpts {
  host?: string
  token?: string
}

interface DsJson {
  name: string
  columns: MockColumn[]
  statistics?: { row_count: number; bytes: number }
  quarantine_rows?: number
  type?: string
}

async function describeDs(target: Target, name: string): Promise<DsJson> {
  const res = await call(target, `/v0/datasources/${encodeURIComponent(name)}`)
  return (await res.json()) as DsJson
}

/** Splits `data` into chunks of about `chunkBytes` at record boundaries (newlines outside CSV quotes). */
export function chunkRecords(data: Buffer, chunkBytes: number, csv: boolean): Buffer[] {
  const out: Buffer[] = []
  let start = 0
  while (start < data.length) {
    let end = Math.min(data.length, start + chunkBytes)
    if (end < data.length) {
      let inQuote = false
      let lastBreak = -1
      for (let i = start; i < end; i++) {
        const b = data[i]
        if (csv && b === 0x22) inQuote = !inQuote
        else if (b === 0x0a && !inQuote) lastBreak = i
      }
      if (lastBreak >= 0) end = lastBreak + 1
      else {
        // One record longer than a chunk: send it whole.
        const nl = data.indexOf(0x0a, end)
        end = nl < 0 ? data.length : nl + 1
      }
    }
    out.push(data.subarray(start, end))
    start = end
  }
  return out
}

function formatOf(source: string, explicit: string | undefined): 'csv' | 'ndjson' {
  if (explicit === 'csv' || explicit === 'ndjson') return explicit
  const base = source.replace(/\.gz$/, '').toLowerCase()
  return /\.(ndjson|jsonl|json)$/.test(base) ? 'ndjson' : 'csv'
}

async function appendCommand(
  ds: string,
  source: string,
  o: TargetOpts & { format?: string; chunkMb: string },
  io: Io,
): Promise<void> {
  const target = await resolveTarget(o)
  let data: Buffer
  if (/^https?:\/\//.test(source)) {
    const res = await fetch(source)
    if (!res.ok) throw new Error(`GET ${source}: ${String(res.status)}`)
    data = Buffer.from(await res.arrayBuffer())
  } else data = await readFile(source)
  if (isGzip(data)) data = gunzipSync(data)
  if (/\.parquet$/i.test(source) || data.subarray(0, 4).toString('latin1') === 'PAR1') {
    // Parquet cannot be cut at line boundaries: one multipart upload.
    const t0 = performance.now()
    const form = new FormData()
    form.set('parquet', new Blob([data]), 'data.parquet')
    const res = await call(target, `/v0/datasources?mode=append&name=${encodeURIComponent(ds)}`, {
      method: 'POST',
      body: form,
    })
    const j = (await res.json()) as { successful_rows: number }
    const secs = Math.max((performance.now() - t0) / 1000, 1e-3)
    io.out(
      `appended ${String(j.successful_rows)} rows to ${ds} in ${secs.toFixed(1)} s: ${String(Math.round(j.successful_rows / secs))} rows/s, ${(data.length / 1024 / 1024 / secs).toFixed(1)} MB/s`,
    )
    return
  }
  const format = formatOf(source, o.format)
  const chunkBytes = Math.round(Math.max(0.01, Number(o.chunkMb) || 4) * 1024 * 1024)
  let chunks = chunkRecords(data, chunkBytes, format === 'csv')
  if (format === 'csv' && chunks.length > 1) {
    // Repeat a header row in every chunk so the server maps columns by name.
    const first = chunks[0] ?? Buffer.alloc(0)
    const nl = first.indexOf(0x0a)
    const header = first.subarray(0, nl + 1).toString('utf8')
    const info = await describeDs(target, ds)
    const names = header
      .trim()
      .split(',')
      .map((f) => f.trim().replace(/^"|"$/g, ''))
    if (names.every((n) => info.columns.some((c) => c.name === n))) {
      const h = Buffer.from(header)
      chunks = chunks.map((c, i) => (i === 0 ? c : Buffer.concat([h, c])))
    }
  }
  const t0 = performance.now()
  let rows = 0
  let quarantined = 0
  let sent = 0
  const bar = io.isTty
    ? new cliProgress.SingleBar(
        {
          format: `  ${ds} [{bar}] {percentage}% {rows} rows, {rps} rows/s, {mbps} MB/s`,
          hideCursor: true,
          stream: process.stderr,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined
  bar?.start(data.length, 0, { rows: 0, rps: 0, mbps: '0.0' })
  const rates = (): { rps: number; mbps: string } => {
    const s = Math.max(1e-3, (performance.now() - t0) / 1000)
    return { rps: Math.round(rows / s), mbps: (sent / s / 1024 / 1024).toFixed(1) }
  }
  try {
    for (const chunk of chunks) {
      const res = await call(
        target,
        `/v0/datasources?mode=append&name=${encodeURIComponent(ds)}&format=${format}`,
        { method: 'POST', body: chunk },
      )
      const j = (await res.json()) as { successful_rows: number; quarantined_rows: number }
      rows += j.successful_rows
      quarantined += j.quarantined_rows
      sent += chunk.length
      const r = rates()
      if (bar) bar.update(Math.min(sent, data.length), { rows, ...r })
      else
        io.err(
          `  ${String(Math.round((sent / data.length) * 100))}% ${String(rows)} rows, ${String(r.rps)} rows/s, ${r.mbps} MB/s`,
        )
    }
  } finally {
    bar?.stop()
  }
  const secs = (performance.now() - t0) / 1000
  const r = rates()
  io.out(
    `appended ${String(rows)} rows to ${ds}${quarantined > 0 ? ` (${String(quarantined)} quarantined: see ${ds}_quarantine)` : ''} in ${secs.toFixed(1)} s: ${String(r.rps)} rows/s, ${r.mbps} MB/s`,
  )
}

async function mockCommand(
  ds: string,
  o: TargetOpts & { rows: string; eventsPerSecond?: string; seed: string; batch: string },
  io: Io,
): Promise<void> {
  const target = await resolveTarget(o)
  const info = await describeDs(target, ds)
  const total = Number(o.rows)
  const rate = o.eventsPerSecond !== undefined ? Number(o.eventsPerSecond) : undefined
  if (!Number.isFinite(total) || total < 0) throw new Error('--rows must be a number')
  const next = mockRows(info.columns, Number(o.seed))
  // With a rate, send ten batches a second; without, large batches as fast as the server takes them.
  const batch =
    rate !== undefined ? Math.max(1, Math.round(rate / 10)) : Math.max(1, Number(o.batch))
  const t0 = performance.now()
  let done = 0
  let quarantined = 0
  let lastLog = t0
  while (done < total) {
    const n = Math.min(batch, total - done)
    let body = ''
    for (let i = 0; i < n; i++) body += JSON.stringify(next(done + i)) + '\n'
    const res = await call(target, `/v0/events?name=${encodeURIComponent(ds)}`, {
      method: 'POST',
      body,
    })
    const j = (await res.json()) as { successful_rows: number; quarantined_rows: number }
    quarantined += j.quarantined_rows
    done += n
    const now = performance.now()
    if (now - lastLog >= 1000 || done === total) {
      lastLog = now
      io.err(
        `  ${String(done)}/${String(total)} events, ${String(Math.round(done / ((now - t0) / 1000)))} events/s${quarantined > 0 ? `, ${String(quarantined)} quarantined` : ''}`,
      )
    }
    if (rate !== undefined) {
      const due = t0 + (done / rate) * 1000
      const wait = due - performance.now()
      if (wait > 0) await new Promise((r) => setTimeout(r, wait))
    }
  }
  io.out(
    `sent ${String(done)} events to ${ds} in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  )
}

/**
 * Adds the ingest commands to `program`: `append`, `datasource ls|truncate|rm`, `mock`.
 *
 * @see https://www.tinybird.co/docs/cli/command-ref#tb-datasource-append (Tinybird's `tb datasource append`)
 */
export function registerIngestCommands(program: Command, io: Io): void {
  withTarget(
    program
      .command('append')
      .description(
        'append a CSV, NDJSON or Parquet file (or URL; .gz too) to a data source, with progress',
      )
      .argument('<datasource>', 'data source name')
      .argument('<file>', 'local file or http(s) URL')
      .option('--format <format>', 'csv or ndjson (default: from the extension)')
      .option('--chunk-mb <mb>', 'request size, in MB', '4'),
  ).action(
    async (ds: string, file: string, o: TargetOpts & { format?: string; chunkMb: string }) => {
      await appendCommand(ds, file, o, io)
    },
  )

  const dsCmd = program.command('datasource').description('data sources on a running server')
  withTarget(dsCmd.command('ls').description('list data sources with row counts')).action(
    async (o: TargetOpts) => {
      const target = await resolveTarget(o)
      const res = await call(target, '/v0/datasources')
      const { datasources } = (await res.json()) as { datasources: DsJson[] }
      io.out(
        `${'name'.padEnd(28)} ${'type'.padEnd(7)} ${'rows'.padStart(12)} ${'quarantine'.padStart(10)}`,
      )
      for (const d of datasources) {
        io.out(
          `${d.name.padEnd(28)} ${(d.type ?? '').padEnd(7)} ${String(d.statistics?.row_count ?? 0).padStart(12)} ${String(d.quarantine_rows ?? 0).padStart(10)}`,
        )
      }
    },
  )
  withTarget(
    dsCmd
      .command('truncate')
      .description('delete every row of a data source (or of <ds>_quarantine)')
      .argument('<datasource>', 'data source name'),
  ).action(async (ds: string, o: TargetOpts) => {
    const target = await resolveTarget(o)
    await call(target, `/v0/datasources/${encodeURIComponent(ds)}/truncate`, { method: 'POST' })
    io.out(`truncated ${ds}`)
  })
  withTarget(
    dsCmd
      .command('rm')
      .description('drop a data source, its quarantine table and the views into it')
      .argument('<datasource>', 'data source name'),
  ).action(async (ds: string, o: TargetOpts) => {
    const target = await resolveTarget(o)
    await call(target, `/v0/datasources/${encodeURIComponent(ds)}`, { method: 'DELETE' })
    io.out(`removed ${ds}`)
  })

  withTarget(
    program
      .command('mock')
      .description('stream schema-faithful fake events into a data source through the Events API')
      .argument('<datasource>', 'data source name')
      .option('--rows <n>', 'events to send', '1000')
      .option('--events-per-second <r>', 'pace (default: as fast as possible)')
      .option('--seed <s>', 'random seed (same seed, same values)', '1')
      .option('--batch <n>', 'events per request when not paced', '5000'),
  ).action(
    async (
      ds: string,
      o: TargetOpts & { rows: string; eventsPerSecond?: string; seed: string; batch: string },
    ) => {
      await mockCommand(ds, o, io)
    },
  )
}
