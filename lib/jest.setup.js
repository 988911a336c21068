'use strict'
// `globalSetup: 'klite/jest/setup'`
module.exports = require('./jest.js').globalSetup
