import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from '../src/logger.js';
import { startEmbeddedPostgres } from '../src/models/embedded.js';

/** Small helpers shared by the benchmarks: percentiles, load generators, scratch databases. */
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

/** Runs `fn(0..count-1)` with at most `concurrency` calls in flight; results in call order. */
export async function pool<T>(
  count: number,
  concurrency: number,
  fn: (i: number) => Promise<T>,
): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        out[i] = await fn(i);
      }
    }),
  );
  return out;
}

/** The PostgreSQL server a benchmark runs on. */
export interface BenchServer {
  /** A superuser URL: scratch databases are created (and dropped) through it. */
  adminUrl: string;
  /** The embedded server's data directory; undefined with DATABASE_URL. */
  dataDir?: string;
  /** For the benchmark's header: `embedded PostgreSQL` or `PostgreSQL at DATABASE_URL`. */
  label: string;
  /** Stops the embedded server and removes its directory (nothing to do with DATABASE_URL). */
  stop(): Promise<void>;
}

/** DATABASE_URL's server when it is set; otherwise an embedded PostgreSQL in a temporary directory. */
export async function startBenchServer(logger: Logger): Promise<BenchServer> {
  const url = process.env.DATABASE_URL;
  if (url) return { adminUrl: url, label: 'PostgreSQL at DATABASE_URL', stop: async () => {} };
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sy-bench-pg-'));
  chmodSync(dataDir, 0o755); // the embedded server runs as "postgres" when we are root
  const embedded = await startEmbeddedPostgres({ dataDir, logger });
  return {
    adminUrl: embedded.url,
    dataDir,
    label: 'embedded PostgreSQL',
    async stop() {
      await embedded.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A scratch database on the server at `adminUrl`, dropped with `drop()`. */
export async function createDatabase(
  adminUrl: string,
  prefix: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** Runs `fn` `n` times, one after another; returns each call's duration (ms). */
export async function time(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

/** CPU time (user + system, ms) the processes have used so far, from /proc (Linux; 0 elsewhere). */
export function cpuMs(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch {}
  }
  return ticks * 10;
}

/** The embedded PostgreSQL's postmaster and its children (the backends doing the queries); [] with DATABASE_URL. */
export function postgresPids(server: Pick<BenchServer, 'dataDir'>): number[] {
  if (!server.dataDir) return [];
  try {
    const master = Number(
      readFileSync(path.join(server.dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0],
    );
    const out = [master];
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const st = readFileSync(`/proc/${d}/stat`, 'utf8');
        if (Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]) === master) out.push(Number(d));
      } catch {}
    }
    return out;
  } catch {
    return [];
  }
}

/** CPU used by this process and by the embedded PostgreSQL between `start()` and `stop()`. */
export function cpuMeter(server: Pick<BenchServer, 'dataDir'>) {
  const read = () => ({ self: cpuMs([process.pid]), db: cpuMs(postgresPids(server)) });
  const t0 = read();
  return {
    stop() {
      const t1 = read();
      return { selfMs: t1.self - t0.self, dbMs: t1.db - t0.db };
    },
  };
}
