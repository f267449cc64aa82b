import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccountHold, GatewayCallRecord, GatewayStore } from '../../src/core/gateway/ports.js';
import type { RoutingStore } from '../../src/core/routing/ports.js';
import { createLogger } from '../../src/logger.js';
import { createDb, createPool } from '../../src/models/db.js';
import { DEAD_LEASE_SECONDS, releaseDeadGatewayLeases } from '../../src/models/gatewayLeaseSweep.js';
import { CONFIRM_MS, createGatewayStore } from '../../src/models/gatewayStore.js';
import { createSpendBudgetStore } from '../../src/models/spendBudgetStore.js';
import { createTestDatabase } from '../helpers/db.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The money part of the gateway's account leases (models/gatewayStore.ts), per budget: a budget added
 * to an account while processes hold leases on it gets back exactly what it was given (never another
 * process's reservation), and a process paused past the sweep does not serve from a lease whose rows
 * the sweep took.
 */
let pool: pg.Pool;
let userId: string;
let providerId: string;
const stores: GatewayStore[] = [];
const routing = {} as RoutingStore;

beforeAll(async () => {
  pool = createPool(await createTestDatabase(), createLogger({ level: 'silent' }), 6);
  userId = (await pool.query(`INSERT INTO users (username) VALUES ('acct-budgets') RETURNING id`)).rows[0].id;
  providerId = (
    await pool.query(`INSERT INTO ai_providers (name, kind) VALUES ('p', 'openai_compatible') RETURNING id`)
  ).rows[0].id;
}, 60_000);

afterAll(async () => {
  for (const s of stores) await s.close().catch(() => {});
  await pool?.end();
});

async function account(): Promise<string> {
  return (
    await pool.query(
      `INSERT INTO provider_accounts (provider_id, account_name, token_limit) VALUES ($1, $2, 1000000000) RETURNING id`,
      [providerId, randomUUID()],
    )
  ).rows[0].id;
}

async function accountBudget(accountId: string): Promise<string> {
  return (
    await pool.query(
      `INSERT INTO budgets (scope, scope_id, name, limit_micros, period, action)
       VALUES ('provider_account', $1, 'acct', 1000000000, 'total', 'block') RETURNING id`,
      [accountId],
    )
  ).rows[0].id;
}

/** Per budget of the account: its reserved amount and what the lease rows on it hold. */
async function ledger(accountId: string) {
  const r = await pool.query(
    `SELECT b.id, b.reserved_micros::int AS reserved,
            (SELECT coalesce(sum(micros), 0)::int FROM budget_leases l WHERE l.budget_id = b.id) AS leased
     FROM budgets b WHERE scope = 'provider_account' AND scope_id = $1 ORDER BY b.created_at`,
    [accountId],
  );
  return r.rows as Array<{ id: string; reserved: number; leased: number }>;
}

async function tokens(accountId: string) {
  const r = await pool.query(
    `SELECT token_reserved::int AS reserved,
            (SELECT coalesce(sum(tokens), 0)::int FROM gateway_leases WHERE account_id = $1) AS leased
     FROM provider_accounts WHERE id = $1`,
    [accountId],
  );
  return r.rows[0] as { reserved: number; leased: number };
}

function call(accountId: string, hold: AccountHold): GatewayCallRecord {
  const now = new Date();
  return {
    taskId: randomUUID(),
    userId,
    teamId: null,
    taskType: 'chat',
    title: 'Gateway: m',
    description: 'x',
    status: 'completed',
    error: null,
    providerId,
    model: 'm',
    maxTokens: 10,
    createdAt: now,
    completedAt: now,
    routing: {},
    attempts: [
      {
        id: randomUUID(),
        providerId,
        providerName: 'p',
        providerKind: 'openai_compatible',
        accountId,
        status: 'succeeded',
        model: 'm',
        tokensInput: 20,
        tokensOutput: 10,
        tokensReserved: 100,
        microsReserved: hold.micros,
        microsBudgetIds: hold.budgetIds,
        ...(hold.leaseId ? { leaseId: hold.leaseId } : {}),
        latencyMs: 1,
        errorCode: null,
        errorMessage: null,
        costMicros: 300,
      },
    ],
  };
}

describe('account leases: money per budget', () => {
  it('a budget added while two processes hold leases gets back exactly what it was given', async () => {
    const accountId = await account();
    const first = await accountBudget(accountId);
    const p = createGatewayStore(createDb(pool), routing);
    const q = createGatewayStore(createDb(pool), routing);
    stores.push(p, q);

    const p1 = (await p.reserve(accountId, 100, 1000))!;
    expect(p1).toMatchObject({ micros: 1000, budgetIds: [first] });
    // A second budget on the account, while p holds its lease.
    const second = await accountBudget(accountId);
    // q leases after it: its chunk is on both budgets.
    const q1 = (await q.reserve(accountId, 100, 1000))!;
    expect(q1.budgetIds.sort()).toEqual([first, second].sort());
    // p serves from its lease (on the first budget only) and records its calls.
    const p2 = (await p.reserve(accountId, 100, 1000))!;
    expect(p2.budgetIds).toEqual([first]);
    await p.record([call(accountId, p1), call(accountId, p2)]);
    await p.releaseLeases();

    // p is done: the second budget still holds exactly q's lease (p took nothing of it).
    const mid = await ledger(accountId);
    expect(mid.map((b) => b.reserved)).toEqual(mid.map((b) => b.leased));
    expect(mid.find((b) => b.id === second)!.reserved).toBeGreaterThan(0);
    expect(mid.find((b) => b.id === first)!.reserved).toBe(mid.find((b) => b.id === second)!.reserved);

    // p's lease ran out meanwhile: its next chunk is on both budgets; the old one went back.
    await q.record([call(accountId, q1)]);
    const p3 = (await p.reserve(accountId, 100, 1000))!;
    expect(p3.budgetIds.sort()).toEqual([first, second].sort());
    await p.record([call(accountId, p3)]);
    await p.releaseLeases();
    await q.releaseLeases();
    const end = await ledger(accountId);
    expect(end.map((b) => b.reserved)).toEqual([0, 0]);
    expect(end.map((b) => b.leased)).toEqual([0, 0]);
    expect(await tokens(accountId)).toEqual({ reserved: 0, leased: 0 });
  });

  it('a budget removed while a lease is held leaves nothing behind on the others', async () => {
    const accountId = await account();
    const kept = await accountBudget(accountId);
    const removed = await accountBudget(accountId);
    const p = createGatewayStore(createDb(pool), routing);
    stores.push(p);
    const h1 = (await p.reserve(accountId, 100, 1000))!;
    expect(h1.budgetIds.sort()).toEqual([kept, removed].sort());
    await pool.query('DELETE FROM budgets WHERE id = $1', [removed]);
    const h2 = (await p.reserve(accountId, 100, 1000))!;
    await p.record([call(accountId, h1), call(accountId, h2)]);
    await p.releaseLeases();
    expect(await ledger(accountId)).toEqual([{ id: kept, reserved: 0, leased: 0 }]);
  });
});

describe('account leases: a process paused past the sweep', () => {
  async function sweep(processOf: string) {
    for (const table of ['gateway_leases', 'budget_leases'])
      await pool.query(
        `UPDATE ${table} SET heartbeat_at = now() - interval '2 minutes' WHERE process_id = $1`,
        [processOf],
      );
    await releaseDeadGatewayLeases(pool, DEAD_LEASE_SECONDS);
    await createSpendBudgetStore(createDb(pool)).releaseDeadLeases(DEAD_LEASE_SECONDS);
  }
  const processOf = async (accountId: string) =>
    (await pool.query(`SELECT process_id FROM gateway_leases WHERE account_id = $1`, [accountId])).rows[0]
      .process_id as string;

  it('serves no more from a lease not confirmed for CONFIRM_MS: the next call leases afresh', async () => {
    const accountId = await account();
    await accountBudget(accountId);
    let clock = 1_000_000;
    const p = createGatewayStore(createDb(pool), routing, { now: () => clock, heartbeatMs: 3_600_000 });
    stores.push(p);
    const h1 = (await p.reserve(accountId, 100, 1000))!;
    // Paused for two minutes: swept as dead.
    await sweep(await processOf(accountId));
    expect(await tokens(accountId)).toEqual({ reserved: 0, leased: 0 });
    clock += CONFIRM_MS;
    // It resumes: the next call is not served from the swept lease but from a new one.
    const h2 = (await p.reserve(accountId, 100, 1000))!;
    const held = await tokens(accountId);
    expect(held.reserved).toBeGreaterThanOrEqual(100);
    expect(held.reserved).toBe(held.leased);
    const money = await ledger(accountId);
    expect(money[0]!.reserved).toBeGreaterThanOrEqual(1000);
    expect(money[0]!.reserved).toBe(money[0]!.leased);
    // Its calls recorded and its lease given back: nothing left, nothing taken twice.
    await p.record([call(accountId, h1), call(accountId, h2)]);
    await p.releaseLeases();
    expect(await tokens(accountId)).toEqual({ reserved: 0, leased: 0 });
    expect((await ledger(accountId)).map((b) => b.reserved)).toEqual([0]);
  });

  it('after a sweep, a call reserved before it never gives back what a newer lease reserved (lease generations)', async () => {
    const accountId = await account();
    await accountBudget(accountId);
    let clock = 1_000_000;
    const p = createGatewayStore(createDb(pool), routing, { now: () => clock, heartbeatMs: 3_600_000 });
    stores.push(p);
    const h1 = (await p.reserve(accountId, 100, 1000))!;
    // Paused past the sweep; on resume a call leases afresh (the rows are re-created).
    await sweep(await processOf(accountId));
    clock += CONFIRM_MS;
    const h2 = (await p.reserve(accountId, 100, 1000))!;
    // The call from before the pause is dropped by the recorder, and the idle lease goes back:
    // neither gives back the reservation of the call made after it.
    await p.dropped([call(accountId, h1)]);
    await p.releaseLeases();
    expect(await tokens(accountId)).toEqual({ reserved: 100, leased: 100 });
    expect((await ledger(accountId)).map((b) => [b.reserved, b.leased])).toEqual([[1000, 1000]]);
    await p.record([call(accountId, h2)]);
    await p.releaseLeases();
    expect(await tokens(accountId)).toEqual({ reserved: 0, leased: 0 });
    expect((await ledger(accountId)).map((b) => b.reserved)).toEqual([0]);
    await p.close();
    const rows = await pool.query('SELECT count(*)::int AS n FROM gateway_leases WHERE account_id = $1', [
      accountId,
    ]);
    expect(rows.rows[0].n).toBe(0);
  });

  it('a heartbeat does not void a lease whose statement, sent before it, committed after its snapshot', async () => {
    const a = await account();
    const b = await account();
    let clock = 1_000_000;
    const p = createGatewayStore(createDb(pool), routing, { now: () => clock, heartbeatMs: 3_600_000 });
    stores.push(p);
    await p.reserve(a, 100);
    const pid = await processOf(a);
    const l1 = await pool.connect();
    const l2 = await pool.connect();
    const waiting = async (n: number) => {
      for (let i = 0; i < 200; i++) {
        const r = await pool.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE datname = current_database() AND cardinality(pg_blocking_pids(pid)) > 0`,
        );
        if (r.rows[0].n >= n) return;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`${n} statements never waited`);
    };
    try {
      await l1.query('BEGIN');
      await l1.query('SELECT id FROM provider_accounts WHERE id = $1 FOR UPDATE', [b]);
      await l2.query('BEGIN');
      await l2.query('SELECT 1 FROM gateway_leases WHERE process_id = $1 AND account_id = $2 FOR UPDATE', [
        pid,
        a,
      ]);
      // A lease statement on the second account waits for its row…
      const taking = p.reserve(b, 100);
      await waiting(1);
      clock += 1;
      // …while a heartbeat is sent: its UPDATE (snapshot taken) waits too.
      const beating = p.heartbeat();
      await waiting(2);
      // The lease commits and comes back first, then the heartbeat, without the new row.
      await l1.query('COMMIT');
      expect(await taking).not.toBeNull();
      await l2.query('COMMIT');
      await beating;
    } finally {
      l1.release();
      l2.release();
    }
    // The new lease still serves from memory: nothing given back, nothing leased again.
    expect(await p.reserve(b, 100)).not.toBeNull();
    expect(await tokens(b)).toEqual({ reserved: 3200, leased: 3200 });
  });

  it('a heartbeat that finds the lease rows gone voids the lease at once', async () => {
    const accountId = await account();
    await accountBudget(accountId);
    const p = createGatewayStore(createDb(pool), routing, { heartbeatMs: 3_600_000 });
    stores.push(p);
    const h1 = (await p.reserve(accountId, 100, 1000))!;
    await sweep(await processOf(accountId));
    await p.heartbeat();
    const h2 = (await p.reserve(accountId, 100, 1000))!;
    const held = await tokens(accountId);
    expect(held.reserved).toBeGreaterThanOrEqual(100);
    expect(held.reserved).toBe(held.leased);
    await p.record([call(accountId, h1), call(accountId, h2)]);
    await p.releaseLeases();
    expect(await tokens(accountId)).toEqual({ reserved: 0, leased: 0 });
  });

  it('a heartbeat that finds the rows keeps the lease serving from memory', async () => {
    const accountId = await account();
    let clock = 1_000_000;
    const p = createGatewayStore(createDb(pool), routing, { now: () => clock, heartbeatMs: 3_600_000 });
    stores.push(p);
    await p.reserve(accountId, 100, 0);
    const before = await tokens(accountId);
    clock += CONFIRM_MS - 1;
    await p.heartbeat();
    clock += CONFIRM_MS - 1;
    await p.reserve(accountId, 100, 0);
    // Served from the lease: nothing more reserved.
    expect(await tokens(accountId)).toEqual(before);
    await p.releaseLeases();
  });

  it('a revoked lease (a budget changed) goes back and serves no more', async () => {
    const accountId = await account();
    const first = await accountBudget(accountId);
    const p = createGatewayStore(createDb(pool), routing, { heartbeatMs: 3_600_000 });
    stores.push(p);
    const h1 = (await p.reserve(accountId, 100, 1000))!;
    await p.record([call(accountId, h1)]);
    expect((await tokens(accountId)).reserved).toBeGreaterThan(0);
    // A budget is added to the account (heard through the cache bus): the lease goes back…
    const second = await accountBudget(accountId);
    p.revokeLeases();
    await waitFor(async () => (await tokens(accountId)).reserved === 0, 'the lease to go back');
    expect(await tokens(accountId)).toEqual({ reserved: 0, leased: 0 });
    // …and the next call leases afresh, on both budgets.
    const h2 = (await p.reserve(accountId, 100, 1000))!;
    expect(h2.budgetIds.sort()).toEqual([first, second].sort());
    await p.record([call(accountId, h2)]);
    await p.releaseLeases();
    expect((await ledger(accountId)).map((b) => b.reserved)).toEqual([0, 0]);
  });
});
