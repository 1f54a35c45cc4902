/**
 * @module Embeddable charts, the public face of `charts/`: chart specs and their validation, `.chart`
 * datafiles (applied at start, checked by `dunlin check`), and the iframe page with its assets.
 * Imports `catalog/` for the workspace; never `api/`.
 */
import { endpointNode, type ChartEntry, type Workspace } from '../catalog/index.js'
import { readChartFiles } from './chart-file.js'
import { datafileChartId, type ChartSpec } from './spec.js'

export {
  parseChartFile,
  readChartFiles,
  type ChartFile,
  type ChartFileProblem,
} from './chart-file.js'
export {
  CHART_TYPES,
  INDEX_FORMATS,
  RESERVED_PAGE_PARAMS,
  VALUE_FORMATS,
  chartSpecSchema,
  datafileChartId,
  parseWireSpec,
  readStoredSpec,
  specToWire,
  uuidV5,
  type ChartSpec,
  type ChartType,
  type SpecProblem,
  type SpecResult,
} from './spec.js'
export {
  CHART_PAGE_HEADERS,
  chartAssets,
  renderChartPage,
  type ChartAsset,
  type ChartPageInput,
} from './page.js'

const sameSpec = (a: Readonly<Record<string, unknown>>, b: ChartSpec): boolean =>
  JSON.stringify(a) === JSON.stringify(b)

/**
 * Applies the project's `.chart` files to the workspace: creates or updates each chart under its stable
 * id ({@link datafileChartId}), and removes datafile charts whose file is gone. Invalid files are skipped.
 *
 * Shape: warnings as `file:line:col: message` lines (empty when every file applied).
 */
export async function applyChartFiles(
  workspace: Workspace,
  projectRoot: string,
): Promise<string[]> {
  const warnings: string[] = []
  const files = await readChartFiles(projectRoot)
  const kept = new Set<string>()
  const now = new Date().toISOString()
  for (const f of files) {
    if (f.problems.length > 0 || f.spec === undefined || f.pipe === undefined) {
      for (const p of f.problems) warnings.push(`${f.file}:${p.line}:${p.column}: ${p.message}`)
      continue
    }
    const pipe = workspace.pipe(f.pipe)
    if (pipe === undefined || endpointNode(pipe) === undefined) {
      const why = pipe === undefined ? 'does not exist' : 'has no endpoint'
      warnings.push(`${f.file}:${f.pipeLine}:1: pipe '${f.pipe}' ${why}; chart skipped`)
      continue
    }
    const id = datafileChartId(pipe.name, f.spec.name)
    if (kept.has(id)) {
      warnings.push(
        `${f.file}:1:1: another chart of pipe '${pipe.name}' is named '${f.spec.name}'; skipped`,
      )
      continue
    }
    kept.add(id)
    const existing = workspace.charts.find((c) => c.id === id)
    if (
      existing?.origin === 'datafile' &&
      existing.pipe === pipe.name &&
      sameSpec(existing.spec, f.spec)
    ) {
      continue
    }
    const entry: ChartEntry = {
      id,
      pipe: pipe.name,
      origin: 'datafile',
      spec: f.spec,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    }
    await workspace.upsertChart(entry)
  }
  for (const c of workspace.charts) {
    if (c.origin === 'datafile' && !kept.has(c.id)) await workspace.deleteChart(c.id)
  }
  return warnings
}

/**
 * Validates the project's `.chart` files without a server: syntax, spec rules, the pipe exists, and names
 * are unique per pipe.
 *
 * Shape: `file:line:col: message` lines, empty when every file is valid.
 */
export async function checkChartFiles(
  projectRoot: string,
  pipeNames: readonly string[],
): Promise<string[]> {
  const problems: string[] = []
  const seen = new Map<string, string>()
  for (const f of await readChartFiles(projectRoot)) {
    for (const p of f.problems) problems.push(`${f.file}:${p.line}:${p.column}: ${p.message}`)
    if (f.pipe !== undefined && f.pipe !== '' && !pipeNames.includes(f.pipe)) {
      problems.push(`${f.file}:${f.pipeLine}:1: pipe '${f.pipe}' is not defined in the project`)
    }
    if (f.spec !== undefined && f.pipe !== undefined) {
      const key = `${f.pipe}/${f.spec.name}`
      const other = seen.get(key)
      if (other !== undefined) {
        problems.push(
          `${f.file}:1:1: chart '${f.spec.name}' of pipe '${f.pipe}' is also in ${other}`,
        )
      } else seen.set(key, f.file)
    }
  }
  return problems
}
