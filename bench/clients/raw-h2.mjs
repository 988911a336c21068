// The HTTP/2 floor: one bare node:http2 session with the admin client certificate, JSON.stringify of
// request bodies and JSON.parse of responses, nothing else.

import http2 from 'node:http2'

import { configMapsPath, FIELD_MANAGER } from './common.mjs'

/**
 * The HTTP/2 floor: a bare HTTP/2 session; JSON in and out, no client logic.
 * `connection`: `{ server, ca, cert, key }` (PEM buffers), e.g. from `connectionOf(kubeconfig)`.
 */
export function rawH2Client({ server, ca, cert, key }) {
  const session = http2.connect(server, { ca, cert, key })
  session.on('error', () => {}) // surfaced per request

  function request(method, path, body, contentType) {
    return new Promise((resolve, reject) => {
      const headers = { ':method': method, ':path': path, accept: 'application/json' }
      if (body !== undefined) headers['content-type'] = contentType
      const stream = session.request(headers, { endStream: body === undefined })
      let status = 0
      const chunks = []
      stream.on('response', (response) => (status = response[':status']))
      stream.on('data', (chunk) => chunks.push(chunk))
      stream.on('error', reject)
      stream.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        if (status < 200 || status > 299) return reject(new Error(`raw-h2: ${method} ${path}: ${status} ${text}`))
        resolve(JSON.parse(text))
      })
      if (body !== undefined) stream.end(body)
    })
  }

  return {
    name: 'raw-h2',
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
    watch(ns, resourceVersion, count) {
      return new Promise((resolve, reject) => {
        const path = `${configMapsPath(ns)}?watch=true&resourceVersion=${encodeURIComponent(resourceVersion)}`
        const stream = session.request({ ':method': 'GET', ':path': path, accept: 'application/json' })
        stream.setEncoding('utf8')
        let events = 0
        let pending = ''
        let finished = false
        const finish = (error) => {
          if (finished) return
          finished = true
          stream.close(http2.constants.NGHTTP2_CANCEL)
          if (error) reject(error)
          else resolve(events)
        }
        stream.on('response', (response) => {
          if (response[':status'] !== 200) finish(new Error(`raw-h2: watch ${path}: ${response[':status']}`))
        })
        stream.on('data', (chunk) => {
          if (finished) return
          pending += chunk
          let start = 0
          let newline
          while ((newline = pending.indexOf('\n', start)) !== -1) {
            const event = JSON.parse(pending.slice(start, newline))
            start = newline + 1
            if (event.type === 'ERROR') return finish(new Error(`raw-h2: watch error ${JSON.stringify(event.object)}`))
            if (++events === count) return finish()
          }
          pending = pending.slice(start)
        })
        stream.on('error', finish)
        stream.on('end', () => finish(events < count ? new Error(`raw-h2: watch ended after ${events} events`) : undefined))
      })
    },
    close: () => session.close(),
  }
}
