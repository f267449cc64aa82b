import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySignature } from '../../src/core/webhooks/signature.js';
import { loginAdmin, registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { type RecordedRequest, type StubServer, sendJson, startStubServer } from '../helpers/stubServer.js';
import { deliver, sql, waitFor } from './helpers.js';

const verifies = (r: RecordedRequest, secret: string) =>
  verifySignature(r.headers['x-switchyard-signature'] as string, r.rawBody, [secret]).ok;

describe('signed callbacks (OUTBOUND_ALLOW_PRIVATE on, 1 s first retry delay)', () => {
  let app: TestApp;
  let stub: StubServer;
  let admin: Awaited<ReturnType<typeof loginAdmin>>;

  beforeAll(async () => {
    stub = await startStubServer();
    app = await startTestApp({ env: { OUTBOUND_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_DELAY_SECONDS: '1' } });
    admin = await loginAdmin(app.url);
  });
  afterAll(async () => {
    await app?.close();
    await stub?.close();
  });

  it('retries a failing receiver with backoff until it accepts, each attempt signed and recorded', async () => {
    let calls = 0;
    stub.handle((req, res) => {
      if (req.path !== '/hook-cb') return sendJson(res, 404, {});
      calls++;
      return calls <= 2 ? sendJson(res, 500, { error: 'try later' }) : sendJson(res, 204, {});
    });
    const created = await admin.api.post('/api/webhooks', {
      name: 'With callback',
      taskType: 'summary',
      promptTemplate: 'Summarize: {{text}}',
      callbackUrl: `${stub.url}/hook-cb`,
    });
    expect(created.status).toBe(201);
    const hook = created.body;
    const accepted = await deliver(hook.url, JSON.stringify({ text: 'the quarterly report' }), {
      secret: hook.secret,
    });
    expect(accepted.status).toBe(202);
    const taskId = accepted.body.taskId as string;

    const attempts = await waitFor(async () => {
      const r = stub.requests.filter((x) => x.path === '/hook-cb');
      return r.length >= 3 ? r : null;
    }, 'three callback attempts');

    // Exactly one attempt was accepted, and every attempt carried a valid signature over its exact body.
    expect(attempts).toHaveLength(3);
    for (const a of attempts) expect(verifies(a, hook.secret)).toBe(true);
    expect(attempts.map((a) => a.headers['x-switchyard-attempt'])).toEqual(['1', '2', '3']);
    expect(new Set(attempts.map((a) => a.headers['x-switchyard-delivery'])).size).toBe(1);
    const payload = attempts[2]!.json();
    expect(payload).toMatchObject({
      event: 'task.completed',
      task: { id: taskId, status: 'completed', source: 'webhook' },
      content: { contentData: expect.any(String) },
    });
    expect(payload.content.contentData.length).toBeGreaterThan(0);
    expect(attempts[2]!.headers['x-switchyard-event']).toBe('task.completed');

    const deliveries = await waitFor(async () => {
      const r = await admin.api.get(`/api/webhooks/${hook.id}/deliveries`);
      return r.body.total === 3 ? r.body : null;
    }, 'three recorded attempts');
    expect(
      deliveries.items.map((d: { attempt: number; status: string; responseStatus: number }) => [
        d.attempt,
        d.status,
        d.responseStatus,
      ]),
    ).toEqual([
      [3, 'succeeded', 204],
      [2, 'failed', 500],
      [1, 'failed', 500],
    ]);
    const onTask = await admin.api.get(`/api/tasks/${taskId}/callbacks`);
    expect(onTask.status).toBe(200);
    expect(onTask.body.total).toBe(3);
    expect(onTask.body.items[0]).toMatchObject({
      taskId,
      webhookId: hook.id,
      url: `${stub.url}/hook-cb`,
      event: 'task.completed',
    });

    const stranger = await registerUser(app.url);
    expect((await stranger.api.get(`/api/tasks/${taskId}/callbacks`)).status).toBe(404);
    expect((await stranger.api.get(`/api/webhooks/${hook.id}/deliveries`)).status).toBe(403);
  });

  it('signs callbacks of API tasks with the owner’s callback secret, and reports failures as task.failed', async () => {
    stub.reset();
    stub.handle((_req, res) => sendJson(res, 200, { ok: true }));
    const user = await registerUser(app.url);
    const secret = (await user.api.get('/api/webhooks/callback-secret')).body.secret as string;
    expect(secret).toMatch(/^sy_whs_/);
    const other = await registerUser(app.url);
    expect((await other.api.get('/api/webhooks/callback-secret')).body.secret).not.toBe(secret);

    const task = await user.api.post('/api/tasks', {
      description: 'A short poem',
      taskType: 'article',
      callbackUrl: `${stub.url}/api-cb`,
    });
    expect(task.status).toBe(201);
    const [req] = await waitFor(async () => {
      const r = stub.requests.filter((x) => x.path === '/api-cb');
      return r.length ? r : null;
    }, 'the API task callback');
    expect(verifies(req!, secret)).toBe(true);
    expect(req!.json()).toMatchObject({
      event: 'task.completed',
      task: { id: task.body.id, userId: user.user.id },
    });

    // A provider refusal fails the task: the callback says so.
    await sql(
      app.databaseUrl,
      `UPDATE ai_providers SET config = config || '{"failureMode":"refusal"}'::jsonb WHERE kind = 'mock'`,
    );
    try {
      const failing = await user.api.post('/api/tasks', {
        description: 'This one fails',
        taskType: 'article',
        callbackUrl: `${stub.url}/api-cb-fail`,
      });
      const [f] = await waitFor(async () => {
        const r = stub.requests.filter((x) => x.path === '/api-cb-fail');
        return r.length ? r : null;
      }, 'the failed task callback');
      expect(verifies(f!, secret)).toBe(true);
      expect(f!.json()).toMatchObject({
        event: 'task.failed',
        task: { id: failing.body.id, status: 'failed' },
      });
      expect(f!.json().content).toBeUndefined();
    } finally {
      await sql(
        app.databaseUrl,
        `UPDATE ai_providers SET config = config - 'failureMode' WHERE kind = 'mock'`,
      );
    }
  });

  it('a cancelled task posts task.cancelled to its callback', async () => {
    stub.reset();
    stub.handle((_req, res) => sendJson(res, 200, { ok: true }));
    const user = await registerUser(app.url);
    const secret = (await user.api.get('/api/webhooks/callback-secret')).body.secret as string;
    // A slow mock keeps the task running until we cancel it.
    await sql(
      app.databaseUrl,
      `UPDATE ai_providers SET config = config || '{"latencyMs":60000}'::jsonb WHERE kind = 'mock'`,
    );
    try {
      const task = await user.api.post('/api/tasks', {
        description: 'Never finishes',
        taskType: 'article',
        callbackUrl: `${stub.url}/api-cb-cancel`,
      });
      await waitFor(async () => {
        const r = await user.api.get(`/api/tasks/${task.body.id}/status`);
        return r.body.status === 'running' ? r : null;
      }, 'the task to start');
      expect((await user.api.post(`/api/tasks/${task.body.id}/cancel`)).status).toBe(200);
      const [c] = await waitFor(async () => {
        const r = stub.requests.filter((x) => x.path === '/api-cb-cancel');
        return r.length ? r : null;
      }, 'the cancellation callback');
      expect(verifies(c!, secret)).toBe(true);
      expect(c!.json()).toMatchObject({
        event: 'task.cancelled',
        task: { id: task.body.id, status: 'cancelled' },
      });
      expect(c!.headers['x-switchyard-event']).toBe('task.cancelled');
    } finally {
      await sql(app.databaseUrl, `UPDATE ai_providers SET config = config - 'latencyMs' WHERE kind = 'mock'`);
    }
  });
});

describe('callbacks to private addresses (OUTBOUND_ALLOW_PRIVATE off)', () => {
  let app: TestApp;
  let stub: StubServer;

  beforeAll(async () => {
    stub = await startStubServer((_req, res) => sendJson(res, 200, {}));
    app = await startTestApp({ env: { WEBHOOK_RETRY_DELAY_SECONDS: '1' } });
  });
  afterAll(async () => {
    await app?.close();
    await stub?.close();
  });

  it('refuses a callback to 127.0.0.1: recorded as refused, never sent, not retried', async () => {
    const admin = await loginAdmin(app.url);
    const hook = (
      await admin.api.post('/api/webhooks', {
        name: 'Local',
        taskType: 'summary',
        promptTemplate: '{{text}}',
        callbackUrl: `${stub.url}/cb`,
      })
    ).body;
    const r = await deliver(hook.url, '{"text":"hello"}', { secret: hook.secret });
    expect(r.status).toBe(202);
    const list = await waitFor(async () => {
      const d = await admin.api.get(`/api/webhooks/${hook.id}/deliveries`);
      return d.body.total > 0 ? d.body : null;
    }, 'the refused attempt');
    expect(list.total).toBe(1);
    expect(list.items[0]).toMatchObject({
      status: 'refused',
      attempt: 1,
      responseStatus: null,
      taskId: r.body.taskId,
    });
    expect(list.items[0].error).toMatch(/non-public|not public/);
    expect(stub.count()).toBe(0);
    // The refused attempt's job ends (it may still be finishing when the row appears) and no further
    // attempt is waiting in the queue: a retry would stay 'retry' or 'created' and this would time out.
    await waitFor(async () => {
      const pending = await sql<{ n: string }>(
        app.databaseUrl,
        `SELECT count(*) AS n FROM pgboss.job WHERE name = 'deliver-webhook' AND state IN ('created', 'retry', 'active')`,
      );
      return Number(pending[0]!.n) === 0 || null;
    }, 'no deliver-webhook job left');
    expect((await admin.api.get(`/api/webhooks/${hook.id}/deliveries`)).body.total).toBe(1);
    expect(stub.count()).toBe(0);
  });
});
