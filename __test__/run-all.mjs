#!/usr/bin/env node
// `npm test`: build the addon, run the Rust tests, type-check, then the JS suite on the
// current Node and on Node 22 and 24 from the devDependency packages (node22, node24).
//
// Environment: KLITE_TEST_SKIP_RUST=1 skips cargo tests; KLITE_TEST_NODES=current limits the
// Node matrix to this Node.

import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const bin = (name) => join(root, 'node_modules', '.bin', name)
const started = Date.now()
const timings = []

function run(title, command, args, options = {}) {
  const began = Date.now()
  console.log(`\n▶ ${title}: ${[command, ...args].join(' ')}`)
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options })
  timings.push([title, (Date.now() - began) / 1000])
  if (result.error) throw result.error
  if (result.status !== 0) {
    console.error(`✗ ${title} failed (exit ${result.status ?? result.signal})`)
    process.exit(result.status || 1)
  }
}

function hasNextest() {
  return spawnSync('cargo', ['nextest', '--version'], { stdio: 'ignore' }).status === 0
}

// Debug build: the test suite is I/O-bound and shares its compiled dependencies with the
// cargo tests below, which a release build would not.
run('build addon', process.execPath, [join(root, 'node_modules', '@napi-rs', 'cli', 'dist', 'cli.js'), 'build', '--platform'])
// Binaries some JS suites start (the stand-in kube-apiserver, klite-envtest, …).
run('build binaries', 'cargo', ['build', '--workspace', '--bins'])

if (process.env.KLITE_TEST_SKIP_RUST !== '1') {
  if (hasNextest()) run('rust tests', 'cargo', ['nextest', 'run', '--workspace', '--no-fail-fast'])
  else run('rust tests', 'cargo', ['test', '--workspace', '--no-fail-fast'])
}

const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
run('typecheck tests', process.execPath, [tsc, '--noEmit', '-p', 'tsconfig.json'])
run('typecheck examples', process.execPath, [tsc, '--noEmit', '-p', 'examples'])

const nodes = [['node ' + process.version, process.execPath]]
if (process.env.KLITE_TEST_NODES !== 'current') {
  for (const alias of ['node22', 'node24']) {
    const path = join(root, 'node_modules', alias, 'bin', 'node')
    if (!existsSync(path)) {
      console.error(`✗ ${path} is missing: run npm install (devDependency ${alias})`)
      process.exit(1)
    }
    nodes.push([alias, path])
  }
}

let passed = 0
let failed = 0
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs')
for (const [label, node] of nodes) {
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim()
  const reportDir = mkdtempSync(join(tmpdir(), 'klite-vitest-'))
  const report = join(reportDir, 'report.json')
  const began = Date.now()
  console.log(`\n▶ js tests on ${label} (${version})`)
  const result = spawnSync(node, [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, PATH: `${dirname(node)}:${process.env.PATH}` },
  })
  timings.push([`js tests ${label}`, (Date.now() - began) / 1000])
  if (existsSync(report)) {
    const summary = JSON.parse(readFileSync(report, 'utf8'))
    passed += summary.numPassedTests
    failed += summary.numFailedTests
  } else {
    failed += 1
  }
  rmSync(reportDir, { recursive: true, force: true })
  if (result.status !== 0) {
    console.error(`✗ js tests failed on ${label}`)
    printTimings()
    console.log(`js: ${passed} passed, ${Math.max(failed, 1)} failed`)
    process.exit(1)
  }
}

printTimings()
console.log(`js: ${passed} passed, ${failed} failed`)

function printTimings() {
  console.log('\nstep timings (s):')
  for (const [title, seconds] of timings) console.log(`  ${title.padEnd(24)} ${seconds.toFixed(1)}`)
  console.log(`  ${'total'.padEnd(24)} ${((Date.now() - started) / 1000).toFixed(1)}`)
}
