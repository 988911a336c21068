// Child process of bench.mjs: loads one client (or none: `bare`), makes 100 gets through it,
// collects garbage, and prints its resident set size as JSON. Only the measured client's
// modules are loaded. Run with --expose-gc.
//
//   KLITE_BENCH_KUBECONFIG=<yaml> KLITE_BENCH_CONNECTION=<json> \
//     node --expose-gc bench/rss.mjs bare|klite|client-node|raw-h1|raw-h2
//
// KLITE_BENCH_CONNECTION (for `raw-h1`/`raw-h2`): { server, ca, cert, key }, the PEMs base64-encoded.

import { setTimeout as sleep } from 'node:timers/promises'

const which = process.argv[2]
const kubeconfig = process.env.KLITE_BENCH_KUBECONFIG

async function makeClient() {
  switch (which) {
    case 'bare':
      return undefined
    case 'klite': {
      const { kliteClient, loadKlite } = await import('./clients/klite.mjs')
      return kliteClient(loadKlite(), kubeconfig)
    }
    case 'client-node': {
      const { clientNodeClient } = await import('./clients/client-node.mjs')
      return clientNodeClient(kubeconfig)
    }
    case 'raw-h1':
    case 'raw-h2': {
      const { server, ca, cert, key } = JSON.parse(process.env.KLITE_BENCH_CONNECTION)
      const decode = (text) => Buffer.from(text, 'base64')
      const connection = { server, ca: decode(ca), cert: decode(cert), key: decode(key) }
      if (which === 'raw-h1') return (await import('./clients/raw-h1.mjs')).rawH1Client(connection)
      return (await import('./clients/raw-h2.mjs')).rawH2Client(connection)
    }
    default:
      throw new Error(`unknown client ${which}: use bare, klite, client-node, raw-h1 or raw-h2`)
  }
}

const client = await makeClient()
if (client) {
  for (let i = 0; i < 100; i++) await client.get('bench-get', 'target')
}
for (let i = 0; i < 3; i++) {
  global.gc()
  await sleep(100)
}
process.stdout.write(JSON.stringify({ which, rssBytes: process.memoryUsage.rss() }) + '\n')
if (client) client.close()
process.exit(0)
