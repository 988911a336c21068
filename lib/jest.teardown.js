'use strict'
// `globalTeardown: 'klite/jest/teardown'`
module.exports = require('./jest.js').globalTeardown
