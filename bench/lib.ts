/** Small helpers shared by the benchmarks: percentiles and a closed-loop load generator. */
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

export function summarize(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p99: percentile(s, 99), max: s[s.length - 1] ?? Number.NaN };
}

/** Runs `fn` from `concurrency` loops for `durationMs`; returns per-call latencies (ms) and errors. */
export async function closedLoop(concurrency: number, durationMs: number, fn: (i: number) => Promise<void>) {
  const latencies: number[] = [];
  let errors = 0;
  const until = performance.now() + durationMs;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      let i = 0;
      while (performance.now() < until) {
        const t0 = performance.now();
        try {
          await fn(worker * 1_000_000 + i++);
          latencies.push(performance.now() - t0);
        } catch {
          errors++;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return { latencies, errors, elapsedSeconds: elapsed, perSecond: latencies.length / elapsed };
}

export const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
