import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, registerUser, startTestApp, type TestApp } from '../helpers/app.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

describe('register / login / me', () => {
  it('registers, logs in by username and by email, and reads /me', async () => {
    const anon = client(app.url);
    const reg = await anon.post('/api/auth/register', {
      username: 'alice',
      email: 'alice@example.com',
      password: 'correct horse',
    });
    expect(reg.status).toBe(201);
    expect(reg.body.user).toMatchObject({
      username: 'alice',
      email: 'alice@example.com',
      role: 'user',
      status: 'active',
    });
    expect(reg.body.user.passwordHash).toBeUndefined();
    expect(reg.body.accessToken).toEqual(expect.any(String));
    expect(reg.body.refreshToken).toMatch(/^sy_rt_/);
    expect(reg.body.expiresIn).toBeGreaterThan(0);

    const byName = await anon.post('/api/auth/login', { username: 'ALICE', password: 'correct horse' });
    expect(byName.status).toBe(200);
    const byEmail = await anon.post('/api/auth/login', {
      email: 'alice@example.com',
      password: 'correct horse',
    });
    expect(byEmail.status).toBe(200);

    const me = await client(app.url, byEmail.body.accessToken).get('/api/auth/me');
    expect(me.status).toBe(200);
    expect(me.body.user.username).toBe('alice');
    expect(me.body.user.lastLogin).not.toBeNull();
  });

  it('answers the same 401 for an unknown user and a wrong password', async () => {
    const anon = client(app.url);
    const unknown = await anon.post('/api/auth/login', { username: 'nobody-here', password: 'whatever1' });
    const wrong = await anon.post('/api/auth/login', { username: 'alice', password: 'wrong-password' });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(unknown.body).toEqual(wrong.body);
    expect(wrong.body.error.code).toBe('invalid_credentials');
  });

  it('refuses a taken username or email with 409', async () => {
    const anon = client(app.url);
    const dupName = await anon.post('/api/auth/register', {
      username: 'Alice',
      email: 'other@example.com',
      password: 'password-1',
    });
    expect(dupName.status).toBe(409);
    expect(dupName.body.error.code).toBe('conflict');
    const dupEmail = await anon.post('/api/auth/register', {
      username: 'alice2',
      email: 'ALICE@example.com',
      password: 'password-1',
    });
    expect(dupEmail.status).toBe(409);
  });

  it('updates the profile; email/password changes need the current password', async () => {
    const u = await registerUser(app.url);
    const noPw = await u.api.put('/api/auth/me', { email: 'new@example.com' });
    expect(noPw.status).toBe(401);
    const rename = await u.api.put('/api/auth/me', { username: `${u.user.username}x` });
    expect(rename.status).toBe(200);
    expect(rename.body.user.username).toBe(`${u.user.username}x`);
    const pw = await u.api.put('/api/auth/me', { password: 'brand-new-pass', currentPassword: u.password });
    expect(pw.status).toBe(200);
    const login = await client(app.url).post('/api/auth/login', {
      username: `${u.user.username}x`,
      password: 'brand-new-pass',
    });
    expect(login.status).toBe(200);
  });
});

describe('refresh and logout', () => {
  it('rotates refresh tokens; reusing a spent one revokes the session', async () => {
    const u = await registerUser(app.url);
    const anon = client(app.url);
    const r1 = await anon.post('/api/auth/refresh', { refreshToken: u.refreshToken });
    expect(r1.status).toBe(200);
    expect(r1.body.refreshToken).not.toBe(u.refreshToken);
    // the new access token works
    expect((await client(app.url, r1.body.accessToken).get('/api/auth/me')).status).toBe(200);

    const reuse = await anon.post('/api/auth/refresh', { refreshToken: u.refreshToken });
    expect(reuse.status).toBe(401);
    // the whole session is gone: the newest refresh token and access token fail too
    expect((await anon.post('/api/auth/refresh', { refreshToken: r1.body.refreshToken })).status).toBe(401);
    expect((await client(app.url, r1.body.accessToken).get('/api/auth/me')).status).toBe(401);
  });

  it('logout makes that session’s access and refresh tokens fail at once', async () => {
    const u = await registerUser(app.url);
    expect((await u.api.post('/api/auth/logout')).status).toBe(204);
    expect((await u.api.get('/api/auth/me')).status).toBe(401);
    expect((await client(app.url).post('/api/auth/refresh', { refreshToken: u.refreshToken })).status).toBe(
      401,
    );
  });
});

describe('JWT tampering', () => {
  it('rejects wrong secret, alg none, expired and garbage tokens', async () => {
    const u = await registerUser(app.url);
    const claims = jwt.decode(u.accessToken) as jwt.JwtPayload;
    const wrongSecret = jwt.sign({ sid: claims.sid, role: 'admin' }, 'x'.repeat(40), {
      subject: claims.sub,
      issuer: 'switchyard',
    });
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url')}.`;
    const expired = jwt.sign(
      { sid: claims.sid, role: 'user', exp: Math.floor(Date.now() / 1000) - 10 },
      'test-jwt-secret-that-is-long-enough-0123456789',
      {
        subject: claims.sub,
        issuer: 'switchyard',
      },
    );
    for (const token of [wrongSecret, none, expired, 'garbage', 'a.b.c']) {
      const r = await client(app.url, token).get('/api/auth/me');
      expect(r.status, token).toBe(401);
      expect(r.body.error.code).toBe('unauthorized');
    }
    const notBearer = await client(app.url).get('/api/auth/me', { authorization: 'Basic abc' });
    expect(notBearer.status).toBe(401);
  });
});

describe('API tokens', () => {
  it('creates (shown once), authenticates, lists without the secret, revokes', async () => {
    const u = await registerUser(app.url);
    const created = await u.api.post('/api/auth/tokens', { name: 'ci', expiresInDays: 30 });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^sy_pat_/);
    const viaToken = client(app.url, created.body.token);
    expect((await viaToken.get('/api/auth/me')).body.user.id).toBe(u.user.id);
    const list = await u.api.get('/api/auth/tokens');
    expect(list.body.items).toHaveLength(1);
    expect(JSON.stringify(list.body)).not.toContain(created.body.token);
    expect(list.body.items[0].lastUsedAt).not.toBeNull();
    expect((await u.api.delete(`/api/auth/tokens/${created.body.id}`)).status).toBe(204);
    expect((await viaToken.get('/api/auth/me')).status).toBe(401);
    expect((await u.api.delete(`/api/auth/tokens/${created.body.id}`)).status).toBe(404);
  });
});
