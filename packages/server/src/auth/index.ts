/**
 * @module Auth policy core, the public face of `auth/`: token transport, static tokens, scopes, JWT verification
 * (jose), access decisions, fixed params and rate limiting. Pure given keys and a {@link Clock}: no fs, no network.
 * Siblings import only this file.
 */
export { systemClock, nowSeconds, type Clock } from './clock.js'
export {
  formatScope,
  isScopeType,
  parseScope,
  scopeAllowsFilter,
  scopeRequiresResource,
  type FixedParams,
  type Scope,
  type ScopeType,
} from './scopes.js'
export { extractToken, isJwtShaped } from './extract-token.js'
export {
  generateStaticToken,
  hashToken,
  verifyStaticToken,
  MAX_STATIC_TOKEN_BYTES,
  type StaticTokenRecord,
} from './static-token.js'
export {
  canAppend,
  datasourceReadAccess,
  hasScope,
  isAdmin,
  pipeAccess,
  type Principal,
} from './principal.js'
export {
  verifyJwt,
  DEFAULT_MAX_JWT_BYTES,
  MAX_JWT_NAME_LENGTH,
  MAX_JWT_SCOPES,
  type JwtFailureReason,
  type JwtPolicy,
  type RevocationSubject,
  type SigningAlgorithm,
  type SigningKey,
} from './jwt-verify.js'
export { JwtCache, verifyJwtCached } from './jwt-cache.js'
export { applyFixedParams, isUsableFixedValue } from './fixed-params.js'
export { RateLimiter, DEFAULT_RATE_LIMIT_MAX_KEYS, type RateLimitResult } from './rate-limiter.js'
export {
  JwksSource,
  cacheMaxAgeMs,
  jwkAlgorithm,
  parseJwks,
  type JwksDocument,
  type JwksSourceOptions,
} from './jwks.js'
