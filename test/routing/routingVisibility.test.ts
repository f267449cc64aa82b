import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAdmin, registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { waitForStatus } from '../tasks/helpers.js';

/**
 * GET /api/tasks/:id/routing: a task's owner sees the chain tried and why each provider was kept or
 * dropped, but not the admin's accounts (names, ids), their remaining budgets, scores or costs.
 * Site admins see the whole record.
 */
let app: TestApp;
let admin: Awaited<ReturnType<typeof loginAdmin>>;
let user: Awaited<ReturnType<typeof registerUser>>;
let tiny: string;
let mockId: string;

const SECRET_ACCOUNT = 'ops-secret-account';

beforeAll(async () => {
  app = await startTestApp();
  admin = await loginAdmin(app.url);
  user = await registerUser(app.url);
  const p = await admin.api.post('/api/providers', {
    name: 'Tiny',
    kind: 'mock',
    competencies: { article: 1 },
    costPer1kInput: 0.5,
    costPer1kOutput: 1.5,
  });
  expect(p.status, p.text).toBe(201);
  tiny = p.body.id;
  // Ten tokens: never enough, so the router drops it for budget (its note quotes what is left).
  const a = await admin.api.post(`/api/providers/${tiny}/accounts`, {
    accountName: SECRET_ACCOUNT,
    tokenLimit: 10,
  });
  expect(a.status, a.text).toBe(201);
  const list = await admin.api.get('/api/providers');
  mockId = list.body.items.find((x: { name: string }) => x.name === 'Mock').id;
}, 60_000);
afterAll(async () => {
  await app?.close();
});

async function runTask(extra: Record<string, unknown> = {}) {
  const r = await user.api.post('/api/tasks', {
    description: 'Write about lighthouses',
    taskType: 'article',
    ...extra,
  });
  expect(r.status, r.text).toBe(201);
  return waitForStatus(user.api, r.body.id, ['completed', 'failed'], 30_000);
}

/** Every key anywhere in a JSON value. */
function keysOf(v: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(v)) for (const x of v) keysOf(x, out);
  else if (v && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) {
      out.add(k);
      keysOf(x, out);
    }
  return out;
}

const BUDGET_KEYS = [
  'accounts',
  'accountId',
  'accountName',
  'remainingAfter',
  'estimatedCostUsd',
  'score',
  'terms',
  'weights',
  'reserved',
];

function expectNoBudgets(body: unknown) {
  const keys = keysOf(body);
  for (const k of BUDGET_KEYS) expect(keys.has(k), `owner view has "${k}"`).toBe(false);
  const text = JSON.stringify(body);
  expect(text).not.toContain(SECRET_ACCOUNT);
  expect(text).not.toContain('"default"'); // the built-in mock's account name
  expect(text).not.toMatch(/has \d+ left|needs \d+ tokens/);
}

describe('the routing decision', () => {
  it('the owner sees the chain and the reasons, without accounts, budgets, scores or costs', async () => {
    const done = await runTask();
    expect(done.status).toBe('completed');
    const r = await user.api.get(`/api/tasks/${done.id}/routing`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ taskId: done.id, decided: true, outcome: 'succeeded', view: 'owner' });
    expect(r.body.chain).toEqual([
      expect.objectContaining({ providerId: mockId, name: 'Mock', outcome: 'succeeded', model: 'mock-1' }),
    ]);
    expect(r.body.candidates).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'Mock', kept: true, rank: 1 }),
        expect.objectContaining({
          name: 'Tiny',
          kept: false,
          reason: 'no_budget',
          note: 'provider has no token budget left for this task',
        }),
      ]),
    );
    expectNoBudgets(r.body);

    // The admin sees the whole record: accounts with what they have left, scores, costs.
    const full = await admin.api.get(`/api/tasks/${done.id}/routing`);
    expect(full.status).toBe(200);
    expect(full.body.view).toBe('admin');
    const mock = full.body.candidates.find((c: { name: string }) => c.name === 'Mock');
    expect(mock).toMatchObject({ score: expect.any(Number), terms: expect.any(Object) });
    expect(mock.accounts).toEqual([
      expect.objectContaining({ name: 'default', remainingAfter: expect.any(Number) }),
    ]);
    const dropped = full.body.candidates.find((c: { name: string }) => c.name === 'Tiny');
    expect(dropped).toMatchObject({ estimatedCostUsd: expect.any(Number) });
    expect(dropped.note).toMatch(/needs \d+ tokens; the best account has 10 left/);
    expect(full.body.chain[0]).toMatchObject({ accountName: 'default', accountId: expect.any(String) });
    expect(full.body.weights).toEqual(expect.any(Object));
  });

  it('a pinned provider that could not serve is explained without its budget', async () => {
    const done = await runTask({ providerId: tiny });
    expect(done.status).toBe('completed');
    const r = await user.api.get(`/api/tasks/${done.id}/routing`);
    expect(r.body.pinned).toMatchObject({ providerId: tiny, honoured: false });
    expect(r.body.pinned.reason).toContain('provider has no token budget left for this task');
    expectNoBudgets(r.body);
    const full = await admin.api.get(`/api/tasks/${done.id}/routing`);
    expect(full.body.pinned.reason).toMatch(/the best account has 10 left/);
  });

  it('when no provider can run the task, the error in the owner view names no budget', async () => {
    const dis = await admin.api.put(`/api/providers/${mockId}`, { status: 'disabled' });
    expect(dis.body).toEqual(expect.objectContaining({ status: 'disabled' }));
    expect(dis.status).toBe(200);
    try {
      const done = await runTask();
      expect(done.status).toBe('failed');
      const r = await user.api.get(`/api/tasks/${done.id}/routing`);
      expect(r.body.outcome).toBe('no_provider');
      expect(r.body.error).toContain('Tiny (not enough token budget left on its accounts for this task)');
      expectNoBudgets(r.body);
      // The task's own error (GET /api/tasks/:id) names no account's remaining budget either.
      const task = await user.api.get(`/api/tasks/${done.id}`);
      expect(task.body.error).toContain('Tiny (not enough token budget left on its accounts for this task)');
      expect(task.body.error).not.toMatch(/has \d+ left/);
      // The admin still sees each account's remaining budget in the candidates' notes.
      const full = await admin.api.get(`/api/tasks/${done.id}/routing`);
      const tinyNote = full.body.candidates.find((c: { name: string }) => c.name === 'Tiny').note;
      expect(tinyNote).toMatch(/the best account has 10 left/);
    } finally {
      await admin.api.put(`/api/providers/${mockId}`, { status: 'active' });
    }
  });

  it('another user gets 404', async () => {
    const done = await runTask();
    const other = await registerUser(app.url);
    expect((await other.api.get(`/api/tasks/${done.id}/routing`)).status).toBe(404);
  });
});
