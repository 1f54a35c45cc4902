/**
 * @module Public face of `token/`: signing (server side), decoding, and the token lifecycle. Siblings import
 * only this file.
 */
export { createJWT, buildJWTPayload } from './create-jwt.js'
export type {
  CreateJWTOptions,
  DatasourcesReadScope,
  FixedParamValue,
  JWTLimits,
  JWTPayloadWire,
  JWTScope,
  PipesReadScope,
  SigningKey,
} from './create-jwt.js'
export { parseExpiresIn } from './duration.js'
export type { ExpiresIn } from './duration.js'
export { decodeClaims, decodeExpiry, tokenIdentity } from './decode.js'
export type { UnverifiedClaims } from './decode.js'
export { createTokenHandler, tokenFromEndpoint } from './token-handler.js'
export type {
  TokenEndpointOptions,
  TokenGrant,
  TokenHandlerOptions,
  TokenResponseBody,
} from './token-handler.js'
export { detectEnvironment } from './environment.js'
export type {
  ChannelLike,
  LockManagerLike,
  TokenEnvironment,
  VisibilityLike,
} from './environment.js'
export { createTokenManager } from './token-manager.js'
export type {
  TokenManager,
  TokenManagerOptions,
  TokenRefreshedEvent,
  TokenSource,
} from './token-manager.js'
