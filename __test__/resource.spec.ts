// Every DynamicResource method and option against the embedded API server.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'

import {
  AlreadyExistsError,
  ApiError,
  ConflictError,
  ConnectionError,
  DynamicClient,
  EnvTest,
  ExpiredError,
  ForbiddenError,
  InvalidError,
  type KubernetesList,
  type KubernetesObject,
  NotFoundError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
} from 'klite'

import { createNamespace, startCluster, type TestCluster } from './helpers/cluster'

/** A temporary directory removed when the current test ends. */
function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

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

const deployment = (name: string, replicas = 1) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, labels: { app: name } },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: 'main', image: 'nginx:1.27', env: [{ name: 'A', value: '1' }] }] },
    },
  },
})

describe('create, get, update, delete', () => {
  it('round-trips an object and fills in server fields', async () => {
    const namespace = await createNamespace(client)
    const cms = client.resource('v1', 'ConfigMap')
    const created = await cms.create(configMap('settings', { color: 'blue' }), { namespace })
    expect(created.metadata?.namespace).toBe(namespace)
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/)
    expect(created.metadata?.resourceVersion).toBeTruthy()
    const fetched = await cms.get('settings', { namespace })
    expect(fetched).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap', data: { color: 'blue' } })

    fetched.data = { color: 'green' }
    const updated = await cms.update(fetched)
    expect(updated.data).toEqual({ color: 'green' })
    expect(Number(updated.metadata!.resourceVersion)).toBeGreaterThan(Number(created.metadata!.resourceVersion))

    const answer = await cms.delete('settings', { namespace })
    expect(answer.kind === 'Status' || answer.kind === 'ConfigMap').toBe(true)
    const missing = await cms.get('settings', { namespace }).catch((e: unknown) => e)
    expect(missing).toBeInstanceOf(NotFoundError)
    expect(missing).toMatchObject({
      code: 404,
      reason: 'NotFound',
      message: 'configmaps "settings" not found',
      details: { name: 'settings', kind: 'configmaps' },
    })
    expect((missing as ApiError).status).toMatchObject({ kind: 'Status', status: 'Failure', code: 404 })
  })

  it('uses the namespace of the object, then of the kubeconfig context', async () => {
    const namespace = await createNamespace(client)
    const cms = client.resource('v1', 'ConfigMap')
    const inObject = await cms.create({ ...configMap('from-object'), metadata: { name: 'from-object', namespace } })
    expect(inObject.metadata?.namespace).toBe(namespace)
    const inContext = await cms.create(configMap(`from-context-${namespace}`))
    expect(inContext.metadata?.namespace).toBe(client.namespace)
    await cms.delete(`from-context-${namespace}`)
  })

  it('rejects a duplicate create with AlreadyExistsError and a stale update with ConflictError', async () => {
    const namespace = await createNamespace(client)
    const cms = client.resource('v1', 'ConfigMap')
    const first = await cms.create(configMap('dup'), { namespace })
    const duplicate = await cms.create(configMap('dup'), { namespace }).catch((e: unknown) => e)
    expect(duplicate).toBeInstanceOf(AlreadyExistsError)
    expect(duplicate).toMatchObject({ code: 409, reason: 'AlreadyExists', message: 'configmaps "dup" already exists' })

    await cms.update({ ...first, data: { a: '1' } })
    const stale = await cms.update({ ...first, data: { a: '2' } }).catch((e: unknown) => e)
    expect(stale).toBeInstanceOf(ConflictError)
    expect(stale).toMatchObject({ code: 409, reason: 'Conflict' })
    expect((stale as Error).message).toMatch(
      /^Operation cannot be fulfilled on configmaps "dup": the object has been modified; please apply your changes to the latest version and try again$/,
    )
  })

  it('rejects an unknown kind with NotFoundError naming the apiVersion and kind', async () => {
    const error = await client.resource('example.com/v1', 'Gizmo').list().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(NotFoundError)
    expect((error as Error).message).toMatch(/no matches for kind "Gizmo" in version "example.com\/v1"/)
    const wrongKind = await client.resource('v1', 'Deployment').get('x').catch((e: unknown) => e)
    expect(wrongKind).toBeInstanceOf(NotFoundError)
    expect((wrongKind as Error).message).toMatch(/kind "Deployment" in version "v1"/)
  })

  it('reports validation failures as InvalidError with causes', async () => {
    const error = await client
      .resource('v1', 'ConfigMap')
      .create(configMap('Not_Valid'), { namespace: 'default' })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InvalidError)
    expect(error).toMatchObject({ code: 422, reason: 'Invalid', details: { kind: 'ConfigMap', name: 'Not_Valid' } })
    expect((error as InvalidError).details?.causes?.[0]).toMatchObject({ field: 'metadata.name' })
  })

  it('deletes with preconditions and propagation policy, and answers the object while finalizers hold it', async () => {
    const namespace = await createNamespace(client)
    const cms = client.resource('v1', 'ConfigMap')
    const held = await cms.create(
      { ...configMap('held'), metadata: { name: 'held', finalizers: ['example.com/hold'] } },
      { namespace },
    )
    const wrongUid = await cms
      .delete('held', { namespace, preconditions: { uid: '00000000-0000-0000-0000-000000000000' } })
      .catch((e: unknown) => e)
    expect(wrongUid).toBeInstanceOf(ConflictError)
    const answer = await cms.delete('held', {
      namespace,
      preconditions: { uid: held.metadata!.uid },
      propagationPolicy: 'Background',
    })
    expect(answer.kind).toBe('ConfigMap')
    expect((answer as KubernetesObject).metadata?.deletionTimestamp).toBeTruthy()
    const current = await cms.get('held', { namespace })
    await cms.update({ ...current, metadata: { ...current.metadata, finalizers: [] } })
    await expect(cms.get('held', { namespace })).rejects.toBeInstanceOf(NotFoundError)
  })

  it('deletes a collection by label selector', async () => {
    const namespace = await createNamespace(client)
    const cms = client.resource('v1', 'ConfigMap')
    for (const [name, tier] of [['a', 'x'], ['b', 'x'], ['c', 'y']]) {
      await cms.create(configMap(name, {}, { tier }), { namespace })
    }
    const answer = await cms.deleteCollection({ namespace, labelSelector: 'tier=x' })
    expect(answer.kind).toBe('ConfigMapList')
    const deleted = (answer as KubernetesList).items
    expect(deleted.map((item) => [item.kind, item.metadata?.name])).toEqual([
      ['ConfigMap', 'a'],
      ['ConfigMap', 'b'],
    ])
    const left = await cms.list({ namespace, labelSelector: 'tier' })
    expect(left.items.map((item) => item.metadata?.name)).toEqual(['c'])
  })
})

