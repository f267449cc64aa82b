import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, loginAdmin, registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { waitFor } from '../helpers/wait.js';

let app: TestApp;
let admin: Awaited<ReturnType<typeof loginAdmin>>;
let user: Awaited<ReturnType<typeof registerUser>>;

beforeAll(async () => {
  app = await startTestApp();
  admin = await loginAdmin(app.url);
  user = await registerUser(app.url);
});
afterAll(async () => {
  await app?.close();
});

describe('GET /api/prices and PUT /api/admin/prices', () => {
  it('lists the built-in table with its source; anonymous callers get 401', async () => {
    const r = await user.api.get('/api/prices');
    expect(r.status).toBe(200);
    const gpt = r.body.items.find((p: any) => p.providerKind === 'openai' && p.model === 'gpt-4o');
    expect(gpt).toMatchObject({
      inputPerMTokUsd: 2.5,
      outputPerMTokUsd: 10,
      source: '@pydantic/genai-prices@0.1.8',
    });
    expect((await client(app.url).get('/api/prices')).status).toBe(401);
  });

  it('admins override prices (an override wins and is labelled); users get 403; bad input 400', async () => {
    const body = {
      items: [
        { providerKind: 'openai', model: 'gpt-4o', inputPerMTokUsd: 1, outputPerMTokUsd: 2 },
        { providerKind: 'mock', model: '*', inputPerMTokUsd: 2, outputPerMTokUsd: 4 },
      ],
    };
    expect((await client(app.url).put('/api/admin/prices', body)).status).toBe(401);
    expect((await user.api.put('/api/admin/prices', body)).status).toBe(403);
    const bad = await admin.api.put('/api/admin/prices', {
      items: [{ providerKind: 'openai', model: 'x', inputPerMTokUsd: -1 }],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
    expect((await admin.api.put('/api/admin/prices', '{"items": [')).status).toBe(400);
    const ok = await admin.api.put('/api/admin/prices', body);
    expect(ok.status).toBe(200);
    const list = (await user.api.get('/api/prices')).body.items;
    const gpt = list.filter((p: any) => p.providerKind === 'openai' && p.model === 'gpt-4o');
    expect(gpt).toEqual([
      expect.objectContaining({ inputPerMTokUsd: 1, outputPerMTokUsd: 2, source: 'admin override' }),
    ]);
  });

  it("a completed task's real cost is stored on the attempt, the task and the account", async () => {
    const created = await user.api.post('/api/tasks', {
      description: 'Write two lines about budgets',
      taskType: 'summary',
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const done = await waitFor(async () => {
      const r = await user.api.get(`/api/tasks/${id}`);
      return r.body.status === 'completed' ? r.body : null;
    }, 'the task to complete');
    const [a] = done.assignments;
    const db = new pg.Client({ connectionString: app.databaseUrl });
    await db.connect();
    try {
      const { rows } = await db.query(
        'SELECT tokens_input, tokens_output, cost_micros, account_id FROM task_assignments WHERE task_id = $1',
        [id],
      );
      expect(rows).toHaveLength(1);
      const expected = Math.ceil(rows[0].tokens_input * 2 + rows[0].tokens_output * 4);
      expect(expected).toBeGreaterThan(0);
      expect(Number(rows[0].cost_micros)).toBe(expected);
      expect(done.costMicros).toBe(expected);
      // The intake estimate (input with a margin + the output cap, at the dearest candidate) covers it.
      expect(done.estimatedCostMicros).toBeGreaterThanOrEqual(expected);
      const acc = await db.query('SELECT spent_micros FROM provider_accounts WHERE id = $1', [
        rows[0].account_id,
      ]);
      expect(Number(acc.rows[0].spent_micros)).toBeGreaterThanOrEqual(expected);
      expect(a).toBeTruthy();
    } finally {
      await db.end();
    }
  });
});
