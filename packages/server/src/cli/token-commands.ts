/**
 * @module CLI commands for tokens and keys beyond `token create jwt`: static tokens (`token create static`, `ls`,
 * `rm`, `refresh`), JWT revocation (`token revoke`), offline JWT diagnosis (`token inspect`) and named signing keys
 * (`key add|rotate|retire|ls`). They talk to a running server over HTTP (Token API, `/v0/keys`, `/v0/revocations`).
 */
import { existsSync, readFileSync } from 'node:fs'
import type { Command } from 'commander'
import type { ServerConfig } from '../api/context.js'
import { decodeProtectedHeader } from 'jose'
import { systemClock, verifyJwt } from '../auth/index.js'
import { ServerError } from '../errors.js'
import type { Io } from './commands.js'
import { call, resolveTarget, withTarget } from './http.js'

interface TargetOpts {
  host?: string
  token?: string
}

const collect = (v: string, prev: string[]): string[] => [...prev, v]

const withAdminTarget = (cmd: Command): Command =>
  withTarget(cmd, "admin or TOKENS token (default $DUNLIN_TOKEN, or the local server's)")

interface TokenRow {
  id: string
  name: string
  token?: string
  scopes: { type: string; resource?: string; filter?: string }[]
  origin: { type: string }
}

function scopeText(s: TokenRow['scopes'][number]): string {
  return [s.type, s.resource, s.filter].filter((x) => x !== undefined && x !== '').join(':')
}

/** The verdict of {@link explainJwt}: `ok` when nothing found would make the server refuse the token. */
export interface JwtExplanation {
  readonly ok: boolean
  /** The error code the server would answer, when known. */
  readonly code?: string
  /** Human lines: what the token holds and each problem found. Never the signature or a secret. */
  readonly lines: string[]
}

function decodePart(part: string | undefined): unknown {
  if (part === undefined) return undefined
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown
  } catch {
    return undefined
  }
}

function ago(seconds: number): string {
  const s = Math.abs(Math.round(seconds))
  const text =
    s >= 86_400
      ? `${Math.round(s / 86_400)} d`
      : s >= 3600
        ? `${Math.round(s / 3600)} h`
        : s >= 60
          ? `${Math.round(s / 60)} min`
          : `${s} s`
  return seconds < 0 ? `${text} ago` : `in ${text}`
}

/**
 * Decodes a JWT without trusting it and explains why the server would refuse it: shape, `alg`, `kid`, `exp`/`nbf`
 * against the clock and leeway, max TTL, `workspace_id`, `name`, scopes. With `secret`, also runs the server's own
 * verifier (signature and every rule) and reports its code.
 *
 * @param opts.nowSeconds - The clock, in seconds. @param opts.leewaySeconds - Default 0.
 * @see RFC 7519 §4.1 (registered claims), tinybird-compat.md §2.1
 */
