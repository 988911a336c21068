// DynamicClient construction and argument checking: no server needed.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, onTestFinished } from 'vitest'

import { ConnectionError, DynamicClient, type KubernetesObject, NotFoundError } from 'klite'

/** A temporary directory removed when the current test ends. */
function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

const kubeconfig = (server: string, namespace?: string, context = 'c') => `apiVersion: v1
kind: Config
current-context: ${context}
clusters:
- name: k
  cluster:
    server: ${server}
    insecure-skip-tls-verify: true
contexts:
- name: ${context}
  context:
    cluster: k
    user: u${namespace ? `\n    namespace: ${namespace}` : ''}
users:
- name: u
  user:
    token: t
`

const savedEnv = { KUBECONFIG: process.env.KUBECONFIG, HOME: process.env.HOME }
afterEach(() => {
  for (const [key, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[key]
    else process.env[key] = value
  }
})

describe('DynamicClient construction', () => {
  it('takes the namespace and server from the kubeconfig context', () => {
    const client = new DynamicClient({ kubeconfig: kubeconfig('https://127.0.0.1:6443', 'team-a') })
    expect(client.namespace).toBe('team-a')
    expect(client.server).toBe('https://127.0.0.1:6443')
    const plain = new DynamicClient({ kubeconfig: Buffer.from(kubeconfig('https://10.1.2.3:443')) })
    expect(plain.namespace).toBe('default')
  })

  it('rejects a malformed kubeconfig with a message that says what to fix', () => {
    expect(() => new DynamicClient({ kubeconfig: 'clusters: [ {' })).toThrow(/the kubeconfig could not be parsed/)
    expect(() => new DynamicClient({ kubeconfig: '' })).toThrow(/the kubeconfig is empty/)
    expect(() => new DynamicClient({ kubeconfig: kubeconfig('https://h:1'), context: 'nope' })).toThrow(
      /context "nope" is not defined .*available contexts: c/,
    )
    const noServer = 'apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: k\n  cluster: {}\ncontexts:\n- name: c\n  context: {cluster: k}\n'
    expect(() => new DynamicClient({ kubeconfig: noServer })).toThrow(/has no `server` URL/)
  })

  it('rejects bad option values', () => {
    const text = kubeconfig('https://127.0.0.1:6443')
    expect(() => new DynamicClient({ kubeconfig: text, timeout: 'soon' })).toThrow(TypeError)
    expect(() => new DynamicClient({ kubeconfig: text, timeout: 'soon' })).toThrow(/invalid duration "soon"/)
    expect(() => new DynamicClient({ kubeconfig: text, timeout: -5 })).toThrow(/non-negative/)
    expect(() => new DynamicClient({ kubeconfig: text, timeout: '1m30s' })).not.toThrow()
  })

  it('infers the kubeconfig from KUBECONFIG, merging several files first-wins', () => {
    const dir = scratchDir('klite-kubeconfig-')
    const first = join(dir, 'first')
    const second = join(dir, 'second')
    writeFileSync(first, kubeconfig('https://first.example:6443', 'from-first', 'one'))
    writeFileSync(second, kubeconfig('https://second.example:6443', 'from-second', 'two').replace('name: k', 'name: k2').replace('cluster: k', 'cluster: k2'))
    process.env.KUBECONFIG = [join(dir, 'missing'), first, second].join(':')
    const client = new DynamicClient()
    expect(client.server).toBe('https://first.example:6443')
    expect(client.namespace).toBe('from-first')
    const other = new DynamicClient({ context: 'two' })
    expect(other.server).toBe('https://second.example:6443')
    expect(other.namespace).toBe('from-second')
  })

  it('falls back to ~/.kube/config', () => {
    const home = scratchDir('klite-home-')
    const kubeDir = join(home, '.kube')
    mkdirSync(kubeDir)
    writeFileSync(join(kubeDir, 'config'), kubeconfig('https://home.example:6443', 'home-ns'))
    delete process.env.KUBECONFIG
    process.env.HOME = home
    const client = new DynamicClient()
    expect(client.server).toBe('https://home.example:6443')
    expect(client.namespace).toBe('home-ns')
  })

  it('explains what to do when nothing can be inferred', () => {
    process.env.HOME = scratchDir('klite-empty-home-')
    delete process.env.KUBECONFIG
    expect(() => new DynamicClient()).toThrow(/pass `kubeconfig`, set KUBECONFIG, or create ~\/.kube\/config/)
  })
})

describe('arguments', () => {
  const client = new DynamicClient({ kubeconfig: kubeconfig('https://127.0.0.1:1') })

  it('checks apiVersion and kind synchronously without I/O', () => {
    expect(() => client.resource('', 'ConfigMap')).toThrow(TypeError)
    expect(() => client.resource('a/b/c', 'ConfigMap')).toThrow(/invalid apiVersion "a\/b\/c"/)
    expect(() => client.resource('v1', '')).toThrow(/kind must be a non-empty string/)
    const handle = client.resource('apps/v1', 'Deployment')
    expect(handle.apiVersion).toBe('apps/v1')
    expect(handle.kind).toBe('Deployment')
  })

  it('rejects missing names, bad patch types and non-object bodies with TypeErrors', async () => {
    const res = client.resource('v1', 'ConfigMap')
    await expect(res.get('' as string)).rejects.toThrow(/get needs the object's name/)
    await expect((res.get as (name?: unknown) => Promise<unknown>)()).rejects.toBeInstanceOf(TypeError)
    await expect(res.patch('x', 'yaml' as 'json', {})).rejects.toThrow(/invalid patch type "yaml"/)
    await expect(res.create('nope' as unknown as KubernetesObject)).rejects.toThrow(/must be a Kubernetes object/)
    await expect(res.list({ labelSelector: { a: 1 } as unknown as string })).rejects.toThrow(
      /option `labelSelector` must be a string/,
    )
    await expect(res.get('x', { subresource: 'status' }).catch((e) => e)).resolves.toBeInstanceOf(ConnectionError)
  })

  it('rejects an already aborted signal before any I/O', async () => {
    const res = client.resource('v1', 'ConfigMap')
    const controller = new AbortController()
    controller.abort(new Error('stop it'))
    await expect(res.list({ signal: controller.signal })).rejects.toThrow('stop it')
  })
})

describe('transport failures', () => {
  it('reports a refused connection as ConnectionError ECONNREFUSED', async () => {
    const net = await import('node:net')
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number }
        probe.close(() => resolve(port))
      })
    })
    const client = new DynamicClient({ kubeconfig: kubeconfig(`https://127.0.0.1:${port}`) })
    const error = await client.resource('v1', 'ConfigMap').list().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConnectionError)
    expect((error as ConnectionError).code).toBe('ECONNREFUSED')
    expect((error as Error).message).toMatch(/is the API server running/)
    const resolveError = await client.resources.resolve('v1', 'ConfigMap').catch((e: unknown) => e)
    expect(resolveError).toBeInstanceOf(ConnectionError)
    expect(resolveError).not.toBeInstanceOf(NotFoundError)
  })

  it('times out a request to a server that never answers', async () => {
    const net = await import('node:net')
    const sockets: import('node:net').Socket[] = []
    const silent = net.createServer((socket) => sockets.push(socket))
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const { port } = silent.address() as { port: number }
    try {
      const client = new DynamicClient({ kubeconfig: kubeconfig(`https://127.0.0.1:${port}`), timeout: 200 })
      const error = await client.resource('v1', 'ConfigMap').list().catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ConnectionError)
      expect((error as ConnectionError).code).toBe('ETIMEDOUT')
    } finally {
      for (const socket of sockets) socket.destroy()
      silent.close()
    }
  })
})
