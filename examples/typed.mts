// A typed example: checked by `tsc --noEmit -p examples` (Node16 module resolution, as users
// of the published package have it).
import {
  ConflictError,
  DynamicClient,
  type KubernetesList,
  type KubernetesObject,
  NotFoundError,
  type WatchEvent,
} from 'klite'

interface ConfigMap extends KubernetesObject {
  data?: Record<string, string>
}

export async function example(kubeconfig: string): Promise<void> {
  const client = new DynamicClient({ kubeconfig, timeout: '30s', qps: 50, burst: 100 })
  const configMaps = client.resource('v1', 'ConfigMap')

  const created = (await configMaps.create(
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { color: 'blue' } },
    { namespace: 'default', fieldManager: 'example' },
  )) as ConfigMap
  console.log(created.metadata?.resourceVersion, created.data?.color)

  try {
    await configMaps.update({ ...created, data: { color: 'green' } })
  } catch (error) {
    if (error instanceof ConflictError) console.log('someone else changed it:', error.status?.message)
    else throw error
  }

  await configMaps.patch('settings', 'merge', { data: { size: 'L' } }, { namespace: 'default' })
  await configMaps.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' } }, { force: true })

  const list: KubernetesList = await configMaps.list({ namespace: 'default', labelSelector: 'app=web', limit: 100 })
  for (const item of list.items) console.log(item.kind, item.metadata?.name)
  for await (const item of configMaps.iterate({ namespace: 'default' })) console.log(item.metadata?.name)

  const controller = new AbortController()
  const watch = configMaps.watch({ namespace: 'default', resourceVersion: list.metadata.resourceVersion, signal: controller.signal })
  for await (const event of watch) {
    const typed: WatchEvent = event
    console.log(typed.type, typed.object.metadata?.name)
    if (typed.type === 'DELETED') break
  }
  watch.stop()

  try {
    await client.resource('example.com/v1', 'Widget').get('w')
  } catch (error) {
    if (error instanceof NotFoundError) console.log(error.code, error.reason, error.details?.kind)
  }
  const resource = await client.resources.resolve('apps/v1', 'Deployment')
  console.log(resource.plural, resource.namespaced, resource.verbs.join(','))
}
