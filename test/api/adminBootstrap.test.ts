import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ADMIN, client, loginAdmin, registerUser, startTestApp, type TestApp } from '../helpers/app.js';

/**
 * Registration is open and e-mails are unverified, so whoever registers the configured admin
 * username (or the operator's e-mail) first must not become admin when the operator later sets
 * ADMIN_* or runs `create-admin`. Promoting an existing account takes `create-admin --promote <id>`,
 * and it revokes every session and API token the account had.
 */
const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

/** `npm run cli -- <args>` as a real process with only the given variables (plus PATH). */
function cli(args: string[], env: Record<string, string>, input?: string) {
  const p = run(process.execPath, ['--import', 'tsx', 'scripts/cli.ts', ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_LEVEL: 'error', ...env },
    timeout: 60_000,
  });
  if (input !== undefined) p.child.stdin!.end(input);
  return p;
}

const NO_BOOTSTRAP = { ADMIN_EMAIL: '', ADMIN_PASSWORD: '' };
const apps: TestApp[] = [];
async function boot(opts: Parameters<typeof startTestApp>[0] = {}) {
  const app = await startTestApp(opts);
  apps.push(app);
  return app;
}
afterAll(async () => {
  // Some were closed by their test already; closing again is harmless but may throw.
  for (const a of apps) await a.close().catch(() => undefined);
});

const warnings = (app: TestApp) =>
  app.logs.filter((l) => /ADMIN_USERNAME\/ADMIN_EMAIL not applied/.test(l)).map((l) => JSON.parse(l));

/** Whether ADMIN_USERNAME / ADMIN_PASSWORD opens an account. */
async function adminLoginStatus(app: TestApp) {
  const r = await client(app.url).post('/api/auth/login', {
    username: ADMIN.username,
    password: ADMIN.password,
  });
  return r.status;
}

describe('start-up with ADMIN_* when the account already exists', () => {
  it('a stranger who registered "admin" first is not promoted, keeps no admin token, and one warning is logged', async () => {
    const first = await boot({ env: NO_BOOTSTRAP });
    const stranger = await registerUser(first.url, ADMIN.username);
    const pat = (await stranger.api.post('/api/auth/tokens', { name: 'squat' })).body.token as string;
    await first.close();

    const app = await boot({ databaseUrl: first.databaseUrl });
    const lines = warnings(app);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'warn' });
    expect(lines[0].message).toContain(`username "${ADMIN.username}"`);
    expect(lines[0].message).toContain(`create-admin --promote ${stranger.user.id}`);

    // The stranger's old session and API token are alive but not admin; ADMIN_PASSWORD opens nothing.
    const me = await client(app.url, stranger.accessToken).get('/api/auth/me');
    expect(me.status).toBe(200);
    expect(me.body.user.role).toBe('user');
    expect((await client(app.url, stranger.accessToken).get('/api/admin/users')).status).toBe(403);
    expect((await client(app.url, pat).get('/api/admin/users')).status).toBe(403);
    expect(await adminLoginStatus(app)).toBe(401);
    // The stranger's own password still works (it was not reset to ADMIN_PASSWORD).
    const relog = await client(app.url).post('/api/auth/login', {
      username: ADMIN.username,
      password: stranger.password,
    });
    expect(relog.status).toBe(200);
    expect(relog.body.user.role).toBe('user');
  });

  it('an account holding the operator e-mail blocks the bootstrap too, and no second account is made', async () => {
    const first = await boot({ env: NO_BOOTSTRAP });
    const squat = await client(first.url).post('/api/auth/register', {
      username: 'innocent-looking',
      email: ADMIN.email,
      password: 'squatter-pass-1',
    });
    expect(squat.status).toBe(201);
    await first.close();

    const app = await boot({ databaseUrl: first.databaseUrl });
    expect(warnings(app)).toHaveLength(1);
    expect(warnings(app)[0].message).toContain(`email "${ADMIN.email}"`);
    expect(await adminLoginStatus(app)).toBe(401);
    const me = await client(app.url, squat.body.accessToken).get('/api/auth/me');
    expect(me.body.user.role).toBe('user');
  });

  it('a normal restart (the configured admin exists) logs no warning', async () => {
    const first = await boot();
    await first.close();
    const again = await boot({ databaseUrl: first.databaseUrl });
    expect(warnings(again)).toEqual([]);
    expect((await loginAdmin(again.url)).user.id).toEqual(expect.any(String));
  });
});

