import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, OWNER_FILE, readEmbeddedOwner } from '../../src/models/embedded.js';
import { client } from '../helpers/app.js';
import { stopLeftoverPostmaster } from '../helpers/postmaster.js';
import { waitFor } from '../helpers/wait.js';
import { alive, runCli, type ServerProcess, startServer, waitReady } from './serverProcess.js';

/**
 * Who owns the embedded PostgreSQL. A running `npm start` owns DATA_DIR's database (recorded in
 * DATA_DIR/postgres-owner.json); CLI commands on the same DATA_DIR attach to it and never stop it;
 * a second server refuses with one clear line; a postmaster that dies under its owner is started
 * again. Everything runs as real child processes (src/main.ts, scripts/cli.ts) on a temp DATA_DIR.
 */
const dataDir = mkdtempSync(path.join(tmpdir(), 'sy-owner-'));
chmodSync(dataDir, 0o755); // the embedded server runs as the postgres user when we are root
const servers: ServerProcess[] = [];
const ADMIN = {
  ADMIN_EMAIL: 'admin@example.com',
  ADMIN_PASSWORD: 'admin-password-1',
  AUTH_RATE_LIMIT_PER_MINUTE: '100000',
  RATE_LIMIT_PER_MINUTE: '100000',
};

afterAll(async () => {
  for (const s of servers) if (s.child.exitCode === null) s.child.kill('SIGKILL');
  await stopLeftoverPostmaster(path.join(dataDir, 'pg'));
  rmSync(dataDir, { recursive: true, force: true });
});

/** Polls /readyz and a login until stopped; collects every answer that was not 200. */
function watchServer(url: string) {
  const bad: string[] = [];
  let polls = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const ready = await fetch(`${url}/readyz`);
        if (ready.status !== 200) bad.push(`readyz ${ready.status} ${await ready.text()}`);
        const login = await client(url).post('/api/auth/login', {
          username: 'admin',
          password: ADMIN.ADMIN_PASSWORD,
        });
        if (login.status !== 200) bad.push(`login ${login.status} ${login.text}`);
        polls++;
      } catch (e) {
        bad.push(`request failed: ${(e as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    bad,
    polls: () => polls,
    async stop() {
      running = false;
      await loop;
    },
  };
}

describe('embedded PostgreSQL ownership', () => {
  it('CLI commands attach to a running server’s database and never stop it; a second server refuses', async () => {
    const port = await freePort();
    const server = startServer(dataDir, port, { env: ADMIN });
    servers.push(server);
    await waitReady(server);
    const owner = readEmbeddedOwner(dataDir);
    expect(owner).toMatchObject({ pid: server.child.pid, role: 'server', state: 'running' });
    const postmaster = owner!.postmasterPid!;
    expect(alive(postmaster)).toBe(true);

    const outDir = mkdtempSync(path.join(tmpdir(), 'sy-owner-export-'));
    const runs: Array<{ args: string[]; stdin?: string }> = [
      { args: ['db:migrate'] },
      { args: ['export', '--all', '-o', outDir] },
      {
        args: ['create-admin', '--username', 'alice', '--email', 'alice@example.com', '--password-stdin'],
        stdin: 'alice-password-1\n',
      },
    ];
    for (const run of runs) {
      const watch = watchServer(server.url);
      const r = await runCli(dataDir, run.args, { stdin: run.stdin });
      // …and for a moment after the command has exited.
      const after = watch.polls() + 3;
      await waitFor(async () => watch.polls() >= after, 'polls after the command');
      await watch.stop();
      console.log(
        `[ownership] cli ${run.args[0]}: exit=${r.code} polls=${watch.polls()} non200=${watch.bad.length}`,
      );
      expect(r.code, r.output).toBe(0);
      expect(r.output).not.toContain('stopping it');
      expect(watch.polls()).toBeGreaterThan(3);
      expect(watch.bad, watch.bad.join('\n')).toEqual([]);
      // Still the same owner and the same postmaster.
      expect(readEmbeddedOwner(dataDir)).toMatchObject({ pid: server.child.pid, postmasterPid: postmaster });
      expect(alive(postmaster)).toBe(true);
    }
    rmSync(outDir, { recursive: true, force: true });
    // The command worked on the server's database: the new admin can log in through the server.
    const alice = await client(server.url).post('/api/auth/login', {
      username: 'alice',
      password: 'alice-password-1',
    });
    expect(alice.status).toBe(200);
    expect(alice.body.user.role).toBe('admin');

    // A second server on the same DATA_DIR refuses with one clear line and a non-zero exit.
    const second = startServer(dataDir, await freePort());
    servers.push(second);
    const code = await second.exited;
    expect(code).not.toBe(0);
    expect(second.output()).toContain(
      `Switchyard is already running on this DATA_DIR (pid ${server.child.pid}, database port ${owner!.port}); stop it first or use another DATA_DIR`,
    );
    expect(second.output()).not.toContain('stopping it');
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    expect(alive(postmaster)).toBe(true);
  }, 240_000);

  it('a postmaster that dies under the running server is started again, and the API recovers by itself', async () => {
    const server = servers[0]!;
    const before = readEmbeddedOwner(dataDir)!;
    process.kill(before.postmasterPid!, 'SIGINT'); // what `pg_ctl stop -m fast` sends
    const t0 = Date.now();
    await waitFor(async () => !alive(before.postmasterPid!), 'the postmaster to stop');
    await waitFor(
      async () => (await fetch(`${server.url}/readyz`)).status === 200,
      '/readyz 200 again',
      60_000,
      100,
    );
    const recoveredMs = Date.now() - t0;
    const after = readEmbeddedOwner(dataDir)!;
    console.log(`[ownership] postmaster restarted by its owner; /readyz 200 again after ${recoveredMs} ms`);
    expect(after).toMatchObject({ pid: server.child.pid, port: before.port, state: 'running' });
    expect(after.postmasterPid).not.toBe(before.postmasterPid);
    const login = await client(server.url).post('/api/auth/login', {
      username: 'admin',
      password: ADMIN.ADMIN_PASSWORD,
    });
    expect(login.status).toBe(200);

    // A clean stop removes the owner record and stops the postmaster.
    server.child.kill('SIGTERM');
    expect(await server.exited, server.output()).toBe(0);
    expect(alive(after.postmasterPid!)).toBe(false);
    expect(readEmbeddedOwner(dataDir)).toBeNull();
    expect(() => readFileSync(path.join(dataDir, OWNER_FILE))).toThrow();
  }, 120_000);
});
