// The HTTP/1.1 floor: node:https with one keep-alive agent (a connection per concurrent
// request, reused), JSON.stringify of request bodies and JSON.parse of responses, nothing else.
// klite (kube-rs over hyper) speaks HTTP/1.1, as client-go does by default for most requests
// with a pool; this is the like-for-like floor for it.

import https from 'node:https'

import { configMapsPath, FIELD_MANAGER } from './common.mjs'

/**
 * `connection`: `{ server, ca, cert, key }` (PEM buffers), e.g. from `connectionOf(kubeconfig)`.
 * `maxSockets`: at most this many connections (the benchmark's concurrency). Without a cap, Node's
 * agent opens a new connection whenever a request is issued in the instant between a response's
 * end and its socket's return to the free list, i.e. constantly under concurrent load.
 */
export function rawH1Client({ server, ca, cert, key }, { maxSockets = 64 } = {}) {
  const agent = new https.Agent({ keepAlive: true, maxSockets, ca, cert, key })
  let connectionsOpened = 0
  const createConnection = agent.createConnection
  agent.createConnection = function countedCreateConnection(...args) {
    connectionsOpened++
    return createConnection.apply(this, args)
  }
  const base = new URL(server)

  function send(method, path, body, contentType) {
    return new Promise((resolve, reject) => {
      const headers = { accept: 'application/json' }
      if (body !== undefined) {
        headers['content-type'] = contentType
        headers['content-length'] = Buffer.byteLength(body)
      }
      const request = https.request(
        { agent, method, hostname: base.hostname, port: base.port, path, headers },
        (response) => resolve(response),
      )
      request.on('error', reject)
      request.end(body)
    })
  }

  async function request(method, path, body, contentType) {
    const response = await send(method, path, body, contentType)
    const chunks = []
    for await (const chunk of response) chunks.push(chunk)
    const text = Buffer.concat(chunks).toString('utf8')
    if (response.statusCode < 200 || response.statusCode > 299) {
      throw new Error(`raw-h1: ${method} ${path}: ${response.statusCode} ${text}`)
    }
    return JSON.parse(text)
  }

  return {
    name: 'raw-h1',
    get connectionsOpened() {
      return connectionsOpened
    },
    get: (ns, name) => request('GET', `${configMapsPath(ns)}/${encodeURIComponent(name)}`),
    create: (ns, obj) => request('POST', configMapsPath(ns), JSON.stringify(obj), 'application/json'),
    delete: (ns, name) => request('DELETE', `${configMapsPath(ns)}/${encodeURIComponent(name)}`),
    list: (ns) => request('GET', configMapsPath(ns)),
    apply: (ns, obj) =>
      request(
        'PATCH',
        `${configMapsPath(ns)}/${encodeURIComponent(obj.metadata.name)}?fieldManager=${FIELD_MANAGER}&force=true`,
        JSON.stringify(obj),
        'application/apply-patch+yaml',
      ),
    async watch(ns, resourceVersion, count) {
      const path = `${configMapsPath(ns)}?watch=true&resourceVersion=${encodeURIComponent(resourceVersion)}`
      const response = await send('GET', path)
      if (response.statusCode !== 200) {
        response.resume()
        throw new Error(`raw-h1: watch ${path}: ${response.statusCode}`)
      }
      response.setEncoding('utf8')
      let events = 0
      let pending = ''
      try {
        for await (const chunk of response) {
          pending += chunk
          let start = 0
          let newline
          while ((newline = pending.indexOf('\n', start)) !== -1) {
            const event = JSON.parse(pending.slice(start, newline))
            start = newline + 1
            if (event.type === 'ERROR') throw new Error(`raw-h1: watch error ${JSON.stringify(event.object)}`)
            if (++events === count) return events
          }
          pending = pending.slice(start)
        }
      } finally {
        response.destroy()
      }
      throw new Error(`raw-h1: watch ended after ${events} events`)
    },
    close: () => agent.destroy(),
  }
}
