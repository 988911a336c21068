const path = require('node:path')
const { createGlobalSetup } = require('klite/jest')

// `globalSetup: 'klite/jest/setup'` works too when no options are needed.
module.exports = createGlobalSetup({
  crdDirectoryPaths: [path.join(__dirname, '..', 'crds')],
  errorIfCrdPathMissing: true,
})
