// Tests of what RESULTS.md claims: the statistics, the direction of every ratio and verdict,
// and the choice of the floor. Run with `node --test bench/report.test.mjs` (no server, no addon needed).

import assert from 'node:assert/strict'
import { test } from 'node:test'

import { floorOf, formatNumber, renderResults, verdict } from './report.mjs'
import { median, quantile } from './stats.mjs'

test('quantile is nearest-rank over unsorted samples', () => {
  const values = Array.from({ length: 100 }, (_, i) => 100 - i) // 100 … 1
  assert.equal(quantile(values, 0.5), 50)
  assert.equal(quantile(values, 0.99), 99)
  assert.equal(quantile(values, 1), 100)
  assert.equal(quantile([7], 0.99), 7)
  assert.equal(median([3, 1, 2]), 2)
  assert.ok(Number.isNaN(quantile([], 0.5)))
})

test('verdict reads a ratio in the direction of its metric', () => {
  // ops/s: klite twice the peer's is ahead; half is behind.
  assert.equal(verdict(2, 'higher'), '**ahead**, 2.00× faster')
  assert.equal(verdict(0.5, 'higher'), '**behind**, 2.00× slower')
  // latency: klite at half the peer's is ahead; twice is behind.
  assert.equal(verdict(0.5, 'lower'), '**ahead**, 2.00× faster')
  assert.equal(verdict(2, 'lower'), '**behind**, 2.00× slower')
  assert.equal(verdict(1.02, 'lower'), 'even')
  assert.equal(verdict(0.25, 'lower', ['smaller', 'larger']), '**ahead**, 4.00× smaller')
  assert.equal(verdict(NaN, 'lower'), 'n/a')
})

test('the floor is the better bare client for the metric', () => {
  const values = { 'raw-h1': 300, 'raw-h2': 400 }
  assert.deepEqual(floorOf((client) => values[client], 'lower'), { value: 300, label: 'h1' })
  assert.deepEqual(floorOf((client) => values[client], 'higher'), { value: 400, label: 'h2' })
  const missing = { 'raw-h1': NaN, 'raw-h2': 5 }
  assert.deepEqual(floorOf((client) => missing[client], 'lower'), { value: 5, label: 'h2' })
})

test('numbers keep three significant figures or so', () => {
  assert.equal(formatNumber(12345.6), '12,346')
  assert.equal(formatNumber(12.34), '12.3')
  assert.equal(formatNumber(1.234), '1.23')
  assert.equal(formatNumber(Infinity), 'n/a')
})

function sampleResults(quick) {
  const clientValues = (klite, clientNode, h1, h2) => ({
    klite,
    'client-node': clientNode,
    'raw-h1': h1,
    'raw-h2': h2,
  })
  const cpu = { threadUs: 10, processUs: 20 }
  return {
    quick,
    sizes: { rounds: 5 },
    machine: {
      date: '2026-01-01T00:00:00.000Z',
      commit: 'abc1234',
      addon: 'release build',
      cpus: 2,
      cpuModel: 'Test CPU',
      memoryGiB: 8,
      os: 'Test OS',
      loadAverage: '1 1 1',
      loadAverageEnd: '1 1 1',
      node: 'v22.0.0',
      clientNode: '2.0.1',
      rustc: 'rustc 1.95.0',
      etcd: 'etcd 3.4.23',
      server: 'embedded EnvTest',
    },
    clients: {
      get: {
        title: 'sequential get',
        metrics: { p50: { label: 'p50 µs', better: 'lower', latency: 0.5 } },
        values: {
          klite: { p50: 200 },
          'client-node': { p50: 800 },
          'raw-h1': { p50: 400 },
          'raw-h2': { p50: 250 },
        },
        cpu: clientValues(cpu, cpu, cpu, cpu),
        cpuPer: 'request',
        requests: 100,
        connectionsOpened: clientValues(0, 100, 0, 0),
      },
      churn: {
        title: 'churn',
        metrics: {
          opsPerSecond: { label: 'ops/s', better: 'higher' },
          createPerSecond: { label: 'creates/s', better: 'higher', detail: true },
        },
        values: {
          klite: { opsPerSecond: 500, createPerSecond: 1 },
          'client-node': { opsPerSecond: 1000, createPerSecond: 1 },
          'raw-h1': { opsPerSecond: 2000, createPerSecond: 1 },
          'raw-h2': { opsPerSecond: 1000, createPerSecond: 1 },
        },
        cpu: clientValues(cpu, cpu, cpu, cpu),
        cpuPer: 'request',
        requests: 10,
        connectionsOpened: clientValues(0, 0, 0, 0),
      },
    },
    memory: { bare: 40, klite: 50, 'client-node': 140, 'raw-h1': 60, 'raw-h2': 45 },
    envtest: { embedded: { startMs: 5, stopMs: 3, iterations: 10 } },
  }
}

test('RESULTS.md ratios: klite ÷ client-node and ÷ the better bare client, with verdicts', () => {
  const markdown = renderResults(sampleResults(false))
  assert.match(markdown, /\| sequential get \| p50 µs \(lower is better\) \| 0\.25 \| 0\.80 \(h2\) \| 3\.20 \(h2\) \| \*\*ahead\*\*, 4\.00× faster \|/)
  assert.match(markdown, /\| churn \| ops\/s \(higher is better\) \| 0\.50 \| 0\.25 \(h1\) \| 0\.50 \(h1\) \| \*\*behind\*\*, 2\.00× slower \|/)
  // Detail metrics appear in the absolute table only.
  assert.doesNotMatch(markdown, /creates\/s \(higher is better\)/)
  assert.match(markdown, /\| churn \| creates\/s \| 1\.00 \| 1\.00 \| 1\.00 \| 1\.00 \|/)
  // RSS: total and added over bare Node (klite 10 MB, client-node 100 MB, floor h2 at 5 MB).
  assert.match(markdown, /\| RSS \(lower is better\) \| 0\.36 \| 1\.11 \(h2\) \| 3\.11 \(h2\) \| \*\*ahead\*\*, 2\.80× smaller \|/)
  assert.match(markdown, /\| RSS added to a bare Node \(lower is better\) \| 0\.10 \| 2\.00 \(h2\) \| 20\.00 \(h2\) \| \*\*ahead\*\*, 10\.00× smaller \|/)
  assert.match(markdown, /\| sequential get \| 100 \| 100 \|/)
  assert.match(markdown, /binaries .* \| not measured/)
  assert.doesNotMatch(markdown, /QUICK run/)
})

test('a quick run says it is not results', () => {
  assert.match(renderResults(sampleResults(true)), /QUICK run/)
})