export async function explainJwt(
  token: string,
  opts: {
    nowSeconds: number
    leewaySeconds?: number
    maxTtlSeconds?: number
    workspaceId?: string
    secret?: string
  },
): Promise<JwtExplanation> {
  const lines: string[] = []
  const problems: { code: string; text: string }[] = []
  const parts = token.split('.')
  if (parts.length !== 3) {
    return {
      ok: false,
      code: 'ERR_AUTH_TOKEN_INVALID',
      lines: ['not a compact JWT (three dot-separated parts)'],
    }
  }
  let header: Record<string, unknown>
  try {
    header = decodeProtectedHeader(token)
  } catch {
    return {
      ok: false,
      code: 'ERR_AUTH_TOKEN_INVALID',
      lines: ['the header is not base64url JSON'],
    }
  }
  const payload = decodePart(parts[1])
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return {
      ok: false,
      code: 'ERR_AUTH_TOKEN_INVALID',
      lines: ['the payload is not base64url JSON'],
    }
  }
  const claims = payload as Record<string, unknown>
  const alg = header['alg']
  lines.push(
    `alg: ${String(alg)}${header['kid'] !== undefined ? `, kid: ${JSON.stringify(header['kid'])}` : ''}`,
  )
  if (!['HS256', 'RS256', 'ES256', 'EdDSA'].includes(String(alg))) {
    problems.push({
      code: 'ERR_AUTH_TOKEN_INVALID',
      text: `algorithm ${String(alg)} is never accepted`,
    })
  }
  if ((parts[2] ?? '') === '')
    problems.push({ code: 'ERR_AUTH_TOKEN_INVALID', text: 'no signature' })
  const leeway = opts.leewaySeconds ?? 0
  const now = opts.nowSeconds
  const exp = claims['exp']
  if (exp === undefined)
    problems.push({ code: 'ERR_AUTH_TOKEN_INVALID', text: 'no exp claim (required)' })
  else if (typeof exp !== 'number' || !Number.isFinite(exp))
    problems.push({ code: 'ERR_AUTH_TOKEN_INVALID', text: 'exp is not a number of seconds' })
  else {
    lines.push(`exp: ${new Date(exp * 1000).toISOString()} (${ago(exp - now)})`)
    if (exp <= now - leeway)
      problems.push({
        code: 'ERR_AUTH_TOKEN_EXPIRED',
        text: `expired ${ago(exp - now)} (leeway ${leeway} s)`,
      })
    const iat = typeof claims['iat'] === 'number' ? claims['iat'] : undefined
    if (opts.maxTtlSeconds !== undefined && exp - (iat ?? now) > opts.maxTtlSeconds)
      problems.push({
        code: 'ERR_AUTH_TOKEN_INVALID',
        text: `lifetime over the max TTL of ${opts.maxTtlSeconds} s`,
      })
  }
  const nbf = claims['nbf']
  if (nbf !== undefined) {
    if (typeof nbf !== 'number')
      problems.push({ code: 'ERR_AUTH_TOKEN_INVALID', text: 'nbf is not a number' })
    else if (nbf > now + leeway)
      problems.push({
        code: 'ERR_AUTH_TOKEN_INVALID',
        text: `not valid before ${new Date(nbf * 1000).toISOString()} (${ago(nbf - now)})`,
      })
  }
  const ws = claims['workspace_id']
  if (typeof ws !== 'string' || ws === '')
    problems.push({ code: 'ERR_AUTH_TOKEN_INVALID', text: 'no workspace_id' })
  else {
    lines.push(`workspace_id: ${ws}`)
    if (opts.workspaceId !== undefined && ws !== opts.workspaceId)
      problems.push({ code: 'ERR_AUTH_TOKEN_INVALID', text: 'workspace_id is not this workspace' })
  }
  const name = claims['name']
  if (typeof name !== 'string' || name === '')
    problems.push({ code: 'ERR_AUTH_TOKEN_INVALID', text: 'no name claim' })
  else lines.push(`name: ${JSON.stringify(name)}`)
  const scopes = claims['scopes']
  if (!Array.isArray(scopes) || scopes.length === 0) {
    problems.push({ code: 'ERR_AUTH_TOKEN_INVALID', text: 'scopes must be a non-empty array' })
  } else {
    for (const s of scopes as unknown[]) {
      const sc = (s ?? {}) as Record<string, unknown>
      const fixed = sc['fixed_params'] ?? sc['fixed_parameters']
      lines.push(
        `scope: ${String(sc['type'])} ${String(sc['resource'])}${fixed !== undefined ? ` fixed ${Object.keys(fixed as object).join(', ')}` : ''}`,
      )
      if (sc['type'] !== 'PIPES:READ')
        problems.push({
          code: 'ERR_AUTH_TOKEN_INVALID',
          text: 'only PIPES:READ scopes are allowed in JWTs',
        })
    }
  }
  const limits = claims['limits'] as { rps?: unknown } | undefined
  if (limits?.rps !== undefined) lines.push(`limits.rps: ${JSON.stringify(limits.rps)}`)
  if (claims['jti'] !== undefined) lines.push(`jti: ${JSON.stringify(claims['jti'])}`)

  if (opts.secret !== undefined && typeof ws === 'string') {
    const kid = typeof header['kid'] === 'string' ? header['kid'] : undefined
    try {
      await verifyJwt(
        token,
        {
          workspaceId: opts.workspaceId ?? ws,
          keys: [
            {
              ...(kid !== undefined ? { kid } : {}),
              alg: 'HS256',
              secret: opts.secret,
              status: 'active',
            },
          ],
          leewaySeconds: leeway,
          ...(opts.maxTtlSeconds !== undefined ? { maxTtlSeconds: opts.maxTtlSeconds } : {}),
        },
        { nowMs: () => now * 1000 },
      )
      lines.push('signature: valid for the given secret')
    } catch (e) {
      if (e instanceof ServerError) {
        const reason = (e.details as { reason?: string } | undefined)?.reason
        problems.push({
          code: e.code,
          text: `server verifier: ${e.message}${reason ? ` (${reason})` : ''}`,
        })
      } else throw e
    }
  }
  for (const p of problems) lines.push(`REFUSED ${p.code}: ${p.text}`)
  const first = problems[0]
  return first === undefined ? { ok: true, lines } : { ok: false, code: first.code, lines }
}

