// The benchmark itself (run by bench/run.mjs under Node 22+, with the release addon).
//
// First EnvTest start/stop in embedded and binaries mode. Then one EnvTest for everything else:
// klite, @kubernetes/client-node and two bare Node clients (HTTP/1.1 and HTTP/2) run the same
// workloads against the same server in this process, interleaved round by round; and the RSS
// of fresh processes holding one client.
// Writes bench/RESULTS.md and bench/out/results.json (with KLITE_BENCH_QUICK=1 or
// KLITE_BENCH_SERVER=binaries: bench/out/RESULTS.<variant>.md and results.<variant>.json).

import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { clientNodeClient, connectionOf } from './clients/client-node.mjs'
import { kliteClient, loadKlite } from './clients/klite.mjs'
import { rawH1Client } from './clients/raw-h1.mjs'
import { rawH2Client } from './clients/raw-h2.mjs'
import { renderResults } from './report.mjs'
import { median, quantile, since } from './stats.mjs'
import { seed, workloads } from './workloads.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..')
const quick = process.env.KLITE_BENCH_QUICK === '1'

const sizes = quick
  ? { rounds: 2, listObjects: 500, gets: 100, concurrency: 64, churnObjects: 128, applies: 30, embeddedStarts: 2, binariesStarts: 1, rssRepeats: 1 }
  : { rounds: 5, listObjects: 5000, gets: 500, concurrency: 64, churnObjects: 300, applies: 200, embeddedStarts: 10, binariesStarts: 3, rssRepeats: 3 }

const log = (message) => process.stderr.write(`[bench] ${message}\n`)

/** CPU microseconds (user + system) between two `cpuUsage()`-shaped readings. */
const cpuMicros = (now, before) => now.user - before.user + (now.system - before.system)

/**
 * Between samples, outside the timed sections: the client drops what it left behind (see
 * client-node.mjs) and a full GC runs, so that no sample pays for the previous one's garbage.
 */
async function settle(client) {
  if (client.settle) client.settle()
  await new Promise((resolve) => setImmediate(resolve))
  if (global.gc) global.gc()
}

/** Runs every workload through every client: warm-up, then rounds in rotating order. */
async function compareClients(clients, list) {
  const results = {}
  for (const workload of list) {
    const workloadStart = performance.now()
    log(`${workload.title}: warm-up`)
    for (const client of clients) {
      await workload.warmup(client)
      await settle(client)
    }
    const samples = Object.fromEntries(clients.map((client) => [client.name, []]))
    const connections = Object.fromEntries(clients.map((client) => [client.name, 0]))
    for (let round = 0; round < sizes.rounds; round++) {
      const order = clients.map((_, i) => clients[(i + round) % clients.length])
      if (round % 2 === 1) order.reverse()
      for (const client of order) {
        const opened = client.connectionsOpened
        const processCpu = process.cpuUsage()
        const threadCpu = process.threadCpuUsage()
        const sample = await workload.run(client, round)
        sample.cpu = {
          threadUs: cpuMicros(process.threadCpuUsage(), threadCpu) / workload.cpuUnit.count,
          processUs: cpuMicros(process.cpuUsage(), processCpu) / workload.cpuUnit.count,
        }
        samples[client.name].push(sample)
        if (opened !== undefined) connections[client.name] += client.connectionsOpened - opened
        await settle(client)
      }
    }
    const perClient = {}
    const cpu = {}
    for (const client of clients) {
      const runs = samples[client.name]
      const latencies = runs.flatMap((run) => run.latencies || [])
      const values = {}
      for (const [id, metric] of Object.entries(workload.metrics)) {
        values[id] = metric.latency !== undefined ? quantile(latencies, metric.latency) : median(runs.map((run) => run.metrics[id]))
      }
      perClient[client.name] = values
      cpu[client.name] = {
        threadUs: median(runs.map((run) => run.cpu.threadUs)),
        processUs: median(runs.map((run) => run.cpu.processUs)),
      }
    }
    results[workload.id] = {
      title: workload.title,
      metrics: workload.metrics,
      values: perClient,
      cpu,
      cpuPer: workload.cpuUnit.per,
      requests: workload.requestsPerRound * sizes.rounds,
      connectionsOpened: connections,
    }
    const rounded = JSON.stringify(perClient, (_, v) => (typeof v === 'number' ? +v.toPrecision(4) : v))
    log(`${workload.title} (${(since(workloadStart) / 1000).toFixed(1)} s): ${rounded}`)
    log(`  CPU µs per ${workload.cpuUnit.per} (JS thread / process): ${JSON.stringify(cpu, (_, v) => (typeof v === 'number' ? Math.round(v) : v))}`)
  }
  return results
}

