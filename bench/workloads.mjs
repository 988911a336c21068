// The workloads. Each one runs the same requests, on the same kind of objects, at the same
// concurrency, through every client; `run(client, round)` returns one sample:
//   { metrics: { <metric id>: number }, latencies?: number[] }
// `requestsPerRound` is how many API requests one `run` makes; CPU time is reported per
// `cpuUnit.per` (`cpuUnit.count` of them in one `run`).
// Latency metrics (p50/p99) are computed over the latencies pooled from all rounds;
// the other metrics are the median of the per-round values.

import { since } from './stats.mjs'

/** Namespaces the workloads use (created by `seed`). */
export const NAMESPACES = { list: 'bench-list', get: 'bench-get', churn: 'bench-churn', apply: 'bench-apply' }

/** A ConfigMap the size of a typical small configuration object (~600 bytes of JSON). */
export function configMap(name, index, extra = {}) {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, labels: { app: 'bench', index: String(index) } },
    data: { config: 'x'.repeat(300), owner: 'team-a', tier: 'backend', index: String(index), ...extra },
  }
}

/** Runs `count` calls of `task(i)` with `concurrency` workers; resolves when all are done. */
export async function pool(count, concurrency, task) {
  let next = 0
  const worker = async () => {
    while (next < count) await task(next++)
  }
  await Promise.all(Array.from({ length: Math.min(count, concurrency) }, worker))
}

/**
 * Creates the namespaces and the objects of the list and watch workloads through klite:
 * `listObjects` ConfigMaps, then one merge patch of each, so that a watch from the returned
 * resourceVersion replays exactly 2 × `listObjects` events (ADDED, then MODIFIED).
 */
export async function seed(klite, kubeconfig, sizes) {
  const client = new klite.DynamicClient({ kubeconfig })
  const namespaces = client.resource('v1', 'Namespace')
  const configMaps = client.resource('v1', 'ConfigMap')
  for (const name of Object.values(NAMESPACES)) {
    await namespaces.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })
  }
  const namespace = NAMESPACES.list
  const watchFrom = (await configMaps.list({ namespace, limit: 1 })).metadata.resourceVersion
  await pool(sizes.listObjects, 32, (i) => configMaps.create(configMap(`cm-${i}`, i), { namespace }))
  await pool(sizes.listObjects, 32, (i) =>
    configMaps.patch(`cm-${i}`, 'merge', { data: { generation: '2' } }, { namespace }),
  )
  await configMaps.create(configMap('target', 0), { namespace: NAMESPACES.get })
  return { watchFrom, watchEvents: 2 * sizes.listObjects }
}

