// EnvTest through the addon: embedded and binaries modes, users, CRDs, cleanup at process
// exit and on SIGKILL, the auto-mode fallback line, and the vitest/jest sample projects.

import { execFile, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import * as klite from 'klite'
import { createNamespace } from '../lib/vitest.js'
import { eventually, repoRoot } from './helpers/cluster'

const { EnvTest, ForbiddenError, InvalidError } = klite

const scratch = mkdtempSync(join(tmpdir(), 'klite-envtest-spec-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const widgetCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.com' },
  spec: {
    group: 'example.com',
    names: { kind: 'Widget', listKind: 'WidgetList', plural: 'widgets', singular: 'widget' },
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: { spec: { type: 'object', properties: { size: { type: 'integer', minimum: 1 } } } },
          },
        },
      },
    ],
  },
}

function portOf(server: string): number {
  return Number(new URL(server).port)
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return !stat.slice(stat.lastIndexOf(')') + 1).trim().startsWith('Z')
  } catch {
    return false
  }
}

/** Debian's etcd + the stand-in kube-apiserver, laid out as a KUBEBUILDER_ASSETS dir. */
function assetDir(): string {
  const dir = join(scratch, `assets-${Math.random().toString(36).slice(2)}`)
  mkdirSync(dir)
  const etcd = process.env.KLITE_TEST_ETCD ?? '/usr/bin/etcd'
  if (!existsSync(etcd)) throw new Error(`${etcd} is missing: apt-get install -y etcd-server`)
  symlinkSync(etcd, join(dir, 'etcd'))
  symlinkSync(kubeApiserver, join(dir, 'kube-apiserver'))
  return dir
}

/** The stand-in kube-apiserver: KLITE_TEST_KUBE_APISERVER (`npm test` built it already), else built here. */
let kubeApiserver = process.env.KLITE_TEST_KUBE_APISERVER ?? ''

beforeAll(async () => {
  if (kubeApiserver) return
  // Asynchronously: a blocked event loop would starve vitest's worker RPC during a cold build.
  const { stdout } = await promisify(execFile)(
    'cargo',
    ['build', '--quiet', '--message-format=json', '-p', 'klite-apiserver', '--bin', 'klite-kube-apiserver'],
    { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024 },
  )
  for (const line of stdout.split('\n')) {
    const message = line.startsWith('{') ? JSON.parse(line) : undefined
    if (message?.reason === 'compiler-artifact' && message.target.name === 'klite-kube-apiserver') kubeApiserver = message.executable
  }
  if (!kubeApiserver) throw new Error('cargo build named no klite-kube-apiserver executable')
}, 600_000)

describe('EnvTest in embedded mode', () => {
  it('starts, serves CRDs and users, and stops for good', async () => {
    const crdDir = join(scratch, 'crds')
    mkdirSync(crdDir, { recursive: true })
    writeFileSync(
      join(crdDir, 'gadgets.yaml'),
      JSON.stringify({
        ...widgetCrd,
        metadata: { name: 'gadgets.example.com' },
        spec: { ...widgetCrd.spec, names: { kind: 'Gadget', listKind: 'GadgetList', plural: 'gadgets', singular: 'gadget' } },
      }),
    )
    const env = new EnvTest({ mode: 'embedded', crds: [widgetCrd], crdDirectoryPaths: [crdDir], errorIfCrdPathMissing: true })
    expect(env.mode).toBe('embedded')
    expect(env.server).toBeNull()
    expect(() => env.config()).toThrow(/not started/)

    const kubeconfig = await env.start()
    expect(await env.start()).toBe(kubeconfig)
    expect(env.config()).toBe(kubeconfig)
    expect(env.mode).toBe('embedded')
    expect(kubeconfig).toContain(`server: ${env.server}`)
    expect(readFileSync(env.kubeconfigPath!, 'utf8')).toBe(kubeconfig)

    const client = env.client()
    const namespace = await createNamespace(client)
    expect(namespace).toMatch(/^test-/)
    const widgets = client.resource('example.com/v1', 'Widget')
    const created = await widgets.create({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace }, spec: { size: 2 } })
    expect((created.spec as { size: number }).size).toBe(2)
    await expect(
      widgets.create({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'bad', namespace }, spec: { size: 0 } }),
    ).rejects.toBeInstanceOf(InvalidError)
    const gadgets = await client.resource('example.com/v1', 'Gadget').list({ namespace })
    expect(gadgets.items).toEqual([])

    const restricted = new klite.DynamicClient({ kubeconfig: await env.addUser({ name: 'jane' }) })
    await expect(restricted.resource('v1', 'ConfigMap').list({ namespace })).rejects.toBeInstanceOf(ForbiddenError)
    const admin = new klite.DynamicClient({ kubeconfig: await env.addUser({ name: 'root', groups: ['system:masters'] }) })
    await admin.resource('v1', 'ConfigMap').list({ namespace })

    const kubeconfigPath = env.kubeconfigPath!
    const port = portOf(env.server!)
    await env.stop()
    await env.stop()
    expect(await accepts(port)).toBe(false)
    expect(existsSync(kubeconfigPath)).toBe(false)
    expect(env.server).toBeNull()
    expect(() => env.config()).toThrow(/stopped/)
    await expect(env.start()).rejects.toThrow(/stopped/)
    await expect(env.addUser({ name: 'late' })).rejects.toThrow(/stopped/)
  })

  it('rejects bad options when constructed', () => {
    expect(() => new EnvTest({ mode: 'docker' as 'auto' })).toThrow(TypeError)
    expect(() => new EnvTest({ startTimeout: '60' })).toThrow(/missing unit in duration "60"/)
    expect(() => new EnvTest({ stopTimeout: -1 })).toThrow(TypeError)
  })

  it('fails start() for a CRD path that must exist', async () => {
    const env = new EnvTest({ mode: 'embedded', crdDirectoryPaths: [join(scratch, 'nope')], errorIfCrdPathMissing: true })
    await expect(env.start()).rejects.toThrow(/CRD path .*nope does not exist/)
  })
})

