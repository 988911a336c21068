// setupEnvtest() and the `klite-setup-envtest` bin against a local index served from this
// process: archives built here with real SHA-512s, a temp store per test.

import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, chmodSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { setupEnvtest } from 'klite'
import { npm, packedTarball } from './helpers/pack.mjs'

const repoRoot = join(__dirname, '..')

const goos = process.platform === 'win32' ? 'windows' : process.platform
const goarch = ({ x64: 'amd64', arm64: 'arm64', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[process.arch] ?? process.arch
const host = `${goos}/${goarch}`

interface TarEntry {
  name: string
  mode: number
  data?: string
  type?: '0' | '5' | '2'
}

/** A minimal ustar writer: enough for envtest archives. */
function tarGz(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = []
  for (const entry of entries) {
    const data = Buffer.from(entry.data ?? '')
    const header = Buffer.alloc(512)
    header.write(entry.name, 0, 100, 'utf8')
    header.write(`${entry.mode.toString(8).padStart(7, '0')}\0`, 100, 'ascii')
    header.write('0000000\0', 108, 'ascii')
    header.write('0000000\0', 116, 'ascii')
    header.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124, 'ascii')
    header.write('14500000000\0', 136, 'ascii')
    header.write('        ', 148, 'ascii')
    header.write(entry.type ?? '0', 156, 'ascii')
    header.write('ustar\0', 257, 'ascii')
    header.write('00', 263, 'ascii')
    const sum = header.reduce((total, byte) => total + byte, 0)
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii')
    parts.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512))
  }
  parts.push(Buffer.alloc(1024))
  return gzipSync(Buffer.concat(parts))
}

const binaries = ['etcd', 'kube-apiserver', 'kubectl']
const envtestArchive = (version: string) =>
  tarGz([
    { name: 'controller-tools/envtest/', mode: 0o755, type: '5' },
    ...binaries.map((name) => ({ name: `controller-tools/envtest/${name}`, mode: 0o755, data: `#!/bin/sh\necho ${name} ${version}\n` })),
  ])
const sha512 = (bytes: Buffer) => createHash('sha512').update(bytes).digest('hex')

let server: Server
let indexUrl = ''
const hits = new Map<string, number>()
const archives = new Map<string, Buffer>()

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? '/'
    hits.set(path, (hits.get(path) ?? 0) + 1)
    const body = archives.get(path)
    if (!body) {
      res.statusCode = 404
      res.end('404 page not found\n')
      return
    }
    res.end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no address')
  const base = `http://127.0.0.1:${address.port}`
  let index = 'releases:\n'
  for (const version of ['1.29.3', '1.30.0', '1.30.2']) {
    const name = `envtest-v${version}-${goos}-${goarch}.tar.gz`
    const archive = envtestArchive(version)
    archives.set(`/dl/${name}`, archive)
    index += `  v${version}:\n    ${name}:\n      hash: ${sha512(archive)}\n      selfLink: ${base}/dl/${name}\n`
  }
  archives.set('/index.yaml', Buffer.from(index))
  indexUrl = `${base}/index.yaml`
})

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve))
})

const stores: string[] = []
function tempStore(): string {
  const dir = mkdtempSync(join(tmpdir(), 'klite-setup-envtest-'))
  stores.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of stores) {
    const unlock = (path: string) => {
      if (!statSync(path).isDirectory()) return
      chmodSync(path, 0o755)
      for (const child of readdirSync(path)) unlock(join(path, child))
    }
    if (existsSync(dir)) unlock(dir)
    rmSync(dir, { recursive: true, force: true })
  }
})

