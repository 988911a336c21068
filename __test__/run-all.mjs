#!/usr/bin/env node
// `npm test`: build, run the Rust tests, type-check, then the JS suite on the current Node
// and on Node 22 and 24 from the devDependency packages (node22, node24).
//
// One cargo build serves everything. `napi build` always passes `--target <triple>`, which
// puts its artefacts in target/<triple>/; every cargo command here (and the ones tests run)
// gets the same CARGO_BUILD_TARGET, and the same feature set (the workspace with its
// dev-dependencies), so no dependency is compiled twice.
//
// Environment: KLITE_TEST_SKIP_RUST=1 builds but skips the cargo tests, rustfmt and clippy;
// KLITE_TEST_NODES=current limits the Node matrix to this Node; KLITE_TEST_SERIAL=1 runs the
// Node matrix one after another.

import { spawn, spawnSync } from 'node:child_process'
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { packPackage } from './helpers/pack.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const started = Date.now()
const timings = []
const scratch = mkdtempSync(join(tmpdir(), 'klite-npm-test-'))
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }))

function run(title, command, args, options = {}) {
  const began = Date.now()
  console.log(`\n▶ ${title}: ${[command, ...args].join(' ')}`)
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options })
  timings.push([title, (Date.now() - began) / 1000])
  if (result.error) throw result.error
  if (result.status !== 0) {
    console.error(`✗ ${title} failed (exit ${result.status ?? result.signal})`)
    printTimings()
    process.exit(result.status || 1)
  }
}

function output(command, args) {
  const result = spawnSync(command, args, { cwd: root, encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`)
  return result.stdout
}

const hostTriple = /^host: (\S+)$/m.exec(output('rustc', ['-vV']))[1]
process.env.CARGO_BUILD_TARGET ??= hostTriple
const triple = process.env.CARGO_BUILD_TARGET
const targetDir = JSON.parse(output('cargo', ['metadata', '--format-version', '1', '--no-deps'])).target_directory
const binDir = join(targetDir, triple, 'debug')

const nextest = spawnSync('cargo', ['nextest', '--version'], { stdio: 'ignore' }).status === 0
const cargoTest = nextest ? ['nextest', 'run', '--workspace'] : ['test', '--workspace']

// Every test target, binary and example of the workspace (the stand-in kube-apiserver and
// klite-envtest that the JS suites start are among them), in debug: the suites are I/O-bound.
run('rust build', 'cargo', [...cargoTest, '--no-run'])
if (process.env.KLITE_TEST_SKIP_RUST !== '1') run('rust tests', 'cargo', [...cargoTest, '--no-fail-fast'])
if (process.env.KLITE_TEST_SKIP_RUST !== '1') {
  // House rules: rustfmt-clean, and clippy-clean with warnings as errors.
  run('rustfmt', 'cargo', ['fmt', '--all', '--check'])
  run('clippy', 'cargo', ['clippy', '--workspace', '--all-targets', '--', '-D', 'warnings'])
}
// The addon from the same artefacts: `--workspace --lib --examples` resolves the features the
// test build did (examples enable dev-dependencies), so only the addon crate itself compiles.
run('build addon', process.execPath, [
  join(root, 'node_modules', '@napi-rs', 'cli', 'dist', 'cli.js'),
  'build',
  '--platform',
  '--',
  '--workspace',
  '--lib',
  '--examples',
])
process.env.KLITE_TEST_KUBE_APISERVER = join(binDir, 'klite-kube-apiserver')
if (!existsSync(process.env.KLITE_TEST_KUBE_APISERVER)) {
  console.error(`✗ ${process.env.KLITE_TEST_KUBE_APISERVER} is missing after the build`)
  process.exit(1)
}

const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
run('typecheck tests', process.execPath, [tsc, '--noEmit', '-p', 'tsconfig.json'])
run('typecheck examples', process.execPath, [tsc, '--noEmit', '-p', 'examples'])

// The package as npm publishes it, packed once; each Node run installs and loads it.
{
  const began = Date.now()
  process.env.KLITE_TEST_TARBALL = await packPackage(root, scratch)
  timings.push(['pack', (Date.now() - began) / 1000])
}

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

/** Runs vitest on one Node; resolves with its outcome. Output goes to `log` when given. */
function vitestOn(label, node, log) {
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim()
  const report = join(scratch, `report-${label.replace(/\W+/g, '-')}.json`)
  const began = Date.now()
  console.log(`\n▶ js tests on ${label} (${version})${log ? ` → ${log}` : ''}`)
  const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs')
  const child = spawn(node, [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`], {
    cwd: root,
    stdio: log ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    env: { ...process.env, PATH: `${dirname(node)}:${process.env.PATH}` },
  })
  if (log) {
    const file = createWriteStream(log)
    child.stdout.pipe(file)
    child.stderr.pipe(file)
  }
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      timings.push([`js tests ${label}`, (Date.now() - began) / 1000])
      const ok = code === 0 && signal === null
      const summary = existsSync(report) ? JSON.parse(readFileSync(report, 'utf8')) : undefined
      const passed = summary ? summary.numPassedTests : 0
      // A run that failed without a failed test (a crash, a failing hook) still counts as one.
      const failed = Math.max(summary ? summary.numFailedTests : 0, ok ? 0 : 1)
      resolve({ label, log, ok, passed, failed })
    })
  })
}

// This Node's run in the foreground; the others at the same time, each into a log that is
// printed when it ends (the suites wait on servers and child processes more than they compute).
const serial = process.env.KLITE_TEST_SERIAL === '1'
const results = []
if (serial) {
  for (const [label, node] of nodes) results.push(await vitestOn(label, node))
} else {
  const others = nodes.slice(1).map(([label, node]) => vitestOn(label, node, join(scratch, `${label}.log`)))
  results.push(await vitestOn(...nodes[0]))
  for (const result of await Promise.all(others)) {
    console.log(`\n── js tests on ${result.label} ──`)
    console.log(readFileSync(result.log, 'utf8'))
    results.push(result)
  }
}

printTimings()
const passed = results.reduce((sum, result) => sum + result.passed, 0)
const failed = results.reduce((sum, result) => sum + result.failed, 0)
console.log(`js: ${passed} passed, ${failed} failed`)
const failedOn = results.filter((result) => !result.ok).map((result) => result.label)
if (failedOn.length > 0) {
  console.error(`✗ js tests failed on ${failedOn.join(', ')}`)
  process.exit(1)
}

function printTimings() {
  console.log('\nstep timings (s, wall):')
  for (const [title, seconds] of timings) console.log(`  ${title.padEnd(24)} ${seconds.toFixed(1)}`)
  console.log(`  ${'total'.padEnd(24)} ${((Date.now() - started) / 1000).toFixed(1)}`)
}