describe('list', () => {
  it('returns a typed list whose items carry apiVersion and kind', async () => {
    const namespace = await createNamespace(client)
    const cms = client.resource('v1', 'ConfigMap')
    await cms.create(configMap('one'), { namespace })
    await cms.create(configMap('two'), { namespace })
    const list = await cms.list({ namespace })
    expect(list.apiVersion).toBe('v1')
    expect(list.kind).toBe('ConfigMapList')
    expect(list.metadata.resourceVersion).toBeTruthy()
    expect(list.items.map((item) => item.metadata?.name)).toEqual(['one', 'two'])
    for (const item of list.items) {
      expect(item.apiVersion).toBe('v1')
      expect(item.kind).toBe('ConfigMap')
    }
  })

  it('filters by label and field selectors and spans namespaces when none is given', async () => {
    const ns1 = await createNamespace(client)
    const ns2 = await createNamespace(client)
    const cms = client.resource('v1', 'ConfigMap')
    await cms.create(configMap('web', {}, { app: 'web', tier: 'fe' }), { namespace: ns1 })
    await cms.create(configMap('api', {}, { app: 'api', tier: 'be' }), { namespace: ns1 })
    await cms.create(configMap('web', {}, { app: 'web', tier: 'fe' }), { namespace: ns2 })
    const inOne = await cms.list({ namespace: ns1, labelSelector: 'tier in (fe,be),app!=api' })
    expect(inOne.items.map((item) => item.metadata?.name)).toEqual(['web'])
    const everywhere = await cms.list({ labelSelector: 'app=web' })
    const webNamespaces = everywhere.items.map((item) => item.metadata?.namespace)
    expect(webNamespaces).toEqual(expect.arrayContaining([ns1, ns2]))
    const byField = await cms.list({ fieldSelector: `metadata.namespace=${ns2}` })
    expect(byField.items.map((item) => item.metadata?.name)).toEqual(['web'])
    const bad = await cms.list({ fieldSelector: 'spec.nothing=1' }).catch((e: unknown) => e)
    expect(bad).toBeInstanceOf(ApiError)
    expect((bad as ApiError).code).toBe(400)
  })

  it('pages with limit and continue, and iterate() walks every page', async () => {
    const namespace = await createNamespace(client)
    const cms = client.resource('v1', 'ConfigMap')
    const names = Array.from({ length: 7 }, (_, i) => `item-${i}`)
    for (const name of names) await cms.create(configMap(name), { namespace })
    const first = await cms.list({ namespace, limit: 3 })
    expect(first.items).toHaveLength(3)
    expect(first.metadata.continue).toBeTruthy()
    const second = await cms.list({ namespace, limit: 3, continue: first.metadata.continue })
    expect(second.items.map((item) => item.metadata?.name)).toEqual(['item-3', 'item-4', 'item-5'])

    const seen: string[] = []
    for await (const item of cms.iterate({ namespace, limit: 2 })) {
      expect(item.kind).toBe('ConfigMap')
      seen.push(item.metadata!.name!)
    }
    expect(seen).toEqual(names)
  })

  it('iterate() surfaces an expired continue token as ExpiredError', async () => {
    // A 10-event history (kube-apiserver's --default-watch-cache-size), so a paginated list's
    // revision can fall out of it within a test.
    const env = new EnvTest({ mode: 'embedded', apiServerFlags: { 'default-watch-cache-size': '10' } })
    const small = new DynamicClient({ kubeconfig: await env.start() })
    try {
      const namespace = await createNamespace(small)
      const cms = small.resource('v1', 'ConfigMap')
      for (const name of ['a', 'b', 'c']) await cms.create(configMap(name), { namespace })
      const items = cms.iterate({ namespace, limit: 1 })
      const first = await items.next()
      expect(first.value?.metadata?.name).toBe('a')
      // Writes push the first page's revision out of the history, and other paginated lists
      // push its snapshot out of the server's cache of recent list snapshots.
      for (let i = 0; i < 70; i++) {
        await cms.patch('c', 'merge', { data: { i: String(i) } }, { namespace })
        await cms.list({ namespace, limit: 1 })
      }
      const error = await (async () => {
        for await (const item of items) void item
      })().then(
        () => undefined,
        (thrown: unknown) => thrown,
      )
      expect(error).toBeInstanceOf(ExpiredError)
      expect((error as ExpiredError).code).toBe(410)
      expect((error as ExpiredError).message).toMatch(/continue parameter is too old/)
      // A new iteration starts from a fresh list.
      const names: string[] = []
      for await (const item of cms.iterate({ namespace, limit: 1 })) names.push(item.metadata!.name!)
      expect(names).toEqual(['a', 'b', 'c'])
    } finally {
      await env.stop()
    }
  })

  it('passes unknown option keys through as query parameters', async () => {
    const cms = client.resource('v1', 'ConfigMap')
    // `pretty` is not a ListOptions key of ours; the server accepts it.
    const list = await cms.list({ namespace: 'default', pretty: 'true' } as Parameters<typeof cms.list>[0])
    expect(list.kind).toBe('ConfigMapList')
    // `limit` as an unknown-typed value still reaches the server (a non-number is a 400 there).
    const error = await cms.list({ namespace: 'default', limit: 'many' as unknown as number }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ApiError)
  })
})

