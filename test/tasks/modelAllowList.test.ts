import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAdmin, registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { waitForStatus } from './helpers.js';

/**
 * Pinning a provider must not let a user pick any model on the admin's key: a task's
 * `options.model` must be one the pinned provider offers (its model list or its default). Intake
 * refuses others with 400 naming the allowed models, on every path into a task (API, content
 * regeneration, chat — all through TaskService.submit); the worker never sends an unlisted model
 * even for a task queued before an admin narrowed the list.
 *
 * The first app runs the API only (tasks stay queued); a worker joins the same database later.
 */
let api: TestApp;
let worker: TestApp | undefined;
let admin: Awaited<ReturnType<typeof loginAdmin>>;
let user: Awaited<ReturnType<typeof registerUser>>;
let pricey: string;

beforeAll(async () => {
  api = await startTestApp({ roles: ['api'] });
  admin = await loginAdmin(api.url);
  user = await registerUser(api.url);
  const p = await admin.api.post('/api/providers', {
    name: 'Pricey',
    kind: 'mock',
    competencies: { article: 1 },
    models: ['cheap-1', 'pricey-9'],
    defaultModel: 'cheap-1',
  });
  expect(p.status, p.text).toBe(201);
  pricey = p.body.id;
  const a = await admin.api.post(`/api/providers/${pricey}/accounts`, {
    accountName: 'admin-key',
    tokenLimit: 1_000_000,
  });
  expect(a.status, a.text).toBe(201);
}, 60_000);
afterAll(async () => {
  await worker?.close();
  await api?.close();
});

const task = (extra: Record<string, unknown>) =>
  user.api.post('/api/tasks', { description: 'Write about lighthouses', taskType: 'article', ...extra });

describe('a pinned provider and options.model', () => {
  it('refuses a model the provider does not offer, naming the allowed ones, and creates nothing', async () => {
    const before = (await user.api.get('/api/tasks')).body.total;
    const r = await task({ providerId: pricey, options: { model: 'gpt-most-expensive' } });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('validation_failed');
    expect(r.body.error.message).toContain('gpt-most-expensive');
    expect(r.body.error.message).toContain('cheap-1, pricey-9');
    expect(r.body.error.details).toEqual([
      expect.objectContaining({
        field: 'body.options.model',
        code: 'model_not_allowed',
        allowed: ['cheap-1', 'pricey-9'],
      }),
    ]);
    // Model names are exact: a different case is a different model.
    expect((await task({ providerId: pricey, options: { model: 'PRICEY-9' } })).status).toBe(400);
    expect((await user.api.get('/api/tasks')).body.total).toBe(before);
  });

  it('accepts a listed model, the default, or no model; an unpinned task is not affected', async () => {
    for (const options of [{ model: 'pricey-9' }, { model: 'cheap-1' }, {}]) {
      const r = await task({ providerId: pricey, options });
      expect(r.status, r.text).toBe(201);
    }
    // Unpinned, the router uses the model only on a provider that lists it (else that provider's default).
    expect((await task({ options: { model: 'whatever-model' } })).status).toBe(201);
  });

  it('the worker never sends a model the provider stopped offering after the task was queued', async () => {
    const queued = await task({ providerId: pricey, options: { model: 'pricey-9' } });
    expect(queued.status, queued.text).toBe(201);
    const narrowed = await admin.api.put(`/api/providers/${pricey}`, { models: ['cheap-1'] });
    expect(narrowed.status, narrowed.text).toBe(200);

    worker = await startTestApp({ databaseUrl: api.databaseUrl, roles: ['worker'] });
    const done = await waitForStatus(user.api, queued.body.id, ['completed', 'failed'], 30_000);
    expect(done.status).toBe('completed');
    const content = await user.api.get(`/api/content/${done.contentId}`);
    expect(content.body.metadata).toMatchObject({ provider: 'Pricey', model: 'cheap-1' });

    // Regenerating that content on the pinned provider goes through the same check.
    const regen = await user.api.post(`/api/content/${done.contentId}/regenerate`, { providerId: pricey });
    expect(regen.status, regen.text).toBe(400);
    expect(regen.body.error.details[0]).toMatchObject({ code: 'model_not_allowed', allowed: ['cheap-1'] });
  }, 60_000);
});
