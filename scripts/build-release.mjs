// The release build of a clone: the addon and the stand-in kube-apiserver in one cargo run
// (they share most of their dependencies). `npm install` runs it (scripts/prepare.mjs) and
// `npm run bench` runs it again, which cargo makes a no-op when nothing changed: both use
// exactly these packages and targets, so cargo resolves the same features and reuses the
// artefacts.
import { spawnSync } from 'node:child_process'
import { copyFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const exe = process.platform === 'win32' ? '.exe' : ''

/** The cargo command line of the release build. */
export const releaseBuildArgs = ['build', '--release', '-p', 'klite', '-p', 'klite-apiserver', '--lib', '--bin', 'klite-kube-apiserver']

/** Where cargo puts the binding's shared library, by platform. */
export function releaseCdylib() {
  const name = process.platform === 'win32' ? 'klite.dll' : process.platform === 'darwin' ? 'libklite.dylib' : 'libklite.so'
  return join(root, 'target', 'release', name)
}

/** The stand-in kube-apiserver of the release build. */
export function releaseStandIn() {
  return join(root, 'target', 'release', 'klite-kube-apiserver' + exe)
}

/** The file name napi's loader (index.js) looks for on this platform, e.g. klite.linux-x64-gnu.node. */
export function addonName() {
  const abi = process.platform === 'linux' ? (process.report?.getReport().header.glibcVersionRuntime ? '-gnu' : '-musl') : process.platform === 'win32' ? '-msvc' : ''
  return `klite.${process.platform}-${process.arch}${abi}.node`
}

/**
 * Runs the release build; returns the cargo exit status (0 on success). Output goes to this
 * process's stdio.
 */
export function buildRelease(log = (line) => process.stderr.write(`${line}\n`)) {
  log(`cargo ${releaseBuildArgs.join(' ')}`)
  const result = spawnSync('cargo', releaseBuildArgs, { cwd: root, stdio: 'inherit' })
  if (result.error) throw result.error
  return result.status ?? 1
}

/** Copies the release addon to `path`. */
export function copyReleaseAddon(path) {
  copyFileSync(releaseCdylib(), path)
}
