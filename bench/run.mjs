#!/usr/bin/env node
// `npm run bench`: builds what the benchmark needs, then runs bench/bench.mjs under Node 22+.
//
// 1. The release addon (scripts/build-release.mjs, the build `npm install` already ran, so
//    cargo finds nothing to do), copied to bench/out/ and loaded from there
//    (NAPI_RS_NATIVE_LIBRARY_PATH), so the package's own klite.*.node — a debug build after
//    `npm test` — is left alone.
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
import { existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { addonName, buildRelease, copyReleaseAddon, releaseBuildArgs, releaseStandIn } from '../scripts/build-release.mjs'

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
const addonKind = addon ? `KLITE_BENCH_ADDON=${addon}` : `release build (cargo ${releaseBuildArgs.slice(0, 2).join(' ')})`
if (!addon) {
  addon = join(out, addonName())
  if (build) {
    const status = buildRelease((line) => process.stderr.write(`[bench] ${line}\n`))
    if (status !== 0) fail(`the release build failed (cargo exited with ${status})`)
    copyReleaseAddon(addon)
  }
}
if (!existsSync(addon)) fail(`no addon at ${addon}`)

if (build && process.env.KLITE_BENCH_ADDON) {
  run('cargo', ['build', '--release', '-p', 'klite-apiserver', '--bin', 'klite-kube-apiserver'])
}
const standIn = releaseStandIn()
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
