import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, loginAdmin, registerUser, startTestApp, type TestApp } from '../helpers/app.js';

let app: TestApp;
let admin: Awaited<ReturnType<typeof loginAdmin>>;
beforeAll(async () => {
  app = await startTestApp();
  admin = await loginAdmin(app.url);
});
afterAll(async () => {
  await app?.close();
});

const ADMIN_ROUTES: Array<[string, string, unknown?]> = [
  ['GET', '/api/admin/users'],
  ['PUT', '/api/admin/users/00000000-0000-4000-8000-000000000000', { role: 'user' }],
  ['GET', '/api/admin/logs'],
  ['GET', '/api/admin/settings'],
  ['POST', '/api/admin/settings', { registration: 'open' }],
];

describe('RBAC on admin routes', () => {
  it.each(ADMIN_ROUTES)('%s %s: anonymous → 401, user → 403', async (method, path, body) => {
    const anon = await client(app.url).call(method, path, body);
    expect(anon.status).toBe(401);
    expect(anon.body.error.code).toBe('unauthorized');
    const u = await registerUser(app.url);
    const asUser = await u.api.call(method, path, body);
    expect(asUser.status).toBe(403);
    expect(asUser.body.error.code).toBe('forbidden');
  });
});

describe('users', () => {
  it('lists and searches users', async () => {
    const u = await registerUser(app.url, 'searchable-person');
    const all = await admin.api.get('/api/admin/users?limit=100');
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ page: 1, limit: 100 });
    expect(all.body.total).toBeGreaterThanOrEqual(2);
    const found = await admin.api.get('/api/admin/users?q=searchable');
    expect(found.body.items.map((x: { id: string }) => x.id)).toEqual([u.user.id]);
    expect(JSON.stringify(all.body)).not.toMatch(/passwordHash|\$argon2/);
  });

  it('suspending a user ends their sessions and blocks login; reactivating lets them back', async () => {
    const u = await registerUser(app.url);
    const tok = await u.api.post('/api/auth/tokens', { name: 'bot' });
    const s = await admin.api.put(`/api/admin/users/${u.user.id}`, { status: 'suspended' });
    expect(s.status).toBe(200);
    expect(s.body.status).toBe('suspended');
    expect((await u.api.get('/api/auth/me')).status).toBe(401);
    expect((await client(app.url, tok.body.token).get('/api/auth/me')).status).toBe(401);
    expect((await client(app.url).post('/api/auth/refresh', { refreshToken: u.refreshToken })).status).toBe(
      401,
    );
    const login = await client(app.url).post('/api/auth/login', {
      username: u.user.username,
      password: u.password,
    });
    expect(login.status).toBe(403);
    expect((await admin.api.put(`/api/admin/users/${u.user.id}`, { status: 'active' })).status).toBe(200);
    expect(
      (await client(app.url).post('/api/auth/login', { username: u.user.username, password: u.password }))
        .status,
    ).toBe(200);
  });

  it('promotes a user to admin; an admin cannot suspend themself; unknown id → 404', async () => {
    const u = await registerUser(app.url);
    expect((await admin.api.put(`/api/admin/users/${u.user.id}`, { role: 'admin' })).body.role).toBe('admin');
    const relog = await client(app.url).post('/api/auth/login', {
      username: u.user.username,
      password: u.password,
    });
    expect((await client(app.url, relog.body.accessToken).get('/api/admin/users')).status).toBe(200);
    expect((await admin.api.put(`/api/admin/users/${admin.user.id}`, { status: 'suspended' })).status).toBe(
      409,
    );
    expect(
      (await admin.api.put('/api/admin/users/00000000-0000-4000-8000-000000000000', { role: 'user' })).status,
    ).toBe(404);
    expect((await admin.api.put('/api/admin/users/not-a-uuid', { role: 'user' })).status).toBe(400);
    expect((await admin.api.put(`/api/admin/users/${u.user.id}`, { role: 'root' })).status).toBe(400);
    expect((await admin.api.put(`/api/admin/users/${u.user.id}`, {})).status).toBe(400);
  });
});

describe('settings', () => {
  it('validates keys and values; closing registration blocks sign-ups', async () => {
    const before = await admin.api.get('/api/admin/settings');
    expect(before.body.registration).toBe('open');
    expect((await admin.api.post('/api/admin/settings', { registration: 'sometimes' })).status).toBe(400);
    const unknown = await admin.api.post('/api/admin/settings', { nope: 1 });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.code).toBe('validation_failed');
    const closed = await admin.api.post('/api/admin/settings', { registration: 'closed' });
    expect(closed.status).toBe(200);
    expect(closed.body.registration).toBe('closed');
    const reg = await client(app.url).post('/api/auth/register', {
      username: 'latecomer',
      email: 'late@example.com',
      password: 'password-1',
    });
    expect(reg.status).toBe(403);
    await admin.api.post('/api/admin/settings', { registration: 'open' });
    expect(
      (
        await client(app.url).post('/api/auth/register', {
          username: 'latecomer',
          email: 'late@example.com',
          password: 'password-1',
        })
      ).status,
    ).toBe(201);
  });
});

describe('audit log', () => {
  it('records state changes and failed logins, filterable by action and actor', async () => {
    const u = await registerUser(app.url);
    await client(app.url).post('/api/auth/login', { username: u.user.username, password: 'wrong-password' });
    await admin.api.put(`/api/admin/users/${u.user.id}`, { status: 'suspended' });
    const failed = await admin.api.get('/api/admin/logs?action=auth.login_failed');
    expect(failed.status).toBe(200);
    expect(failed.body.items.some((e: { targetId: string }) => e.targetId === u.user.id)).toBe(true);
    const byAdmin = await admin.api.get(`/api/admin/logs?actorId=${admin.user.id}&action=admin.user_update`);
    const entry = byAdmin.body.items.find((e: { targetId: string }) => e.targetId === u.user.id);
    expect(entry).toMatchObject({
      action: 'admin.user_update',
      actorId: admin.user.id,
      targetType: 'user',
      details: { status: 'suspended' },
    });
    expect(entry.at).toMatch(/Z$/);
    const reg = await admin.api.get(`/api/admin/logs?action=user.register&actorId=${u.user.id}`);
    expect(reg.body.total).toBe(1);
    expect((await admin.api.get('/api/admin/logs?since=yesterday')).status).toBe(400);
    const future = await admin.api.get(
      `/api/admin/logs?since=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`,
    );
    expect(future.body.items).toEqual([]);
  });
});
