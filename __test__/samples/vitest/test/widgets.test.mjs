import { describe, expect, inject, it } from 'vitest'
import { DynamicClient, InvalidError } from 'klite'
import { createNamespace } from 'klite/vitest'

describe('a controller project on one shared EnvTest', () => {
  it('gets the kubeconfig through inject and KUBECONFIG', () => {
    const { kubeconfig, kubeconfigPath, server } = inject('klite')
    expect(kubeconfig).toContain('current-context: envtest')
    expect(process.env.KUBECONFIG).toBe(kubeconfigPath)
    expect(new DynamicClient().server).toBe(server)
  })

  it('creates objects in its own namespace', async () => {
    const client = new DynamicClient({ kubeconfig: inject('klite').kubeconfig })
    const namespace = await createNamespace(client, 'vitest')
    const configMaps = client.resource('v1', 'ConfigMap')
    await configMaps.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace }, data: { a: '1' } })
    const got = await configMaps.get('settings', { namespace })
    expect(got.data).toEqual({ a: '1' })
  })

  it('uses the CRDs installed by the global setup', async () => {
    const client = new DynamicClient()
    const namespace = await createNamespace(client, 'vitest')
    const widgets = client.resource('samples.klite.dev/v1', 'Widget')
    const created = await widgets.create({ apiVersion: 'samples.klite.dev/v1', kind: 'Widget', metadata: { name: 'w', namespace }, spec: { size: 2 } })
    expect(created.spec.size).toBe(2)
    await expect(
      widgets.create({ apiVersion: 'samples.klite.dev/v1', kind: 'Widget', metadata: { name: 'bad', namespace }, spec: { size: 0 } }),
    ).rejects.toBeInstanceOf(InvalidError)
  })
})
