import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, loginAdmin, registerUser, startTestApp, type TestApp } from '../helpers/app.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

/** `npm run cli -- <args>` as a real process with only the given variables (plus PATH). */
function cli(args: string[], env: Record<string, string> = {}, input?: string) {
  const p = run(process.execPath, ['--import', 'tsx', 'scripts/cli.ts', ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_LEVEL: 'error', ...env },
    timeout: 150_000,
  });
  if (input !== undefined) {
    p.child.stdin!.end(input);
  }
  return p;
}

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

describe('CLI', () => {
  it('every command has --help', async () => {
    const commands = [
      'submit',
      'create-admin',
      'db:migrate',
      'export',
      'discord:register',
      'telegram:set-webhook',
    ];
    const [top, ...each] = await Promise.all([cli(['--help']), ...commands.map((c) => cli([c, '--help']))]);
    for (const c of commands) expect(top!.stdout).toContain(c);
    commands.forEach((c, i) => {
      expect(each[i]!.stdout).toMatch(new RegExp(`^Usage: switchyard ${c}`));
    });
  }, 240_000);

  it('submit --wait shows progress and prints the generated content', async () => {
    const u = await registerUser(app.url);
    const token = (await u.api.post('/api/auth/tokens', { name: 'cli' })).body.token as string;
    const out = await cli(
      ['submit', 'A short post about tide pools', '--type', 'social_post', '--wait', '--url', app.url],
      { SWITCHYARD_TOKEN: token },
    );
    expect(out.stderr).toMatch(/completed in [\d.]+s by Mock/);
    const tasks = (await u.api.get('/api/tasks')).body.items;
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({
      status: 'completed',
      taskType: 'social_post',
      description: 'A short post about tide pools',
    });
    const content = (await u.api.get(`/api/content/${tasks[0].contentId}`)).body;
    expect(out.stdout.trim()).toBe(content.contentData.trim());

    const json = await cli([
      'submit',
      'Another one',
      '--type',
      'summary',
      '--wait',
      '--json',
      '--url',
      app.url,
      '--token',
      token,
    ]);
    const parsed = JSON.parse(json.stdout);
    expect(parsed.task.status).toBe('completed');
    expect(parsed.content.version).toBe(1);
  }, 180_000);

  it('submit says when a task waits for approval, and finds the server on PORT without --url', async () => {
    const u = await registerUser(app.url);
    const admin = await loginAdmin(app.url);
    const budget = await admin.api.post('/api/budgets', {
      scope: 'user',
      scopeId: u.user.id,
      limitTokens: 1,
      period: 'monthly',
      action: 'approve',
    });
    expect(budget.status).toBe(201);
    const token = (await u.api.post('/api/auth/tokens', { name: 'cli' })).body.token as string;
    const out = await cli(['submit', 'A post over budget', '--type', 'social_post'], {
      SWITCHYARD_TOKEN: token,
      PORT: new URL(app.url).port,
    });
    const task = (await u.api.get('/api/tasks')).body.items[0];
    expect(task.status).toBe('awaiting_approval');
    expect(out.stdout).toContain(`Task ${task.id} (social_post) is waiting for approval`);
    expect(out.stdout).toContain(`POST /api/tasks/${task.id}/approve`);
  }, 180_000);

  it('submit reports API errors and a missing token with a non-zero exit', async () => {
    const u = await registerUser(app.url);
    const token = (await u.api.post('/api/auth/tokens', { name: 'cli' })).body.token as string;
    await expect(
      cli(['submit', 'x', '--type', 'poem', '--url', app.url, '--token', token]),
    ).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('validation_failed'),
    });
    await expect(cli(['submit', 'x', '--url', app.url])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('token'),
    });
    await expect(cli(['submit', 'x', '--url', app.url, '--token', 'wrong'])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('401'),
    });
  }, 180_000);

  it('create-admin makes an admin who can sign in; db:migrate answers on an up-to-date database', async () => {
    const env = { DATABASE_URL: app.databaseUrl, DATA_DIR: mkdtempSync(path.join(tmpdir(), 'sy-cli-')) };
    const made = await cli(
      ['create-admin', '--username', 'second-admin', '--email', 'second@example.com', '--password-stdin'],
      env,
      'second-admin-pw\n',
    );
    expect(made.stdout).toContain('Created admin "second-admin"');
    const login = await client(app.url).post('/api/auth/login', {
      username: 'second-admin',
      password: 'second-admin-pw',
    });
    expect(login.status).toBe(200);
    expect(login.body.user.role).toBe('admin');
    await expect(
      cli(['create-admin', '--email', 'not-an-email', '--password', 'long-enough'], env),
    ).rejects.toMatchObject({ code: 1 });

    const migrated = await cli(['db:migrate'], env);
    expect(migrated.stdout).toContain('Database is up to date');
  }, 180_000);
});
