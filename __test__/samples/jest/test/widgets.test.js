const { DynamicClient, NotFoundError } = require('klite')
const { createNamespace, kubeconfig } = require('klite/jest')

describe('a controller project on one shared EnvTest', () => {
  test('workers reach the control plane through KUBECONFIG', async () => {
    expect(kubeconfig()).toContain('current-context: envtest')
    const client = new DynamicClient()
    const namespace = await client.resource('v1', 'Namespace').get('default')
    expect(namespace.metadata.name).toBe('default')
  })

  test('objects live in a namespace of their own', async () => {
    const client = new DynamicClient()
    const namespace = await createNamespace(client, 'jest')
    const widgets = client.resource('samples.klite.dev/v1', 'Widget')
    await widgets.create({ apiVersion: 'samples.klite.dev/v1', kind: 'Widget', metadata: { name: 'w', namespace }, spec: { size: 3 } })
    const list = await widgets.list({ namespace })
    expect(list.items.map((w) => w.metadata.name)).toEqual(['w'])
    await widgets.delete('w', { namespace })
    await expect(widgets.get('w', { namespace })).rejects.toBeInstanceOf(NotFoundError)
  })
})
