module.exports = {
  testEnvironment: 'node',
  // One control plane for the whole run; workers inherit KUBECONFIG.
  globalSetup: '<rootDir>/envtest.setup.js',
  globalTeardown: 'klite/jest/teardown',
  testTimeout: 20000,
}