/** The workloads, in the order they run. */
export function workloads(sizes, seeded) {
  return [
    {
      id: 'watch',
      cpuUnit: { per: 'event', count: seeded.watchEvents },
      requestsPerRound: 1,
      title: `watch delivering ${seeded.watchEvents.toLocaleString('en')} events`,
      metrics: { eventsPerSecond: { label: 'events/s', better: 'higher' } },
      warmup: (client) => client.watch(NAMESPACES.list, seeded.watchFrom, Math.min(1000, seeded.watchEvents)),
      async run(client) {
        const start = performance.now()
        const events = await client.watch(NAMESPACES.list, seeded.watchFrom, seeded.watchEvents)
        const ms = since(start)
        if (events !== seeded.watchEvents) throw new Error(`${client.name}: watch delivered ${events} events`)
        return { metrics: { eventsPerSecond: (events / ms) * 1000 } }
      },
    },
    {
      id: 'list',
      cpuUnit: { per: 'list', count: 1 },
      requestsPerRound: 1,
      title: `list of ${sizes.listObjects.toLocaleString('en')} ConfigMaps`,
      metrics: { ms: { label: 'ms', better: 'lower' } },
      warmup: (client) => client.list(NAMESPACES.list),
      async run(client) {
        const start = performance.now()
        const list = await client.list(NAMESPACES.list)
        const ms = since(start)
        if (list.items.length !== sizes.listObjects) {
          throw new Error(`${client.name}: list returned ${list.items.length} items, not ${sizes.listObjects}`)
        }
        return { metrics: { ms } }
      },
    },
    {
      id: 'get',
      cpuUnit: { per: 'request', count: sizes.gets },
      requestsPerRound: sizes.gets,
      title: `sequential get (${sizes.gets.toLocaleString('en')} a round)`,
      metrics: {
        p50: { label: 'p50 µs', better: 'lower', latency: 0.5 },
        p99: { label: 'p99 µs', better: 'lower', latency: 0.99 },
      },
      warmup: async (client) => {
        for (let i = 0; i < 100; i++) await client.get(NAMESPACES.get, 'target')
      },
      async run(client) {
        const latencies = new Array(sizes.gets)
        for (let i = 0; i < sizes.gets; i++) {
          const start = performance.now()
          const object = await client.get(NAMESPACES.get, 'target')
          latencies[i] = since(start) * 1000
          if (object.metadata.name !== 'target') throw new Error(`${client.name}: get returned ${object.metadata.name}`)
        }
        return { metrics: {}, latencies }
      },
    },
    {
      id: 'churn',
      cpuUnit: { per: 'request', count: 2 * sizes.churnObjects },
      requestsPerRound: 2 * sizes.churnObjects,
      title: `${sizes.concurrency}-way concurrent create then delete (${sizes.churnObjects.toLocaleString('en')} objects a round)`,
      metrics: {
        opsPerSecond: { label: 'ops/s', better: 'higher' },
        createPerSecond: { label: 'creates/s', better: 'higher', detail: true },
        deletePerSecond: { label: 'deletes/s', better: 'higher', detail: true },
      },
      warmup: (client) => churn(client, 'warmup', Math.min(128, sizes.churnObjects), sizes.concurrency),
      run: (client, round) => churn(client, round, sizes.churnObjects, sizes.concurrency),
    },
    {
      id: 'apply',
      cpuUnit: { per: 'request', count: sizes.applies },
      requestsPerRound: sizes.applies,
      title: `server-side apply round trips (${sizes.applies.toLocaleString('en')} a round, each a change)`,
      metrics: {
        p50: { label: 'p50 µs', better: 'lower', latency: 0.5 },
        opsPerSecond: { label: 'applies/s', better: 'higher' },
      },
      warmup: (client) => applies(client, 'warmup', 50),
      run: (client, round) => applies(client, round, sizes.applies),
    },
  ]
}

async function churn(client, round, count, concurrency) {
  const ns = NAMESPACES.churn
  const name = (i) => `${client.name}-${round}-${i}`
  let start = performance.now()
  await pool(count, concurrency, async (i) => {
    const created = await client.create(ns, configMap(name(i), i))
    if (created.metadata.name !== name(i)) throw new Error(`${client.name}: create returned ${created.metadata.name}`)
  })
  const createMs = since(start)
  start = performance.now()
  await pool(count, concurrency, (i) => client.delete(ns, name(i)))
  const deleteMs = since(start)
  return {
    metrics: {
      opsPerSecond: ((2 * count) / (createMs + deleteMs)) * 1000,
      createPerSecond: (count / createMs) * 1000,
      deletePerSecond: (count / deleteMs) * 1000,
    },
  }
}

async function applies(client, round, count) {
  const ns = NAMESPACES.apply
  const name = `applied-by-${client.name}`
  const latencies = new Array(count)
  const start = performance.now()
  for (let i = 0; i < count; i++) {
    const t = performance.now()
    const applied = await client.apply(ns, configMap(name, i, { round: String(round), step: String(i) }))
    latencies[i] = since(t) * 1000
    if (applied.data.step !== String(i)) throw new Error(`${client.name}: apply returned step ${applied.data.step}`)
  }
  return { metrics: { opsPerSecond: (count / since(start)) * 1000 }, latencies }
}
