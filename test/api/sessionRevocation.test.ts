import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, loginAdmin, registerUser, startTestApp, type TestApp } from '../helpers/app.js';

/**
 * Credentials do not outlive the change that should end them: a password or e-mail change ends
 * every other session and API token (the one making the request survives), and any role change —
 * up or down — revokes every session and API token of that user.
 */
let app: TestApp;
let admin: Awaited<ReturnType<typeof loginAdmin>>;
beforeAll(async () => {
  app = await startTestApp();
  admin = await loginAdmin(app.url);
});
afterAll(async () => {
  await app?.close();
});

type User = Awaited<ReturnType<typeof registerUser>>;

async function login(username: string, password: string) {
  const r = await client(app.url).post('/api/auth/login', { username, password });
  expect(r.status, r.text).toBe(200);
  return r.body as { accessToken: string; refreshToken: string; user: { role: string } };
}

async function apiToken(u: User, name: string): Promise<string> {
  const r = await u.api.post('/api/auth/tokens', { name });
  expect(r.status, r.text).toBe(201);
  return r.body.token;
}

const meStatus = async (token: string) => (await client(app.url, token).get('/api/auth/me')).status;
const refreshStatus = async (refreshToken: string) =>
  (await client(app.url).post('/api/auth/refresh', { refreshToken })).status;
const adminRouteStatus = async (token: string) =>
  (await client(app.url, token).get('/api/admin/users')).status;

async function auditFor(userId: string, action: string) {
  const r = await admin.api.get(`/api/admin/logs?action=${action}&limit=100`);
  expect(r.status).toBe(200);
  return r.body.items.filter((e: { targetId: string }) => e.targetId === userId);
}

describe('password and e-mail changes', () => {
  it('a password change keeps this session, ends the others and revokes every API token, and says how many', async () => {
    const u = await registerUser(app.url);
    const laptop = await login(u.user.username, u.password);
    const phone = await login(u.user.username, u.password);
    const ci = await apiToken(u, 'ci');
    const script = await apiToken(u, 'script');

    const r = await u.api.put('/api/auth/me', { password: 'a-brand-new-pass', currentPassword: u.password });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({ user: { id: u.user.id }, sessionsRevoked: 2, apiTokensRevoked: 2 });

    expect(await meStatus(u.accessToken)).toBe(200); // the session that made the change
    expect(await meStatus(laptop.accessToken)).toBe(401);
    expect(await meStatus(phone.accessToken)).toBe(401);
    expect(await refreshStatus(laptop.refreshToken)).toBe(401);
    expect(await meStatus(ci)).toBe(401);
    expect(await meStatus(script)).toBe(401);
    expect(await refreshStatus(u.refreshToken)).toBe(200);

    expect((await u.api.get('/api/auth/tokens')).body.items).toEqual([]);
    await login(u.user.username, 'a-brand-new-pass');

    const [entry] = await auditFor(u.user.id, 'user.update_self');
    expect(entry.details).toMatchObject({ fields: ['password'], sessionsRevoked: 2, apiTokensRevoked: 2 });
  });

  it('an e-mail change made with an API token keeps that token and ends every session and other token', async () => {
    const u = await registerUser(app.url);
    const other = await login(u.user.username, u.password);
    const keep = await apiToken(u, 'keep');
    const lose = await apiToken(u, 'lose');

    const r = await client(app.url, keep).put('/api/auth/me', {
      email: `moved-${u.user.username}@example.com`,
      currentPassword: u.password,
    });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({ sessionsRevoked: 2, apiTokensRevoked: 1 });
    expect(r.body.user.email).toBe(`moved-${u.user.username}@example.com`);

    expect(await meStatus(keep)).toBe(200);
    expect(await meStatus(lose)).toBe(401);
    expect(await meStatus(u.accessToken)).toBe(401);
    expect(await meStatus(other.accessToken)).toBe(401);
    expect(await refreshStatus(other.refreshToken)).toBe(401);
  });

  it('a username change, or the same e-mail again, ends nothing', async () => {
    const u = await registerUser(app.url);
    const other = await login(u.user.username, u.password);
    const tok = await apiToken(u, 'kept');

    const rename = await u.api.put('/api/auth/me', { username: `${u.user.username}-renamed` });
    expect(rename.status, rename.text).toBe(200);
    expect(rename.body).toMatchObject({ sessionsRevoked: 0, apiTokensRevoked: 0 });
    const same = await u.api.put('/api/auth/me', {
      email: u.user.email.toUpperCase(),
      currentPassword: u.password,
    });
    expect(same.status, same.text).toBe(200);
    expect(same.body).toMatchObject({ sessionsRevoked: 0, apiTokensRevoked: 0 });

    expect(await meStatus(other.accessToken)).toBe(200);
    expect(await meStatus(tok)).toBe(200);
  });

  it('a wrong current password changes nothing and ends nothing', async () => {
    const u = await registerUser(app.url);
    const other = await login(u.user.username, u.password);
    const r = await u.api.put('/api/auth/me', { password: 'another-pass-1', currentPassword: 'wrong-one' });
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('invalid_credentials');
    expect(await meStatus(other.accessToken)).toBe(200);
  });
});

