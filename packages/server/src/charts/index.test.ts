import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { checkChartFiles } from './index.js'

const root = mkdtempSync(join(tmpdir(), 'dunlin-charts-'))
afterAll(() => {
  rmSync(root, { recursive: true, force: true })
})

describe('checkChartFiles (dunlin check)', () => {
  it('reports syntax, spec and reference problems as file:line:col lines', async () => {
    mkdirSync(join(root, 'charts'))
    writeFileSync(join(root, 'charts', 'ok.chart'), 'PIPE top\nTYPE kpi\nCATEGORIES n\n')
    writeFileSync(
      join(root, 'charts', 'missing_pipe.chart'),
      '# c\nPIPE nope\nTYPE kpi\nCATEGORIES n\n',
    )
    writeFileSync(
      join(root, 'charts', 'bad.chart'),
      'PIPE top\nTYPE bar\nCATEGORIES n\nREFRESH_INTERVAL soon\n',
    )
    writeFileSync(join(root, 'dup.chart'), 'PIPE top\nNAME ok\nTYPE kpi\nCATEGORIES n\n')
    const problems = await checkChartFiles(root, ['top'])
    expect(problems).toEqual([
      'charts/bad.chart:4:18: REFRESH_INTERVAL must be a whole number',
      "charts/missing_pipe.chart:2:1: pipe 'nope' is not defined in the project",
      "dup.chart:1:1: chart 'ok' of pipe 'top' is also in charts/ok.chart",
    ])
  })
})
