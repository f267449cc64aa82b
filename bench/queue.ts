/**
 * `npm run bench:queue`: tasks through the whole pipeline — HTTP intake → one statement (task row,
 * budget reservation, pg-boss job) → worker → mock provider (0 ms) → content — beside bare pg-boss
 * send/work on the same database in the same run, as the baseline. Figures only; nothing passes or fails.
 *
 *   intake           tasks accepted per second (POST /api/tasks, HTTP concurrency C; baseline: boss.send)
 *   drain            a backlog of N processed per second by one worker process (first start → last finish)
 *   enqueue→start    with a worker running while tasks arrive at a steady pace (a quarter of Switchyard's
 *                    drain rate, the same pace for both): created_at → started_at (baseline: send → handler start)
 *
 * drain CPU/task  CPU time per drained task of the worker's process and of the embedded PostgreSQL (from /proc):
 *                  the per-task cost, whatever else the machine runs. BENCH_PROFILE=<file> writes a V8 CPU
 *                  profile of the process while the backlog drains.
 *
 * BENCH_TASKS (default 2000), BENCH_CONCURRENCY (default 32) and BENCH_LATENCY_TASKS (default 500)
 * change the size. DATABASE_URL
 * points it at a server; otherwise an embedded PostgreSQL is started in a temporary directory.
 */
import { mkdtempSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { type Role, type Switchyard, startSwitchyard } from '../src/compose.js';
import { parseEnv } from '../src/env.js';
import { createBoss, tunedWorkOptions } from '../src/jobs/boss.js';
import { createLogger } from '../src/logger.js';
import {
  type BenchServer,
  cpuMeter,
  fmt,
  pool,
  createDatabase as scratchDatabase,
  startBenchServer,
  summarize,
} from './lib.js';

const N = Number(process.env.BENCH_TASKS ?? 2000);
const C = Number(process.env.BENCH_CONCURRENCY ?? 32);
const L = Number(process.env.BENCH_LATENCY_TASKS ?? 500);
const WORKER_CONCURRENCY = 8;
const logger = createLogger({ level: 'error' });

/** Open loop: starts call i at i / rate seconds, whatever the earlier ones are doing. */
async function paced(
  count: number,
  ratePerSecond: number,
  fn: (i: number) => Promise<unknown>,
): Promise<void> {
  const t0 = performance.now();
  const inflight: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const due = t0 + (i * 1000) / ratePerSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inflight.push(fn(i));
  }
  await Promise.all(inflight);
}

async function waitUntil(probe: () => Promise<boolean>, what: string, timeoutMs = 600_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** BENCH_PROFILE=file.cpuprofile: a V8 CPU profile of this process while the backlog drains. */
async function startProfile(): Promise<{ stop: () => Promise<void> }> {
  const file = process.env.BENCH_PROFILE;
  if (!file) return { stop: async () => undefined };
  const { Session } = await import('node:inspector/promises');
  const { writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

// --- baseline: bare pg-boss on the same database, same tuned options ------------------------------

async function baseline(url: string, server: BenchServer, liveRate: () => number) {
  const boss = createBoss(url, logger);
  await boss.start();
  const q = 'bench-baseline';
  await boss.createQueue(q, {
    notify: true,
    retryLimit: 3,
    retryDelay: 1,
    retryBackoff: true,
    expireInSeconds: 900,
    heartbeatSeconds: 10,
  } as never);
  const work = (onJob: (data: { sentAt: number }) => void) =>
    boss.work(
      q,
      { ...tunedWorkOptions, batchSize: WORKER_CONCURRENCY, notifyPollingIntervalSeconds: 2 },
      async (jobs) =>
        jobs.map((j) => {
          onJob(j.data as { sentAt: number });
          return { id: j.id, status: 'completed' as const };
        }),
    );

  // intake + backlog drain
  const t0 = performance.now();
  await pool(N, C, () => boss.send(q, { sentAt: Date.now() }));
  const intake = N / ((performance.now() - t0) / 1000);
  let done = 0;
  let first = 0;
  let last = 0;
  const meter = cpuMeter(server);
  await work(() => {
    if (!first) first = performance.now();
    done++;
    last = performance.now();
  });
  await waitUntil(async () => done >= N, 'the baseline backlog');
  const cpu = meter.stop();
  const drain = N / ((last - first) / 1000);
  await boss.offWork(q, { wait: true });

  // live: enqueue → start while the worker runs, at a steady pace
  const waits: number[] = [];
  await work((d) => waits.push(Date.now() - d.sentAt));
  await paced(L, liveRate(), () => boss.send(q, { sentAt: Date.now() }));
  await waitUntil(async () => waits.length >= L, 'the baseline live run');
  await boss.stop({ graceful: true, timeout: 5000 });
  return { intake, drain, cpu, latency: summarize(waits) };
}

// --- Switchyard: HTTP → task + job in one statement → worker → mock --------------------------------

async function start(url: string, roles: Role[]): Promise<Switchyard> {
  const env = parseEnv({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'sy-bench-')),
    DATABASE_URL: url,
    JWT_SECRET: 'bench-jwt-secret-that-is-long-enough-0123456789',
    ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'),
    LOG_LEVEL: 'error',
    RATE_LIMIT_PER_MINUTE: '100000000',
    AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    WORKER_CONCURRENCY: String(WORKER_CONCURRENCY),
    // The mock at 0 ms answers at once: its product default streams the answer at 200 tokens/s,
    // which would measure the mock's pace (about 5 tasks/s per slot), not the queue.
    MOCK_TOKENS_PER_SECOND: '0',
  });
  return startSwitchyard({ env, logger, roles });
}

async function switchyard(url: string, server: BenchServer, liveRate: (ours: number) => number) {
  const db = new pg.Pool({ connectionString: url, max: 2 });
  db.on('error', () => undefined);
  const api = await start(url, ['api']);
  const base = api.api!.url;
  const reg = await fetch(`${base}/api/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'bench', email: 'bench@example.com', password: 'bench-password-1' }),
  });
  const { accessToken } = (await reg.json()) as { accessToken: string };
  const submit = async (i: number) => {
    const r = await fetch(`${base}/api/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
      body: JSON.stringify({
        description: `Benchmark post number ${i}`,
        taskType: 'social_post',
        priority: i % 4 === 0 ? 'high' : 'normal',
      }),
    });
    if (r.status !== 201) throw new Error(`POST /api/tasks → ${r.status} ${await r.text()}`);
    await r.arrayBuffer();
  };
  const completed = async () =>
    Number((await db.query(`SELECT count(*)::int AS n FROM tasks WHERE status = 'completed'`)).rows[0].n);

  // intake, no worker running
  const t0 = performance.now();
  await pool(N, C, submit);
  const intake = N / ((performance.now() - t0) / 1000);

  // drain the backlog with one worker instance
  const profile = await startProfile();
  const meter = cpuMeter(server);
  const worker = await start(url, ['worker']);
  await waitUntil(async () => (await completed()) >= N, 'the backlog to drain');
  const cpu = meter.stop();
  await profile.stop();
  const span = (
    await db.query(
      `SELECT extract(epoch FROM max(completed_at) - min(started_at)) * 1000 AS ms, count(*) FILTER (WHERE attempts <> 1)::int AS reruns FROM tasks`,
    )
  ).rows[0];
  const drain = N / (Number(span.ms) / 1000);

  // live: submit at a steady pace while the worker runs
  await db.query(`DELETE FROM tasks`);
  const rate = liveRate(drain);
  await paced(L, rate, submit);
  await waitUntil(async () => (await completed()) >= L, 'the live run');
  const waits = (
    await db.query(`SELECT extract(epoch FROM started_at - created_at) * 1000 AS ms FROM tasks`)
  ).rows.map((r) => Number(r.ms));
  const versions = Number(
    (await db.query(`SELECT count(*)::int AS n FROM content_versions WHERE task_id IS NOT NULL`)).rows[0].n,
  );

  await worker.stop();
  await api.stop();
  await db.end();
  return { intake, drain, cpu, latency: summarize(waits), reruns: Number(span.reruns), versions, rate };
}