describe('role changes through the admin API', () => {
  it('promoting revokes every session and API token: only a fresh sign-in carries the admin role', async () => {
    const u = await registerUser(app.url);
    const tok = await apiToken(u, 'before-promotion');

    const r = await admin.api.put(`/api/admin/users/${u.user.id}`, { role: 'admin' });
    expect(r.status, r.text).toBe(200);
    expect(r.body.role).toBe('admin');

    expect(await meStatus(u.accessToken)).toBe(401);
    expect(await adminRouteStatus(u.accessToken)).toBe(401);
    expect(await adminRouteStatus(tok)).toBe(401);
    expect(await refreshStatus(u.refreshToken)).toBe(401);

    const fresh = await login(u.user.username, u.password);
    expect(fresh.user.role).toBe('admin');
    expect(await adminRouteStatus(fresh.accessToken)).toBe(200);

    const [entry] = await auditFor(u.user.id, 'admin.user_update');
    expect(entry).toMatchObject({
      actorId: admin.user.id,
      details: { role: 'admin', previousRole: 'user', sessionsRevoked: 1, apiTokensRevoked: 1 },
    });
  });

  it('demoting revokes every session and API token the admin had', async () => {
    const u = await registerUser(app.url);
    expect((await admin.api.put(`/api/admin/users/${u.user.id}`, { role: 'admin' })).status).toBe(200);
    const asAdmin = await login(u.user.username, u.password);
    const adminTok = (await client(app.url, asAdmin.accessToken).post('/api/auth/tokens', { name: 'ops' }))
      .body.token as string;
    expect(await adminRouteStatus(adminTok)).toBe(200);

    const r = await admin.api.put(`/api/admin/users/${u.user.id}`, { role: 'user' });
    expect(r.status, r.text).toBe(200);
    expect(r.body.role).toBe('user');

    expect(await adminRouteStatus(asAdmin.accessToken)).toBe(401);
    expect(await adminRouteStatus(adminTok)).toBe(401);
    expect(await refreshStatus(asAdmin.refreshToken)).toBe(401);
    const fresh = await login(u.user.username, u.password);
    expect(fresh.user.role).toBe('user');
    expect(await adminRouteStatus(fresh.accessToken)).toBe(403);
  });

  it('setting the role a user already has, or reactivating, revokes nothing', async () => {
    const u = await registerUser(app.url);
    const tok = await apiToken(u, 'stays');
    expect((await admin.api.put(`/api/admin/users/${u.user.id}`, { role: 'user' })).status).toBe(200);
    expect((await admin.api.put(`/api/admin/users/${u.user.id}`, { status: 'active' })).status).toBe(200);
    expect(await meStatus(u.accessToken)).toBe(200);
    expect(await meStatus(tok)).toBe(200);
  });
});
