import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Switchyard split by role the way docker-compose.yml runs it: `node --import tsx src/main.ts
 * --services=api` and `--services=worker` child processes on one database. Used by
 * test/ops/scaleOut.test.ts and bench/scaleout.ts (no vitest here).
 */
export interface RoleProcess {
  child: ChildProcess;
  /** The API's base URL (api role). */
  url?: string;
  /** GET /metrics of a worker-only process (METRICS_PORT). */
  metricsUrl?: string;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export const METRICS_TOKEN = 'cluster-metrics-token';
const root = path.resolve(import.meta.dirname, '../..');

export async function spawnRole(
  services: string,
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<RoleProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', `--services=${services}`], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      DATABASE_URL: databaseUrl,
      JWT_SECRET: 'test-jwt-secret-that-is-long-enough-0123456789',
      ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
      // Like the in-process test app: the built-in Mock answers at once (start-up writes its pace).
      MOCK_TOKENS_PER_SECOND: '0',
      DATA_DIR: mkdtempSync(path.join(tmpdir(), 'sy-role-')),
      LOG_LEVEL: 'warn',
      PORT: '0',
      HOST: '127.0.0.1',
      METRICS_PORT: '0',
      METRICS_TOKEN,
      RATE_LIMIT_PER_MINUTE: '1000000',
      AUTH_RATE_LIMIT_PER_MINUTE: '1000000',
      // Four processes and the rest of the suite share one server (PostgreSQL 15's max_connections
      // is 100 in CI): 5 + 3 queue + 3 LISTEN connections each (test/helpers/oneAtATime.ts).
      DATABASE_POOL_MAX: '5',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (b) => (out += String(b)));
  child.stderr!.on('data', (b) => (out += String(b)));
  const exited = once(child, 'exit');
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${services} did not start:\n${out}`)), 180_000);
    child.stdout!.on('data', () => {
      // The whole banner (it ends with a blank line), not just its first chunk.
      if (/Switchyard is running[\s\S]*\n\n/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${services} exited before it was ready:\n${out}`));
    });
  });
  return {
    child,
    url: /API:\s+(http:\/\/\S+)\/api\b/.exec(out)?.[1],
    metricsUrl: /metrics:\s+(http:\/\/\S+\/metrics)/.exec(out)?.[1],
    output: () => out,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await exited;
    },
  };
}

/** `apis` API processes and `workers` worker processes on one database, started together. */
export async function startCluster(
  databaseUrl: string,
  opts: { apis: number; workers: number; env?: Record<string, string> },
) {
  const started = await Promise.allSettled([
    ...Array.from({ length: opts.apis }, () => spawnRole('api', databaseUrl, opts.env)),
    ...Array.from({ length: opts.workers }, () => spawnRole('worker', databaseUrl, opts.env)),
  ]);
  const procs = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const stop = () => Promise.all(procs.map((p) => p.stop())).then(() => undefined);
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await stop();
    throw (failed as PromiseRejectedResult).reason;
  }
  return { apis: procs.slice(0, opts.apis), workers: procs.slice(opts.apis), stop };
}
