/**
 * `npm run bench:rest`: REST intake in the default process. One Switchyard process with every role
 * (api, worker, bots — what `npm start` runs; mock provider at 0 ms) in a child process;
 * BENCH_CLIENTS (default 20) concurrent clients for BENCH_SECONDS (default 10) each:
 *
 *   1. GET /healthz, worker idle            the process's floor (the baseline)
 *   2. POST /api/tasks, worker draining     tasks accepted while the same process runs them
 *
 * beside the server's own event-loop delay during each (monitorEventLoopDelay in the child, so the
 * load generator's loop is not counted). Aim (issue 18): POST /api/tasks p99 ≤ 50 ms. Figures only.
 *
 * DATABASE_URL points it at a server; otherwise an embedded PostgreSQL runs in a temporary directory.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createLogger } from '../src/logger.js';
import { closedLoop, fmt, createDatabase as scratchDatabase, startBenchServer, summarize } from './lib.js';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 20);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const AIM_P99_MS = 50;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const logger = createLogger({ level: 'error' });

type Lag = { p50: number; p99: number; max: number };

function startServer(databaseUrl: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/restIntakeServer.ts'], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: databaseUrl },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('URL '));
      if (line) resolve({ child, url: line.slice(4).trim() });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d) => {
      out += d.toString();
    });
    child.on('exit', (code) => reject(new Error(`restIntakeServer exited (${code}): ${out.slice(-2000)}`)));
  });
}

/** The child's event-loop delay since the previous call. */
function readLag(child: ChildProcess): Promise<Lag> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as Lag));
    child.send('lag');
  });
}

const postgres = await startBenchServer(logger);
const adminUrl = postgres.adminUrl;
const database = await scratchDatabase(adminUrl, 'bench_rest');
let server: ChildProcess | undefined;
const db = new pg.Pool({ connectionString: database.url, max: 2 });
try {
  const started = await startServer(database.url);
  server = started.child;
  const base = started.url;
  const login = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: 'admin-password-1' }),
  });
  const { accessToken } = (await login.json()) as { accessToken: string };
  const healthz = async () => {
    const r = await fetch(`${base}/healthz`);
    await r.arrayBuffer();
    if (r.status !== 200) throw new Error(`GET /healthz → ${r.status}`);
  };
  const submit = async (i: number) => {
    const r = await fetch(`${base}/api/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
      body: JSON.stringify({ description: `Benchmark post number ${i}`, taskType: 'social_post' }),
    });
    await r.arrayBuffer();
    if (r.status !== 201) throw new Error(`POST /api/tasks → ${r.status}`);
  };
  // Warm-up: both paths once, a second of each.
  await closedLoop(CLIENTS, 1000, healthz);
  await closedLoop(CLIENTS, 1000, submit);
  const settled = async () => {
    for (let i = 0; i < 600; i++) {
      const n = Number(
        (await db.query(`SELECT count(*)::int AS n FROM tasks WHERE status NOT IN ('completed', 'failed')`))
          .rows[0].n,
      );
      if (n === 0) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  await settled();

  console.log(
    `bench:rest — default process (api + worker + bots, mock 0 ms) in a child process, ${CLIENTS} concurrent clients × ${SECONDS} s, ${availableParallelism()} CPUs (load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}), ${postgres.label}`,
  );
  await readLag(server);
  const h = await closedLoop(CLIENTS, SECONDS * 1000, healthz);
  const hLag = await readLag(server);
  const before = Number(
    (await db.query(`SELECT count(*)::int AS n FROM tasks WHERE status = 'completed'`)).rows[0].n,
  );
  const t = await closedLoop(CLIENTS, SECONDS * 1000, submit);
  const tLag = await readLag(server);
  const after = Number(
    (await db.query(`SELECT count(*)::int AS n FROM tasks WHERE status = 'completed'`)).rows[0].n,
  );
  const hs = summarize(h.latencies);
  const ts = summarize(t.latencies);
  console.log(
    `${''.padEnd(34)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)} ${'errors'.padStart(7)}   server event-loop delay p50 / p99 / max ms`,
  );
  const row = (label: string, r: typeof h, s: typeof hs, lag: Lag) =>
    console.log(
      `${label.padEnd(34)} ${fmt(r.perSecond, 0).padStart(8)} ${fmt(s.p50).padStart(8)} ${fmt(s.p99).padStart(8)} ${fmt(s.max).padStart(8)} ${String(r.errors).padStart(7)}   ${fmt(lag.p50)} / ${fmt(lag.p99)} / ${fmt(lag.max)}`,
    );
  row('GET /healthz (worker idle)', h, hs, hLag);
  row('POST /api/tasks (worker draining)', t, ts, tLag);
  console.log(
    `POST /api/tasks p99 ${fmt(ts.p99)} ms vs aim ≤ ${AIM_P99_MS} ms: ${fmt(ts.p99 / AIM_P99_MS, 2)}× the aim (${ts.p99 <= AIM_P99_MS ? 'met' : 'not met'}); req/s ${fmt(t.perSecond / h.perSecond, 2)}× /healthz's; the worker completed ${after - before} tasks during the POST window (${fmt((after - before) / t.elapsedSeconds, 0)}/s)`,
  );
} finally {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server!.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
  await db.end();
  await new Promise((r) => setTimeout(r, 500));
  await database.drop();
  await postgres.stop();
}
