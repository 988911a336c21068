// @kubernetes/client-node, unmodified, against the embedded API server: typed APIs,
// KubernetesObjectApi (patch types, server-side apply), a CRD and its custom objects, Watch and
// an informer. client-node 2.x loads only on Node >= 22, so the client runs in a child process
// (fixtures/client-node-smoke.mjs) on this Node when it is new enough, else on the node22
// devDependency; that script reports what the server answered per step and the tests below
// assert it, on every Node the suite runs on.

import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { repoRoot, startCluster, type TestCluster } from './helpers/cluster'

/** Parsed JSON as the fixture printed it; the assertions give it its shape. */
type Json = any

interface StepLine {
  step: string
  result?: Json
  error?: Json
}

const clientNodeRuntime = (): string => {
  if (Number(process.versions.node.split('.')[0]) >= 22) return process.execPath
  const node22 = join(repoRoot, 'node_modules', 'node22', 'bin', 'node')
  if (!existsSync(node22)) throw new Error(`${node22} is missing: run npm install (devDependency node22)`)
  return node22
}

/** Runs the client-node script with the kubeconfig on stdin; resolves with its step lines. */
function runClientNode(kubeconfig: string): Promise<{ steps: Map<string, StepLine>; stderr: string; code: number | null }> {
  const script = join(repoRoot, '__test__', 'fixtures', 'client-node-smoke.mjs')
  const child = spawn(clientNodeRuntime(), [script], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  child.stdin.end(kubeconfig)
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code) => {
      const steps = new Map<string, StepLine>()
      for (const line of stdout.split('\n')) {
        if (line.trim() === '') continue
        const parsed = JSON.parse(line) as StepLine
        steps.set(parsed.step, parsed)
      }
      resolve({ steps, stderr, code })
    })
  })
}

let cluster: TestCluster
let run: Awaited<ReturnType<typeof runClientNode>>

beforeAll(async () => {
  cluster = await startCluster()
  run = await runClientNode(cluster.kubeconfig)
})

afterAll(async () => {
  await cluster?.stop()
})

/** The result of one step; fails with the client's error (code, Status body) when it threw. */
function result(step: string): Json {
  const line = run.steps.get(step)
  if (line === undefined) throw new Error(`client-node never reported step ${step} (exit ${run.code}); stderr:\n${run.stderr}`)
  if (line.error !== undefined) throw new Error(`client-node step ${step} failed: ${JSON.stringify(line.error, null, 2)}`)
  return line.result
}

/** The Status body upstream sends for a failure. */
const failure = (code: number, reason: string, message: string, details: Json) => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message,
  reason,
  details,
  code,
})

const managerEntry = (object: Json, manager: string): Json =>
  object.metadata.managedFields.find((entry: Json) => entry.manager === manager)

/** Manager for writes without `fieldManager`: the User-Agent up to its first `/`. */
const userAgentManager = 'kubernetes-client-javascript'

describe('client-node process', () => {
  it('runs every step on Node >= 22 and exits 0', () => {
    expect(run.code, `client-node exited with ${run.code}; stderr:\n${run.stderr}`).toBe(0)
    expect(run.stderr).not.toMatch(/failed steps/)
    expect([...run.steps.keys()]).toEqual([
      'kubeconfig.loadFromString',
      'version.getCode',
      'core.createNamespace',
      'core.createNamespacedConfigMap',
      'core.readNamespacedConfigMap',
      'core.listNamespacedConfigMap.labelSelector',
      'core.replaceNamespacedConfigMap.stale',
      'core.readNamespacedConfigMap.missing',
      'core.patchNamespacedConfigMap.jsonPatch',
      'core.patchNamespacedConfigMap.strategicViaHeader',
      'objects.create',
      'objects.read',
      'objects.patch.merge',
      'objects.patch.strategic',
      'objects.patch.serverSideApply',
      'objects.delete',
      'apps.createNamespacedDeployment.defaults',
      'apiextensions.createCustomResourceDefinition',
      'customObjects.createNamespacedCustomObject',
      'watch.events',
      'informer.addAndUpdate',
    ])
  })
})