describe('create-admin', () => {
  it('refuses an existing username or e-mail naming --promote; --promote <id> promotes and kills old credentials', async () => {
    const app = await boot();
    // Small pools: two CLI runs side by side beside the app must stay within a shared server's
    // max_connections (100 on a default PostgreSQL, where other test files connect too).
    const env = {
      DATABASE_URL: app.databaseUrl,
      DATA_DIR: mkdtempSync(path.join(tmpdir(), 'sy-cli-')),
      DATABASE_POOL_MAX: '4',
    };
    const u = await registerUser(app.url);
    const pat = (await u.api.post('/api/auth/tokens', { name: 'old' })).body.token as string;

    // Each CLI run boots the app: the independent ones run side by side.
    const refusals = await Promise.all(
      [
        ['--username', u.user.username, '--email', 'someone-else@example.com'],
        ['--username', 'brand-new-admin', '--email', u.user.email],
      ].map((who) =>
        cli(['create-admin', ...who, '--password-stdin'], env, 'operator-pass-1\n').catch((e) => e),
      ),
    );
    for (const refused of refusals) {
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`--promote ${u.user.id}`);
      expect(refused.stderr).toMatch(/Nothing was changed/);
    }
    // Untouched: still a user, own password, and no second account was created.
    const still = await client(app.url).post('/api/auth/login', {
      username: u.user.username,
      password: u.password,
    });
    expect(still.status).toBe(200);
    expect(still.body.user.role).toBe('user');
    const taken = await client(app.url).post('/api/auth/login', {
      username: 'brand-new-admin',
      password: 'operator-pass-1',
    });
    expect(taken.status).toBe(401);

    // Explicit promotion by id: no password change, every old credential revoked.
    const promoted = await cli(['create-admin', '--promote', u.user.id], env);
    expect(promoted.stdout).toContain(`Promoted "${u.user.username}" (${u.user.id}) to admin`);
    expect(promoted.stdout).toMatch(/revoked 2 session\(s\) and 1 API token\(s\)/);
    expect((await client(app.url, u.accessToken).get('/api/admin/users')).status).toBe(401);
    expect((await client(app.url, still.body.accessToken).get('/api/admin/users')).status).toBe(401);
    expect((await client(app.url, pat).get('/api/admin/users')).status).toBe(401);
    expect((await client(app.url).post('/api/auth/refresh', { refreshToken: u.refreshToken })).status).toBe(
      401,
    );
    const fresh = await client(app.url).post('/api/auth/login', {
      username: u.user.username,
      password: u.password,
    });
    expect(fresh.body.user.role).toBe('admin');
    expect((await client(app.url, fresh.body.accessToken).get('/api/admin/users')).status).toBe(200);

    const admin = await loginAdmin(app.url);
    const logs = await admin.api.get('/api/admin/logs?action=user.promote_admin');
    expect(logs.body.items).toEqual([
      expect.objectContaining({
        actorId: null,
        targetId: u.user.id,
        details: expect.objectContaining({
          via: 'cli',
          previousRole: 'user',
          sessionsRevoked: 2,
          apiTokensRevoked: 1,
        }),
      }),
    ]);

    const [again, unknown, mixed] = await Promise.all([
      cli(['create-admin', '--promote', u.user.id], env),
      cli(['create-admin', '--promote', '00000000-0000-4000-8000-000000000000'], env).catch((e) => e),
      cli(['create-admin', '--promote', u.user.id, '--password', 'whatever-1'], env).catch((e) => e),
    ]);
    expect(again.stdout).toContain('is already an admin; nothing changed');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('User not found');
    expect(mixed.code).toBe(1);
    expect(mixed.stderr).toContain('--promote only changes the role');
  }, 180_000);
});
