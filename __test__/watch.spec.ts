// Watch: ordering, event types, back-pressure, closing, aborting, and failures.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { ConnectionError, DynamicClient, EnvTest, ExpiredError, GoneError, NotFoundError, type WatchEvent, Watch } from 'klite'

import { createNamespace, eventually, startChildCluster, startCluster, tcpConnections, type TestCluster } from './helpers/cluster'

let cluster: TestCluster
let client: DynamicClient

beforeAll(async () => {
  cluster = await startCluster()
  client = cluster.client()
})

afterAll(async () => {
  await cluster?.stop()
})

const configMap = (name: string, data: Record<string, string> = {}, labels?: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, ...(labels ? { labels } : {}) },
  data,
})

async function take(watch: Watch, count: number): Promise<WatchEvent[]> {
  const events: WatchEvent[] = []
  for await (const event of watch) {
    events.push(event)
    if (events.length === count) break
  }
  return events
}

describe('events', () => {
  it('delivers ADDED, MODIFIED and DELETED in order from a resourceVersion', async () => {
    const namespace = await createNamespace(client)
    const cms = client.resource('v1', 'ConfigMap')
    const start = (await cms.list({ namespace })).metadata.resourceVersion
    const watch = cms.watch({ namespace, resourceVersion: start })
    expect(watch).toBeInstanceOf(Watch)
    const created = await cms.create(configMap('w', { a: '1' }), { namespace })
    await cms.patch('w', 'merge', { data: { a: '2' } }, { namespace })
    await cms.delete('w', { namespace })
    const events = await take(watch, 3)
    expect(events.map((event) => event.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED'])
    expect(events[0].object).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'w', uid: created.metadata?.uid } })
    expect(events[1].object.data).toEqual({ a: '2' })
    const versions = events.map((event) => Number(event.object.metadata?.resourceVersion))
    expect([...versions].sort((a, b) => a - b)).toEqual(versions)
    expect(watch.stopped).toBe(true)
  })

  it('starts with synthetic ADDED events for existing objects at resourceVersion 0', async () => {
    const namespace = await createNamespace(client)
    const cms = client.resource('v1', 'ConfigMap')
    await cms.create(configMap('x'), { namespace })
    await cms.create(configMap('y'), { namespace })
    const events = await take(cms.watch({ namespace, resourceVersion: '0' }), 2)
    expect(events.map((event) => [event.type, event.object.metadata?.name])).toEqual([
      ['ADDED', 'x'],
      ['ADDED', 'y'],
    ])
  })

  it('sends the initial-events-end BOOKMARK with sendInitialEvents', async () => {
    const namespace = await createNamespace(client)
    const cms = client.resource('v1', 'ConfigMap')
    await cms.create(configMap('existing'), { namespace })
    const events = await take(
      cms.watch({ namespace, sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan', allowWatchBookmarks: true }),
      2,
    )
    expect(events[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'existing' } } })
    expect(events[1].type).toBe('BOOKMARK')
    expect(events[1].object.metadata?.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' })
    expect(events[1].object.metadata?.resourceVersion).toBeTruthy()
  })

  it('reports objects leaving the label selector as DELETED', async () => {
    const namespace = await createNamespace(client)
    const cms = client.resource('v1', 'ConfigMap')
    await cms.create(configMap('sel', {}, { watched: 'yes' }), { namespace })
    const watch = cms.watch({ namespace, labelSelector: 'watched=yes' })
    const [initial] = await take(watch, 1)
    expect(initial.type).toBe('ADDED')
    const next = cms.watch({ namespace, labelSelector: 'watched=yes', resourceVersion: initial.object.metadata?.resourceVersion })
    await cms.patch('sel', 'merge', { metadata: { labels: { watched: 'no' } } }, { namespace })
    const [left] = await take(next, 1)
    expect(left.type).toBe('DELETED')
    expect(left.object.metadata?.name).toBe('sel')
  })

  it('delivers every event in order to a slow consumer', async () => {
    const namespace = await createNamespace(client)
    const cms = client.resource('v1', 'ConfigMap')
    const start = (await cms.list({ namespace })).metadata.resourceVersion
    const watch = cms.watch({ namespace, resourceVersion: start })
    const total = 300
    const payload = 'x'.repeat(2048)
    let written = 0
    const writer = (async () => {
      for (; written < total; written++) await cms.create(configMap(`n${written}`, { payload }), { namespace })
    })()
    const names: string[] = []
    for await (const event of watch) {
      names.push(event.object.metadata!.name!)
      if (names.length % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 30))
      if (names.length === total) break
    }
    await writer
    expect(names).toEqual(Array.from({ length: total }, (_, i) => `n${i}`))
  })

  it('ends normally when the server ends the stream (timeoutSeconds)', async () => {
    const namespace = await createNamespace(client)
    const watch = client.resource('v1', 'ConfigMap').watch({ namespace, timeoutSeconds: 1 })
    const events: WatchEvent[] = []
    for await (const event of watch) events.push(event)
    expect(events).toEqual([])
  })

  it('rejects an unknown kind from the first next()', async () => {
    const watch = client.resource('example.com/v9', 'Nothing').watch()
    await expect(watch.next()).rejects.toBeInstanceOf(NotFoundError)
    await expect(watch.next()).resolves.toEqual({ done: true, value: undefined })
  })

  it('rejects bad options synchronously', () => {
    expect(() => client.resource('v1', 'ConfigMap').watch({ labelSelector: { app: 'x' } as unknown as string })).toThrow(TypeError)
  })
})

