// @kubernetes/client-node: KubernetesObjectApi and Watch.
//
// client-node 2.x builds a new undici Agent for every request (KubeConfig.applySecurityAuthentication
// → createDispatcher), so every request opens a new TLS connection, which then idles until
// undici's keep-alive timeout. `settle()` closes those idle connections after a sample, outside
// the timed section, so that they do not slow down the next client's sample (this spares
// client-node the cost of closing them; it does not help klite). `connectionsOpened` counts them.

import diagnostics from 'node:diagnostics_channel'

import { KubeConfig, KubernetesObjectApi, PatchStrategy, Watch } from '@kubernetes/client-node'

import { configMapsPath, FIELD_MANAGER } from './common.mjs'

/** @kubernetes/client-node's KubernetesObjectApi and Watch. */
export function clientNodeClient(kubeconfig) {
  const kc = new KubeConfig()
  kc.loadFromString(kubeconfig)
  const api = KubernetesObjectApi.makeApiClient(kc)
  const header = (ns, name) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns } })
  const withNamespace = (ns, obj) => ({ ...obj, metadata: { ...obj.metadata, namespace: ns } })
  const sockets = new Set()
  let connectionsOpened = 0
  diagnostics.subscribe('undici:client:connected', ({ socket }) => {
    connectionsOpened++
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  return {
    name: 'client-node',
    get connectionsOpened() {
      return connectionsOpened
    },
    settle() {
      for (const socket of sockets) socket.destroy()
      sockets.clear()
    },
    get: (ns, name) => api.read(header(ns, name)),
    create: (ns, obj) => api.create(withNamespace(ns, obj)),
    delete: (ns, name) => api.delete(header(ns, name)),
    list: (ns) => api.list('v1', 'ConfigMap', ns),
    apply: (ns, obj) =>
      api.patch(withNamespace(ns, obj), undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply),
    watch(ns, resourceVersion, count) {
      return new Promise((resolve, reject) => {
        let events = 0
        let controller
        let finished = false
        const finish = (error) => {
          if (finished) return
          finished = true
          if (controller) controller.abort()
          if (error) reject(error)
          else if (events < count) reject(new Error(`client-node: watch ended after ${events} of ${count} events`))
          else resolve(events)
        }
        new Watch(kc)
          .watch(
            configMapsPath(ns),
            { resourceVersion },
            (type, object) => {
              if (finished) return
              if (object === undefined) return finish(new Error(`client-node: watch event ${type} without an object`))
              if (++events === count) finish()
            },
            (error) => finish(error && error.name !== 'AbortError' ? error : undefined),
          )
          .then((ctl) => {
            controller = ctl
            if (finished) ctl.abort()
          }, finish)
      })
    },
    close() {},
  }
}

/** Connection material of the kubeconfig's current context, read with client-node's parser. */
export function connectionOf(kubeconfig) {
  const kc = new KubeConfig()
  kc.loadFromString(kubeconfig)
  const cluster = kc.getCurrentCluster()
  const user = kc.getCurrentUser()
  const decode = (data) => (data ? Buffer.from(data, 'base64') : undefined)
  return { server: cluster.server, ca: decode(cluster.caData), cert: decode(user.certData), key: decode(user.keyData) }
}