describe('EnvTest in binaries mode', () => {
  it('runs etcd and kube-apiserver from KUBEBUILDER_ASSETS', async () => {
    const previous = process.env.KUBEBUILDER_ASSETS
    process.env.KUBEBUILDER_ASSETS = assetDir()
    const env = new EnvTest({ mode: 'binaries', crds: [widgetCrd] })
    if (previous === undefined) delete process.env.KUBEBUILDER_ASSETS
    else process.env.KUBEBUILDER_ASSETS = previous
    await env.start()
    expect(env.mode).toBe('binaries')
    const client = env.client()
    const namespace = await createNamespace(client, 'bin')
    await client.resource('example.com/v1', 'Widget').create({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace }, spec: { size: 1 } })
    const jane = new klite.DynamicClient({ kubeconfig: await env.addUser({ name: 'jane', groups: ['developers'] }) })
    await expect(jane.resource('v1', 'Namespace').list()).rejects.toBeInstanceOf(ForbiddenError)
    const port = portOf(env.server!)
    await env.stop()
    expect(await accepts(port)).toBe(false)
  })
})

/** Runs a Node script that starts binaries mode and prints `{ server, kubeconfigPath, children }`. */
function startChild(body: string) {
  const script = join(scratch, `child-${Math.random().toString(36).slice(2)}.cjs`)
  writeFileSync(
    script,
    `const { EnvTest } = require(${JSON.stringify(join(repoRoot, 'lib', 'index.js'))})
const { readFileSync } = require('node:fs')
;(async () => {
  const env = new EnvTest({ mode: 'binaries' })
  await env.start()
  const tasks = require('node:fs').readdirSync('/proc/self/task')
  const children = tasks.flatMap((t) => readFileSync('/proc/self/task/' + t + '/children', 'utf8').trim().split(/\\s+/).filter(Boolean).map(Number))
  console.log(JSON.stringify({ server: env.server, kubeconfigPath: env.kubeconfigPath, children }))
  ${body}
})().catch((e) => { console.error(e); process.exit(3) })
`,
  )
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, KUBEBUILDER_ASSETS: assetDir() },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const info = new Promise<{ server: string; kubeconfigPath: string; children: number[] }>((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (chunk) => {
      out += chunk
      const line = out.split('\n')[0]
      if (out.includes('\n')) resolve(JSON.parse(line))
    })
    child.once('exit', (code) => reject(new Error(`child exited with ${code} before printing`)))
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return { child, info, exited }
}

describe('EnvTest cleanup', () => {
  it('kills etcd and kube-apiserver and removes temp dirs when the process exits without stop()', async () => {
    const { info, exited } = startChild('process.exit(0)')
    const { server, kubeconfigPath, children } = await info
    await exited
    expect(children.length).toBe(2)
    expect(await eventually(() => children.every((pid) => !alive(pid)))).toBe(true)
    expect(await accepts(portOf(server))).toBe(false)
    expect(existsSync(kubeconfigPath)).toBe(false)
  })

  it('leaves no etcd or kube-apiserver behind when the test process is SIGKILLed', async () => {
    const { child, info, exited } = startChild('setInterval(() => {}, 1000)')
    const { server, children } = await info
    expect(children.every(alive)).toBe(true)
    child.kill('SIGKILL')
    await exited
    expect(await eventually(() => children.every((pid) => !alive(pid)))).toBe(true)
    expect(await accepts(portOf(server))).toBe(false)
  })

  it('auto mode says on one stderr line why it falls back to embedded', () => {
    const script = join(scratch, 'auto.cjs')
    writeFileSync(
      script,
      `const { EnvTest } = require(${JSON.stringify(join(repoRoot, 'lib', 'index.js'))})
;(async () => {
  const env = new EnvTest({ autoSetup: false })
  await env.start()
  console.log(env.mode)
  await env.stop()
})()
`,
    )
    const home = join(scratch, 'empty-home')
    mkdirSync(home, { recursive: true })
    const { KUBEBUILDER_ASSETS, TEST_ASSET_ETCD, TEST_ASSET_KUBE_APISERVER, KLITE_ENVTEST_MODE, ...rest } = process.env
    const result = spawnSync(process.execPath, [script], {
      env: { ...rest, HOME: home, XDG_DATA_HOME: join(home, 'data') },
      encoding: 'utf8',
    })
    expect(result.status).toBe(0)
    expect(result.stdout.trim()).toBe('embedded')
    const lines = result.stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^klite EnvTest: using the embedded API server because .*autoSetup is off/)
  })
})

describe('sample projects', () => {
  for (const [name, args] of [
    ['vitest', ['node_modules/vitest/vitest.mjs', 'run']],
    ['jest', ['node_modules/jest/bin/jest.js']],
  ] as const) {
    it(`the ${name} sample passes with the klite/${name} global setup`, () => {
      const dir = join(repoRoot, '__test__', 'samples', name)
      if (!existsSync(join(dir, args[0]))) {
        throw new Error(`${dir} is not installed: run \`npm ci --prefix __test__/samples/${name}\``)
      }
      const { KUBECONFIG, ...env } = process.env
      const result = spawnSync(process.execPath, [...args], { cwd: dir, env: { ...env, KLITE_ENVTEST_MODE: 'embedded' }, encoding: 'utf8' })
      expect(result.status, result.stdout + result.stderr).toBe(0)
      expect(readdirSync(dir)).toContain('package-lock.json')
    }, 120_000)
  }
})
