import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, loginAdmin, registerUser, startTestApp, type TestApp } from '../helpers/app.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ env: { METRICS_TOKEN: 'metrics-secret-token' } });
});
afterAll(async () => {
  await app?.close();
});

const expectError = (r: { status: number; body: any }, status: number, code: string) => {
  expect(r.status).toBe(status);
  expect(r.body).toEqual({ error: expect.objectContaining({ code, message: expect.any(String) }) });
  expect(JSON.stringify(r.body)).not.toMatch(/at .*\.(ts|js):\d+|SELECT |INSERT |node_modules/);
};

describe('bad input never gives a 500', () => {
  it('malformed JSON → 400 invalid_json', async () => {
    const r = await client(app.url).post('/api/auth/login', '{"username": "a", ');
    expectError(r, 400, 'invalid_json');
  });

  it('a 2 MB body → 413 payload_too_large', async () => {
    const big = JSON.stringify({ username: 'x'.repeat(2 * 1024 * 1024), password: 'y' });
    expectError(await client(app.url).post('/api/auth/login', big), 413, 'payload_too_large');
  });

  it('a non-JSON body → 415 unsupported_media_type', async () => {
    const r = await client(app.url).post('/api/auth/login', 'username=a&password=b', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expectError(r, 415, 'unsupported_media_type');
  });

  it('wrong types and missing fields → 400 validation_failed with per-field details', async () => {
    const r = await client(app.url).post('/api/auth/register', { username: 42, email: 'not-an-email' });
    expectError(r, 400, 'validation_failed');
    const fields = r.body.error.details.map((d: { field: string }) => d.field);
    expect(fields).toEqual(expect.arrayContaining(['body.username', 'body.email', 'body.password']));
    expectError(await client(app.url).post('/api/auth/login', { password: 'x' }), 400, 'validation_failed');
    expectError(await client(app.url).post('/api/auth/login', []), 400, 'validation_failed');
    expectError(await client(app.url).post('/api/auth/login', 'null'), 400, 'invalid_json');
    expectError(
      await client(app.url).post('/api/auth/refresh', { refreshToken: 123 }),
      400,
      'validation_failed',
    );
  });

  it('very long strings, unicode and SQL-looking strings are handled as data', async () => {
    expectError(
      await client(app.url).post('/api/auth/register', {
        username: 'a'.repeat(10_000),
        email: 'a@example.com',
        password: 'password-1',
      }),
      400,
      'validation_failed',
    );
    const sqlish = await client(app.url).post('/api/auth/login', {
      username: "admin' OR '1'='1' --",
      password: "' OR 1=1; DROP TABLE users; --",
    });
    expectError(sqlish, 401, 'invalid_credentials');
    const uni = await client(app.url).post('/api/auth/register', {
      username: 'Zoë_日本語',
      email: 'zoe@example.com',
      password: 'pässwörd-🔑',
    });
    expect(uni.status).toBe(201);
    expect(uni.body.user.username).toBe('Zoë_日本語');
    const login = await client(app.url).post('/api/auth/login', {
      username: 'zoë_日本語',
      password: 'pässwörd-🔑',
    });
    expect(login.status).toBe(200);
    const nul = await client(app.url).post('/api/auth/login', { username: 'a\u0000b', password: 'x' });
    expectError(nul, 400, 'validation_failed');
    // the users table survived
    expect((await loginAdmin(app.url)).accessToken).toBeTruthy();
  });

  it('unknown routes and ids → 404 in the error shape; bad ids → 400', async () => {
    const u = await registerUser(app.url);
    expectError(await u.api.get('/api/nope'), 404, 'not_found');
    expectError(
      await u.api.delete('/api/auth/tokens/00000000-0000-4000-8000-000000000000'),
      404,
      'not_found',
    );
    expectError(await u.api.delete('/api/auth/tokens/123'), 400, 'validation_failed');
  });

  it('unknown fields are rejected rather than silently dropped', async () => {
    const u = await registerUser(app.url);
    expectError(await u.api.put('/api/auth/me', { role: 'admin' }), 400, 'validation_failed');
    expect((await u.api.get('/api/auth/me')).body.user.role).toBe('user');
  });
});

describe('operations endpoints', () => {
  it('healthz and readyz', async () => {
    expect((await client(app.url).get('/healthz')).body).toEqual({ status: 'ok' });
    const ready = await client(app.url).get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toEqual({ database: true, queue: true });
  });

  it('echoes X-Request-Id or makes one', async () => {
    const given = await client(app.url).get('/healthz', { 'x-request-id': 'abc-123' });
    expect(given.headers.get('x-request-id')).toBe('abc-123');
    const made = await client(app.url).get('/api/nope');
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('metrics need the METRICS_TOKEN and expose the HTTP histogram', async () => {
    expect((await client(app.url).get('/metrics')).status).toBe(401);
    expect((await client(app.url, 'wrong').get('/metrics')).status).toBe(401);
    await client(app.url).get('/healthz');
    const m = await client(app.url, 'metrics-secret-token').get('/metrics');
    expect(m.status).toBe(200);
    expect(m.text).toContain('switchyard_http_request_duration_seconds_bucket');
    expect(m.text).toMatch(/route="\/healthz",status="200"/);
    expect(m.text).toContain('process_cpu_user_seconds_total');
  });

  it('serves an OpenAPI 3.1 document describing the routes, and Swagger UI', async () => {
    const doc = await client(app.url).get('/api/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    for (const p of [
      '/api/auth/login',
      '/api/auth/register',
      '/api/auth/tokens/{id}',
      '/api/admin/users/{id}',
      '/api/admin/settings',
      '/api/admin/logs',
    ]) {
      expect(Object.keys(doc.body.paths)).toContain(p);
    }
    expect(
      doc.body.paths['/api/auth/login'].post.requestBody.content['application/json'].schema.properties,
    ).toHaveProperty('password');
    const ui = await client(app.url).get('/api/docs/');
    expect(ui.status).toBe(200);
    expect(ui.text).toContain('swagger-ui');
  });
});

describe('rate limits', () => {
  it('strict limit on login answers 429 rate_limited with Retry-After', async () => {
    const limited = await startTestApp({ env: { AUTH_RATE_LIMIT_PER_MINUTE: '3' }, roles: ['api'] });
    try {
      const anon = client(limited.url);
      const statuses: number[] = [];
      let last: Awaited<ReturnType<typeof anon.post>> | undefined;
      for (let i = 0; i < 5; i++) {
        last = await anon.post('/api/auth/login', { username: 'x', password: 'y' });
        statuses.push(last.status);
      }
      expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
      expect(statuses[4]).toBe(429);
      expect(last!.body.error.code).toBe('rate_limited');
      expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
      // other routes are not under the strict limit
      expect((await anon.get('/healthz')).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
