import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { type BudgetStore, createBudgetStore } from '../../src/models/budgetStore.js';
import { createDb, createPool, type Db } from '../../src/models/db.js';
import { createProviderHealthStore } from '../../src/models/providerHealthStore.js';
import { createTestDatabase } from '../helpers/db.js';

/** The budget ledger and circuit breaker SQL against a real PostgreSQL, many concurrent callers. */
let pool: pg.Pool;
let db: Db;
let budgets: BudgetStore;
let userId: string;

beforeAll(async () => {
  pool = createPool(await createTestDatabase(), createLogger({ level: 'silent' }), 24);
  db = createDb(pool);
  budgets = createBudgetStore(db);
  const u = await pool.query(`INSERT INTO users (username) VALUES ('ledger') RETURNING id`);
  userId = u.rows[0].id;
});
afterAll(() => pool.end());

async function providerWithAccount(o: {
  limit: number;
  used?: number;
  period?: string;
  resetDate?: string | null;
  timeoutMs?: number;
}) {
  const p = await pool.query(
    `INSERT INTO ai_providers (name, kind, timeout_ms) VALUES ($1, 'mock', $2) RETURNING id`,
    [`p-${Math.random()}`, o.timeoutMs ?? 60_000],
  );
  const a = await pool.query(
    `INSERT INTO provider_accounts (provider_id, account_name, token_limit, token_used, reset_period, reset_date) VALUES ($1, 'main', $2, $3, $4, $5) RETURNING id`,
    [p.rows[0].id, o.limit, o.used ?? 0, o.period ?? 'none', o.resetDate ?? null],
  );
  return { providerId: p.rows[0].id as string, accountId: a.rows[0].id as string };
}

async function newTask(status = 'running') {
  const t = await pool.query(
    `INSERT INTO tasks (user_id, title, description, task_type, status) VALUES ($1, 't', 'd', 'article', $2) RETURNING id`,
    [userId, status],
  );
  return t.rows[0].id as string;
}

async function account(id: string) {
  const r = await pool.query(
    'SELECT token_limit, token_used, token_reserved, reset_date, last_reset_at FROM provider_accounts WHERE id = $1',
    [id],
  );
  const row = r.rows[0];
  return {
    limit: Number(row.token_limit),
    used: Number(row.token_used),
    reserved: Number(row.token_reserved),
    resetDate: row.reset_date as Date | null,
    lastResetAt: row.last_reset_at as Date | null,
  };
}

const start = (taskId: string, providerId: string, accountId: string, tokens: number) =>
  budgets.reserveAndStart({
    taskId,
    providerId,
    providerName: 'p',
    accountId,
    attempt: 1,
    model: 'm',
    tokens,
  });

