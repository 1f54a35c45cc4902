/** @module Embeddable charts: definitions (datafiles and API) and the iframe page. Owned by the charts area. */
import type { Workspace } from '../catalog/index.js'

/** Applies the project's chart definitions to the workspace. Returns warnings. */
export function applyChartFiles(_workspace: Workspace, _projectRoot: string): Promise<string[]> {
  return Promise.resolve([])
}

/** Validates the project's chart definitions without a server; returns `file:line:col: message` lines. */
export function checkChartFiles(
  _projectRoot: string,
  _pipeNames: readonly string[],
): Promise<string[]> {
  return Promise.resolve([])
}