describe('closing', () => {
  it('closes the server-side watch on an early break', async () => {
    const namespace = await createNamespace(client)
    const cms = client.resource('v1', 'ConfigMap')
    await cms.create(configMap('one'), { namespace })
    const watch = cms.watch({ namespace })
    let during = { clientSide: 0, serverSide: 0 }
    for await (const event of watch) {
      expect(event.type).toBe('ADDED')
      during = tcpConnections(cluster.port)
      break
    }
    expect(watch.stopped).toBe(true)
    expect(during.clientSide).toBeGreaterThan(0)
    // The watch's connection is closed, not returned to the pool, and the server closes its
    // side too (a socket the server had not noticed would linger in CLOSE_WAIT and count).
    expect(
      await eventually(() => {
        const now = tcpConnections(cluster.port)
        return now.clientSide < during.clientSide && now.serverSide < during.serverSide
      }),
    ).toBe(true)
    // Pooled connections stay usable.
    await expect(cms.list({ namespace })).resolves.toMatchObject({ kind: 'ConfigMapList' })
  })

  it('stop() resolves a pending next() with done and is idempotent', async () => {
    const namespace = await createNamespace(client)
    const watch = client.resource('v1', 'ConfigMap').watch({ namespace })
    const pending = watch.next()
    setTimeout(() => watch.stop(), 50)
    await expect(pending).resolves.toEqual({ done: true, value: undefined })
    watch.stop()
    await expect(watch.next()).resolves.toEqual({ done: true, value: undefined })
  })

  it('serves overlapping next() calls in order', async () => {
    const namespace = await createNamespace(client)
    const cms = client.resource('v1', 'ConfigMap')
    const start = (await cms.list({ namespace })).metadata.resourceVersion
    const watch = cms.watch({ namespace, resourceVersion: start })
    const first = watch.next()
    const second = watch.next()
    const third = watch.next()
    await cms.create(configMap('a'), { namespace })
    await cms.create(configMap('b'), { namespace })
    const results = await Promise.all([first, second])
    expect(results.map((result) => result.value?.object.metadata?.name)).toEqual(['a', 'b'])
    watch.stop()
    await expect(third).resolves.toEqual({ done: true, value: undefined })
  })

  it('stops when the AbortSignal fires, and never starts when it already has', async () => {
    const namespace = await createNamespace(client)
    const cms = client.resource('v1', 'ConfigMap')
    const controller = new AbortController()
    const watch = cms.watch({ namespace, signal: controller.signal })
    const pending = watch.next()
    setTimeout(() => controller.abort(), 50)
    await expect(pending).resolves.toEqual({ done: true, value: undefined })
    expect(watch.stopped).toBe(true)

    const aborted = cms.watch({ namespace, signal: AbortSignal.abort() })
    expect(aborted.stopped).toBe(true)
    await expect(aborted.next()).resolves.toEqual({ done: true, value: undefined })
  })

  it('return() and throw() close the watch', async () => {
    const namespace = await createNamespace(client)
    const cms = client.resource('v1', 'ConfigMap')
    const returned = cms.watch({ namespace })
    await expect(returned.return()).resolves.toEqual({ done: true, value: undefined })
    expect(returned.stopped).toBe(true)
    const thrown = cms.watch({ namespace })
    await expect(thrown.throw(new Error('consumer failed'))).rejects.toThrow('consumer failed')
    expect(thrown.stopped).toBe(true)
    await expect(thrown.next()).resolves.toEqual({ done: true, value: undefined })
  })
})

