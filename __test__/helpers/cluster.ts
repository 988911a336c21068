// Test clusters: an embedded API server per test file, reached through a real kubeconfig.

import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { join } from 'node:path'

import * as klite from 'klite'

export const repoRoot = join(__dirname, '..', '..')

export interface TestCluster {
  kubeconfig: string
  server: string
  /** The server's TCP port. */
  port: number
  client(options?: Omit<klite.DynamicClientOptions, 'kubeconfig'>): klite.DynamicClient
  stop(): Promise<void>
}

interface EnvTestLike {
  start(): Promise<string>
  stop(): Promise<void>
}

/** Starts an embedded control plane (EnvTest) in this process. */
export async function startCluster(): Promise<TestCluster> {
  const env = new klite.EnvTest({ mode: 'embedded' })
  const kubeconfig = await env.start()
  return wrap(kubeconfig, () => env.stop())
}

/** Starts an embedded control plane in a child Node process that a test may kill. */
export async function startChildCluster(): Promise<TestCluster & { kill(): void }> {
  const child: ChildProcess = spawn(process.execPath, [join(__dirname, '..', 'fixtures', 'serve-envtest.mjs')], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const lines = createInterface({ input: child.stdout! })
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve)
    child.once('exit', (code) => reject(new Error(`the control plane process exited with ${code} before it was ready`)))
  })
  lines.close()
  const { kubeconfig } = JSON.parse(first) as { kubeconfig: string }
  const stopped = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const cluster = wrap(kubeconfig, async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.stdin!.end()
      await stopped
    }
  })
  return { ...cluster, kill: () => child.kill('SIGKILL') }
}

function wrap(kubeconfig: string, stop: () => Promise<void>): TestCluster {
  const server = /server:\s*(\S+)/.exec(kubeconfig)?.[1] ?? ''
  const port = Number(new URL(server).port)
  return {
    kubeconfig,
    server,
    port,
    client: (options) => new klite.DynamicClient({ ...options, kubeconfig }),
    stop,
  }
}

/** A fresh namespace per test, for isolation. */
export async function createNamespace(client: klite.DynamicClient, prefix = 'test'): Promise<string> {
  const created = await client.resource('v1', 'Namespace').create({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { generateName: `${prefix}-` },
  })
  return created.metadata!.name!
}

/** TCP connections in `/proc/net/tcp*` whose local or remote port is `port`, by state. */
export function tcpConnections(port: number): { clientSide: number; serverSide: number } {
  let clientSide = 0
  let serverSide = 0
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(file)) continue
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/)
      if (fields.length < 4) continue
      const localPort = parseInt(fields[1].split(':')[1], 16)
      const remotePort = parseInt(fields[2].split(':')[1], 16)
      const state = fields[3]
      // 01 ESTABLISHED, 08 CLOSE_WAIT: the socket is still open on that side.
      if (state !== '01' && state !== '08') continue
      if (remotePort === port) clientSide++
      if (localPort === port) serverSide++
    }
  }
  return { clientSide, serverSide }
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return true
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return check()
}
