import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // One control plane for the whole run; workers get it through inject('klite') and KUBECONFIG.
    globalSetup: ['./envtest.setup.mjs'],
    testTimeout: 20_000,
  },
})
