/** @module The HTTP API. */
export { createApp, redactedPath } from './app.js'
export { listen, type Listening } from './serve.js'
export { DEFAULT_CONFIG, type AppDeps, type AppEnv, type ServerConfig } from './context.js'
export { renderError } from './on-error.js'
