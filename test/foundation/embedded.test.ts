import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/models/embedded.js';
import { client, registerUser } from '../helpers/app.js';
import { stopLeftoverPostmaster } from '../helpers/postmaster.js';

/**
 * The zero-setup default: `npm start` with no DATABASE_URL runs a real embedded PostgreSQL.
 * This drives the real entry point (src/main.ts) in child processes.
 */
const dataDir = mkdtempSync(path.join(tmpdir(), 'sy-embedded-'));
chmodSync(dataDir, 0o755);
const children: ChildProcess[] = [];

function startMain(port: number) {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    ADMIN_EMAIL: '',
    ADMIN_PASSWORD: '',
  };
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', '--services=api'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  children.push(child);
  return { child, output: () => output };
}

async function waitReady(url: string, child: ChildProcess, output: () => string) {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`exited early (${child.exitCode}):\n${output()}`);
    try {
      const r = await fetch(`${url}/readyz`);
      if (r.status === 200) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not ready:\n${output()}`);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await stopLeftoverPostmaster(path.join(dataDir, 'pg'));
  rmSync(dataDir, { recursive: true, force: true });
});

describe('embedded PostgreSQL', () => {
  it('starts with no DATABASE_URL, survives a SIGKILL of its parent, and shuts down cleanly', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const first = startMain(port);
    await waitReady(url, first.child, first.output);
    expect(first.output()).toContain('embedded PostgreSQL');
    const u = await registerUser(url);

    // SIGKILL leaves the postmaster running and holding the data directory.
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    const pidFile = path.join(dataDir, 'pg', 'postmaster.pid');
    const orphan = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    expect(alive(orphan)).toBe(true);

    // The next start detects it, stops it, and comes up on the same data.
    const second = startMain(port);
    await waitReady(url, second.child, second.output);
    expect(alive(orphan)).toBe(false);
    const login = await client(url).post('/api/auth/login', {
      username: u.user.username,
      password: u.password,
    });
    expect(login.status).toBe(200);

    // SIGTERM: graceful shutdown stops the embedded server too.
    const newPid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    second.child.kill('SIGTERM');
    const code = await new Promise((r) => second.child.once('exit', r));
    expect(code, second.output()).toBe(0);
    expect(alive(newPid)).toBe(false);
    expect(existsSync(pidFile)).toBe(false);
  }, 120_000);
});