describe('KubeConfig and VersionApi', () => {
  it('loadFromString reads the envtest kubeconfig', () => {
    const loaded = result('kubeconfig.loadFromString')
    expect(loaded.server).toBe(cluster.server)
    expect(loaded.hasCaData).toBe(true)
    expect(loaded.currentContext).toEqual(expect.any(String))
    expect(loaded.user).toEqual(expect.any(String))
  })

  it('VersionApi.getCode returns version info whose minor matches gitVersion', () => {
    const version = result('version.getCode')
    const gitVersion = /^v(\d+)\.(\d+)\.\d+/.exec(version.gitVersion)
    expect(gitVersion).not.toBeNull()
    expect(version.major).toBe(gitVersion![1])
    expect(version.minor).toBe(gitVersion![2])
    expect(version.platform).toMatch(/^[a-z0-9]+\/[a-z0-9]+$/)
  })
})

describe('CoreV1Api', () => {
  it('creates a Namespace from generateName, labelled with its name and Active', () => {
    const namespace = result('core.createNamespace')
    expect(namespace.metadata.name).toMatch(/^client-node-[a-z0-9]{5}$/)
    expect(namespace.metadata.labels).toEqual({ 'kubernetes.io/metadata.name': namespace.metadata.name })
    expect(namespace.spec).toEqual({ finalizers: ['kubernetes'] })
    expect(namespace.status).toEqual({ phase: 'Active' })
  })

  it('creates and reads a ConfigMap', () => {
    const created = result('core.createNamespacedConfigMap')
    const read = result('core.readNamespacedConfigMap')
    expect(created.data).toEqual({ k: 'a' })
    expect(created.metadata.labels).toEqual({ tier: 'front' })
    expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/)
    expect(created.metadata.resourceVersion).toMatch(/^\d+$/)
    expect(created.metadata.managedFields).toEqual([
      expect.objectContaining({
        manager: userAgentManager,
        operation: 'Update',
        apiVersion: 'v1',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:data': { '.': {}, 'f:k': {} }, 'f:metadata': { 'f:labels': { '.': {}, 'f:tier': {} } } },
      }),
    ])
    expect(read).toEqual(created)
  })

  it('lists ConfigMaps by label selector', () => {
    const listed = result('core.listNamespacedConfigMap.labelSelector')
    expect(listed.kind).toBe('ConfigMapList')
    expect(listed.apiVersion).toBe('v1')
    expect(listed.resourceVersion).toMatch(/^\d+$/)
    expect(listed.names).toEqual(['alpha'])
    expect(listed.withTierLabel).toEqual(['alpha', 'beta'])
  })

  it('replace with a stale resourceVersion throws ApiException 409 with a Conflict Status', () => {
    const replaced = result('core.replaceNamespacedConfigMap.stale')
    expect(Number(replaced.replacedResourceVersion)).toBeGreaterThan(Number(replaced.staleResourceVersion))
    expect(replaced.replacedData).toEqual({ k: 'a2' })
    expect(replaced.conflict.code).toBe(409)
    expect(replaced.conflict.contentType).toBe('application/json')
    expect(replaced.conflict.body).toEqual(
      failure(
        409,
        'Conflict',
        'Operation cannot be fulfilled on configmaps "alpha": the object has been modified; please apply your changes to the latest version and try again',
        { name: 'alpha', kind: 'configmaps' },
      ),
    )
    expect(replaced.dataAfterConflict).toEqual({ k: 'a2' })
  })

  it('read of a missing object throws ApiException 404 with reason NotFound', () => {
    const missing = result('core.readNamespacedConfigMap.missing')
    expect(missing.code).toBe(404)
    expect(missing.body).toEqual(failure(404, 'NotFound', 'configmaps "missing" not found', { name: 'missing', kind: 'configmaps' }))
  })

  it('patches with JSON patch (the typed default); a failed test op is 422 with the generic Status', () => {
    const patched = result('core.patchNamespacedConfigMap.jsonPatch')
    expect(patched.data).toEqual({ k: 'b2', added: 'yes' })
    expect(patched.failedTest.code).toBe(422)
    expect(patched.failedTest.body).toEqual(failure(422, 'Invalid', 'the server rejected our request due to an error in our request', {}))
  })

  it('patches with a strategic merge patch chosen through setHeaderOptions', () => {
    const patched = result('core.patchNamespacedConfigMap.strategicViaHeader')
    expect(patched.labels).toEqual({ tier: 'back', patched: 'strategic' })
    expect(patched.data).toEqual({ k: 'b2' })
  })
})

