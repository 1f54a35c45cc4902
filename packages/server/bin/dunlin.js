#!/usr/bin/env node
// The `dunlin` command. A committed launcher, so npm links the bin at install time, before the first build.
import { existsSync } from 'node:fs'

const main = new URL('../dist/cli/main.js', import.meta.url)
if (!existsSync(main)) {
  process.stderr.write(
    'dunlin is not built yet: run `npm run build` (or `npm start`) in the repository first\n',
  )
  process.exit(1)
}
await import(main.href)
