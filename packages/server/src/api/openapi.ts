/**
 * @module OpenAPI 3.1 description of the endpoints a token may read (`GET /v0/pipes/openapi.json`), so users
 * can generate typed clients: one path per endpoint, its template params with types, defaults, descriptions
 * and enums, and its response columns (the `meta` of an empty read of the composed query).
 */
import type { Engine } from '../engine/index.js'
import { composePipe, endpointNode, type PipeEntry, type Resources } from '../catalog/index.js'
import { templateParams, type TemplateParam } from '../template/index.js'

type Schema = Record<string, unknown>

const INT_RANGE: Record<string, [number, number]> = {
  Int8: [-128, 127],
  Int16: [-32768, 32767],
  Int32: [-2147483648, 2147483647],
  UInt8: [0, 255],
  UInt16: [0, 65535],
  UInt32: [0, 4294967295],
}

/** JSON Schema of a template param type (`Int32`, `Array(String)`, `DateTime`…). */
export function paramSchema(type: string): Schema {
  const array = /^Array\((.*)\)$/.exec(type)
  if (array?.[1] !== undefined) return { type: 'array', items: paramSchema(array[1]) }
  if (type in INT_RANGE) {
    const [minimum, maximum] = INT_RANGE[type] ?? [0, 0]
    return { type: 'integer', minimum, maximum }
  }
  if (/^U?Int(64|128|256)?$|^Integer$/.test(type))
    return { type: 'integer', ...(type.startsWith('U') ? { minimum: 0 } : {}) }
  if (/^Float(32|64)$/.test(type)) return { type: 'number' }
  if (type === 'Boolean') return { type: 'boolean' }
  if (type === 'Date') return { type: 'string', format: 'date' }
  if (type.startsWith('DateTime'))
    return { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}[ T]\\d{2}:\\d{2}:\\d{2}' }
  if (type === 'JSON') return {}
  return { type: 'string' }
}

/** JSON Schema of a ClickHouse column type as the `JSON` format renders it (64-bit integers as numbers). */
export function columnSchema(type: string): Schema {
  const inner = /^(?:Nullable|LowCardinality)\((.*)\)$/.exec(type)
  if (inner?.[1] !== undefined) {
    const s = columnSchema(inner[1])
    return type.startsWith('Nullable') ? { ...s, type: [s['type'] ?? 'string', 'null'] } : s
  }
  const array = /^Array\((.*)\)$/.exec(type)
  if (array?.[1] !== undefined) return { type: 'array', items: columnSchema(array[1]) }
  if (/^U?Int\d+$/.test(type)) return { type: 'integer' }
  if (/^(Float|Decimal)/.test(type)) return { type: 'number' }
  if (type === 'Bool') return { type: 'boolean' }
  if (type === 'Date' || type === 'Date32') return { type: 'string', format: 'date' }
  return { type: 'string' }
}

function parameters(pipe: PipeEntry): {
  name: string
  in: 'query'
  required: boolean
  description?: string
  schema: Schema
  example?: string
}[] {
  const seen = new Map<string, TemplateParam>()
  for (const n of pipe.def.nodes)
    for (const p of templateParams(n.sql))
      if (!seen.has(p.name) || seen.get(p.name)?.type === 'unknown') seen.set(p.name, p)
  return [...seen.values()].map((p) => ({
    name: p.name,
    in: 'query',
    required: p.required,
    ...(p.description !== undefined ? { description: p.description } : {}),
    schema: {
      ...paramSchema(p.type),
      ...(p.default !== undefined && p.default !== null ? { default: p.default } : {}),
      ...(p.enum !== undefined ? { enum: p.enum } : {}),
    },
    ...(p.example !== undefined ? { example: p.example } : {}),
  }))
}

async function responseColumns(
  engine: Engine,
  res: Resources,
  pipe: PipeEntry,
): Promise<{ name: string; type: string }[] | undefined> {
  try {
    const { sql } = composePipe(res, pipe, {}, { testMode: true })
    // DESCRIBE cannot be nested; an empty read returns the same `meta` without scanning.
    const r = await engine.query(`SELECT * FROM (${sql}) LIMIT 0`, {
      format: 'JSON',
      timeoutMs: 2_000,
    })
    return (r.json() as { meta: { name: string; type: string }[] }).meta
  } catch {
    return undefined
  }
}

/**
 * Builds the document for `pipes` (already filtered to what the caller may read).
 *
 * @param serverUrl - The server's base URL, e.g. `http://localhost:7181`.
 */
export async function openApiDocument(
  engine: Engine,
  res: Resources,
  pipes: readonly PipeEntry[],
  serverUrl: string,
  title: string,
): Promise<Schema> {
  const paths: Record<string, Schema> = {}
  for (const pipe of pipes) {
    if (endpointNode(pipe) === undefined) continue
    const columns = await responseColumns(engine, res, pipe)
    const row: Schema = columns
      ? {
          type: 'object',
          properties: Object.fromEntries(columns.map((c) => [c.name, columnSchema(c.type)])),
        }
      : { type: 'object' }
    paths[`/v0/pipes/${pipe.name}.json`] = {
      get: {
        operationId: pipe.name,
        summary: pipe.def.description?.split('\n')[0] ?? pipe.name,
        ...(pipe.def.description !== undefined ? { description: pipe.def.description } : {}),
        parameters: parameters(pipe),
        responses: {
          '200': {
            description: 'ClickHouse JSON result',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['meta', 'data', 'rows', 'statistics'],
                  properties: {
                    meta: {
                      type: 'array',
                      items: {
                        type: 'object',
                        properties: { name: { type: 'string' }, type: { type: 'string' } },
                      },
                    },
                    data: { type: 'array', items: row },
                    rows: { type: 'integer' },
                    rows_before_limit_at_least: { type: 'integer' },
                    statistics: {
                      type: 'object',
                      properties: {
                        elapsed: { type: 'number' },
                        rows_read: { type: 'integer' },
                        bytes_read: { type: 'integer' },
                      },
                    },
                  },
                },
              },
            },
          },
          '400': { $ref: '#/components/responses/Error' },
          '403': { $ref: '#/components/responses/Error' },
          '408': { $ref: '#/components/responses/Error' },
          '429': { $ref: '#/components/responses/Error' },
        },
      },
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title,
      version: '1.0.0',
      description: 'Endpoints served by Dunlin (Tinybird-compatible).',
    },
    servers: [{ url: serverUrl }],
    security: [{ bearer: [] }, { token: [] }],
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'A static token or a JWT' },
        token: { type: 'apiKey', in: 'query', name: 'token' },
      },
      responses: {
        Error: {
          description: 'An error with a stable code (see docs/errors.md)',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['error'],
                properties: { error: { type: 'string' }, code: { type: 'string' } },
              },
            },
          },
        },
      },
    },
  }
}
