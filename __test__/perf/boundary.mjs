#!/usr/bin/env node
// Boundary measurements (not a test): list() of 5,000 ConfigMaps against JSON.parse of the same
// body and a plain Node https client, and watch events/s through the Watch iterator.
//
//   node __test__/perf/boundary.mjs            # uses the addon next to package.json
//   NAPI_RS_NATIVE_LIBRARY_PATH=/path/klite.linux-x64-gnu.node node __test__/perf/boundary.mjs
//
// The server is an embedded one (EnvTest when the addon has it, else target/*/klite-envtest).

import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import https from 'node:https'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

import klite from '../../lib/index.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const COUNT = Number(process.env.COUNT || 5000)
const ROUNDS = Number(process.env.ROUNDS || 15)

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

async function startServer() {
  if (klite.EnvTest) {
    const env = new klite.EnvTest({ mode: 'embedded' })
    const kubeconfig = await env.start()
    return { kubeconfig, stop: () => env.stop(), where: 'in-process EnvTest (embedded)' }
  }
  const binary = ['release', 'debug'].map((profile) => join(root, 'target', profile, 'klite-envtest')).find(existsSync)
  const child = spawn(binary, ['--mode', 'embedded'], { stdio: ['pipe', 'pipe', 'inherit'] })
  const line = await new Promise((resolve) => createInterface({ input: child.stdout }).once('line', resolve))
  const kubeconfig = readFileSync(JSON.parse(line).kubeconfigPath, 'utf8')
  return { kubeconfig, stop: async () => child.stdin.end(), where: binary }
}

function field(kubeconfig, name) {
  const match = new RegExp(`${name}:\\s*(\\S+)`).exec(kubeconfig)
  return match && match[1]
}

function httpsAgent(kubeconfig) {
  const decode = (name) => {
    const value = field(kubeconfig, name)
    return value ? Buffer.from(value, 'base64') : undefined
  }
  return new https.Agent({
    keepAlive: true,
    ca: decode('certificate-authority-data'),
    cert: decode('client-certificate-data'),
    key: decode('client-key-data'),
  })
}

function httpsGet(agent, url) {
  return new Promise((resolve, reject) => {
    https
      .get(url, { agent, headers: { accept: 'application/json' } }, (response) => {
        const chunks = []
        response.on('data', (chunk) => chunks.push(chunk))
        response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
        response.on('error', reject)
      })
      .on('error', reject)
  })
}

const server = await startServer()
try {
  const client = new klite.DynamicClient({ kubeconfig: server.kubeconfig })
  const namespaces = client.resource('v1', 'Namespace')
  const configMaps = client.resource('v1', 'ConfigMap')
  await namespaces.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } })
  const before = (await configMaps.list({ namespace: 'bench' })).metadata.resourceVersion

  const data = { config: 'x'.repeat(300), owner: 'team-a', tier: 'backend' }
  let next = 0
  const createStart = performance.now()
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < COUNT) {
        const i = next++
        await configMaps.create(
          { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, labels: { app: 'bench', index: String(i) } }, data },
          { namespace: 'bench' },
        )
      }
    }),
  )
  const createSeconds = (performance.now() - createStart) / 1000

  // list(): klite vs JSON.parse of the same body vs Node https + JSON.parse.
  const url = `${field(server.kubeconfig, 'server')}/api/v1/namespaces/bench/configmaps`
  const agent = httpsAgent(server.kubeconfig)
  const body = await httpsGet(agent, url)
  const listTimes = []
  const parseTimes = []
  const httpsTimes = []
  for (let round = 0; round < ROUNDS; round++) {
    let t = performance.now()
    const list = await configMaps.list({ namespace: 'bench' })
    listTimes.push(performance.now() - t)
    if (list.items.length !== COUNT) throw new Error(`expected ${COUNT} items, got ${list.items.length}`)
    t = performance.now()
    JSON.parse(body)
    parseTimes.push(performance.now() - t)
    t = performance.now()
    JSON.parse(await httpsGet(agent, url))
    httpsTimes.push(performance.now() - t)
  }

  // watch: replay of COUNT events from history through the iterator.
  let t = performance.now()
  let events = 0
  for await (const event of configMaps.watch({ namespace: 'bench', resourceVersion: before })) {
    if (event.type === 'ADDED') events++
    if (events === COUNT) break
  }
  const replaySeconds = (performance.now() - t) / 1000
  t = performance.now()
  events = 0
  for await (const event of configMaps.watch({ namespace: 'bench', resourceVersion: '0' })) {
    events++
    if (events === COUNT) break
  }
  const initialSeconds = (performance.now() - t) / 1000

  console.log(JSON.stringify({
    server: server.where,
    node: process.version,
    objects: COUNT,
    bodyBytes: Buffer.byteLength(body),
    createPerSecond: Math.round(COUNT / createSeconds),
    listMedianMs: +median(listTimes).toFixed(2),
    jsonParseMedianMs: +median(parseTimes).toFixed(2),
    nodeHttpsPlusParseMedianMs: +median(httpsTimes).toFixed(2),
    listOverParseMs: +(median(listTimes) - median(parseTimes)).toFixed(2),
    watchReplayEventsPerSecond: Math.round(COUNT / replaySeconds),
    watchInitialEventsPerSecond: Math.round(COUNT / initialSeconds),
  }, null, 2))
} finally {
  await server.stop()
}
