#!/usr/bin/env node
'use strict'
// `npx klite-setup-envtest use -p path 1.31.x`: upstream setup-envtest, run by the addon.
const { runSetupEnvtest } = require('../index.js')
runSetupEnvtest(process.argv.slice(2)).then((code) => { process.exitCode = code }, (error) => { console.error(error); process.exitCode = 2 })
