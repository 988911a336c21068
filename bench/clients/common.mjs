// Shared by the client adapters of the benchmark (klite.mjs, client-node.mjs, raw-h1.mjs, raw-h2.mjs).
// Every adapter exposes, for ConfigMaps in a namespace:
//   get(ns, name) create(ns, obj) delete(ns, name) list(ns) apply(ns, obj)
//   watch(ns, resourceVersion, count) → resolves with the number of events once `count`
//   events arrived (then closes the stream)
//   close()
// Each adapter lives in its own module so that a process measuring the memory of one client
// loads only that client.

/** The field manager every client applies with. */
export const FIELD_MANAGER = 'bench'

/** The collection path of ConfigMaps in `ns`. */
export const configMapsPath = (ns) => `/api/v1/namespaces/${encodeURIComponent(ns)}/configmaps`
