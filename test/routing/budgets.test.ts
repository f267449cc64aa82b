import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TASK_TYPES } from '../../config/taskTypes.js';
import { estimateInputTokens } from '../../src/core/providers/tokens.js';
import { QUEUES } from '../../src/jobs/boss.js';
import { loginAdmin, registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { TERMINAL, waitFor, withDb } from '../tasks/helpers.js';

/**
 * Budgets under load: 200 tasks at once against accounts that can pay for only some of them. No
 * account may ever go over its limit, every reservation must be back to 0 at the end, the overflow
 * falls back to the secondary tier and the rest fail with a clear error. Then the reset-budgets job
 * (through pg-boss) resets an account and traffic returns to it.
 */
const MAX_TOKENS = 100;
const N = 200;
const article = TASK_TYPES.find((t) => t.id === 'article')!;
const prompt = (i: number) => `Budget drill number ${i}: write about the harbour`;
/** What the router reserves for one task on a `mock` provider (safety factor 1), and what the mock then uses. */
const estimate = (i: number) =>
  estimateInputTokens({ system: article.systemPrompt, prompt: prompt(i) }) + MAX_TOKENS;

let app: TestApp;
let admin: Awaited<ReturnType<typeof loginAdmin>>;
const accounts: Record<string, { providerId: string; accountId: string; limit: number }> = {};

beforeAll(async () => {
  app = await startTestApp({ env: { MOCK_PROVIDER: 'off', WORKER_CONCURRENCY: '32' } });
  admin = await loginAdmin(app.url);
  const e = estimate(0);
  const plan = [
    { name: 'Budget A', tier: 'primary', tasks: 40 },
    { name: 'Budget B', tier: 'primary', tasks: 30 },
    { name: 'Budget C', tier: 'secondary', tasks: 10 },
  ];
  for (const p of plan) {
    const created = await admin.api.post('/api/providers', {
      name: p.name,
      kind: 'mock',
      tier: p.tier,
      competencies: { article: 0.8 },
      config: { latencyMs: 15 },
    });
    expect(created.status, created.text).toBe(201);
    const limit = p.tasks * e + Math.floor(e / 2);
    const acc = await admin.api.post(`/api/providers/${created.body.id}/accounts`, {
      accountName: 'main',
      tokenLimit: limit,
      resetPeriod: 'none',
    });
    expect(acc.status, acc.text).toBe(201);
    accounts[p.name] = { providerId: created.body.id, accountId: acc.body.id, limit };
  }
}, 60_000);
afterAll(async () => {
  await app?.close();
});

async function accountRows() {
  return withDb(app.databaseUrl, async (c) => {
    const r = await c.query(`
      SELECT a.id, p.name, a.token_limit::bigint AS limit, a.token_used::bigint AS used, a.token_reserved::bigint AS reserved,
             coalesce((SELECT sum(tokens_used) FROM task_assignments t WHERE t.account_id = a.id AND t.status = 'succeeded'), 0)::bigint AS charged
      FROM provider_accounts a JOIN ai_providers p ON p.id = a.provider_id`);
    return r.rows.map((x) => ({
      id: x.id,
      name: x.name,
      limit: Number(x.limit),
      used: Number(x.used),
      reserved: Number(x.reserved),
      charged: Number(x.charged),
    }));
  });
}

describe('budgets under concurrency', () => {
  it(`${N} concurrent tasks never push an account over its limit`, async () => {
    const users = await Promise.all(Array.from({ length: 4 }, () => registerUser(app.url)));
    const overLimit: string[] = [];
    let sampling = true;
    // Watch the accounts while the tasks run: used + reserved must never pass the limit.
    const sampler = (async () => {
      while (sampling) {
        for (const a of await accountRows())
          if (a.used + a.reserved > a.limit)
            overLimit.push(`${a.name}: ${a.used}+${a.reserved} > ${a.limit}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    const created = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        users[i % users.length]!.api.post('/api/tasks', {
          description: prompt(i),
          taskType: 'article',
          options: { maxTokens: MAX_TOKENS },
        }),
      ),
    );
    for (const c of created) expect(c.status, c.text).toBe(201);
    const ids = created.map((c) => c.body.id as string);

    const finished = await waitFor(
      () =>
        withDb(app.databaseUrl, async (c) => {
          const r = await c.query(`SELECT id, status, error FROM tasks WHERE id = ANY($1)`, [ids]);
          return r.rows.every((t) => TERMINAL.includes(t.status)) ? r.rows : undefined;
        }),
      'every task to finish',
      100_000,
      200,
    );
    sampling = false;
    await sampler;

    expect(overLimit).toEqual([]);
    const rows = await accountRows();
    for (const a of rows) {
      expect(a.used, a.name).toBeLessThanOrEqual(a.limit);
      expect(a.reserved, a.name).toBe(0);
      expect(a.used, a.name).toBe(a.charged); // every charge is one succeeded attempt, counted once
    }

    const completed = finished.filter((t) => t.status === 'completed');
    const failed = finished.filter((t) => t.status === 'failed');
    expect(completed.length + failed.length).toBe(N);
    // 40 + 30 + 10 tasks fit (prompts differ by a token or two, so allow a couple either way).
    expect(completed.length).toBeGreaterThanOrEqual(76);
    expect(completed.length).toBeLessThanOrEqual(80);
    for (const t of failed)
      expect(t.error).toMatch(
        /No provider can (run|take) this "article" task.*(not enough token budget left|budgets held)/s,
      );

    // The overflow fell back to the secondary tier.
    const byProvider = await withDb(
      app.databaseUrl,
      async (c) =>
        (
          await c.query(
            `SELECT provider_name, count(*)::int AS n FROM task_assignments WHERE status = 'succeeded' AND task_id = ANY($1) GROUP BY provider_name`,
            [ids],
          )
        ).rows,
    );
    const served = Object.fromEntries(byProvider.map((r) => [r.provider_name, r.n]));
    expect(served['Budget C']).toBeGreaterThan(0);
    expect(served['Budget A']).toBeGreaterThan(0);
    expect(served['Budget B']).toBeGreaterThan(0);
    // No account was charged for an attempt that did not succeed.
    const failedCharged = await withDb(
      app.databaseUrl,
      async (c) =>
        (
          await c.query(
            `SELECT count(*)::int AS n FROM task_assignments WHERE status <> 'succeeded' AND tokens_used > 0`,
          )
        ).rows[0].n,
    );
    expect(failedCharged).toBe(0);
  }, 120_000);

  it('the reset-budgets job resets a due account on the calendar, and traffic returns to it', async () => {
    const a = accounts['Budget A']!;
    await withDb(app.databaseUrl, (c) =>
      c.query(
        `UPDATE provider_accounts SET reset_period = 'monthly', reset_date = now() - interval '1 minute' WHERE id = $1`,
        [a.accountId],
      ),
    );
    const before = (await accountRows()).find((r) => r.id === a.accountId)!;
    expect(before.used).toBeGreaterThan(0);

    await app.sy.boss.send(QUEUES.resetBudgets, {});
    const after = await waitFor(
      () =>
        withDb(app.databaseUrl, async (c) => {
          const r = await c.query(
            'SELECT token_used, reset_date, last_reset_at FROM provider_accounts WHERE id = $1',
            [a.accountId],
          );
          return Number(r.rows[0].token_used) === 0 ? r.rows[0] : undefined;
        }),
      'the account to be reset',
      20_000,
    );
    const now = new Date();
    expect(after.reset_date.toISOString()).toBe(
      new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString(),
    );
    expect(after.last_reset_at).toBeInstanceOf(Date);

    const status = await admin.api.get(`/api/providers/${a.providerId}/status`);
    expect(status.body.accounts[0]).toMatchObject({
      tokenUsed: 0,
      tokensRemaining: a.limit,
      resetPeriod: 'monthly',
    });

    const u = await registerUser(app.url);
    const t = await u.api.post('/api/tasks', {
      description: prompt(9999),
      taskType: 'article',
      options: { maxTokens: MAX_TOKENS },
    });
    const done = await waitFor(async () => {
      const r = await u.api.get(`/api/tasks/${t.body.id}`);
      return TERMINAL.includes(r.body.status) ? r.body : undefined;
    }, 'the task after the reset');
    expect(done.status).toBe('completed');
    expect(done.assignments.at(-1)).toMatchObject({ providerName: 'Budget A', status: 'succeeded' });
  }, 60_000);
});