describe('budget ledger', () => {
  it('concurrent reservations never pass the limit (one statement, row-locked re-check)', async () => {
    const { providerId, accountId } = await providerWithAccount({ limit: 10_000 });
    const tasks = await Promise.all(Array.from({ length: 120 }, () => newTask()));
    const ids = await Promise.all(tasks.map((t) => start(t, providerId, accountId, 300)));
    const won = ids.filter(Boolean);
    expect(won).toHaveLength(33); // 33 × 300 = 9,900 ≤ 10,000 < 34 × 300
    expect(await account(accountId)).toMatchObject({ used: 0, reserved: 9_900 });
    const rows = await pool.query(
      'SELECT count(*)::int AS n, sum(tokens_reserved)::int AS r FROM task_assignments WHERE account_id = $1',
      [accountId],
    );
    expect(rows.rows[0]).toEqual({ n: 33, r: 9_900 });

    // Settle every winner concurrently at less than reserved: reserved goes back to 0, used is the real usage.
    await Promise.all(
      won.map((id) =>
        budgets.settle(id!, { status: 'succeeded', tokensUsed: 250, tokensInput: 50, tokensOutput: 200 }),
      ),
    );
    expect(await account(accountId)).toMatchObject({ used: 33 * 250, reserved: 0 });
  });

  it('settles exactly once per attempt', async () => {
    const { providerId, accountId } = await providerWithAccount({ limit: 10_000 });
    const id = (await start(await newTask(), providerId, accountId, 1000))!;
    const results = await Promise.all(
      [1, 2, 3].map(() => budgets.settle(id, { status: 'succeeded', tokensUsed: 700 })),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await budgets.settle(id, { status: 'failed', tokensUsed: 0 })).toBe(false);
    expect(await account(accountId)).toMatchObject({ used: 700, reserved: 0 });
  });

  it('a failed attempt releases its reservation and charges nothing', async () => {
    const { providerId, accountId } = await providerWithAccount({ limit: 5_000 });
    const id = (await start(await newTask(), providerId, accountId, 4_000))!;
    expect(await start(await newTask(), providerId, accountId, 2_000)).toBeNull();
    await budgets.settle(id, {
      status: 'failed',
      tokensUsed: 0,
      errorCode: 'server_error',
      errorMessage: 'boom',
    });
    expect(await account(accountId)).toMatchObject({ used: 0, reserved: 0 });
    expect(await start(await newTask(), providerId, accountId, 2_000)).not.toBeNull();
  });

  it('refuses a disabled account', async () => {
    const { providerId, accountId } = await providerWithAccount({ limit: 5_000 });
    await pool.query(`UPDATE provider_accounts SET status = 'disabled' WHERE id = $1`, [accountId]);
    expect(await start(await newTask(), providerId, accountId, 10)).toBeNull();
  });

  it('a re-run releases what the lost run left unsettled, and a late settle of the lost run counts nothing', async () => {
    const { providerId, accountId } = await providerWithAccount({ limit: 5_000 });
    const task = await newTask();
    const lost = (await start(task, providerId, accountId, 1_500))!;
    expect(await account(accountId)).toMatchObject({ reserved: 1_500 });
    expect(await budgets.releaseUnsettled(task)).toBe(1);
    expect(await budgets.releaseUnsettled(task)).toBe(0);
    expect(await account(accountId)).toMatchObject({ used: 0, reserved: 0 });
    expect(await budgets.settle(lost, { status: 'succeeded', tokensUsed: 900 })).toBe(false);
    expect(await account(accountId)).toMatchObject({ used: 0, reserved: 0 });
    const row = await pool.query('SELECT status, error_code FROM task_assignments WHERE id = $1', [lost]);
    expect(row.rows[0]).toEqual({ status: 'failed', error_code: 'worker_lost' });
  });

  it('the cleanup releases reservations of ended tasks and of attempts older than timeout + grace, not live ones', async () => {
    const { providerId, accountId } = await providerWithAccount({ limit: 100_000, timeoutMs: 1_000 });
    const live = (await start(await newTask('running'), providerId, accountId, 100))!;
    const ended = (await start(await newTask('failed'), providerId, accountId, 200))!;
    const old = (await start(await newTask('running'), providerId, accountId, 400))!;
    await pool.query(`UPDATE task_assignments SET updated_at = now() - interval '10 minutes' WHERE id = $1`, [
      old,
    ]);
    expect(await account(accountId)).toMatchObject({ reserved: 700 });
    expect(await budgets.releaseStale(60)).toBe(2);
    expect(await account(accountId)).toMatchObject({ reserved: 100 });
    const rows = await pool.query(
      'SELECT id, settled_at IS NOT NULL AS settled FROM task_assignments WHERE id = ANY($1)',
      [[live, ended, old]],
    );
    expect(Object.fromEntries(rows.rows.map((r) => [r.id, r.settled]))).toEqual({
      [live]: false,
      [ended]: true,
      [old]: true,
    });
  });

  it('resets due accounts on the calendar and schedules the next boundary', async () => {
    const monthly = await providerWithAccount({
      limit: 1_000,
      used: 800,
      period: 'monthly',
      resetDate: '2026-03-01T00:00:00Z',
    });
    const weekly = await providerWithAccount({
      limit: 1_000,
      used: 500,
      period: 'weekly',
      resetDate: '2026-03-16T00:00:00Z',
    });
    const later = await providerWithAccount({
      limit: 1_000,
      used: 300,
      period: 'daily',
      resetDate: '2026-03-11T00:00:00Z',
    });
    const unscheduled = await providerWithAccount({
      limit: 1_000,
      used: 100,
      period: 'daily',
      resetDate: null,
    });
    const never = await providerWithAccount({ limit: 1_000, used: 999, period: 'none' });
    const now = new Date('2026-03-10T10:00:00Z');
    await pool.query(
      `UPDATE provider_accounts SET reset_date = '2026-04-01' WHERE reset_period <> 'none' AND id <> ALL($1) AND reset_date IS NOT NULL`,
      [[monthly.accountId, weekly.accountId, later.accountId]],
    ); // accounts from other tests are not due
    const r = await budgets.resetDue(now);
    expect(r.reset).toBe(1);
    expect(r.scheduled).toBe(1);
    expect(await account(monthly.accountId)).toMatchObject({
      used: 0,
      resetDate: new Date('2026-04-01T00:00:00Z'),
      lastResetAt: now,
    });
    expect(await account(weekly.accountId)).toMatchObject({
      used: 500,
      resetDate: new Date('2026-03-16T00:00:00Z'),
    });
    expect(await account(later.accountId)).toMatchObject({ used: 300 });
    expect(await account(unscheduled.accountId)).toMatchObject({
      used: 100,
      resetDate: new Date('2026-03-11T00:00:00Z'),
    });
    expect(await account(never.accountId)).toMatchObject({ used: 999, resetDate: null });
    // A week later the weekly and daily ones are due; the next boundary is computed from now, not from the old date.
    const r2 = await budgets.resetDue(new Date('2026-03-17T08:00:00Z'));
    expect(r2.reset).toBe(3);
    expect(await account(weekly.accountId)).toMatchObject({
      used: 0,
      resetDate: new Date('2026-03-23T00:00:00Z'),
    });
    expect(await account(later.accountId)).toMatchObject({
      used: 0,
      resetDate: new Date('2026-03-18T00:00:00Z'),
    });
  });
});