describe('KubernetesObjectApi', () => {
  it('creates with a fieldManager that owns every field it set', () => {
    const created = result('objects.create')
    expect(created.data).toEqual({ a: '1', b: '2' })
    expect(created.metadata.managedFields).toEqual([
      expect.objectContaining({
        manager: 'smoke-create',
        operation: 'Update',
        fieldsV1: { 'f:data': { '.': {}, 'f:a': {}, 'f:b': {} }, 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } } },
      }),
    ])
    expect(result('objects.read')).toEqual(created)
  })

  it('merge patch: null removes keys, other keys merge; removed fields leave their owner', () => {
    const patched = result('objects.patch.merge')
    expect(patched.data).toEqual({ a: '1', c: '3' })
    expect(patched.metadata.labels).toEqual({ merged: 'yes' })
    expect(managerEntry(patched, userAgentManager).fieldsV1).toEqual({
      'f:data': { 'f:c': {} },
      'f:metadata': { 'f:labels': { 'f:merged': {} } },
    })
    expect(managerEntry(patched, 'smoke-create').fieldsV1).toEqual({
      'f:data': { '.': {}, 'f:a': {} },
      'f:metadata': { 'f:labels': {} },
    })
  })

  it('strategic merge patch merges Service ports by their merge key, patch items first', () => {
    const service = result('objects.patch.strategic')
    expect(service.spec.ports).toEqual([
      { name: 'https', port: 443, protocol: 'TCP', targetPort: 443 },
      { name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 },
    ])
    expect(service.spec.selector).toEqual({ app: 'smoke' })
    expect(service.spec.type).toBe('ClusterIP')
  })

  it('server-side apply conflicts without force, takes ownership with force, and apply-creates', () => {
    const applied = result('objects.patch.serverSideApply')
    expect(applied.conflict.code).toBe(409)
    expect(applied.conflict.body).toEqual(
      failure(409, 'Conflict', 'Apply failed with 1 conflict: conflict with "smoke-create" using v1: .data.a', {
        causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "smoke-create" using v1', field: '.data.a' }],
      }),
    )

    const forced = applied.forced
    expect(forced.data).toEqual({ a: '10', c: '3', d: '4' })
    const managers = forced.metadata.managedFields.map((entry: Json) => [entry.manager, entry.operation])
    expect(managers[0]).toEqual(['smoke-apply', 'Apply'])
    expect(managers.slice(1).sort()).toEqual([
      ['kubernetes-client-javascript', 'Update'],
      ['smoke-create', 'Update'],
    ])
    expect(managerEntry(forced, 'smoke-apply')).toMatchObject({ apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:a': {}, 'f:d': {} } } })
    expect(managerEntry(forced, 'smoke-create').fieldsV1['f:data']).not.toHaveProperty('f:a')

    expect(applied.created.data).toEqual({ x: '1' })
    expect(applied.created.metadata.managedFields).toEqual([
      expect.objectContaining({ manager: 'smoke-apply', operation: 'Apply', fieldsV1: { 'f:data': { 'f:x': {} } } }),
    ])
  })

  it('delete answers a Success Status naming the resource; a later read is 404', () => {
    const deleted = result('objects.delete')
    const created = result('objects.patch.serverSideApply').created
    expect(deleted.status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name: 'applied', kind: 'configmaps', uid: created.metadata.uid },
    })
    expect(deleted.afterDelete.code).toBe(404)
    expect(deleted.afterDelete.body.reason).toBe('NotFound')
  })
})

