// The package as npm publishes it: `npm pack` of a staged copy of the package files whose
// addon is stripped of debug info (packing the debug build as is takes a minute).
//
// `npm test` packs once and hands the tarball to every Node run in KLITE_TEST_TARBALL; a spec
// run on its own packs on first use.

import { execFile } from 'node:child_process'
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const execFileAsync = promisify(execFile)

/** What the staging copies from the checkout besides the addon (npm's `files` decides the rest). */
const stagedEntries = ['package.json', 'README.md', 'LICENSE', 'index.js', 'index.d.ts', 'lib', 'bin', 'src']

async function run(command, args, cwd) {
  const { stdout } = await execFileAsync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  return stdout
}

/** npm as this Node runs it (`npm_execpath` under `npm test`), else the one on PATH. */
export function npm(args, cwd) {
  const cli = process.env.npm_execpath
  return cli && cli.endsWith('.js') ? run(process.execPath, [cli, ...args], cwd) : run('npm', args, cwd)
}

/**
 * Packs the checkout at `repoRoot` into `destination` (a directory) and resolves with the
 * tarball's path.
 */
export async function packPackage(repoRoot, destination) {
  const stage = mkdtempSync(join(destination, 'stage-'))
  for (const entry of readdirSync(repoRoot)) {
    if (stagedEntries.includes(entry)) {
      cpSync(join(repoRoot, entry), join(stage, entry), { recursive: true })
    } else if (entry.startsWith('klite.') && entry.endsWith('.node')) {
      await run('strip', ['--strip-all', '-o', join(stage, entry), join(repoRoot, entry)], stage)
    }
  }
  // --ignore-scripts: `prepare` builds a clone's addon on `npm install`; the staged copy has
  // the addon already (and no scripts/ directory).
  const packed = JSON.parse(await npm(['pack', '--json', '--ignore-scripts', '--pack-destination', destination], stage))
  return join(destination, packed[0].filename)
}

/** The paths inside a packed tarball, relative to its `package/` root. */
export async function tarballFiles(tarball) {
  const listing = await run('tar', ['-tzf', tarball], process.cwd())
  return listing
    .split('\n')
    .filter((line) => line.startsWith('package/') && !line.endsWith('/'))
    .map((line) => line.slice('package/'.length))
}

let packedHere

/**
 * The packed package: KLITE_TEST_TARBALL when `npm test` packed it already, else packed now
 * into a temp directory (once per process).
 */
export function packedTarball(repoRoot) {
  const given = process.env.KLITE_TEST_TARBALL
  if (given) return Promise.resolve(given)
  if (!packedHere) {
    const destination = mkdtempSync(join(tmpdir(), 'klite-packed-'))
    process.once('exit', () => rmSync(destination, { recursive: true, force: true }))
    packedHere = packPackage(repoRoot, destination)
  }
  return packedHere
}