describe('circuit breaker state (provider_health)', () => {
  const circuit = {
    failureThreshold: 3,
    errorRateThreshold: 0.5,
    minSamples: 100,
    windowSeconds: 300,
    cooldownSeconds: 0,
  };
  const health = () => createProviderHealthStore(db);
  const state = async (providerId: string) =>
    (
      await pool.query(
        'SELECT circuit, consecutive_failures, opened_at, last_error FROM provider_health WHERE provider_id = $1',
        [providerId],
      )
    ).rows[0];

  it('opens after N consecutive failures, counted exactly under concurrency', async () => {
    const { providerId } = await providerWithAccount({ limit: 1 });
    const h = health();
    expect(await h.recordFailure(providerId, 'e1', circuit)).toBe('closed');
    const out = await Promise.all([
      h.recordFailure(providerId, 'e2', circuit),
      h.recordFailure(providerId, 'e3', circuit),
    ]);
    expect(out.sort()).toEqual(['closed', 'open']);
    expect(await state(providerId)).toMatchObject({
      circuit: 'open',
      consecutive_failures: 3,
      opened_at: expect.any(Date),
    });
  });

  it('a success resets the count; it does not close an open circuit (only a probe does)', async () => {
    const { providerId } = await providerWithAccount({ limit: 1 });
    const h = health();
    await h.recordFailure(providerId, 'e', circuit);
    await h.recordFailure(providerId, 'e', circuit);
    await h.recordSuccess(providerId);
    expect(await state(providerId)).toMatchObject({ circuit: 'closed', consecutive_failures: 0 });
    for (let i = 0; i < 3; i++) await h.recordFailure(providerId, 'e', circuit);
    await h.recordSuccess(providerId);
    expect(await state(providerId)).toMatchObject({ circuit: 'open' });
  });

  it('after the cool-down exactly one of many workers takes the probe; its success closes the circuit', async () => {
    const { providerId } = await providerWithAccount({ limit: 1 });
    const h = health();
    for (let i = 0; i < 3; i++) await h.recordFailure(providerId, 'e', circuit);
    const claims = await Promise.all(Array.from({ length: 10 }, () => h.claimProbe(providerId, 0, 60_000)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await state(providerId)).toMatchObject({ circuit: 'half_open' });
    await h.recordSuccess(providerId);
    expect(await state(providerId)).toMatchObject({ circuit: 'closed', consecutive_failures: 0 });
  });

  it('a failed probe re-opens the circuit with a fresh cool-down; an unused probe is given back', async () => {
    const { providerId } = await providerWithAccount({ limit: 1 });
    const h = health();
    for (let i = 0; i < 3; i++) await h.recordFailure(providerId, 'e', circuit);
    const before = (await state(providerId)).opened_at as Date;
    await new Promise((r) => setTimeout(r, 20));
    expect(await h.claimProbe(providerId, 0, 60_000)).toBe(true);
    expect(await h.recordFailure(providerId, 'probe failed', circuit)).toBe('open');
    const after = await state(providerId);
    expect(after.opened_at.getTime()).toBeGreaterThan(before.getTime());
    expect(after.last_error).toBe('probe failed');
    expect(await h.claimProbe(providerId, 3600, 60_000)).toBe(false); // cooling down again
    expect(await h.claimProbe(providerId, 0, 60_000)).toBe(true);
    await h.releaseProbe(providerId);
    expect(await state(providerId)).toMatchObject({ circuit: 'open' });
  });

  it('opens on the error rate over the window even without a run of failures', async () => {
    const { providerId, accountId } = await providerWithAccount({ limit: 1_000_000 });
    const rate = { ...circuit, failureThreshold: 1000, minSamples: 6, errorRateThreshold: 0.5 };
    const attempts = ['ok', 'fail', 'ok', 'fail', 'ok', 'fail'];
    for (const a of attempts) {
      const id = (await start(await newTask(), providerId, accountId, 1))!;
      await budgets.settle(
        id,
        a === 'ok' ? { status: 'succeeded', tokensUsed: 1 } : { status: 'failed', errorCode: 'server_error' },
      );
    }
    expect(await health().recordFailure(providerId, 'the 3rd of 6 failed', rate)).toBe('open');
  });
});
