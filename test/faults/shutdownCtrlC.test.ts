import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, OWNER_FILE, readEmbeddedOwner } from '../../src/models/embedded.js';
import { oneAtATime } from '../helpers/oneAtATime.js';
import { stopLeftoverPostmaster } from '../helpers/postmaster.js';
import { waitFor } from '../helpers/wait.js';
import { alive, type ServerProcess, startServer, waitReady } from './serverProcess.js';

/** The start of an ANSI escape sequence (colours). */
const ANSI = `${String.fromCharCode(27)}[`;

/**
 * Ctrl-C in a terminal: SIGINT goes to the whole foreground process group, not only to Switchyard.
 * The server runs in its own process group here and the test signals the group, as a terminal does.
 * The embedded PostgreSQL must stop after the pools have closed (not at once with everything else),
 * so the shutdown logs no error, exits 0, and leaves no postmaster and no owner record behind. The
 * output is a pipe, not a terminal: it must hold no ANSI colour codes.
 */
const dataDir = mkdtempSync(path.join(tmpdir(), 'sy-ctrlc-'));
chmodSync(dataDir, 0o755);
let server: ServerProcess | undefined;

oneAtATime();
afterAll(async () => {
  if (server?.child.exitCode === null) process.kill(-server.child.pid!, 'SIGKILL');
  await stopLeftoverPostmaster(path.join(dataDir, 'pg'));
  rmSync(dataDir, { recursive: true, force: true });
});

describe('Ctrl-C', () => {
  it('SIGINT to the process group: PostgreSQL stops after the pools, exit code 0, no error lines', async () => {
    server = startServer(dataDir, await freePort(), {
      detached: true,
      services: 'api,worker,bots',
      env: { LOG_LEVEL: 'info' },
    });
    await waitReady(server);
    await waitFor(async () => server!.output().includes('Switchyard is running'), 'the banner', 60_000);
    const postmaster = readEmbeddedOwner(dataDir)!.postmasterPid!;
    expect(alive(postmaster)).toBe(true);

    process.kill(-server.child.pid!, 'SIGINT');
    const code = await server.exited;
    const out = server.output();
    console.log(`[ctrl-c] exit=${code}\n${out.split('\n').slice(-6).join('\n')}`);
    expect(code, out).toBe(0);
    expect(out).toContain('SIGINT received: shutting down gracefully');
    expect(out).toContain('Stopped');
    // Pretty log lines are "HH:MM:SS level message": none at error level, and nothing else alarming.
    expect(out.split('\n').filter((l) => /^\d\d:\d\d:\d\d error\b/.test(l))).toEqual([]);
    expect(out).not.toMatch(/terminating connection|Connection terminated|\[object Object\]/);
    expect(out).not.toContain(ANSI);
    expect(alive(postmaster)).toBe(false);
    expect(existsSync(path.join(dataDir, OWNER_FILE))).toBe(false);
    expect(existsSync(path.join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
  }, 120_000);
});