/** Adds token and key commands; `token` is the existing `dunlin token` command. */
export function registerTokenCommands(program: Command, token: Command, io: Io): void {
  const create = token.commands.find((c) => c.name() === 'create') ?? token.command('create')

  withAdminTarget(
    create
      .command('static')
      .description('create a static token with Tinybird scopes (POST /v0/tokens)')
      .argument('<name>', 'token name')
      .requiredOption(
        '--scope <scope>',
        'scope, repeatable: PIPES:READ:<pipe>, DATASOURCES:READ:<ds>[:<filter>], …',
        collect,
        [],
      )
      .option('--description <text>', 'description'),
  ).action(async (name: string, o: TargetOpts & { scope: string[]; description?: string }) => {
    const target = await resolveTarget(o)
    const qs = new URLSearchParams({ name })
    for (const s of o.scope) qs.append('scope', s)
    if (o.description !== undefined) qs.set('description', o.description)
    const res = await call(target, `/v0/tokens?${qs.toString()}`, { method: 'POST' })
    const body = (await res.json()) as TokenRow
    io.out(body.token ?? '')
  })

  withAdminTarget(
    token
      .command('ls')
      .description('list tokens (values are never printed unless --show-values)')
      .option('--show-values', 'print token values (admin only)')
      .option('--json', 'print the Token API JSON'),
  ).action(async (o: TargetOpts & { showValues?: boolean; json?: boolean }) => {
    const target = await resolveTarget(o)
    const body = (await (await call(target, '/v0/tokens')).json()) as { tokens: TokenRow[] }
    const rows = body.tokens.map((t) => (o.showValues ? t : { ...t, token: undefined }))
    if (o.json) {
      io.out(JSON.stringify({ tokens: rows }, null, 2))
      return
    }
    for (const t of rows) {
      io.out(
        `${t.name}\t${t.id}\t${t.origin.type}\t${t.scopes.map(scopeText).join(' ')}${t.token ? `\t${t.token}` : ''}`,
      )
    }
  })

  withAdminTarget(
    token.command('rm').description('delete a static token').argument('<name>', 'token name or id'),
  ).action(async (name: string, o: TargetOpts) => {
    const target = await resolveTarget(o)
    await call(target, `/v0/tokens/${encodeURIComponent(name)}`, { method: 'DELETE' })
    io.err(`deleted ${name}`)
  })

  withAdminTarget(
    token
      .command('refresh')
      .description('give a static token a new value; the old one stops working at once')
      .argument('<name>', 'token name or id'),
  ).action(async (name: string, o: TargetOpts) => {
    const target = await resolveTarget(o)
    const res = await call(target, `/v0/tokens/${encodeURIComponent(name)}/refresh`, {
      method: 'POST',
    })
    io.out(((await res.json()) as TokenRow).token ?? '')
  })

  withAdminTarget(
    token
      .command('revoke')
      .description('revoke every JWT with this name or jti, from the next request on (admin)')
      .option('--name <name>', 'JWT name claim')
      .option('--jti <jti>', 'JWT jti claim')
      .option(
        '--until <unix>',
        'keep the revocation until this Unix time (default: max TTL + leeway, else 1 year)',
      ),
  ).action(async (o: TargetOpts & { name?: string; jti?: string; until?: string }) => {
    if ((o.name === undefined) === (o.jti === undefined))
      throw new Error('Pass exactly one of --name or --jti')
    const target = await resolveTarget(o)
    const qs = new URLSearchParams(
      o.name !== undefined ? { type: 'name', value: o.name } : { type: 'jti', value: o.jti ?? '' },
    )
    if (o.until !== undefined) qs.set('expires_at', o.until)
    const res = await call(target, `/v0/revocations?${qs.toString()}`, { method: 'POST' })
    const body = (await res.json()) as { expires_at: string }
    io.err(`revoked until ${body.expires_at}`)
  })

  token
    .command('inspect')
    .description('decode a JWT (without trusting it) and explain why the server would refuse it')
    .argument('<jwt>', 'the token')
    .option('--leeway <seconds>', 'server leeway', '0')
    .option('--max-ttl <seconds>', 'server max TTL')
    .option('--workspace-id <id>', 'expected workspace_id')
    .option('--secret-env <name>', 'env var holding the HS256 secret to verify the signature with')
    .action(
      async (
        jwt: string,
        o: { leeway: string; maxTtl?: string; workspaceId?: string; secretEnv?: string },
      ) => {
        const secret = o.secretEnv !== undefined ? process.env[o.secretEnv] : undefined
        const r = await explainJwt(jwt, {
          nowSeconds: systemClock.nowMs() / 1000,
          leewaySeconds: Number(o.leeway),
          ...(o.maxTtl !== undefined ? { maxTtlSeconds: Number(o.maxTtl) } : {}),
          ...(o.workspaceId !== undefined ? { workspaceId: o.workspaceId } : {}),
          ...(secret !== undefined ? { secret } : {}),
        })
        for (const l of r.lines) io.out(l)
        io.out(
          r.ok
            ? 'OK: nothing found that the server would refuse'
            : `verdict: ${r.code ?? 'refused'}`,
        )
        if (!r.ok) process.exitCode = 1
      },
    )

  const key = program.command('key').description('named JWT signing keys (HS256, selected by kid)')
  withAdminTarget(
    key
      .command('add')
      .description('add a key; prints its secret once')
      .argument('<kid>', 'key id (the JWT header kid)')
      .option('--verify-only', 'verify with it but do not sign new tokens'),
  ).action(async (kid: string, o: TargetOpts & { verifyOnly?: boolean }) => {
    const target = await resolveTarget(o)
    const qs = new URLSearchParams({ kid, status: o.verifyOnly ? 'verify-only' : 'active' })
    const res = await call(target, `/v0/keys?${qs.toString()}`, { method: 'POST' })
    io.out(((await res.json()) as { secret: string }).secret)
  })
  withAdminTarget(
    key
      .command('rotate')
      .description(
        'add a new active key; the current active keys become verify-only (tokens keep working)',
      )
      .argument('<kid>', 'the new key id'),
  ).action(async (kid: string, o: TargetOpts) => {
    const target = await resolveTarget(o)
    const res = await call(
      target,
      `/v0/keys?${new URLSearchParams({ kid, rotate: 'true' }).toString()}`,
      {
        method: 'POST',
      },
    )
    io.out(((await res.json()) as { secret: string }).secret)
  })
  withAdminTarget(
    key
      .command('retire')
      .description('revoke a key: tokens it signed are refused from the next request on')
      .argument('<kid>', 'key id'),
  ).action(async (kid: string, o: TargetOpts) => {
    const target = await resolveTarget(o)
    await call(target, `/v0/keys/${encodeURIComponent(kid)}?status=revoked`, { method: 'PUT' })
    io.err(`retired ${kid}`)
  })
  withAdminTarget(key.command('ls').description('list keys (never their secrets)')).action(
    async (o: TargetOpts) => {
      const target = await resolveTarget(o)
      const body = (await (await call(target, '/v0/keys')).json()) as {
        keys: { kid: string; status: string; created_at: string }[]
      }
      for (const k of body.keys) io.out(`${k.kid}\t${k.status}\t${k.created_at}`)
    },
  )
}

