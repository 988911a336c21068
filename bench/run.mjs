#!/usr/bin/env node
// `npm run bench`: builds what the benchmark needs, then runs bench/bench.mjs under Node 22+.
//
// 1. The release addon (`cargo build --release -p klite`), copied to bench/out/ and
//    loaded from there (NAPI_RS_NATIVE_LIBRARY_PATH), so the package's own klite.*.node —
//    often a debug build for the tests — is left alone. Cargo makes this a no-op when
//    nothing changed.
// 2. The stand-in kube-apiserver (release) and a KUBEBUILDER_ASSETS-style directory,
//    bench/out/assets, with etcd, kube-apiserver and kubectl links for binaries mode.
// 3. bench/bench.mjs under Node ≥ 22 (@kubernetes/client-node 2.x needs it): this Node when it
//    is new enough, else the `node22`/`node24` devDependency.
//
// Environment:
//   KLITE_BENCH_ADDON=<path.node>  use this addon, build nothing for it
//   KLITE_BENCH_NO_BUILD=1         build nothing; use bench/out/ as it is
//   KLITE_BENCH_QUICK=1            small sizes (a smoke test); writes bench/out/RESULTS.quick.md
//   KLITE_BENCH_SERVER=binaries    run the client workloads against a binaries-mode EnvTest (stand-in
//                                  kube-apiserver + etcd, out of process); writes bench/out/RESULTS.binaries.md
//   KLITE_BENCH_NODE=<path>        the Node binary to run the benchmark with

import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..')
const out = join(here, 'out')
const exe = process.platform === 'win32' ? '.exe' : ''

function fail(message) {
  process.stderr.write(`[bench] ${message}\n`)
  process.exit(1)
}

function run(file, args) {
  process.stderr.write(`[bench] ${file} ${args.join(' ')}\n`)
  const result = spawnSync(file, args, { cwd: root, stdio: 'inherit' })
  if (result.error) fail(`${file}: ${result.error.message}`)
  if (result.status !== 0) fail(`${file} ${args.join(' ')} exited with ${result.status}`)
}

function which(name) {
  for (const dir of (process.env.PATH || '').split(delimiter)) {
    const candidate = join(dir, name + exe)
    if (dir && existsSync(candidate)) return candidate
  }
  return undefined
}

/** The shared library cargo builds for the binding crate, by platform. */
function cdylibName() {
  if (process.platform === 'win32') return 'klite.dll'
  if (process.platform === 'darwin') return 'libklite.dylib'
  return 'libklite.so'
}

/** The file name napi gives the addon on this platform, e.g. klite.linux-x64-gnu.node. */
function addonName() {
  const abi = process.platform === 'linux' ? '-gnu' : process.platform === 'win32' ? '-msvc' : ''
  return `klite.${process.platform}-${process.arch}${abi}.node`
}

function nodeForBench() {
  if (process.env.KLITE_BENCH_NODE) return process.env.KLITE_BENCH_NODE
  if (Number(process.versions.node.split('.')[0]) >= 22) return process.execPath
  for (const alias of ['node22', 'node24']) {
    const candidate = join(root, 'node_modules', alias, 'bin', 'node' + exe)
    if (existsSync(candidate)) return candidate
  }
  return fail('the benchmark needs Node 22 or newer (for @kubernetes/client-node 2.x): run `npm install` (devDependency node22) or set KLITE_BENCH_NODE')
}

mkdirSync(out, { recursive: true })
const build = !process.env.KLITE_BENCH_NO_BUILD
let addon = process.env.KLITE_BENCH_ADDON
const addonKind = addon ? `KLITE_BENCH_ADDON=${addon}` : 'release build (cargo build --release -p klite)'
if (!addon) {
  addon = join(out, addonName())
  if (build) {
    // One cargo run for the addon and the stand-in: they share most of their dependencies.
    run('cargo', ['build', '--release', '-p', 'klite', '-p', 'klite-apiserver', '--lib', '--bin', 'klite-kube-apiserver'])
    copyFileSync(join(root, 'target', 'release', cdylibName()), addon)
  }
}
if (!existsSync(addon)) fail(`no addon at ${addon}`)

if (build && process.env.KLITE_BENCH_ADDON) {
  run('cargo', ['build', '--release', '-p', 'klite-apiserver', '--bin', 'klite-kube-apiserver'])
}
const standIn = ['release', 'debug']
  .map((profile) => join(root, 'target', profile, 'klite-kube-apiserver' + exe))
  .find((path) => existsSync(path)) || join(root, 'target', 'release', 'klite-kube-apiserver' + exe)
const assets = join(out, 'assets')
rmSync(assets, { recursive: true, force: true })
mkdirSync(assets)
const etcd = which('etcd')
if (etcd && existsSync(standIn)) {
  symlinkSync(etcd, join(assets, 'etcd' + exe))
  symlinkSync(standIn, join(assets, 'kube-apiserver' + exe))
  const kubectl = which('kubectl')
  if (kubectl) symlinkSync(kubectl, join(assets, 'kubectl' + exe))
} else {
  process.stderr.write(`[bench] binaries mode will be skipped: ${etcd ? '' : 'no etcd on PATH '}${existsSync(standIn) ? '' : `no ${standIn}`}\n`)
}

const env = { ...process.env, NAPI_RS_NATIVE_LIBRARY_PATH: addon, KLITE_BENCH_ADDON_KIND: addonKind, KLITE_BENCH_ASSETS: assets }
// Our own asset directory decides binaries mode; nothing from the caller's environment.
for (const name of ['KLITE_ENVTEST_MODE', 'KUBEBUILDER_ASSETS', 'TEST_ASSET_ETCD', 'TEST_ASSET_KUBE_APISERVER', 'TEST_ASSET_KUBECTL', 'USE_EXISTING_CLUSTER']) {
  delete env[name]
}
const result = spawnSync(nodeForBench(), ['--expose-gc', join(here, 'bench.mjs')], { cwd: root, stdio: 'inherit', env })
if (result.error) fail(result.error.message)
process.exit(result.status === null ? 1 : result.status)
