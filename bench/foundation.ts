/**
 * Foundation figures (issue 2): embedded PostgreSQL first start and warm start of the real entry
 * point to /readyz, and login throughput with p50/p99 at 20 concurrent clients for 10 s.
 * Run: npm run bench (prints figures; never part of the test suite's pass/fail).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startSwitchyard } from '../src/compose.js';
import { parseEnv } from '../src/env.js';
import { createLogger } from '../src/logger.js';
import { freePort, startEmbeddedPostgres } from '../src/models/embedded.js';
import { closedLoop, fmt, summarize } from './lib.js';

async function timeToReady(dataDir: string): Promise<{ ms: number; child: ChildProcess }> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'error',
    NODE_ENV: 'test',
  };
  delete env.DATABASE_URL;
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', '--services=api'], {
    env,
    stdio: 'ignore',
  });
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (r.ok) return { ms: performance.now() - t0, child };
    } catch {}
    if (child.exitCode !== null) throw new Error('switchyard exited during start-up');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function stop(child: ChildProcess) {
  const done = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await done;
}

export async function benchStartup() {
  const logger = createLogger({ level: 'error' });
  // The database alone (initdb + start, then a warm start).
  const dbDir = mkdtempSync(path.join(tmpdir(), 'sy-bench-db-'));
  chmodSync(dbDir, 0o755);
  let t0 = performance.now();
  let pg = await startEmbeddedPostgres({ dataDir: dbDir, logger });
  const dbFirst = performance.now() - t0;
  await pg.stop();
  t0 = performance.now();
  pg = await startEmbeddedPostgres({ dataDir: dbDir, logger });
  const dbWarm = performance.now() - t0;
  await pg.stop();
  rmSync(dbDir, { recursive: true, force: true });

  // The whole process (tsx load, database, migrations, pg-boss, HTTP) to /readyz.
  const dir = mkdtempSync(path.join(tmpdir(), 'sy-bench-start-'));
  chmodSync(dir, 0o755);
  const first = await timeToReady(dir);
  await stop(first.child);
  const warm = await timeToReady(dir);
  await stop(warm.child);
  rmSync(dir, { recursive: true, force: true });

  console.log('Embedded PostgreSQL start-up');
  console.log(`  database only:          first (initdb) ${fmt(dbFirst, 0)} ms, warm ${fmt(dbWarm, 0)} ms`);
  console.log(
    `  npm start → /readyz:    first ${fmt(first.ms, 0)} ms, warm ${fmt(warm.ms, 0)} ms  (includes loading TypeScript with tsx)`,
  );
}

export async function benchLogin() {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sy-bench-login-'));
  chmodSync(dataDir, 0o755);
  const env = parseEnv({
    ...process.env,
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'error',
    AUTH_RATE_LIMIT_PER_MINUTE: '1000000',
    RATE_LIMIT_PER_MINUTE: '1000000',
  });
  const sy = await startSwitchyard({ env, logger: createLogger({ level: 'error' }), roles: ['api'] });
  try {
    const url = sy.api!.url;
    const body = JSON.stringify({
      username: 'benchuser',
      email: 'bench@example.com',
      password: 'bench-password-1',
    });
    await fetch(`${url}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    const login = JSON.stringify({ username: 'benchuser', password: 'bench-password-1' });
    const run = await closedLoop(20, 10_000, async () => {
      const r = await fetch(`${url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: login,
      });
      await r.arrayBuffer();
      if (r.status !== 200) throw new Error(String(r.status));
    });
    const s = summarize(run.latencies);
    console.log(`Login (argon2id, ${sy.databaseLabel.split(' (')[0]}), 20 concurrent clients, 10 s`);
    console.log(
      `  ${fmt(run.perSecond)} logins/s, p50 ${fmt(s.p50)} ms, p99 ${fmt(s.p99)} ms, errors ${run.errors}, n=${s.n}`,
    );
  } finally {
    await sy.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchStartup();
  await benchLogin();
}
