import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUES } from '../../src/jobs/boss.js';
import { loginAdmin, registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { TERMINAL, waitFor, withDb } from '../tasks/helpers.js';

/**
 * Provider-account money budgets are reserved by the router before dispatch, in the statement that
 * reserves the tokens: a task whose first choice has no money left goes to the next account within
 * budget (never past a limit), and comes back to the first choice once it has room again.
 */
let app: TestApp;
let admin: Awaited<ReturnType<typeof loginAdmin>>;
let user: Awaited<ReturnType<typeof registerUser>>;
const acc: Record<'A' | 'B', string> = { A: '', B: '' };

beforeAll(async () => {
  app = await startTestApp({ env: { MOCK_PROVIDER: 'off', WORKER_CONCURRENCY: '16' } });
  admin = await loginAdmin(app.url);
  user = await registerUser(app.url);
  for (const [name, tier] of [
    ['A', 'primary'],
    ['B', 'secondary'],
  ] as const) {
    const p = await admin.api.post('/api/providers', {
      name: `Priced ${name}`,
      kind: 'mock',
      tier,
      competencies: { summary: 0.8 },
      config: { latencyMs: 5 },
    });
    expect(p.status, p.text).toBe(201);
    const a = await admin.api.post(`/api/providers/${p.body.id}/accounts`, {
      accountName: 'main',
      tokenLimit: 100_000_000,
      resetPeriod: 'none',
    });
    expect(a.status, a.text).toBe(201);
    acc[name] = a.body.id;
  }
  await admin.api.put('/api/admin/prices', {
    items: [{ providerKind: 'mock', model: '*', inputPerMTokUsd: 10, outputPerMTokUsd: 10 }],
  });
}, 60_000);
afterAll(async () => {
  await app?.close();
});

const runAll = async (n: number) => {
  const ids = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const r = await user.api.post('/api/tasks', {
        description: `Priced routing ${i}`,
        taskType: 'summary',
        options: { maxTokens: 100 },
      });
      expect(r.status).toBe(201);
      return r.body.id as string;
    }),
  );
  await waitFor(
    async () => {
      const rows = await withDb(app.databaseUrl, (c) =>
        c.query('SELECT status FROM tasks WHERE id = ANY($1::uuid[])', [ids]),
      );
      return rows.rows.every((r) => TERMINAL.includes(r.status));
    },
    'the tasks to finish',
    60_000,
  );
  const r = await withDb(app.databaseUrl, (c) =>
    c.query(
      "SELECT account_id, count(*)::int AS n FROM task_assignments WHERE task_id = ANY($1::uuid[]) AND status = 'succeeded' GROUP BY account_id",
      [ids],
    ),
  );
  return Object.fromEntries(r.rows.map((x) => [x.account_id, x.n])) as Record<string, number>;
};

const budgetRow = (id: string) =>
  withDb(app.databaseUrl, async (c) => {
    const r = await c.query('SELECT limit_micros, spent_micros, reserved_micros FROM budgets WHERE id = $1', [
      id,
    ]);
    return {
      limit: Number(r.rows[0].limit_micros),
      spent: Number(r.rows[0].spent_micros),
      reserved: Number(r.rows[0].reserved_micros),
    };
  });

describe('provider-account money budgets', () => {
  it('moves tasks to the next account within budget, never past a limit, and back after room returns', {
    timeout: 120_000,
  }, async () => {
    const b = await admin.api.post('/api/budgets', {
      scope: 'provider_account',
      scopeId: acc.A,
      limitMicros: 1,
      period: 'monthly',
    });
    expect(b.status).toBe(201);
    // No room on A at all: every task runs on B.
    const first = await runAll(6);
    expect(first[acc.A] ?? 0).toBe(0);
    expect(first[acc.B]).toBe(6);
    expect(await budgetRow(b.body.id)).toMatchObject({ spent: 0, reserved: 0 });

    // Room for some: a burst splits between A (up to its limit) and B.
    expect((await admin.api.put(`/api/budgets/${b.body.id}`, { limitMicros: 20_000 })).status).toBe(200);
    let peak = 0;
    let watching = true;
    const watch = (async () => {
      while (watching) {
        const r = await budgetRow(b.body.id);
        peak = Math.max(peak, r.spent + r.reserved);
        await new Promise((res) => setTimeout(res, 20));
      }
    })();
    const second = await runAll(40);
    watching = false;
    await watch;
    const after = await budgetRow(b.body.id);
    expect(second[acc.A]).toBeGreaterThan(0);
    expect(second[acc.B]).toBeGreaterThan(0);
    expect((second[acc.A] ?? 0) + (second[acc.B] ?? 0)).toBe(40);
    expect(peak).toBeLessThanOrEqual(20_000);
    expect(after.reserved).toBe(0);
    expect(after.spent).toBeLessThanOrEqual(20_000);
    const spentOnA = await withDb(app.databaseUrl, (c) =>
      c.query(
        "SELECT coalesce(sum(cost_micros), 0)::bigint AS s FROM task_assignments WHERE account_id = $1 AND status = 'succeeded'",
        [acc.A],
      ),
    );
    expect(after.spent).toBe(Number(spentOnA.rows[0].s));
    console.log(
      `provider budget: 40 tasks → ${second[acc.A]} on A (spent ${after.spent}µ$ of 20000µ$, peak spent+reserved ${peak}µ$), ${second[acc.B]} on B`,
    );

    // Its alerts: the budget job checks provider-account thresholds and tells the budget's creator
    // once per threshold reached (a second run sends nothing new).
    const reached = [50, 80, 100].filter((t) => after.spent * 100 >= t * 20_000);
    expect(reached.length).toBeGreaterThan(0);
    const alerts = async () =>
      ((await admin.api.get('/api/notifications')).body.items as { kind: string; payload: any }[])
        .filter((n) => n.kind === 'budget_alert' && n.payload.budgetId === b.body.id)
        .map((n) => n.payload.threshold as number)
        .sort((x, y) => x - y);
    const runBudgetJob = async () => {
      const id = await app.sy.boss.send(QUEUES.resetBudgets, {});
      await waitFor(
        async () =>
          (
            await withDb(app.databaseUrl, (c) =>
              c.query("SELECT 1 FROM pgboss.job WHERE id = $1 AND state = 'completed'", [id]),
            )
          ).rows.length === 1,
        'the budget job to run',
        30_000,
      );
    };
    await runBudgetJob();
    await runBudgetJob();
    expect(await alerts()).toEqual(reached);

    // Room again (a new limit here; a period reset does the same): traffic returns to A.
    expect((await admin.api.put(`/api/budgets/${b.body.id}`, { limitMicros: 10_000_000 })).status).toBe(200);
    const third = await runAll(4);
    expect(third[acc.A]).toBe(4);
  });
});
