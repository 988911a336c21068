// The package as users get it: CJS and ESM entries, typings, and a packed tarball installed
// into a fresh project.

import { execFile } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

import { repoRoot } from './helpers/cluster'
import { npm, packedTarball, tarballFiles } from './helpers/pack.mjs'

const requireFromHere = createRequire(__filename)
const execFileAsync = promisify(execFile)

describe('entries', () => {
  it('exports the same names from require() and import', async () => {
    const cjs = requireFromHere(join(repoRoot, 'lib', 'index.js'))
    const esm = await import(join(repoRoot, 'lib', 'index.mjs'))
    const esmNames = Object.keys(esm).filter((name) => name !== 'default').sort()
    expect(esmNames).toEqual(Object.keys(cjs).sort())
    for (const name of esmNames) expect(esm[name]).toBe(cjs[name])
  })

  it('exports every class named in the API contract', () => {
    const cjs = requireFromHere(join(repoRoot, 'lib', 'index.js'))
    const contract = readFileSync(join(repoRoot, 'index.d.ts'), 'utf8')
    for (const name of ['DynamicClient', 'DynamicResource', 'Discovery', 'Watch', 'ApiError', 'ConnectionError', 'ExpiredError']) {
      expect(typeof cjs[name], name).toBe('function')
      expect(contract).toContain(`class ${name}`)
    }
    for (const match of contract.matchAll(/export declare class (\w+)/g)) {
      expect(typeof cjs[match[1]], `${match[1]} is declared in index.d.ts but not exported`).toBe('function')
    }
  })
})

describe('one addon, several loads of the package', () => {
  // jest evaluates the package in its global setup and again in every test file's module
  // registry, while Node loads the native addon once: every load shares its prototypes.
  const packageFiles = (path: string) => path === join(repoRoot, 'index.js') || path.startsWith(join(repoRoot, 'lib') + '/')
  type Klite = typeof import('klite')

  /** A fresh evaluation of the package's JS (as jest's per-file registry does); the addon stays loaded. */
  function freshLoad(): Klite {
    for (const path of Object.keys(requireFromHere.cache)) if (packageFiles(path)) delete requireFromHere.cache[path]
    return requireFromHere(join(repoRoot, 'lib', 'index.js'))
  }

  it('each load wraps the addon once and rejects with the error classes it exports', async () => {
    const first = freshLoad()
    const second = freshLoad()
    expect(second).not.toBe(first)
    expect(second.DynamicResource).toBe(first.DynamicResource)
    expect(second.NotFoundError).not.toBe(first.NotFoundError)

    const env = new second.EnvTest({ mode: 'embedded' })
    const kubeconfig = await env.start()
    try {
      const missing = (load: Klite) =>
        new load.DynamicClient({ kubeconfig })
          .resource('v1', 'ConfigMap')
          .get('missing', { namespace: 'default' })
          .then(() => undefined, (error: unknown) => error)
      const notFound = await missing(second)
      expect(notFound).toBeInstanceOf(second.NotFoundError)
      expect(notFound).toBeInstanceOf(second.ApiError)
      expect((notFound as InstanceType<Klite['ApiError']>).code).toBe(404)
      const watch = new second.DynamicClient({ kubeconfig }).resource('v1', 'ConfigMap').watch({ namespace: 'default' })
      expect(watch).toBeInstanceOf(second.Watch)
      watch.stop()
      const unserved = await new second.DynamicClient({ kubeconfig }).resources.resolve('example.com/v1', 'Nope').catch((error: unknown) => error)
      expect(unserved).toBeInstanceOf(second.NotFoundError)

      // A third load (the next test file) neither stacks on the wrappers before it nor
      // changes what the earlier loads export.
      const third = freshLoad()
      expect(await missing(third)).toBeInstanceOf(third.NotFoundError)
      expect(second.NotFoundError).not.toBe(third.NotFoundError)
      expect(first.NotFoundError).not.toBe(second.NotFoundError)
    } finally {
      await env.stop()
    }
  })
})

describe('packed tarball', () => {
  it('installs into a fresh project where require and import both work', async () => {
    const work = mkdtempSync(join(tmpdir(), 'klite-pack-'))
    try {
      const tarball = await packedTarball(repoRoot)
      const files = await tarballFiles(tarball)
      expect(files).toEqual(expect.arrayContaining(['index.js', 'index.d.ts', 'lib/index.js', 'lib/index.mjs', 'package.json']))
      expect(files.some((file) => file.endsWith('.node'))).toBe(true)
      expect(files.filter((file) => file.startsWith('src/'))).toEqual([])

      const project = join(work, 'project')
      cpSync(join(repoRoot, '__test__', 'fixtures', 'consumer'), project, { recursive: true })
      await npm(['install', '--no-audit', '--no-fund', '--offline', tarball], project)
      expect((await run(process.execPath, ['use.cjs'], project)).trim()).toBe('cjs ok team-a NotFoundError')
      expect((await run(process.execPath, ['use.mjs'], project)).trim()).toBe('esm ok team-a NotFoundError')
    } finally {
      rmSync(work, { recursive: true, force: true })
    }
  }, 120_000)
})

async function run(command: string, args: string[], cwd: string): Promise<string> {
  const { stdout } = await execFileAsync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  return stdout
}
