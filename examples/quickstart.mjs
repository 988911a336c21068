// `npm run quickstart`: start an embedded control plane, create a namespace and a ConfigMap,
// watch the ConfigMap change, and print what happened.
import { DynamicClient, EnvTest } from 'klite'

const env = new EnvTest({ mode: 'embedded' })
const kubeconfig = await env.start()
console.log(`control plane up at ${env.server} (${env.mode})`)

try {
  const client = new DynamicClient({ kubeconfig })
  const namespaces = client.resource('v1', 'Namespace')
  const configMaps = client.resource('v1', 'ConfigMap')

  const ns = await namespaces.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'quickstart' } })
  console.log(`created namespace ${ns.metadata.name}`)

  const cm = await configMaps.create(
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'greeting' }, data: { message: 'hello' } },
    { namespace: 'quickstart' },
  )
  console.log(`created configmap ${cm.metadata.name} (resourceVersion ${cm.metadata.resourceVersion})`)

  const watch = configMaps.watch({ namespace: 'quickstart', resourceVersion: cm.metadata.resourceVersion })
  const changes = (async () => {
    for await (const event of watch) {
      console.log(`watch: ${event.type} ${event.object.metadata.name} message=${event.object.data?.message ?? '-'}`)
      if (event.type === 'DELETED') break
    }
  })()

  await configMaps.patch('greeting', 'merge', { data: { message: 'hello, klite' } }, { namespace: 'quickstart' })
  await configMaps.apply(
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'greeting' }, data: { message: 'applied' } },
    { namespace: 'quickstart', force: true },
  )
  await configMaps.delete('greeting', { namespace: 'quickstart' })
  await changes
  console.log('done')
} finally {
  await env.stop()
}