/** EnvTest options for a mode; binaries come from `assets` only. */
function serverOptions(mode, assets) {
  return mode === 'binaries' ? { mode, binaryAssetsDirectory: assets, autoSetup: false } : { mode }
}

/** Start-to-ready and stop of `iterations` EnvTests, one after the other. */
async function lifecycle(klite, options, iterations) {
  const starts = []
  const stops = []
  for (let i = 0; i < iterations; i++) {
    const env = new klite.EnvTest(options)
    let start = performance.now()
    await env.start()
    starts.push(since(start))
    // The control plane answers before we time its stop.
    await env.client().resource('v1', 'Namespace').get('default')
    start = performance.now()
    await env.stop()
    stops.push(since(start))
  }
  return { startMs: median(starts), stopMs: median(stops), iterations }
}

/** RSS of a fresh Node process holding one client after 100 gets (see rss.mjs), in MB. */
function rssOf(which, kubeconfig) {
  const { server, ca, cert, key } = connectionOf(kubeconfig)
  const connection = JSON.stringify({ server, ca: ca.toString('base64'), cert: cert.toString('base64'), key: key.toString('base64') })
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', join(here, 'rss.mjs'), which], {
      env: { ...process.env, KLITE_BENCH_KUBECONFIG: kubeconfig, KLITE_BENCH_CONNECTION: connection },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout.on('data', (chunk) => (out += chunk))
    child.on('error', reject)
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`rss.mjs ${which} exited with ${code}`))
      resolve(JSON.parse(out).rssBytes / 2 ** 20)
    })
  })
}

async function memory(kubeconfig) {
  const kinds = ['bare', 'klite', 'client-node', 'raw-h1', 'raw-h2']
  const samples = Object.fromEntries(kinds.map((kind) => [kind, []]))
  for (let repeat = 0; repeat < sizes.rssRepeats; repeat++) {
    for (const kind of repeat % 2 ? [...kinds].reverse() : kinds) samples[kind].push(await rssOf(kind, kubeconfig))
  }
  return Object.fromEntries(kinds.map((kind) => [kind, median(samples[kind])]))
}

