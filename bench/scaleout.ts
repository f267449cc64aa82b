/**
 * `npm run bench:scaleout`: the same load through 1 process (api + worker roles, `npm start`'s
 * default minus bots) and through docker-compose.yml's shape, 2 API + 2 worker processes
 * (child processes on one database), in the same run. Figures only; nothing here passes or fails.
 *
 *   intake       tasks accepted per second (POST /api/tasks, HTTP concurrency C, spread over the APIs)
 *   end to end   tasks completed per second: first task created → last task completed (database clock)
 *
 * BENCH_TASKS (default 400), BENCH_CONCURRENCY (default 32) and BENCH_MOCK_LATENCY_MS (default 1000:
 * the mock provider's answer time; real AI calls take seconds, so workers wait on I/O) change the
 * load. DATABASE_URL points it at a server; otherwise an embedded PostgreSQL runs in a temporary directory.
 */
import { availableParallelism, loadavg } from 'node:os';
import pg from 'pg';
import { createLogger } from '../src/logger.js';
import { type RoleProcess, spawnRole, startCluster } from '../test/ops/cluster.js';
import { fmt, pool, createDatabase as scratchDatabase, startBenchServer } from './lib.js';

const N = Number(process.env.BENCH_TASKS ?? 400);
const C = Number(process.env.BENCH_CONCURRENCY ?? 32);
const LATENCY = Number(process.env.BENCH_MOCK_LATENCY_MS ?? 1000);
const logger = createLogger({ level: 'error' });

interface Figures {
  intake: number;
  endToEnd: number;
  ranTwice: number;
}

async function post(url: string, path: string, body: unknown, token?: string) {
  const r = await fetch(url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  if (r.status !== 201) throw new Error(`POST ${path}: ${r.status} ${await r.text()}`);
  return r.json() as Promise<Record<string, any>>;
}

/** Pushes N tasks through `apis` (round robin) and waits until all completed. */
async function load(databaseUrl: string, apis: RoleProcess[]): Promise<Figures> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    await db.query(`UPDATE ai_providers SET config = config || $1::jsonb WHERE kind = 'mock'`, [
      JSON.stringify({ latencyMs: LATENCY }),
    ]);
    const user = await post(apis[0]!.url!, '/api/auth/register', {
      username: 'bench',
      email: 'bench@example.com',
      password: 'password-123',
    });
    const t0 = performance.now();
    await pool(N, C, (i) =>
      post(
        apis[i % apis.length]!.url!,
        '/api/tasks',
        { description: `scale-out ${i}`, taskType: 'social_post' },
        user.accessToken,
      ),
    );
    const intake = N / ((performance.now() - t0) / 1000);
    for (;;) {
      const r = await db.query(
        `SELECT count(*)::int AS n FROM tasks WHERE status IN ('completed', 'failed')`,
      );
      if (r.rows[0].n >= N) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    const span = await db.query(
      `SELECT extract(epoch FROM max(completed_at) - min(created_at))::float8 AS s,
              count(*) FILTER (WHERE attempts > 1)::int AS twice FROM tasks`,
    );
    return { intake, endToEnd: N / span.rows[0].s, ranTwice: span.rows[0].twice };
  } finally {
    await db.end();
  }
}

async function single(databaseUrl: string): Promise<Figures> {
  const p = await spawnRole('api,worker', databaseUrl);
  try {
    return await load(databaseUrl, [p]);
  } finally {
    await p.stop();
  }
}

async function scaled(databaseUrl: string): Promise<Figures> {
  const cluster = await startCluster(databaseUrl, { apis: 2, workers: 2 });
  try {
    return await load(databaseUrl, cluster.apis);
  } finally {
    await cluster.stop();
  }
}

// ---------------------------------------------------------------------------------------------------

const postgres = await startBenchServer(logger);
const adminUrl = postgres.adminUrl;
const one = await scratchDatabase(adminUrl, 'bench_scale1');
const four = await scratchDatabase(adminUrl, 'bench_scale4');
try {
  console.log(
    `bench:scaleout — ${N} tasks, HTTP concurrency ${C}, mock latency ${LATENCY} ms, ${availableParallelism()} CPUs (load ${loadavg()[0]!.toFixed(1)}), ${postgres.label}`,
  );
  const base = await single(one.url);
  const ours = await scaled(four.url);
  const row = (label: string, a: number, b: number, unit: string) =>
    console.log(
      `${label.padEnd(14)} ${fmt(a, 0).padStart(10)} ${fmt(b, 0).padStart(10)} ${fmt(a / b, 2).padStart(8)}   ${unit}`,
    );
  console.log(`${''.padEnd(14)} ${'2 + 2'.padStart(10)} ${'1 process'.padStart(10)} ${'ratio'.padStart(8)}`);
  row('intake', ours.intake, base.intake, 'tasks/s (higher is better)');
  row('end to end', ours.endToEnd, base.endToEnd, 'tasks/s (higher is better)');
  console.log(`checks: tasks run more than once — 2 + 2: ${ours.ranTwice}, 1 process: ${base.ranTwice}`);
} finally {
  await new Promise((r) => setTimeout(r, 500));
  await one.drop().catch(() => undefined);
  await four.drop();
  await postgres.stop();
}
