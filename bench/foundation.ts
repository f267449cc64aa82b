/**
 * Foundation figures (issue 2): embedded PostgreSQL first start and warm start; `npm start` to /readyz
 * (first start after install and warm), beside the old start that built everything each time, in
 * copies of the project; and login throughput with p50/p99 at 20 concurrent clients for 10 s.
 * Run: npm run bench (prints figures; never part of the test suite's pass/fail).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startSwitchyard } from '../src/compose.js';
import { parseEnv } from '../src/env.js';
import { createLogger } from '../src/logger.js';
import { freePort, startEmbeddedPostgres } from '../src/models/embedded.js';
import { closedLoop, fmt, summarize } from './lib.js';

/** A copy of the project without its build output (as after a fresh clone), sharing node_modules. */
function projectCopy(): string {
  const root = path.resolve(import.meta.dirname, '..');
  const dir = mkdtempSync(path.join(tmpdir(), 'sy-bench-project-'));
  chmodSync(dir, 0o755);
  const skip = new Set([
    'node_modules',
    'dist',
    'data',
    '.git',
    '.ci',
    'coverage',
    'test-artifacts',
    'bench/.tmp',
    'web/dist',
  ]);
  cpSync(root, dir, { recursive: true, filter: (src) => !skip.has(path.relative(root, src)) });
  symlinkSync(realpathSync(path.join(root, 'node_modules')), path.join(dir, 'node_modules'));
  return dir;
}

function freshDataDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'sy-bench-data-'));
  chmodSync(dir, 0o755);
  return dir;
}

/** Runs `command` in `cwd` (its own process group) until /readyz answers 200; then stops the whole group. */
async function timeToReady(cwd: string, dataDir: string, command: string[]): Promise<number> {
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
  const child = spawn(command[0], command.slice(1), { cwd, env, stdio: 'ignore', detached: true });
  let ms = 0;
  try {
    for (;;) {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/readyz`);
        if (r.ok) break;
      } catch {}
      if (child.exitCode !== null) throw new Error(`${command.join(' ')} exited during start-up`);
      await new Promise((r) => setTimeout(r, 10));
    }
    ms = performance.now() - t0;
  } finally {
    await stopGroup(child);
  }
  return ms;
}

/** SIGTERM to the process group (npm, sh, node, the embedded PostgreSQL), then waits until all are gone. */
async function stopGroup(child: ChildProcess) {
  const pgid = child.pid!;
  try {
    process.kill(-pgid, 'SIGTERM');
  } catch {}
  for (;;) {
    try {
      process.kill(-pgid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** What npm start did before: check Node, full server and portal builds, then start (npm's own launches left out). */
const OLD_START = [
  'sh',
  '-c',
  'node_modules/.bin/tsx src/nodeVersion.ts && node_modules/.bin/tsc -p tsconfig.build.json --incremental false && cp -r src/models/migrations dist/src/models/ && node_modules/.bin/vite build --config web/vite.config.ts && exec node dist/src/main.js',
];
const NEW_START = ['npm', 'start', '--silent'];

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

  // npm start to /readyz (every role), the old way (build everything at every start) and the new one
  // (npm install built once; npm start rebuilds only what changed), alternated in one run.
  const oldProject = projectCopy();
  const newProject = projectCopy();
  const oldData = freshDataDir();
  const newData = freshDataDir();
  try {
    t0 = performance.now();
    const prepare = spawnSync('npm', ['run', '--silent', 'prepare'], { cwd: newProject, stdio: 'ignore' });
    if (prepare.status !== 0) throw new Error('npm run prepare failed');
    const installBuild = performance.now() - t0;
    const oldFirst = await timeToReady(oldProject, oldData, OLD_START);
    const newFirst = await timeToReady(newProject, newData, NEW_START);
    const oldWarm = await timeToReady(oldProject, oldData, OLD_START);
    const newWarm = await timeToReady(newProject, newData, NEW_START);
    const processOnly = await timeToReady(newProject, newData, ['node', 'dist/src/main.js']);

    const ratio = (a: number, b: number) => `${fmt(a / b, 1)}× faster`;
    console.log('Embedded PostgreSQL start-up');
    console.log(`  database only:          first (initdb) ${fmt(dbFirst, 0)} ms, warm ${fmt(dbWarm, 0)} ms`);
    console.log('npm start → /readyz (all roles; old = full build at every start, measured in this run)');
    console.log(
      `  first start after install: new ${fmt(newFirst, 0)} ms, old ${fmt(oldFirst, 0)} ms  (${ratio(oldFirst, newFirst)})`,
    );
    console.log(
      `  warm start:                new ${fmt(newWarm, 0)} ms, old ${fmt(oldWarm, 0)} ms  (${ratio(oldWarm, newWarm)})`,
    );
    console.log(
      `  the process alone (node dist/src/main.js, warm): ${fmt(processOnly, 0)} ms; npm install's build step (once): ${fmt(installBuild, 0)} ms`,
    );
  } finally {
    for (const d of [oldProject, newProject, oldData, newData]) rmSync(d, { recursive: true, force: true });
  }
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
