'use strict'

// Helpers shared by the vitest and jest integrations.

/**
 * Creates a namespace with a generated name (`<prefix>-xxxxx`) and resolves with its
 * name: one per test keeps tests that share a control plane apart.
 */
async function createNamespace(client, prefix = 'test') {
  const created = await client.resource('v1', 'Namespace').create({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { generateName: `${prefix}-` },
  })
  return created.metadata.name
}

/**
 * Starts one EnvTest, points `KUBECONFIG` at its kubeconfig file (workers started after
 * this inherit it, so `new DynamicClient()` reaches the control plane) and returns what
 * workers need plus a function that stops it and restores `KUBECONFIG`.
 */
async function startShared(options) {
  // The bare addon, not lib/index.js: the JS entry patches the addon's classes, and jest
  // shares one addon between its parent process (where global setups run) and the test
  // sandboxes, which load lib/index.js again.
  const { EnvTest } = require('../index.js')
  const env = new EnvTest(options)
  const kubeconfig = await env.start()
  const previous = process.env.KUBECONFIG
  process.env.KUBECONFIG = env.kubeconfigPath
  process.env.KLITE_ENVTEST_SERVER = env.server
  const context = { kubeconfig, kubeconfigPath: env.kubeconfigPath, server: env.server, mode: env.mode }
  async function stop() {
    try {
      await env.stop()
    } finally {
      if (previous === undefined) delete process.env.KUBECONFIG
      else process.env.KUBECONFIG = previous
      delete process.env.KLITE_ENVTEST_SERVER
    }
  }
  return { context, stop }
}

module.exports = { createNamespace, startShared }
