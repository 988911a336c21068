// ESM entry of `klite/vitest` (what vitest loads for `globalSetup: ['klite/vitest']`).
import vitest from './vitest.js'

export const { setup, createGlobalSetup, createNamespace, PROVIDE_KEY } = vitest
export default setup