describe('subresources', () => {
  it('reads and writes status without touching spec, and scale through the scale subresource', async () => {
    const namespace = await createNamespace(client)
    const deployments = client.resource('apps/v1', 'Deployment')
    const created = await deployments.create(deployment('web', 2), { namespace })
    const withStatus = await deployments.updateStatus({
      ...created,
      spec: { ...(created.spec as object), replicas: 9 },
      status: { observedGeneration: 1, replicas: 2 },
    })
    expect(withStatus.status).toMatchObject({ observedGeneration: 1, replicas: 2 })
    expect((withStatus.spec as { replicas: number }).replicas).toBe(2)
    const status = await deployments.get('web', { namespace, subresource: 'status' })
    expect(status.status).toMatchObject({ replicas: 2 })

    const scale = await deployments.get('web', { namespace, subresource: 'scale' })
    expect(scale).toMatchObject({ apiVersion: 'autoscaling/v1', kind: 'Scale', spec: { replicas: 2 } })
    const scaled = await deployments.patch('web', 'merge', { spec: { replicas: 5 } }, { namespace, subresource: 'scale' })
    expect(scaled).toMatchObject({ kind: 'Scale', spec: { replicas: 5 } })
    const after = await deployments.get('web', { namespace })
    expect((after.spec as { replicas: number }).replicas).toBe(5)
  })
})