const STATUSES = new Set(['active', 'verify-only', 'revoked'])
const ALGS = new Set(['HS256', 'RS256', 'ES256', 'EdDSA'])

/**
 * Reads the `auth` section of a `dunlin.config.json` (when the file exists) and the `DUNLIN_*` auth env vars
 * (env wins), for `dunlin start`/`dev` to merge under their flags. Every field is optional; see `docs/auth.md`.
 *
 * File shape: `{ "auth": { "leewaySeconds": 30, "maxTtlSeconds": 3600, "audience": "…", "issuer": "…",
 * "maxTokenBytes": 8192, "rateLimitParam": "tenant_id", "strictFixedParams": true, "failureStatus": 401,
 * "jwks": { "url": "https://…/jwks.json", "cooldownSeconds": 30 }, "signingKeys": [{ "kid": "k1", "alg": "HS256",
 * "secretEnv": "K1_SECRET" }] } }` — HS256 secrets come from an env var named by `secretEnv`, never from the file.
 * Env: `DUNLIN_JWKS_URL`, `DUNLIN_JWKS_FILE`, `DUNLIN_JWT_AUDIENCE`, `DUNLIN_JWT_ISSUER`, `DUNLIN_JWT_LEEWAY`
 * (seconds), `DUNLIN_JWT_MAX_TTL` (seconds), `DUNLIN_RATE_LIMIT_PARAM`, `DUNLIN_STRICT_FIXED_PARAMS` (`false` to turn
 * off).
 *
 * @throws {Error} the file is not JSON, a field has the wrong type, or a `secretEnv` variable is unset (messages
 *   name the field, never a value).
 */