describe('setupEnvtest()', () => {
  it('reports its version', async () => {
    const result = await setupEnvtest(['version'])
    expect(result).toEqual({ exitCode: 0, stdout: 'setup-envtest version: v0.1.0\n', stderr: '' })
  })

  it('installs the newest matching version and prints its path', async () => {
    const store = tempStore()
    const result = await setupEnvtest(['use', '-p', 'path', '1.30.x', '--bin-dir', store, '--index', indexUrl])
    const dir = join(store, 'k8s', `1.30.2-${goos}-${goarch}`)
    expect(result).toEqual({ exitCode: 0, stdout: dir, stderr: '' })
    expect(readdirSync(dir).sort()).toEqual(binaries)
    expect(statSync(dir).mode & 0o777).toBe(0o555)
    expect(readFileSync(join(dir, 'kubectl'), 'utf8')).toBe('#!/bin/sh\necho kubectl 1.30.2\n')

    const overview = await setupEnvtest(['use', '1.30.x', '--bin-dir', store, '-i'])
    expect(overview.stdout).toBe(`Version: 1.30.2\nOS/Arch: ${host}\nPath: ${dir}\n`)
    const env = await setupEnvtest(['use', '--print=env', '1.30.2', '--bin-dir', store, '-i'])
    expect(env.stdout).toBe(`export KUBEBUILDER_ASSETS='${dir}'\n`)
  })

  it('lists installed and available versions', async () => {
    const store = tempStore()
    await setupEnvtest(['use', '1.29.3', '--bin-dir', store, '--index', indexUrl])
    const result = await setupEnvtest(['list', '--bin-dir', store, '--index', indexUrl])
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toBe(
      [
        `(installed)  v1.29.3  ${host}`,
        `(available)  v1.30.2  ${host}`,
        `(available)  v1.30.0  ${host}`,
        `(available)  v1.29.3  ${host}`,
        '',
      ].join('\n'),
    )
    const cleanup = await setupEnvtest(['cleanup', '<1.30', '--bin-dir', store])
    expect(cleanup.stdout).toBe(`removed 1.29.3 (${host})\n`)
  })

  it('sideloads an archive given as stdin', async () => {
    const store = tempStore()
    const archive = envtestArchive('1.26.1')
    const result = await setupEnvtest(['sideload', '1.26.1', '-p', 'path', '--bin-dir', store], { stdin: archive })
    expect(result.exitCode).toBe(0)
    expect(readFileSync(join(result.stdout, 'etcd'), 'utf8')).toBe('#!/bin/sh\necho etcd 1.26.1\n')
    const empty = await setupEnvtest(['sideload', '1.26.2', '--bin-dir', store])
    expect(empty).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: 'unable to sideload item to disk: unable to start un-gz-ing entry archive\n',
    })
  })

  it('resolves with exit codes and messages instead of rejecting', async () => {
    const badSelector = await setupEnvtest(['use', 'v1.30'])
    expect(badSelector.exitCode).toBe(1)
    expect(badSelector.stderr).toMatch(/^version be a valid version, or simply 'latest' or 'latest-on-disk': unable to parse "v1\.30"/)
    const badFlag = await setupEnvtest(['use', '-p', 'yaml'])
    expect(badFlag.exitCode).toBe(2)
    expect(badFlag.stderr.startsWith('Usage: klite-setup-envtest [FLAGS] use|list|cleanup|sideload [VERSION]\n')).toBe(true)
    expect(badFlag.stderr.endsWith('invalid argument "yaml" for "-p, --print" flag: unknown print format "yaml", use one of overview|path|env\n')).toBe(true)
    const missing = await setupEnvtest(['use', '-i', '1.20.0', '--bin-dir', tempStore()])
    expect(missing).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: `no such version (1.20.0) exists on disk for this architecture (${host}) -- try running \`list -i\` to see what's on disk\n`,
    })
  })

  it('reads ENVTEST_* and KUBEBUILDER_ASSETS from process.env', async () => {
    const saved = { ...process.env }
    try {
      process.env.ENVTEST_INSTALLED_ONLY = '1'
      process.env.ENVTEST_USE_ENV = '1'
      process.env.KUBEBUILDER_ASSETS = `/opt/envtest/1.25.0-${goos}-${goarch}`
      const result = await setupEnvtest(['use', '--bin-dir', tempStore()])
      expect(result.stdout).toBe(`Version: 1.25.0\nOS/Arch: ${host}\nPath: /opt/envtest/1.25.0-${goos}-${goarch}\n`)
    } finally {
      for (const key of ['ENVTEST_INSTALLED_ONLY', 'ENVTEST_USE_ENV', 'KUBEBUILDER_ASSETS']) {
        if (saved[key] === undefined) delete process.env[key]
        else process.env[key] = saved[key]
      }
    }
  })
})

describe('npx klite-setup-envtest (packed and installed)', () => {
  let project = ''

  beforeAll(async () => {
    const work = mkdtempSync(join(tmpdir(), 'klite-pack-'))
    stores.push(work)
    const tarball = await packedTarball(repoRoot)
    project = join(work, 'project')
    mkdirSync(project)
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }))
    await npm(['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball], project)
  }, 180_000)

  const npx = (args: string[], stdin?: Buffer) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn('npx', ['--no', '--', 'klite-setup-envtest', ...args], { cwd: project, stdio: ['pipe', 'pipe', 'pipe'] })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (chunk) => (stdout += chunk))
      child.stderr.on('data', (chunk) => (stderr += chunk))
      child.on('error', reject)
      child.on('close', (code) => resolve({ code, stdout, stderr }))
      child.stdin.end(stdin ?? Buffer.alloc(0))
    })

  it('runs version, use and list like setup-envtest', async () => {
    expect(await npx(['version'])).toEqual({ code: 0, stdout: 'setup-envtest version: v0.1.0\n', stderr: '' })
    const store = tempStore()
    const use = await npx(['use', '-p', 'path', '1.30.0', '--bin-dir', store, '--index', indexUrl])
    expect(use).toEqual({ code: 0, stdout: join(store, 'k8s', `1.30.0-${goos}-${goarch}`), stderr: '' })
    const list = await npx(['list', '-i', '--bin-dir', store])
    expect(list.stdout).toBe(`(installed)  v1.30.0  ${host}\n`)
  }, 60_000)

  it('sideloads from its stdin and sets the exit code', async () => {
    const store = tempStore()
    const sideload = await npx(['sideload', '1.27.0', '-p', 'env', '--bin-dir', store], envtestArchive('1.27.0'))
    expect(sideload).toEqual({
      code: 0,
      stdout: `export KUBEBUILDER_ASSETS='${join(store, 'k8s', `1.27.0-${goos}-${goarch}`)}'\n`,
      stderr: '',
    })
    const unknown = await npx(['frobnicate'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr.endsWith('unknown action "frobnicate"\n')).toBe(true)
    const help = await npx(['-h'])
    expect(help.code).toBe(0)
    expect(help.stderr.startsWith('Usage: klite-setup-envtest [FLAGS]')).toBe(true)
    const badSelector = await npx(['use', '1.2.3.4'])
    expect(badSelector.code).toBe(1)
  }, 60_000)
})