describe('patch', () => {
  it('applies JSON, merge and strategic merge patches, as objects, strings or Buffers', async () => {
    const namespace = await createNamespace(client)
    const cms = client.resource('v1', 'ConfigMap')
    await cms.create(configMap('p', { a: '1', b: '2' }), { namespace })
    const json = await cms.patch('p', 'json', [{ op: 'replace', path: '/data/a', value: 'x' }, { op: 'remove', path: '/data/b' }], { namespace })
    expect(json.data).toEqual({ a: 'x' })
    const failedTest = await cms
      .patch('p', 'application/json-patch+json', '[{"op":"test","path":"/data/a","value":"nope"}]', { namespace })
      .catch((e: unknown) => e)
    expect(failedTest).toBeInstanceOf(InvalidError)
    const merged = await cms.patch('p', 'merge', Buffer.from('{"data":{"c":"3","a":null}}'), { namespace })
    expect(merged.data).toEqual({ c: '3' })

    const deployments = client.resource('apps/v1', 'Deployment')
    await deployments.create(deployment('sm'), { namespace })
    const strategic = await deployments.patch(
      'sm',
      'strategic',
      { spec: { template: { spec: { containers: [{ name: 'main', env: [{ name: 'B', value: '2' }] }] } } } },
      { namespace },
    )
    const containers = (strategic.spec as { template: { spec: { containers: Array<{ name: string; image: string; env: unknown[] }> } } }).template.spec.containers
    expect(containers).toHaveLength(1)
    expect(containers[0].image).toBe('nginx:1.27')
    expect(containers[0].env).toEqual([{ name: 'B', value: '2' }, { name: 'A', value: '1' }])
  })

  it('refuses a strategic merge patch on a custom resource with 415', async () => {
    const kind = await installCrd('Gadget', 'gadgets')
    const namespace = await createNamespace(client)
    const gadgets = client.resource('example.com/v1', kind)
    await gadgets.create({ apiVersion: 'example.com/v1', kind, metadata: { name: 'g' }, spec: { size: 1 } }, { namespace })
    const error = await gadgets.patch('g', 'strategic', { spec: { size: 2 } }, { namespace }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UnsupportedMediaTypeError)
    expect((error as ApiError).code).toBe(415)
  })
})

describe('server-side apply', () => {
  it('creates, merges, reports conflicts per field and takes ownership with force', async () => {
    const namespace = await createNamespace(client)
    const cms = client.resource('v1', 'ConfigMap')
    const created = await cms.apply({ ...configMap('applied', { a: '1' }), metadata: { name: 'applied', namespace } })
    expect(created.data).toEqual({ a: '1' })
    expect(created.metadata?.managedFields?.[0]).toMatchObject({ manager: 'klite', operation: 'Apply' })

    const other = await cms.apply(configMap('applied', { a: '2' }), { namespace, fieldManager: 'other' }).catch((e: unknown) => e)
    expect(other).toBeInstanceOf(ConflictError)
    expect((other as ConflictError).details?.causes?.[0]).toMatchObject({
      reason: 'FieldManagerConflict',
      field: '.data.a',
      message: 'conflict with "klite"',
    })
    const forced = await cms.apply(configMap('applied', { a: '2' }), { namespace, fieldManager: 'other', force: true })
    expect(forced.data).toEqual({ a: '2' })

    const viaPatch = await cms.patch('applied', 'apply', { apiVersion: 'v1', kind: 'ConfigMap', data: { b: '3' } }, { namespace, fieldManager: 'third' })
    expect(viaPatch.data).toEqual({ a: '2', b: '3' })

    const named = await cms.apply({ apiVersion: 'v1', kind: 'ConfigMap', data: { z: '1' } }, { namespace, name: 'by-option' })
    expect(named.metadata?.name).toBe('by-option')
  })

  it('applies status through applyStatus', async () => {
    const namespace = await createNamespace(client)
    const deployments = client.resource('apps/v1', 'Deployment')
    await deployments.create(deployment('st'), { namespace })
    const applied = await deployments.applyStatus(
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'st' }, status: { replicas: 3 } },
      { namespace, fieldManager: 'controller' },
    )
    expect(applied.status).toMatchObject({ replicas: 3 })
  })
})

