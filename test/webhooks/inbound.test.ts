import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAdmin, registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { deliver, sql } from './helpers.js';

let app: TestApp;
let admin: Awaited<ReturnType<typeof loginAdmin>>;
let hook: { id: string; url: string; secret: string };

const TEMPLATE = 'Summarize this ticket: {{ticket.title}} — {{ticket.body}}';
const body = (title = 'Login broken', extra: Record<string, unknown> = {}) =>
  JSON.stringify({ ticket: { title, body: 'Users cannot sign in', ...extra } });
const taskCount = async () =>
  Number((await sql<{ n: string }>(app.databaseUrl, 'SELECT count(*) AS n FROM tasks'))[0]!.n);

beforeAll(async () => {
  // No worker: these tests are about intake; the tasks stay queued.
  app = await startTestApp({ roles: ['api'] });
  admin = await loginAdmin(app.url);
  const r = await admin.api.post('/api/webhooks', {
    name: 'Helpdesk',
    taskType: 'summary',
    promptTemplate: TEMPLATE,
    priority: 'high',
  });
  expect(r.status).toBe(201);
  hook = r.body;
});
afterAll(async () => {
  await app?.close();
});

describe('admin management of inbound hooks', () => {
  it('creates a hook: 201 {id, url, secret}; the secret is encrypted at rest and never listed', async () => {
    expect(hook).toMatchObject({
      id: expect.any(String),
      url: `${app.url}/api/webhooks/in/${hook.id}`,
      secret: expect.stringMatching(/^sy_whs_/),
    });
    const [row] = await sql<{ secret: string }>(
      app.databaseUrl,
      'SELECT secret FROM webhooks WHERE id = $1',
      [hook.id],
    );
    expect(row!.secret).not.toContain(hook.secret);
    expect(row!.secret).toMatch(/^v1\./);

    const list = await admin.api.get('/api/webhooks');
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ page: 1, limit: 20, total: 1 });
    expect(list.body.items[0]).toMatchObject({
      id: hook.id,
      name: 'Helpdesk',
      taskType: 'summary',
      priority: 'high',
      url: hook.url,
      callbackUrl: null,
    });
    expect(list.text).not.toContain(hook.secret);
    expect(app.logs.join('\n')).not.toContain(hook.secret);
  });

  it('is for admins only, and validates what it is given', async () => {
    const user = await registerUser(app.url);
    expect((await user.api.get('/api/webhooks')).status).toBe(403);
    expect(
      (await user.api.post('/api/webhooks', { name: 'x', taskType: 'summary', promptTemplate: 'x' })).status,
    ).toBe(403);
    const badType = await admin.api.post('/api/webhooks', {
      name: 'x',
      taskType: 'nope',
      promptTemplate: 'x',
    });
    expect(badType.status).toBe(400);
    expect(badType.body.error.code).toBe('validation_failed');
    const badTemplate = await admin.api.post('/api/webhooks', {
      name: 'x',
      taskType: 'summary',
      promptTemplate: '{{> partial}}',
    });
    expect(badTemplate.status).toBe(400);
    expect(badTemplate.body.error.details[0].field).toBe('body.promptTemplate');
    const badUrl = await admin.api.post('/api/webhooks', {
      name: 'x',
      taskType: 'summary',
      promptTemplate: 'x',
      callbackUrl: 'ftp://example.com/',
    });
    expect(badUrl.status).toBe(400);
  });

  it('is described in the OpenAPI document, intake routes included', async () => {
    const doc = (await (await fetch(`${app.url}/api/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    for (const p of [
      '/api/webhooks',
      '/api/webhooks/{id}',
      '/api/webhooks/{id}/rotate',
      '/api/webhooks/{id}/deliveries',
      '/api/webhooks/callback-secret',
      '/api/webhooks/in/{hookId}',
      '/api/tasks/{id}/callbacks',
    ]) {
      expect(doc.paths, p).toHaveProperty([p]);
    }
    // GitHub intake is off in this app (no GITHUB_WEBHOOK_SECRET): neither routed nor documented.
    expect(doc.paths).not.toHaveProperty(['/api/webhooks/github']);
    const gh = await fetch(`${app.url}/api/webhooks/github`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(gh.status).toBe(404);
  });

  it('deletes a hook; its deliveries then answer 404', async () => {
    const h = (
      await admin.api.post('/api/webhooks', { name: 'Temp', taskType: 'summary', promptTemplate: '{{x}}' })
    ).body;
    expect((await admin.api.delete(`/api/webhooks/${h.id}`)).status).toBe(204);
    expect((await admin.api.delete(`/api/webhooks/${h.id}`)).status).toBe(404);
    const r = await deliver(h.url, '{"x":1}', { secret: h.secret });
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('not_found');
  });
});

describe('signed deliveries: POST /api/webhooks/in/:hookId', () => {
  it('accepts a correctly signed delivery: 202 {taskId}, a queued task from the template', async () => {
    const r = await deliver(hook.url, body(), { secret: hook.secret });
    expect(r.status).toBe(202);
    expect(r.body).toEqual({ taskId: expect.any(String) });
    const [task] = await sql<Record<string, string>>(app.databaseUrl, 'SELECT * FROM tasks WHERE id = $1', [
      r.body.taskId,
    ]);
    expect(task).toMatchObject({
      source: 'webhook',
      webhook_id: hook.id,
      user_id: admin.user.id,
      task_type: 'summary',
      priority: 'high',
      status: 'queued',
      description: 'Summarize this ticket: Login broken — Users cannot sign in',
    });
    const mine = await admin.api.get(`/api/tasks/${r.body.taskId}`);
    expect(mine.status).toBe(200);
    expect(mine.body.source).toBe('webhook');
  });

  it('refuses a tampered body, a wrong secret and a missing or malformed signature with 401, creating nothing', async () => {
    const before = await taskCount();
    const signedFor = body('Original');
    const header = (await import('../../src/core/webhooks/signature.js')).signPayload(hook.secret, signedFor);
    const tampered = await deliver(hook.url, body('Tampered'), { signature: header });
    expect(tampered.status).toBe(401);
    expect(tampered.body.error.code).toBe('invalid_signature');
    expect((await deliver(hook.url, body(), { secret: 'sy_whs_wrong' })).status).toBe(401);
    expect((await deliver(hook.url, body(), { signature: null })).status).toBe(401);
    expect((await deliver(hook.url, body(), { signature: 'sha256=abc' })).status).toBe(401);
    expect(await taskCount()).toBe(before);
  });

  it('refuses stale and future timestamps (more than 5 minutes either way)', async () => {
    const before = await taskCount();
    const stale = await deliver(hook.url, body(), { secret: hook.secret, nowMs: Date.now() - 6 * 60_000 });
    expect(stale.status).toBe(401);
    expect(stale.body.error.message).toMatch(/5 minutes/);
    const future = await deliver(hook.url, body(), { secret: hook.secret, nowMs: Date.now() + 6 * 60_000 });
    expect(future.status).toBe(401);
    expect(await taskCount()).toBe(before);
    // Inside the window both ways is fine.
    expect(
      (await deliver(hook.url, body('Slightly early'), { secret: hook.secret, nowMs: Date.now() + 60_000 }))
        .status,
    ).toBe(202);
  });

  it('deduplicates by Idempotency-Key: the first answers 202, a repeat 200 with the same taskId', async () => {
    const before = await taskCount();
    const first = await deliver(hook.url, body('Idem'), {
      secret: hook.secret,
      headers: { 'idempotency-key': 'ticket-42' },
    });
    expect(first.status).toBe(202);
    // A retry re-signs (new timestamp) and may even differ in body: the key decides.
    const again = await deliver(hook.url, body('Idem (retry)'), {
      secret: hook.secret,
      nowMs: Date.now() + 1000,
      headers: { 'idempotency-key': 'ticket-42' },
    });
    expect(again.status).toBe(200);
    expect(again.body.taskId).toBe(first.body.taskId);
    // Another delivery (another signed request: the very same one under a new key is a replay).
    const other = await deliver(hook.url, body('Idem, another ticket'), {
      secret: hook.secret,
      headers: { 'idempotency-key': 'ticket-43' },
    });
    expect(other.status).toBe(202);
    expect(other.body.taskId).not.toBe(first.body.taskId);
    expect(await taskCount()).toBe(before + 2);
  });

  it('treats a replay of the very same signed request as a repeat even without Idempotency-Key', async () => {
    const b = body('Replayed');
    const sig = (await import('../../src/core/webhooks/signature.js')).signPayload(hook.secret, b);
    const first = await deliver(hook.url, b, { signature: sig });
    const replay = await deliver(hook.url, b, { signature: sig });
    expect(first.status).toBe(202);
    expect(replay.status).toBe(200);
    expect(replay.body.taskId).toBe(first.body.taskId);
  });

  it('answers 400 validation_failed listing every template field the body lacks', async () => {
    const before = await taskCount();
    const r = await deliver(hook.url, JSON.stringify({ ticket: { subject: 'x' } }), { secret: hook.secret });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('validation_failed');
    expect(r.body.error.message).toContain('ticket.title, ticket.body');
    expect(r.body.error.details.map((d: { field: string }) => d.field)).toEqual([
      'body.ticket.title',
      'body.ticket.body',
    ]);
    expect(await taskCount()).toBe(before);
  });

  it('answers 413 above 256 KB, 415 for non-JSON, 400 invalid_json for broken JSON — never 500', async () => {
    const big = JSON.stringify({ ticket: { title: 'big', body: 'x'.repeat(300 * 1024) } });
    const tooBig = await deliver(hook.url, big, { secret: hook.secret });
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.error.code).toBe('payload_too_large');

    const form = await deliver(hook.url, 'ticket=1', {
      secret: hook.secret,
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(form.status).toBe(415);
    expect(form.body.error.code).toBe('unsupported_media_type');
    const text = await deliver(hook.url, body(), { secret: hook.secret, contentType: 'text/plain' });
    expect(text.status).toBe(415);

    const broken = await deliver(hook.url, '{"ticket": ', { secret: hook.secret });
    expect(broken.status).toBe(400);
    expect(broken.body.error.code).toBe('invalid_json');

    expect(
      (await deliver(`${app.url}/api/webhooks/in/not-a-uuid`, body(), { secret: hook.secret })).status,
    ).toBe(404);
    expect(
      (
        await deliver(`${app.url}/api/webhooks/in/00000000-0000-4000-8000-000000000000`, body(), {
          secret: hook.secret,
        })
      ).status,
    ).toBe(404);
    const badKey = await deliver(hook.url, body(), {
      secret: hook.secret,
      headers: { 'idempotency-key': 'x'.repeat(300) },
    });
    expect(badKey.status).toBe(400);
  });
});

describe('secret rotation', () => {
  it('accepts the old secret during its grace period and refuses it after', async () => {
    const h = (
      await admin.api.post('/api/webhooks', {
        name: 'Rotating',
        taskType: 'summary',
        promptTemplate: '{{text}}',
      })
    ).body;
    const old = h.secret as string;
    const rotated = await admin.api.post(`/api/webhooks/${h.id}/rotate`, {});
    expect(rotated.status).toBe(200);
    const fresh = rotated.body.secret as string;
    expect(fresh).not.toBe(old);
    const hours = (Date.parse(rotated.body.previousSecretExpiresAt) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(23.9);
    expect(hours).toBeLessThanOrEqual(24);

    expect((await deliver(h.url, '{"text":"with new"}', { secret: fresh })).status).toBe(202);
    expect((await deliver(h.url, '{"text":"with old, in grace"}', { secret: old })).status).toBe(202);

    // The grace period ends.
    await sql(
      app.databaseUrl,
      `UPDATE webhooks SET previous_secret_expires_at = now() - interval '1 second' WHERE id = $1`,
      [h.id],
    );
    const late = await deliver(h.url, '{"text":"with old, too late"}', { secret: old });
    expect(late.status).toBe(401);
    expect((await deliver(h.url, '{"text":"with new, still fine"}', { secret: fresh })).status).toBe(202);

    // graceHours: 0 revokes the old secret at once.
    const again = await admin.api.post(`/api/webhooks/${h.id}/rotate`, { graceHours: 0 });
    expect((await deliver(h.url, '{"text":"x"}', { secret: fresh })).status).toBe(401);
    expect((await deliver(h.url, '{"text":"y"}', { secret: again.body.secret })).status).toBe(202);
    expect((await admin.api.post(`/api/webhooks/${h.id}/rotate`, { graceHours: -1 })).status).toBe(400);
  });
});
