// Order statistics for the samples of a benchmark.

/** The value at quantile `q` (0..1) of `values`, nearest-rank. */
export function quantile(values, q) {
  if (values.length === 0) return NaN
  const sorted = Float64Array.from(values).sort()
  const rank = Math.ceil(q * sorted.length) - 1
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]
}

/** The median of `values`. */
export const median = (values) => quantile(values, 0.5)

/** Milliseconds since `start` (a `performance.now()` reading). */
export const since = (start) => performance.now() - start
