import { describeEngineSetup } from './suite.js'

// The embedded engine: chdb in this process.
describeEngineSetup('the embedded engine (chdb)', () => ({ stop: () => undefined }))
