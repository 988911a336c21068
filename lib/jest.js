'use strict'

// `klite/jest`: jest globalSetup/globalTeardown that start one control plane per run.
//
//   // jest.config.js
//   module.exports = { globalSetup: 'klite/jest/setup', globalTeardown: 'klite/jest/teardown' }
//
// Workers inherit `KUBECONFIG` (a file with the admin kubeconfig), so `new DynamicClient()`
// in a test reaches the control plane; `kubeconfig()` returns the text.

const { readFileSync } = require('node:fs')
const { createNamespace, startShared } = require('./testing.js')

// globalSetup and globalTeardown run in the same process but may load this module twice.
const STATE = Symbol.for('klite.jest.envtest')

/** A jest globalSetup function for these EnvTest options. */
function createGlobalSetup(options) {
  return async function globalSetup() {
    globalThis[STATE] = await startShared(options)
  }
}

/** The jest globalTeardown: stops what the globalSetup started. */
async function globalTeardown() {
  const shared = globalThis[STATE]
  delete globalThis[STATE]
  if (shared) await shared.stop()
}

/** The admin kubeconfig of the shared control plane (inside a test). */
function kubeconfig() {
  const path = process.env.KUBECONFIG
  if (!path) {
    throw new Error("KUBECONFIG is not set: add globalSetup: 'klite/jest/setup' to your jest config")
  }
  return readFileSync(path, 'utf8')
}

module.exports = {
  globalSetup: createGlobalSetup(),
  globalTeardown,
  createGlobalSetup,
  createNamespace,
  kubeconfig,
}
