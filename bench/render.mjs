#!/usr/bin/env node
// Re-renders a RESULTS.md from a results JSON of an earlier run (after a change to report.mjs):
//   node bench/render.mjs bench/out/results.json > bench/RESULTS.md

import { readFileSync } from 'node:fs'

import { renderResults } from './report.mjs'

const [file] = process.argv.slice(2)
if (!file) {
  process.stderr.write('usage: node bench/render.mjs <results.json>\n')
  process.exit(2)
}
process.stdout.write(renderResults(JSON.parse(readFileSync(file, 'utf8'))))