describe('dry run', () => {
  it('leaves no trace for create, update, patch, apply and delete', async () => {
    const namespace = await createNamespace(client)
    const cms = client.resource('v1', 'ConfigMap')
    const dry = await cms.create(configMap('ghost', { a: '1' }), { namespace, dryRun: 'All' })
    expect(dry.metadata?.name).toBe('ghost')
    await expect(cms.get('ghost', { namespace })).rejects.toBeInstanceOf(NotFoundError)

    const real = await cms.create(configMap('real', { a: '1' }), { namespace })
    await cms.update({ ...real, data: { a: 'dry' } }, { dryRun: ['All'] })
    await cms.patch('real', 'merge', { data: { a: 'dry' } }, { namespace, dryRun: 'All' })
    await cms.apply(configMap('real', { a: 'dry' }), { namespace, dryRun: 'All', force: true })
    await cms.delete('real', { namespace, dryRun: 'All' })
    const after = await cms.get('real', { namespace })
    expect(after.data).toEqual({ a: '1' })
    expect(after.metadata?.resourceVersion).toBe(real.metadata?.resourceVersion)
  })
})

describe('field validation', () => {
  it('rejects unknown fields with Strict and accepts them with Ignore', async () => {
    const namespace = await createNamespace(client)
    const cms = client.resource('v1', 'ConfigMap')
    const body = { ...configMap('fv'), bogus: true }
    const strict = await cms.create(body, { namespace, fieldValidation: 'Strict' }).catch((e: unknown) => e)
    expect(strict).toBeInstanceOf(ApiError)
    expect((strict as ApiError).code).toBe(400)
    expect((strict as Error).message).toMatch(/unknown field "bogus"/)
    const ignored = await cms.create(body, { namespace, fieldValidation: 'Ignore' })
    expect(ignored).not.toHaveProperty('bogus')
  })
})

describe('discovery', () => {
  it('finds a CRD created after the first lookup of its kind', async () => {
    const widgets = client.resource('example.com/v1', 'Widget')
    await expect(widgets.list()).rejects.toBeInstanceOf(NotFoundError)
    const kind = await installCrd('Widget', 'widgets')
    const resource = await client.resources.resolve('example.com/v1', kind)
    expect(resource).toMatchObject({ group: 'example.com', version: 'v1', plural: 'widgets', namespaced: true, kind: 'Widget' })
    const list = await widgets.list()
    expect(list.kind).toBe('WidgetList')
  })

  it('resolves built-in kinds with verbs, short names and subresources', async () => {
    const deployments = await client.resources.resolve('apps/v1', 'Deployment')
    expect(deployments.plural).toBe('deployments')
    expect(deployments.shortNames).toContain('deploy')
    expect(deployments.subresources).toEqual(expect.arrayContaining(['status', 'scale']))
    expect(deployments.verbs).toEqual(expect.arrayContaining(['get', 'list', 'watch', 'create']))
    const namespaces = await client.resources.resolve('v1', 'Namespace')
    expect(namespaces.namespaced).toBe(false)
  })
})

describe('rate limiting and cancellation', () => {
  it('paces requests at qps after the burst', async () => {
    const limited = cluster.client({ qps: 20, burst: 1 })
    const cms = limited.resource('v1', 'ConfigMap')
    await cms.list({ namespace: 'default', limit: 1 })
    const started = performance.now()
    for (let i = 0; i < 5; i++) await cms.list({ namespace: 'default', limit: 1 })
    // Five requests at 20/s after the burst is spent need at least four periods of 50 ms.
    expect(performance.now() - started).toBeGreaterThanOrEqual(190)
  })

  it('rejects with the signal reason when aborted in flight', async () => {
    const limited = cluster.client({ qps: 0.5, burst: 1 })
    const cms = limited.resource('v1', 'ConfigMap')
    await cms.list({ namespace: 'default', limit: 1 })
    const controller = new AbortController()
    const pending = cms.list({ namespace: 'default', signal: controller.signal })
    setTimeout(() => controller.abort(), 20)
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' })
  })
})

