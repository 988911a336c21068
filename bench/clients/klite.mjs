// klite: DynamicClient / DynamicResource / Watch from this checkout (lib/index.js; the addon
// comes from NAPI_RS_NATIVE_LIBRARY_PATH when set).

import { createRequire } from 'node:module'

import { FIELD_MANAGER } from './common.mjs'

const require = createRequire(import.meta.url)

/** Loads klite from this checkout (the addon path comes from NAPI_RS_NATIVE_LIBRARY_PATH). */
export function loadKlite() {
  return require('../../lib/index.js')
}

/** klite's DynamicClient. `klite` is the loaded package (lib/index.js). */
export function kliteClient(klite, kubeconfig) {
  const client = new klite.DynamicClient({ kubeconfig })
  const configMaps = client.resource('v1', 'ConfigMap')
  return {
    name: 'klite',
    get: (ns, name) => configMaps.get(name, { namespace: ns }),
    create: (ns, obj) => configMaps.create(obj, { namespace: ns }),
    delete: (ns, name) => configMaps.delete(name, { namespace: ns }),
    list: (ns) => configMaps.list({ namespace: ns }),
    apply: (ns, obj) => configMaps.apply(obj, { namespace: ns, fieldManager: FIELD_MANAGER, force: true }),
    async watch(ns, resourceVersion, count) {
      let events = 0
      for await (const event of configMaps.watch({ namespace: ns, resourceVersion })) {
        if (event.object === undefined) throw new Error('klite: watch event without an object')
        if (++events === count) break
      }
      return events
    },
    close() {},
  }
}
