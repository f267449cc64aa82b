import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, loginAdmin, registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { withDb } from './helpers.js';

/**
 * The Tasks API with no worker running (roles: api), so tasks stay queued and can be listed,
 * changed, cancelled and deleted deterministically. Running/finished behaviour is in lifecycle.test.ts.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ roles: ['api'] });
});
afterAll(async () => {
  await app?.close();
});

const expectError = (r: { status: number; body: any }, status: number, code: string) => {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  expect(r.body).toEqual({ error: expect.objectContaining({ code, message: expect.any(String) }) });
  expect(JSON.stringify(r.body)).not.toMatch(/at .*\.(ts|js):\d+|SELECT |INSERT |node_modules/);
};
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

async function jobOf(taskId: string) {
  const jobId = await withDb(
    app.databaseUrl,
    async (db) => (await db.query('SELECT job_id FROM tasks WHERE id = $1', [taskId])).rows[0]?.job_id,
  );
  return app.sy.boss.getJobById<{ taskId: string }>('generate', jobId);
}

describe('create', () => {
  it('queues a task and its job in the same step, with the priority mapped to the queue', async () => {
    const u = await registerUser(app.url);
    const r = await u.api.post('/api/tasks', {
      description: 'A haiku about queues\nwith a second line',
      taskType: 'social_post',
      priority: 'urgent',
      options: { maxTokens: 100, temperature: 0.3 },
      callbackUrl: 'https://example.com/hook',
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      status: 'queued',
      title: 'A haiku about queues',
      priority: 'urgent',
      options: { maxTokens: 100, temperature: 0.3 },
      callbackUrl: 'https://example.com/hook',
      startedAt: null,
      completedAt: null,
      attempts: 0,
    });
    const job = await jobOf(r.body.id);
    expect(job).toMatchObject({ state: 'created', priority: 30, data: { taskId: r.body.id } });
  });

  it('uses the given title and the admin default priority', async () => {
    const admin = await loginAdmin(app.url);
    expect((await admin.api.post('/api/admin/settings', { 'tasks.defaultPriority': 'high' })).status).toBe(
      200,
    );
    const u = await registerUser(app.url);
    const r = await u.api.post('/api/tasks', { description: 'x', taskType: 'code', title: '  My title ' });
    expect(r.body).toMatchObject({ title: 'My title', priority: 'high' });
    await admin.api.post('/api/admin/settings', { 'tasks.defaultPriority': 'normal' });
  });

  it('Idempotency-Key: the same key from the same caller returns the original response and creates nothing', async () => {
    const u = await registerUser(app.url);
    const body = { description: 'Idempotent please', taskType: 'summary' };
    const first = await u.api.post('/api/tasks', body, { 'idempotency-key': 'key-1' });
    expect(first.status).toBe(201);
    // the task moves on (here: cancelled) — the replay is still the original response
    expect((await u.api.post(`/api/tasks/${first.body.id}/cancel`)).status).toBe(200);
    const again = await u.api.post('/api/tasks', body, { 'idempotency-key': 'key-1' });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');

    // concurrent repeats make one task
    const burst = await Promise.all(
      Array.from({ length: 8 }, () => u.api.post('/api/tasks', body, { 'idempotency-key': 'key-2' })),
    );
    expect(new Set(burst.map((b) => b.body.id)).size).toBe(1);

    // another key, or another user with the same key, is a new task
    const other = await u.api.post('/api/tasks', body, { 'idempotency-key': 'key-3' });
    expect(other.body.id).not.toBe(first.body.id);
    const v = await registerUser(app.url);
    const theirs = await v.api.post('/api/tasks', body, { 'idempotency-key': 'key-1' });
    expect(theirs.status).toBe(201);
    expect(theirs.body.id).not.toBe(first.body.id);

    const mine = await u.api.get('/api/tasks?limit=100');
    expect(mine.body.total).toBe(3);
    const ledger = await withDb(
      app.databaseUrl,
      async (db) =>
        (await db.query(`SELECT count(*)::int AS n FROM inbound_deliveries WHERE source = 'api'`)).rows[0].n,
    );
    expect(ledger).toBe(4);
  });

  it('a key older than 24 hours is forgotten', async () => {
    const u = await registerUser(app.url);
    const first = await u.api.post(
      '/api/tasks',
      { description: 'old', taskType: 'summary' },
      { 'idempotency-key': 'aged' },
    );
    await withDb(app.databaseUrl, (db) =>
      db.query(
        `UPDATE inbound_deliveries SET received_at = now() - interval '25 hours' WHERE delivery_id = $1`,
        [`${u.user.id}:aged`],
      ),
    );
    const second = await u.api.post(
      '/api/tasks',
      { description: 'new', taskType: 'summary' },
      { 'idempotency-key': 'aged' },
    );
    expect(second.status).toBe(201);
    expect(second.body.id).not.toBe(first.body.id);
    expect(second.headers.get('idempotent-replayed')).toBeNull();
  });
});

describe('list, get, status', () => {
  it('lists my tasks with filters and pagination; admins can list everyone’s', async () => {
    const u = await registerUser(app.url);
    const v = await registerUser(app.url);
    for (let i = 0; i < 5; i++) await u.api.post('/api/tasks', { description: `a${i}`, taskType: 'article' });
    for (let i = 0; i < 3; i++) await u.api.post('/api/tasks', { description: `s${i}`, taskType: 'summary' });
    await v.api.post('/api/tasks', { description: 'theirs', taskType: 'article' });

    const all = await u.api.get('/api/tasks');
    expect(all.body).toMatchObject({ page: 1, limit: 20, total: 8 });
    expect(all.body.items.every((t: any) => t.userId === u.user.id)).toBe(true);
    // newest first
    expect(all.body.items[0].description).toBe('s2');

    const page2 = await u.api.get('/api/tasks?taskType=article&limit=2&page=2');
    expect(page2.body).toMatchObject({ page: 2, limit: 2, total: 5 });
    expect(page2.body.items.map((t: any) => t.description)).toEqual(['a2', 'a1']);

    const cancelled = await u.api.post(`/api/tasks/${all.body.items[0].id}/cancel`);
    expect(cancelled.body.status).toBe('cancelled');
    expect((await u.api.get('/api/tasks?status=cancelled')).body.total).toBe(1);
    expect((await u.api.get('/api/tasks?status=queued')).body.total).toBe(7);

    const admin = await loginAdmin(app.url);
    const theirs = await admin.api.get(`/api/tasks?userId=${v.user.id}`);
    expect(theirs.body.total).toBe(1);
    expect(theirs.body.items[0].description).toBe('theirs');
    const everyone = await admin.api.get('/api/tasks?all=true&limit=100');
    expect(everyone.body.total).toBeGreaterThanOrEqual(9);
    expect((await admin.api.get('/api/tasks')).body.total).toBe(0); // the admin's own

    expectError(await u.api.get('/api/tasks?all=true'), 403, 'forbidden');
    expectError(await u.api.get(`/api/tasks?userId=${v.user.id}`), 403, 'forbidden');
  });

  it('gets a task with its assignments and status; another user gets 404, an admin may read it', async () => {
    const u = await registerUser(app.url);
    const t = (await u.api.post('/api/tasks', { description: 'mine', taskType: 'code' })).body;
    const got = await u.api.get(`/api/tasks/${t.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ ...t, assignments: [] });
    const st = await u.api.get(`/api/tasks/${t.id}/status`);
    expect(st.body).toMatchObject({ id: t.id, status: 'queued', attempts: 0, updatedAt: t.updatedAt });

    const v = await registerUser(app.url);
    for (const p of [`/api/tasks/${t.id}`, `/api/tasks/${t.id}/status`])
      expectError(await v.api.get(p), 404, 'not_found');
    expectError(await v.api.put(`/api/tasks/${t.id}`, { title: 'x' }), 404, 'not_found');
    expectError(await v.api.post(`/api/tasks/${t.id}/cancel`), 404, 'not_found');
    expectError(await v.api.delete(`/api/tasks/${t.id}`), 404, 'not_found');
    expect((await u.api.get(`/api/tasks/${t.id}`)).body.status).toBe('queued');

    const admin = await loginAdmin(app.url);
    expect((await admin.api.get(`/api/tasks/${t.id}`)).status).toBe(200);
  });
});

describe('update, cancel, delete', () => {
  it('updates a queued task, and a priority change reaches its job', async () => {
    const u = await registerUser(app.url);
    const t = (await u.api.post('/api/tasks', { description: 'first', taskType: 'article', priority: 'low' }))
      .body;
    const r = await u.api.put(`/api/tasks/${t.id}`, {
      title: 'Renamed',
      description: 'second',
      priority: 'high',
      taskType: 'research',
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      id: t.id,
      title: 'Renamed',
      description: 'second',
      priority: 'high',
      taskType: 'research',
      status: 'queued',
    });
    expect(await jobOf(t.id)).toMatchObject({ priority: 20, state: 'created' });
  });

  it('cancels a queued task: its job is cancelled; a second cancel or an update is 409', async () => {
    const u = await registerUser(app.url);
    const t = (await u.api.post('/api/tasks', { description: 'to cancel', taskType: 'article' })).body;
    const c = await u.api.post(`/api/tasks/${t.id}/cancel`);
    expect(c.status).toBe(200);
    expect(c.body).toMatchObject({ id: t.id, status: 'cancelled' });
    expect(c.body.completedAt).not.toBeNull();
    expect((await jobOf(t.id))?.state).toBe('cancelled');
    expectError(await u.api.post(`/api/tasks/${t.id}/cancel`), 409, 'conflict');
    expectError(await u.api.put(`/api/tasks/${t.id}`, { title: 'too late' }), 409, 'conflict');
  });

  it('deletes a task, cancelling its job first', async () => {
    const u = await registerUser(app.url);
    const t = (await u.api.post('/api/tasks', { description: 'to delete', taskType: 'article' })).body;
    const job = await jobOf(t.id);
    expect((await u.api.delete(`/api/tasks/${t.id}`)).status).toBe(204);
    expectError(await u.api.get(`/api/tasks/${t.id}`), 404, 'not_found');
    expect((await app.sy.boss.getJobById('generate', job!.id))?.state).toBe('cancelled');
    expectError(await u.api.delete(`/api/tasks/${t.id}`), 404, 'not_found');
  });

  it('audits every change', async () => {
    const u = await registerUser(app.url);
    const t = (await u.api.post('/api/tasks', { description: 'audited', taskType: 'article' })).body;
    await u.api.put(`/api/tasks/${t.id}`, { title: 'x' });
    await u.api.post(`/api/tasks/${t.id}/cancel`);
    await u.api.delete(`/api/tasks/${t.id}`);
    const admin = await loginAdmin(app.url);
    const logs = await admin.api.get(`/api/admin/logs?actorId=${u.user.id}&limit=100`);
    expect(
      logs.body.items
        .filter((e: any) => e.targetId === t.id)
        .map((e: any) => e.action)
        .sort(),
    ).toEqual(['task.cancel', 'task.create', 'task.delete', 'task.update']);
  });
});

describe('bad input never gives a 500', () => {
  it('POST /api/tasks', async () => {
    const u = await registerUser(app.url);
    const post = (b: unknown, h?: Record<string, string>) => u.api.post('/api/tasks', b, h);
    expectError(
      await client(app.url).post('/api/tasks', { description: 'x', taskType: 'article' }),
      401,
      'unauthorized',
    );
    expectError(await post('{"description": "x", '), 400, 'invalid_json');
    expectError(
      await post('description=x', { 'content-type': 'application/x-www-form-urlencoded' }),
      415,
      'unsupported_media_type',
    );
    expectError(
      await post(JSON.stringify({ description: 'x'.repeat(2 * 1024 * 1024), taskType: 'article' })),
      413,
      'payload_too_large',
    );

    const missing = await post({});
    expectError(missing, 400, 'validation_failed');
    expect(missing.body.error.details.map((d: any) => d.field)).toEqual(
      expect.arrayContaining(['body.description', 'body.taskType']),
    );
    const types = await post({ description: 42, taskType: ['article'], priority: 3, options: 'fast' });
    expectError(types, 400, 'validation_failed');
    expect(types.body.error.details.map((d: any) => d.field)).toEqual(
      expect.arrayContaining(['body.description', 'body.taskType', 'body.priority', 'body.options']),
    );

    for (const bad of [
      { description: '   ', taskType: 'article' },
      { description: 'x', taskType: 'poem' },
      { description: 'x'.repeat(50_001), taskType: 'article' },
      { description: 'nul \u0000 byte', taskType: 'article' },
      { description: 'x', taskType: 'article', title: 't'.repeat(201) },
      { description: 'x', taskType: 'article', priority: 'asap' },
      { description: 'x', taskType: 'article', providerId: 'not-a-uuid' },
      { description: 'x', taskType: 'article', providerId: UNKNOWN },
      { description: 'x', taskType: 'article', options: { maxTokens: -1 } },
      { description: 'x', taskType: 'article', options: { temperature: 9 } },
      { description: 'x', taskType: 'article', options: { unknown: 1 } },
      { description: 'x', taskType: 'article', callbackUrl: 'ftp://example.com/x' },
      { description: 'x', taskType: 'article', callbackUrl: 'not a url' },
      { description: 'x', taskType: 'article', status: 'completed' },
      [],
    ]) {
      expectError(await post(bad), 400, 'validation_failed');
    }
    expectError(await post('null'), 400, 'invalid_json');
    expectError(
      await post({ description: 'x', taskType: 'article' }, { 'idempotency-key': 'k'.repeat(300) }),
      400,
      'validation_failed',
    );

    // SQL-looking and unicode text is data
    const odd = await post({ description: "'; DROP TABLE tasks; -- 日本語 🎉", taskType: 'article' });
    expect(odd.status).toBe(201);
    expect(odd.body.description).toBe("'; DROP TABLE tasks; -- 日本語 🎉");
    expect((await u.api.get('/api/tasks')).body.total).toBe(1);
  });

  it('GET /api/tasks', async () => {
    const u = await registerUser(app.url);
    for (const q of [
      'status=bogus',
      'limit=1000',
      'limit=0',
      'page=0',
      'page=x',
      'userId=abc',
      'source=fax',
      'all=maybe',
    ]) {
      expectError(await u.api.get(`/api/tasks?${q}`), 400, 'validation_failed');
    }
    expectError(await client(app.url).get('/api/tasks'), 401, 'unauthorized');
  });

  it('routes with an id', async () => {
    const u = await registerUser(app.url);
    const calls = (id: string) => [
      () => u.api.get(`/api/tasks/${id}`),
      () => u.api.get(`/api/tasks/${id}/status`),
      () => u.api.put(`/api/tasks/${id}`, { title: 'x' }),
      () => u.api.delete(`/api/tasks/${id}`),
      () => u.api.post(`/api/tasks/${id}/cancel`),
      () => u.api.get(`/api/content/${id}`),
    ];
    for (const call of calls('123')) expectError(await call(), 400, 'validation_failed');
    for (const call of calls(`${'a'.repeat(5000)}`)) expectError(await call(), 400, 'validation_failed');
    for (const call of calls(UNKNOWN)) expectError(await call(), 404, 'not_found');

    const t = (await u.api.post('/api/tasks', { description: 'x', taskType: 'article' })).body;
    expectError(await u.api.put(`/api/tasks/${t.id}`, {}), 400, 'validation_failed');
    expectError(await u.api.put(`/api/tasks/${t.id}`, { priority: 'asap' }), 400, 'validation_failed');
    expectError(await u.api.put(`/api/tasks/${t.id}`, { taskType: 'poem' }), 400, 'validation_failed');
    expectError(await u.api.put(`/api/tasks/${t.id}`, { status: 'completed' }), 400, 'validation_failed');
    expectError(
      await u.api.put(`/api/tasks/${t.id}`, { description: 'y'.repeat(60_000) }),
      400,
      'validation_failed',
    );
    expectError(await u.api.put(`/api/tasks/${t.id}`, '{"title": '), 400, 'invalid_json');
    expect((await u.api.get(`/api/tasks/${t.id}`)).body.description).toBe('x');
  });

  it('admin stats need an admin and a valid since', async () => {
    const u = await registerUser(app.url);
    expectError(await u.api.get('/api/admin/stats'), 403, 'forbidden');
    expectError(await client(app.url).get('/api/admin/stats'), 401, 'unauthorized');
    const admin = await loginAdmin(app.url);
    expectError(await admin.api.get('/api/admin/stats?since=yesterday'), 400, 'validation_failed');
  });

  it('describes the task routes in the OpenAPI document', async () => {
    const doc = (await client(app.url).get('/api/openapi.json')).body;
    for (const p of [
      '/api/tasks',
      '/api/tasks/{id}',
      '/api/tasks/{id}/status',
      '/api/tasks/{id}/cancel',
      '/api/task-types',
      '/api/content/{id}',
      '/api/admin/stats',
    ]) {
      expect(Object.keys(doc.paths)).toContain(p);
    }
    expect(
      doc.paths['/api/tasks'].post.requestBody.content['application/json'].schema.properties.taskType.enum,
    ).toEqual(
      expect.arrayContaining(['article', 'summary', 'code', 'translation', 'social_post', 'research']),
    );
  });
});