function command(file, args) {
  try {
    return execFileSync(file, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return undefined
  }
}

/** "etcd 3.4.23" for the etcd on PATH (what binaries mode runs), if any. */
function etcdVersion() {
  const match = /etcd Version:\s*(\S+)/.exec(command('etcd', ['--version']) || '')
  return match ? `etcd ${match[1]}` : undefined
}

function machine() {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : ''
  const cpuModel = (/^model name\s*:\s*(.*)$/m.exec(cpuinfo) || [])[1] || os.cpus()[0]?.model || 'unknown'
  const osRelease = existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : ''
  const distro = (/^PRETTY_NAME="?([^"\n]*)"?$/m.exec(osRelease) || [])[1] || os.type()
  const dirty = command('git', ['status', '--porcelain', '--untracked-files=no'])
  const clientNodeVersion = JSON.parse(
    readFileSync(join(root, 'node_modules', '@kubernetes', 'client-node', 'package.json'), 'utf8'),
  ).version
  return {
    date: new Date().toISOString(),
    commit: (command('git', ['rev-parse', '--short', 'HEAD']) || 'unknown') + (dirty ? ' (with uncommitted changes)' : ''),
    cpus: os.availableParallelism ? os.availableParallelism() : os.cpus().length,
    cpuModel,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${distro}, ${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    clientNode: clientNodeVersion,
    rustc: command('rustc', ['--version']),
    etcd: etcdVersion(),
    addon: process.env.KLITE_BENCH_ADDON_KIND || `NAPI_RS_NATIVE_LIBRARY_PATH=${process.env.NAPI_RS_NATIVE_LIBRARY_PATH || '(unset)'}`,
    loadAverage: os.loadavg().map((load) => load.toFixed(2)).join(' '),
  }
}

async function main() {
  const klite = loadKlite()
  if (typeof klite.EnvTest !== 'function') {
    throw new Error('this build of the addon has no EnvTest; rebuild it (npm run bench builds the release addon)')
  }
  const info = machine()
  log(`node ${process.version}, ${info.cpus} CPUs (${info.cpuModel}), load ${info.loadAverage}${quick ? ', QUICK mode' : ''}`)

  const assets = process.env.KLITE_BENCH_ASSETS
  const haveBinaries = Boolean(assets && existsSync(join(assets, 'etcd')) && existsSync(join(assets, 'kube-apiserver')))
  const serverMode = process.env.KLITE_BENCH_SERVER || 'embedded'
  if (serverMode !== 'embedded' && serverMode !== 'binaries') throw new Error('KLITE_BENCH_SERVER must be embedded or binaries')
  if (serverMode === 'binaries' && !haveBinaries) throw new Error('KLITE_BENCH_SERVER=binaries needs etcd and the stand-in kube-apiserver')
  info.server =
    serverMode === 'embedded'
      ? 'embedded EnvTest: klite-apiserver inside the benchmark process'
      : 'binaries EnvTest: stand-in klite-kube-apiserver and etcd as separate processes'
  // First, while the process is fresh (as at the start of a test run): EnvTest start and stop.
  log('EnvTest lifecycle: embedded')
  const envtest = { embedded: await lifecycle(klite, serverOptions('embedded'), sizes.embeddedStarts) }
  if (haveBinaries) {
    log('EnvTest lifecycle: binaries (stand-in kube-apiserver + etcd)')
    envtest.binaries = await lifecycle(klite, serverOptions('binaries', assets), sizes.binariesStarts)
  } else {
    log('EnvTest lifecycle: binaries skipped (no KLITE_BENCH_ASSETS with etcd and kube-apiserver)')
  }

  const env = new klite.EnvTest(serverOptions(serverMode, assets))
  const kubeconfig = await env.start()
  let clientResults
  let memoryResults
  try {
    log(`seeding ${sizes.listObjects} ConfigMaps (+ one patch each for the watch)`)
    const seedStart = performance.now()
    const seeded = await seed(klite, kubeconfig, sizes)
    log(`seeded in ${(since(seedStart) / 1000).toFixed(1)} s`)
    const connection = connectionOf(kubeconfig)
    const clients = [
      kliteClient(klite, kubeconfig),
      clientNodeClient(kubeconfig),
      rawH1Client(connection, { maxSockets: sizes.concurrency }),
      rawH2Client(connection),
    ]
    try {
      clientResults = await compareClients(clients, workloads(sizes, seeded))
    } finally {
      for (const client of clients) client.close()
    }
    log('RSS of processes holding one client')
    memoryResults = await memory(kubeconfig)
  } finally {
    await env.stop()
  }

  info.loadAverageEnd = os.loadavg().map((load) => load.toFixed(2)).join(' ')
  const results = { machine: info, sizes, quick, clients: clientResults, envtest, memory: memoryResults }
  const outDir = join(here, 'out')
  mkdirSync(outDir, { recursive: true })
  // Only the default configuration (full sizes, embedded server) replaces bench/RESULTS.md.
  const variant = quick ? 'quick' : serverMode === 'embedded' ? '' : serverMode
  const target = variant ? join(outDir, `RESULTS.${variant}.md`) : join(here, 'RESULTS.md')
  writeFileSync(join(outDir, variant ? `results.${variant}.json` : 'results.json'), JSON.stringify(results, null, 2) + '\n')
  writeFileSync(target, renderResults(results))
  log(`wrote ${target}`)
}

const started = performance.now()
main().then(
  () => log(`done in ${(since(started) / 1000).toFixed(0)} s`),
  (error) => {
    process.stderr.write(`[bench] failed: ${error && error.stack ? error.stack : error}\n`)
    process.exit(1)
  },
)