async function installCrd(kind: string, plural: string): Promise<string> {
  const crds = client.resource('apiextensions.k8s.io/v1', 'CustomResourceDefinition')
  await crds.create({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.example.com` },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: { plural, singular: kind.toLowerCase(), kind, listKind: `${kind}List` },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          subresources: { status: {} },
        },
      ],
    },
  })
  const deadline = Date.now() + 5000
  for (;;) {
    try {
      await client.resources.resolve('example.com/v1', kind)
      return kind
    } catch (error) {
      if (!(error instanceof NotFoundError) || Date.now() > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }
}

describe('credentials and TLS', () => {
  const withoutUser = (kubeconfig: string) =>
    kubeconfig.replace(/^\s*client-certificate-data:.*\n/m, '').replace(/^\s*client-key-data:.*\n/m, '')

  it('answers 401 UnauthorizedError for a rejected bearer token', async () => {
    const client = new DynamicClient({ kubeconfig: injectToken(withoutUser(cluster.kubeconfig), 'not-a-known-token') })
    const error = await client.resource('v1', 'ConfigMap').list({ namespace: 'default' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UnauthorizedError)
    expect(error).toMatchObject({ code: 401, reason: 'Unauthorized', message: 'Unauthorized' })
  })

  it('answers 403 ForbiddenError to an anonymous client', async () => {
    const client = new DynamicClient({ kubeconfig: withoutUser(cluster.kubeconfig) })
    const error = await client.resource('v1', 'ConfigMap').list({ namespace: 'default' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ForbiddenError)
    expect((error as ApiError).code).toBe(403)
    expect((error as Error).message).toMatch(/system:anonymous/)
  })

  it('runs exec credential plugins for client certificates and tokens', async () => {
    const dir = scratchDir('klite-exec-')
    const field = (name: string) => Buffer.from(new RegExp(`${name}:\\s*(\\S+)`).exec(cluster.kubeconfig)![1], 'base64').toString()
    const plugin = join(dir, 'plugin.js')
    writeFileSync(
      plugin,
      `const status = process.argv[2] === 'token'
        ? { token: 'issued-by-plugin' }
        : { clientCertificateData: ${JSON.stringify(field('client-certificate-data'))}, clientKeyData: ${JSON.stringify(field('client-key-data'))} }
      process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status }))`,
    )
    const execUser = (mode: string) =>
      withoutUser(cluster.kubeconfig).replace(
        /^(\s*)user:\s*$/m,
        (_line, indent: string) =>
          `${indent}user:\n${indent}  exec:\n${indent}    apiVersion: client.authentication.k8s.io/v1\n${indent}    command: ${process.execPath}\n${indent}    args: [${JSON.stringify(plugin)}, ${mode}]\n${indent}    interactiveMode: Never`,
      )
    const viaCertificate = new DynamicClient({ kubeconfig: execUser('cert') })
    const list = await viaCertificate.resource('v1', 'Namespace').list()
    expect(list.items.map((item) => item.metadata?.name)).toContain('default')
    // A token the server does not know: 401 proves the plugin's token was sent (anonymous gets 403).
    const viaToken = new DynamicClient({ kubeconfig: execUser('token') })
    await expect(viaToken.resource('v1', 'Namespace').list()).rejects.toBeInstanceOf(UnauthorizedError)
  })

  it('reports a server certificate from an unknown CA as a ConnectionError', async () => {
    const untrusted = cluster.kubeconfig.replace(/^\s*certificate-authority-data:.*\n/m, '')
    const client = new DynamicClient({ kubeconfig: untrusted })
    const error = await client.resource('v1', 'ConfigMap').list({ namespace: 'default' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConnectionError)
    expect((error as ConnectionError).code).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE')
  })
})

/** Adds a bearer token to the (single) user of a kubeconfig. */
function injectToken(kubeconfig: string, token: string): string {
  return kubeconfig.replace(/^(\s*)user:\s*(\{\s*\})?\s*$/m, (_line, indent: string) => `${indent}user:\n${indent}  token: ${token}`)
}
