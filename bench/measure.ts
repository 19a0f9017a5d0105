/**
 * Timing helpers for the benchmarks: every call timed on its own (so p99 means something), figures
 * in microseconds.
 */

/** Median, 99th percentile and mean of per-call times, in microseconds. */
export interface Summary {
  calls: number;
  median: number;
  p99: number;
  mean: number;
}

/** Times `fn` once per input, after one untimed warm-up pass over `warmup` inputs. */
export function timeEach<T>(inputs: readonly T[], fn: (input: T) => unknown, warmup: readonly T[] = inputs.slice(0, 2000)): Summary {
  for (const input of warmup) fn(input);
  const samples = new Float64Array(inputs.length);
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i]!;
    const started = process.hrtime.bigint();
    fn(input);
    samples[i] = Number(process.hrtime.bigint() - started) / 1000;
  }
  return summarize(samples);
}

export function summarize(samples: Float64Array): Summary {
  const sorted = samples.slice().sort();
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
  let total = 0;
  for (const s of sorted) total += s;
  return { calls: sorted.length, median: at(0.5), p99: at(0.99), mean: sorted.length ? total / sorted.length : 0 };
}