describe('failures', () => {
  it('throws ExpiredError (a GoneError) for a resourceVersion older than the watch history, and a re-list recovers', async () => {
    // A 10-event history window, set as on kube-apiserver's command line.
    const env = new EnvTest({ mode: 'embedded', apiServerFlags: { 'default-watch-cache-size': '10' } })
    const small = new DynamicClient({ kubeconfig: await env.start() })
    try {
      const namespace = await createNamespace(small)
      const cms = small.resource('v1', 'ConfigMap')
      const stale = (await cms.create(configMap('old'), { namespace })).metadata!.resourceVersion!
      for (let i = 0; i < 20; i++) await cms.patch('old', 'merge', { data: { i: String(i) } }, { namespace })
      const watch = cms.watch({ namespace, resourceVersion: stale })
      const error = await take(watch, 1).then(
        () => undefined,
        (thrown: unknown) => thrown,
      )
      expect(error).toBeInstanceOf(ExpiredError)
      expect(error).toBeInstanceOf(GoneError)
      expect((error as ExpiredError).code).toBe(410)
      expect((error as ExpiredError).message).toMatch(/too old resource version/)
      await expect(watch.next()).resolves.toEqual({ done: true, value: undefined })
      // What an informer does next: list, then watch from the list's resourceVersion.
      const list = await cms.list({ namespace })
      const again = cms.watch({ namespace, resourceVersion: list.metadata.resourceVersion })
      await cms.patch('old', 'merge', { data: { i: 'after' } }, { namespace })
      const [event] = await take(again, 1)
      expect(event.type).toBe('MODIFIED')
      expect(event.object.data).toMatchObject({ i: 'after' })
    } finally {
      await env.stop()
    }
  })

  it('throws ConnectionError when the server goes away mid-watch', async () => {
    const doomed = await startChildCluster()
    try {
      const doomedClient = doomed.client()
      const namespace = await createNamespace(doomedClient)
      const cms = doomedClient.resource('v1', 'ConfigMap')
      await cms.create(configMap('before'), { namespace })
      const watch = cms.watch({ namespace })
      const seen: string[] = []
      const failure = (async () => {
        for await (const event of watch) {
          seen.push(event.object.metadata!.name!)
          if (seen.length === 1) doomed.kill()
        }
      })().then(
        () => undefined,
        (error: unknown) => error,
      )
      const error = await failure
      expect(seen).toEqual(['before'])
      expect(error).toBeInstanceOf(ConnectionError)
      expect((error as ConnectionError).code).toMatch(/^(ECONNRESET|EPIPE)$/)
      await expect(watch.next()).resolves.toEqual({ done: true, value: undefined })
    } finally {
      doomed.kill()
    }
  })
})
