import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SettleAttempt } from '../../src/core/routing/ports.js';
import { createLogger } from '../../src/logger.js';
import { type BudgetStore, createBudgetStore } from '../../src/models/budgetStore.js';
import { createDb, createPool } from '../../src/models/db.js';
import { countStatements, createTestDatabase } from '../helpers/db.js';

/**
 * Successful attempts settled together share statements (models/attemptSettlement.ts); the money
 * must come out exactly as if each were settled alone: the account and its money budget get every
 * reservation back and every real usage and cost charged, each task its own cost and decision, a
 * second settlement of an attempt nothing — and an attempt the database refuses fails alone.
 */
let pool: pg.Pool;
let budgets: BudgetStore;
let userId: string;
let settles: { readonly count: number };

beforeAll(async () => {
  pool = createPool(await createTestDatabase(), createLogger({ level: 'silent' }), 20);
  settles = countStatements(pool, 'settled_at = now()');
  budgets = createBudgetStore(createDb(pool));
  userId = (await pool.query(`INSERT INTO users (username) VALUES ('settler') RETURNING id`)).rows[0].id;
});
afterAll(() => pool?.end());

async function accountWithBudget() {
  const p = await pool.query(`INSERT INTO ai_providers (name, kind) VALUES ($1, 'mock') RETURNING id`, [
    `p-${Math.random()}`,
  ]);
  const a = await pool.query(
    `INSERT INTO provider_accounts (provider_id, account_name, token_limit) VALUES ($1, 'main', 1000000) RETURNING id`,
    [p.rows[0].id],
  );
  const b = await pool.query(
    `INSERT INTO budgets (scope, scope_id, name, limit_micros, period, action)
     VALUES ('provider_account', $1, 'acct', 100000000, 'monthly', 'block') RETURNING id`,
    [a.rows[0].id],
  );
  return { providerId: p.rows[0].id as string, accountId: a.rows[0].id as string, budgetId: b.rows[0].id };
}

async function started(n: number, providerId: string, accountId: string) {
  const out: Array<{ taskId: string; assignmentId: string }> = [];
  for (let i = 0; i < n; i++) {
    const taskId = (
      await pool.query(
        `INSERT INTO tasks (user_id, title, description, task_type, status) VALUES ($1, 't', 'd', 'article', 'running') RETURNING id`,
        [userId],
      )
    ).rows[0].id as string;
    const assignmentId = await budgets.reserveAndStart({
      taskId,
      providerId,
      providerName: 'p',
      accountId,
      attempt: 1,
      model: 'm',
      tokens: 500,
      micros: 5_000,
    });
    out.push({ taskId, assignmentId: assignmentId! });
  }
  return out;
}

const success = (i: number): SettleAttempt => ({
  status: 'succeeded',
  model: 'm',
  tokensInput: 100 + i,
  tokensOutput: 50,
  tokensUsed: 150 + i,
  latencyMs: 10,
  costMicros: 1_000 + i,
  output: { text: `answer ${i}` } as never,
});
const record = (taskId: string, i: number) => ({
  taskId,
  runKey: 'run-1',
  decision: { run: { key: 'run-1' }, outcome: 'succeeded', n: i },
});

const money = async (accountId: string, budgetId: string) => {
  const a = (
    await pool.query('SELECT token_used, token_reserved, spent_micros FROM provider_accounts WHERE id = $1', [
      accountId,
    ])
  ).rows[0];
  const b = (
    await pool.query('SELECT reserved_micros, spent_micros, spent_tokens FROM budgets WHERE id = $1', [
      budgetId,
    ])
  ).rows[0];
  return {
    used: Number(a.token_used),
    reserved: Number(a.token_reserved),
    spent: Number(a.spent_micros),
    budgetReserved: Number(b.reserved_micros),
    budgetSpent: Number(b.spent_micros),
    budgetTokens: Number(b.spent_tokens),
  };
};

describe('settling successes together', () => {
  it('charges exactly what settling each alone would, in fewer statements than attempts', async () => {
    const { providerId, accountId, budgetId } = await accountWithBudget();
    const runs = await started(8, providerId, accountId);
    expect(await money(accountId, budgetId)).toMatchObject({ reserved: 4_000, budgetReserved: 40_000 });

    const before = settles.count;
    const results = await Promise.all(
      runs.map((x, i) => budgets.settle(x.assignmentId, success(i), record(x.taskId, i))),
    );
    expect(results).toEqual(runs.map(() => true));
    expect(settles.count - before).toBeLessThan(runs.length);

    const used = runs.reduce((n, _, i) => n + 150 + i, 0);
    const cost = runs.reduce((n, _, i) => n + 1_000 + i, 0);
    expect(await money(accountId, budgetId)).toEqual({
      used,
      reserved: 0,
      spent: cost,
      budgetReserved: 0,
      budgetSpent: cost,
      budgetTokens: used,
    });
    const tasks = await pool.query(
      `SELECT t.id, t.cost_micros, t.routing, a.status, a.output FROM tasks t JOIN task_assignments a ON a.task_id = t.id
        WHERE t.id = ANY($1::uuid[])`,
      [runs.map((x) => x.taskId)],
    );
    const byTask = new Map(tasks.rows.map((r) => [r.id, r]));
    for (const [i, x] of runs.entries()) {
      const row = byTask.get(x.taskId)!;
      expect(Number(row.cost_micros)).toBe(1_000 + i);
      expect(row.routing).toMatchObject({ outcome: 'succeeded', n: i, previousRuns: [] });
      expect(row).toMatchObject({ status: 'succeeded', output: { text: `answer ${i}` } });
    }

    // Settling again (a re-run, a retried call) changes nothing and says so.
    const again = await Promise.all(
      runs.map((x, i) => budgets.settle(x.assignmentId, success(i), record(x.taskId, i))),
    );
    expect(again).toEqual(runs.map(() => false));
    expect((await money(accountId, budgetId)).spent).toBe(cost);
  });

  it('an attempt the database refuses fails alone; the others are settled and charged', async () => {
    const { providerId, accountId, budgetId } = await accountWithBudget();
    const runs = await started(4, providerId, accountId);
    const outcomes = await Promise.allSettled(
      runs.map((x, i) =>
        budgets.settle(
          x.assignmentId,
          // Out of range for an integer column: refused by the database.
          i === 1 ? { ...success(i), latencyMs: 2 ** 40 } : success(i),
          record(x.taskId, i),
        ),
      ),
    );
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    const m = await money(accountId, budgetId);
    expect(m).toMatchObject({ used: 150 + 152 + 153, reserved: 500, spent: 1_000 + 1_002 + 1_003 });
    expect(m.budgetReserved).toBe(5_000);
  });
});
