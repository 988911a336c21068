'use strict'

// `klite/vitest`: a vitest globalSetup that starts one control plane per run.
//
//   // vitest.config.ts
//   export default defineConfig({ test: { globalSetup: ['klite/vitest'] } })
//
// Workers get the kubeconfig through `inject('klite')` and through `KUBECONFIG` (a file),
// so `new DynamicClient()` in a test reaches the control plane.

const { createNamespace, startShared } = require('./testing.js')

/** The key under which the globalSetup provides `{ kubeconfig, kubeconfigPath, server, mode }`. */
const PROVIDE_KEY = 'klite'

/** A globalSetup function for these EnvTest options. */
function createGlobalSetup(options) {
  return async function setup(project) {
    const { context, stop } = await startShared(options)
    if (project && typeof project.provide === 'function') project.provide(PROVIDE_KEY, context)
    return stop
  }
}

const setup = createGlobalSetup()

module.exports = { default: setup, setup, createGlobalSetup, createNamespace, PROVIDE_KEY }