export function readAuthConfig(
  file: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Partial<ServerConfig['auth']> {
  const out: Record<string, unknown> = {}
  if (file !== undefined && existsSync(file)) {
    let doc: unknown
    try {
      doc = JSON.parse(readFileSync(file, 'utf8')) as unknown
    } catch {
      throw new Error(`${file}: not valid JSON`)
    }
    const auth = (doc as { auth?: unknown } | null)?.auth
    if (auth !== undefined) {
      if (typeof auth !== 'object' || auth === null)
        throw new Error(`${file}: "auth" must be an object`)
      Object.assign(out, auth)
    }
  }
  const num = (name: string): number | undefined => {
    const v = env[name]
    if (v === undefined || v === '') return undefined
    const n = Number(v)
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a number of seconds`)
    return n
  }
  const str = (name: string): string | undefined => (env[name] === '' ? undefined : env[name])
  const jwksUrl = str('DUNLIN_JWKS_URL')
  const jwksFile = str('DUNLIN_JWKS_FILE')
  if (jwksUrl !== undefined || jwksFile !== undefined) {
    out['jwks'] = { ...(jwksUrl !== undefined ? { url: jwksUrl } : { file: jwksFile }) }
  }
  const envMap: [string, string, unknown][] = [
    ['audience', 'DUNLIN_JWT_AUDIENCE', str('DUNLIN_JWT_AUDIENCE')],
    ['issuer', 'DUNLIN_JWT_ISSUER', str('DUNLIN_JWT_ISSUER')],
    ['leewaySeconds', 'DUNLIN_JWT_LEEWAY', num('DUNLIN_JWT_LEEWAY')],
    ['maxTtlSeconds', 'DUNLIN_JWT_MAX_TTL', num('DUNLIN_JWT_MAX_TTL')],
    ['rateLimitParam', 'DUNLIN_RATE_LIMIT_PARAM', str('DUNLIN_RATE_LIMIT_PARAM')],
  ]
  for (const [k, , v] of envMap) if (v !== undefined) out[k] = v
  if (env['DUNLIN_STRICT_FIXED_PARAMS'] !== undefined)
    out['strictFixedParams'] = env['DUNLIN_STRICT_FIXED_PARAMS'] !== 'false'

  const check = (k: string, ok: (v: unknown) => boolean): void => {
    if (out[k] !== undefined && !ok(out[k])) throw new Error(`auth.${k} has the wrong type`)
  }
  const nonNeg = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v >= 0
  check('leewaySeconds', nonNeg)
  check('maxTtlSeconds', (v) => nonNeg(v) && (v as number) > 0)
  check('maxTokenBytes', (v) => nonNeg(v) && (v as number) >= 512)
  check('audience', (v) => typeof v === 'string')
  check('issuer', (v) => typeof v === 'string')
  check('rateLimitParam', (v) => typeof v === 'string')
  check('strictFixedParams', (v) => typeof v === 'boolean')
  check('failureStatus', (v) => v === 401 || v === 403)
  check('jwks', (v) => {
    const j = v as { url?: unknown; file?: unknown }
    return (
      typeof v === 'object' &&
      v !== null &&
      (typeof j.url === 'string' || typeof j.file === 'string')
    )
  })
  const keys = out['signingKeys']
  if (keys !== undefined) {
    if (!Array.isArray(keys)) throw new Error('auth.signingKeys must be an array')
    out['signingKeys'] = (keys as Record<string, unknown>[]).map((k, i) => {
      const where = `auth.signingKeys[${i}]`
      if (typeof k['kid'] !== 'string' || k['kid'] === '')
        throw new Error(`${where}.kid is required`)
      if (typeof k['alg'] !== 'string' || !ALGS.has(k['alg']))
        throw new Error(`${where}.alg is invalid`)
      if (
        k['status'] !== undefined &&
        (typeof k['status'] !== 'string' || !STATUSES.has(k['status']))
      )
        throw new Error(`${where}.status is invalid`)
      if (k['secret'] !== undefined)
        throw new Error(`${where}: put secrets in an env var named by secretEnv`)
      const key: Record<string, unknown> = { kid: k['kid'], alg: k['alg'] }
      if (k['status'] !== undefined) key['status'] = k['status']
      if (k['alg'] === 'HS256') {
        const name = k['secretEnv']
        const secret = typeof name === 'string' ? env[name] : undefined
        if (secret === undefined || secret === '')
          throw new Error(`${where}.secretEnv names an unset variable`)
        key['secret'] = secret
      } else {
        if (typeof k['publicKey'] !== 'object' || k['publicKey'] === null)
          throw new Error(`${where}.publicKey (a public JWK) is required`)
        key['publicKey'] = k['publicKey']
      }
      return key
    })
  }
  return out
}