describe('AppsV1Api', () => {
  it('a created Deployment reads back with the server-side defaults', () => {
    const deployment = result('apps.createNamespacedDeployment.defaults')
    expect(deployment.metadata.generation).toBe(1)
    expect(deployment.spec).toMatchObject({
      replicas: 1,
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
    })
    const pod = deployment.spec.template.spec
    expect(pod).toMatchObject({
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
      terminationGracePeriodSeconds: 30,
      securityContext: {},
    })
    expect(pod.containers).toEqual([
      {
        name: 'nginx',
        image: 'nginx:1.27',
        imagePullPolicy: 'IfNotPresent',
        ports: [{ containerPort: 80, protocol: 'TCP' }],
        resources: {},
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
      },
    ])
  })
})

describe('ApiextensionsV1Api and CustomObjectsApi', () => {
  it('a CRD becomes Established with its names accepted', () => {
    const crd = result('apiextensions.createCustomResourceDefinition')
    expect(crd.status.acceptedNames).toEqual({ kind: 'Widget', listKind: 'WidgetList', plural: 'widgets', singular: 'widget' })
    const conditions = Object.fromEntries(crd.status.conditions.map((c: Json) => [c.type, c.status]))
    expect(conditions).toMatchObject({ NamesAccepted: 'True', Established: 'True' })
    expect(crd.status.storedVersions).toEqual(['v1'])
    // client-node's model names the schema's `default` `_default`.
    expect(crd.storedSchema.properties.spec.properties.size).toEqual({ type: 'integer', _default: 3 })
  })

  it('custom objects are served, defaulted, pruned and validated', () => {
    const custom = result('customObjects.createNamespacedCustomObject')
    const group = custom.group
    expect(custom.emptyList).toMatchObject({ kind: 'WidgetList', apiVersion: `${group}/v1`, items: [] })
    expect(custom.created).toMatchObject({
      apiVersion: `${group}/v1`,
      kind: 'Widget',
      metadata: { name: 'w1', namespace: result('core.createNamespace').metadata.name, generation: 1 },
    })
    expect(custom.created.spec).toEqual({ color: 'blue', size: 3 })
    expect(custom.read).toEqual(custom.created)
    expect(custom.invalid.code).toBe(422)
    expect(custom.invalid.body).toEqual(
      failure(422, 'Invalid', `Widget.${group} "w2" is invalid: spec.size: Invalid value: "string": spec.size in body must be of type integer: "string"`, {
        name: 'w2',
        group,
        kind: 'Widget',
        causes: [
          {
            reason: 'FieldValueTypeInvalid',
            message: 'Invalid value: "string": spec.size in body must be of type integer: "string"',
            field: 'spec.size',
          },
        ],
      }),
    )
  })
})

describe('Watch and informer', () => {
  it('Watch from a resourceVersion delivers ADDED, MODIFIED, DELETED in order', () => {
    const watched = result('watch.events')
    expect(watched.doneErrorBeforeAbort).toBeNull()
    expect(watched.events.map((event: Json) => [event.type, event.name, event.data])).toEqual([
      ['ADDED', 'watched', { v: '1' }],
      ['MODIFIED', 'watched', { v: '2' }],
      ['DELETED', 'watched', { v: '2' }],
    ])
    const versions = [watched.startResourceVersion, ...watched.events.map((event: Json) => event.resourceVersion)].map(Number)
    expect(versions).toEqual([...versions].sort((a, b) => a - b))
    expect(new Set(versions).size).toBe(versions.length)
  })

  it('makeInformer lists, then sees an add and an update through its watch', () => {
    const informed = result('informer.addAndUpdate')
    expect(informed.errors).toEqual([])
    expect(informed.seen).toEqual([
      { verb: 'add', name: 'before-start', data: { v: '0' } },
      { verb: 'add', name: 'informed', data: { v: '1' } },
      { verb: 'update', name: 'informed', data: { v: '2' } },
    ])
    expect(informed.cachedData).toEqual({ v: '2' })
    expect(informed.cachedNames).toEqual(['before-start', 'informed'])
  })
})