// ---------------------------------------------------------------------------------------------------

const postgres = await startBenchServer(logger);
const adminUrl = postgres.adminUrl;
const database = await scratchDatabase(adminUrl, 'bench_queue');
try {
  // Boot once to migrate and create the queues, so neither side pays for it inside a measurement.
  await (await start(database.url, [])).stop();

  console.log(
    `bench:queue — ${N} tasks, HTTP/send concurrency ${C}, worker ${WORKER_CONCURRENCY} in flight, mock latency 0 ms, ${availableParallelism()} CPUs (load ${loadavg()[0]!.toFixed(1)}), ${postgres.label}`,
  );
  // Both live runs use the same pace: a quarter of Switchyard's drain rate (measured first), so the
  // figure is pick-up latency rather than time spent behind a backlog.
  let pace = 0;
  const s = await switchyard(database.url, postgres, (ours) => (pace = Math.max(1, Math.floor(ours / 4))));
  const b = await baseline(database.url, postgres, () => pace);

  const row = (label: string, ours: number, theirs: number, unit: string, digits = 0) =>
    console.log(
      `${label.padEnd(24)} ${fmt(ours, digits).padStart(10)} ${fmt(theirs, digits).padStart(14)} ${fmt(ours / theirs, 2).padStart(8)}   ${unit}`,
    );
  console.log(
    `${''.padEnd(24)} ${'switchyard'.padStart(10)} ${'bare pg-boss'.padStart(14)} ${'ratio'.padStart(8)}`,
  );
  row('intake', s.intake, b.intake, 'tasks/s (higher is better)');
  row('drain', s.drain, b.drain, 'tasks/s (higher is better)');
  if (postgres.dataDir) {
    // CPU per drained task, robust to what else the machine runs: this process (the worker) and the database.
    row('drain CPU/task, worker', s.cpu.selfMs / N, b.cpu.selfMs / N, 'ms (lower is better)', 2);
    row('drain CPU/task, database', s.cpu.dbMs / N, b.cpu.dbMs / N, 'ms (lower is better)', 2);
  }
  console.log(`live run: ${L} tasks at ${pace}/s`);
  row('enqueue→start p50', s.latency.p50, b.latency.p50, 'ms (lower is better)', 1);
  row('enqueue→start p99', s.latency.p99, b.latency.p99, 'ms (lower is better)', 1);
  console.log(
    `checks: ${s.reruns} task(s) ran more than once in the drain; ${s.versions} content versions for ${L} live tasks`,
  );
} finally {
  await new Promise((r) => setTimeout(r, 500)); // let closed pools' sockets finish closing before the drop
  await database.drop();
  await postgres.stop();
}
