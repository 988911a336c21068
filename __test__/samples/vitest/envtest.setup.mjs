import { fileURLToPath } from 'node:url'
import { createGlobalSetup } from 'klite/vitest'

// `globalSetup: ['klite/vitest']` works too when no options are needed.
export default createGlobalSetup({
  crdDirectoryPaths: [fileURLToPath(new URL('../crds', import.meta.url))],
  errorIfCrdPathMissing: true,
})
