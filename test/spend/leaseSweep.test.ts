import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { settleDroppedCall } from '../../src/composeGateway.js';
import type { GatewayCallRecord } from '../../src/core/gateway/ports.js';
import type { RoutingStore } from '../../src/core/routing/ports.js';
import {
  DEAD_BUDGET_LEASE_SECONDS,
  GatewayBudgetLeases,
  LEASE_CONFIRM_MS,
  type LeaseHold,
} from '../../src/core/spend/gatewayLeases.js';
import type { BudgetStore, LeaseScopes } from '../../src/core/spend/ports.js';
import { createLogger } from '../../src/logger.js';
import { createDb, createPool } from '../../src/models/db.js';
import { createGatewayStore } from '../../src/models/gatewayStore.js';
import { createSpendBudgetStore } from '../../src/models/spendBudgetStore.js';
import { createTestDatabase } from '../helpers/db.js';

/**
 * The gateway's budget leases (models/spendBudgetStore.ts) against the budget job's sweep of dead
 * processes: a process paused long enough to be swept, then resumed, gives back nothing twice (the
 * budget's reserved amount stays the sum of the live lease rows), and the sweep locks the budgets
 * before the lease rows, as everything else does (no deadlock with the resumed process's settlement).
 */
let pool: pg.Pool;
let store: BudgetStore;
let userId: string;
const budgetIds: string[] = [];
const size = { calls: 4, share: 1 };

beforeAll(async () => {
  pool = createPool(await createTestDatabase(), createLogger({ level: 'silent' }), 6);
  store = createSpendBudgetStore(createDb(pool));
  const u = await pool.query(`INSERT INTO users (username) VALUES ('sweep-user') RETURNING id`);
  userId = u.rows[0].id;
  for (const name of ['a', 'b']) {
    const b = await pool.query(
      `INSERT INTO budgets (scope, scope_id, owner_user_id, name, limit_micros, period, action)
       VALUES ('user', $1, $1, $2, 1000000, 'total', 'block') RETURNING id`,
      [userId, name],
    );
    budgetIds.push(b.rows[0].id);
  }
  budgetIds.sort();
}, 60_000);

afterAll(async () => {
  await pool?.end();
});

async function ledger(): Promise<{ reserved: number[]; leased: number[]; spent: number[] }> {
  const b = await pool.query(
    `SELECT b.reserved_micros::int AS r, b.spent_micros::int AS s,
            (SELECT coalesce(sum(micros), 0)::int FROM budget_leases l WHERE l.budget_id = b.id) AS l
     FROM budgets b ORDER BY b.id`,
  );
  return {
    reserved: b.rows.map((r) => r.r),
    leased: b.rows.map((r) => r.l),
    spent: b.rows.map((r) => r.s),
  };
}

async function gatewayTask(): Promise<string> {
  const id = randomUUID();
  await pool.query(
    `INSERT INTO tasks (id, user_id, title, description, task_type, status, source)
     VALUES ($1, $2, 'Gateway: m', 'x', 'chat', 'completed', 'gateway')`,
    [id, userId],
  );
  return id;
}

const stale = (processId: string) =>
  pool.query(`UPDATE budget_leases SET heartbeat_at = now() - interval '2 minutes' WHERE process_id = $1`, [
    processId,
  ]);

describe('budget leases and the sweep of dead processes', () => {
  it('a process swept as dead that resumes and settles gives back nothing twice', async () => {
    const paused = randomUUID();
    const live = randomUUID();
    const caller = { userId, teamId: null, apiTokenId: null };
    const g1 = await store.lease(paused, caller, 1000, 0, size);
    const g2 = await store.lease(live, caller, 1000, 0, size);
    expect(g1).toMatchObject({ kind: 'granted', micros: 4000 });
    expect(g2).toMatchObject({ kind: 'granted', micros: 4000 });
    expect((await ledger()).reserved).toEqual([8000, 8000]);

    // The paused process is silent for two minutes: the sweep gives its lease back.
    await stale(paused);
    expect(await store.releaseDeadLeases(DEAD_BUDGET_LEASE_SECONDS)).toBe(8000);
    expect(await ledger()).toEqual({ reserved: [4000, 4000], leased: [4000, 4000], spent: [0, 0] });

    // It resumes: its call in flight settles (charged), its leftover goes back — neither takes
    // anything from the live process's lease.
    const taskId = await gatewayTask();
    await store.settleLeased(paused, [
      { taskId, budgetIds, reservedMicros: 1000, reservedTokens: 0, costMicros: 700, usedTokens: 0 },
    ]);
    await store.releaseLease(paused, budgetIds, 3000, 0);
    expect(await ledger()).toEqual({ reserved: [4000, 4000], leased: [4000, 4000], spent: [700, 700] });

    // The live process settles and gives back all it holds: nothing left reserved.
    const t2 = await gatewayTask();
    await store.settleLeased(live, [
      { taskId: t2, budgetIds, reservedMicros: 1000, reservedTokens: 0, costMicros: 500, usedTokens: 0 },
    ]);
    await store.releaseLease(live, budgetIds, 3000, 0);
    expect(await ledger()).toEqual({ reserved: [0, 0], leased: [0, 0], spent: [1200, 1200] });
    await pool.query(`DELETE FROM budget_leases`);
  });

  it('the sweep locks the budgets before the lease rows (no deadlock with a resumed settlement)', async () => {
    const paused = randomUUID();
    const caller = { userId, teamId: null, apiTokenId: null };
    expect(await store.lease(paused, caller, 1000, 0, size)).toMatchObject({ kind: 'granted' });
    await stale(paused);
    const before = await ledger();

    // The resumed process's settlement holds the first budget (as settleLeased locks it)…
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      await c.query(`SET LOCAL deadlock_timeout = '100ms'`);
      await c.query(`SELECT id FROM budgets WHERE id = $1 FOR UPDATE`, [budgetIds[0]]);
      // …while the sweep runs: it waits for that budget, holding nothing the settlement needs.
      const sweep = store.releaseDeadLeases(DEAD_BUDGET_LEASE_SECONDS);
      for (let i = 0; i < 100; i++) {
        const w = await pool.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
        );
        if (w.rows[0].n > 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      // The settlement goes on to its lease row, as settleLeased does, and commits.
      await c.query(
        `UPDATE budget_leases SET micros = micros - 1000, heartbeat_at = now() WHERE process_id = $1 AND budget_id = $2`,
        [paused, budgetIds[0]],
      );
      await c.query(`UPDATE budgets SET reserved_micros = reserved_micros - 1000 WHERE id = $1`, [
        budgetIds[0],
      ]);
      await c.query('COMMIT');
      // The row whose heartbeat came back is kept; the other one is given back.
      expect(await sweep).toBe(4000);
    } catch (e) {
      await c.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      c.release();
    }
    const after = await ledger();
    expect(after.reserved).toEqual([before.reserved[0]! - 1000, before.reserved[1]! - 4000]);
    expect(after.leased).toEqual(after.reserved);
    await pool.query(`DELETE FROM budget_leases`);
  });
});

describe('a process paused past the sweep (core/spend/gatewayLeases.ts)', () => {
  it('does not serve from a lease the sweep took: unconfirmed for LEASE_CONFIRM_MS, or its rows found gone, it leases afresh', async () => {
    await pool.query(`DELETE FROM budget_leases`);
    await pool.query(`UPDATE budgets SET reserved_micros = 0, spent_micros = 0`);
    let clock = 1_000_000_000;
    const processId = randomUUID();
    const leases = new GatewayBudgetLeases({
      processId,
      store,
      settle: async (p, calls) => {
        await store.settleLeased(p, calls);
      },
      ...size,
      now: () => clock,
      heartbeatMs: 3_600_000,
    });
    const caller = { userId, teamId: null, apiTokenId: null };
    const holds: LeaseHold[] = [];
    const take = async () => {
      const t = await leases.take(caller, 1000, 0);
      expect(t.kind).toBe('held');
      if (t.kind === 'held') holds.push(t.hold);
    };
    await take();
    expect(await ledger()).toMatchObject({ reserved: [4000, 4000], leased: [4000, 4000] });

    // Paused for two minutes: swept as dead, then resumed past LEASE_CONFIRM_MS.
    await stale(processId);
    expect(await store.releaseDeadLeases(DEAD_BUDGET_LEASE_SECONDS)).toBe(8000);
    clock += LEASE_CONFIRM_MS;
    await take();
    // Not served from the swept lease: a new one is reserved (and counted) behind it.
    expect(await ledger()).toMatchObject({ reserved: [4000, 4000], leased: [4000, 4000] });

    // Swept again; this time the heartbeat notices before any call does.
    await stale(processId);
    await store.releaseDeadLeases(DEAD_BUDGET_LEASE_SECONDS);
    await leases.heartbeat();
    await take();
    expect(await ledger()).toMatchObject({ reserved: [4000, 4000], leased: [4000, 4000] });

    // A heartbeat that finds the rows confirms the lease: it keeps serving from memory.
    clock += LEASE_CONFIRM_MS - 1;
    await leases.heartbeat();
    clock += LEASE_CONFIRM_MS - 1;
    await take();
    expect(await ledger()).toMatchObject({ reserved: [4000, 4000], leased: [4000, 4000] });

    // Every call settled (never recorded here: their estimates go back) and the lease closed.
    await leases.settle(
      holds.map((h) => ({
        taskId: randomUUID(),
        processId: h.processId,
        budgetIds: h.budgetIds,
        reservedMicros: h.micros,
        reservedTokens: h.tokens,
        costMicros: 0,
        usedTokens: 0,
      })),
    );
    await leases.close();
    expect(await ledger()).toEqual({ reserved: [0, 0], leased: [0, 0], spent: [0, 0] });
  });

  it('after a sweep, an old lease given back never takes the money a newer lease reserved (lease generations)', async () => {
    await pool.query(`DELETE FROM budget_leases`);
    await pool.query(`UPDATE budgets SET reserved_micros = 0, spent_micros = 0`);
    let clock = 0;
    const processId = randomUUID();
    const leases = new GatewayBudgetLeases({
      processId,
      store,
      settle: async (p, calls) => {
        await store.settleLeased(p, calls);
      },
      ...size,
      now: () => clock,
      heartbeatMs: 3_600_000,
      idleMs: 3_600_000,
    });
    // Two callers (an API token and the user's own calls) lease on the same budgets: one
    // (process, budget) row holds both leases.
    const k1 = { userId, teamId: null, apiTokenId: null };
    const k2 = { userId, teamId: null, apiTokenId: randomUUID() };
    const holds: LeaseHold[] = [];
    const take = async (k: LeaseScopes) => {
      const t = await leases.take(k, 1000, 0);
      expect(t.kind).toBe('held');
      if (t.kind === 'held') holds.push(t.hold);
    };
    await take(k1);
    await take(k2);
    expect(await ledger()).toMatchObject({ reserved: [8000, 8000], leased: [8000, 8000] });

    // Paused past the sweep: every row of the process is given back.
    await stale(processId);
    expect(await store.releaseDeadLeases(DEAD_BUDGET_LEASE_SECONDS)).toBe(16000);
    clock += LEASE_CONFIRM_MS;
    // On resume, K2's call leases afresh (3 calls of it left over, reserved behind it)…
    await take(k2);
    expect(await ledger()).toMatchObject({ reserved: [4000, 4000], leased: [4000, 4000] });
    // …and K1's old lease goes back (its next call, or the idle release): it gives back nothing
    // the sweep took already, and above all not K2's new chunk.
    await take(k1);
    expect(await ledger()).toMatchObject({ reserved: [8000, 8000], leased: [8000, 8000] });
    await leases.release();
    // What is left reserved is exactly the four calls in flight (two of them from before the pause,
    // whose money the sweep gave back: the known bound of calls across a pause).
    expect(await ledger()).toMatchObject({ reserved: [2000, 2000], leased: [2000, 2000] });
    // The calls settle under the generation each was reserved under, then the leases close.
    await leases.settle(
      holds.map((h) => ({
        taskId: randomUUID(),
        processId: h.processId,
        budgetIds: h.budgetIds,
        reservedMicros: h.micros,
        reservedTokens: h.tokens,
        costMicros: 0,
        usedTokens: 0,
      })),
    );
    await leases.close();
    expect(await ledger()).toEqual({ reserved: [0, 0], leased: [0, 0], spent: [0, 0] });
    const rows = await pool.query(`SELECT count(*)::int AS n FROM budget_leases`);
    expect(rows.rows[0].n).toBe(0);
  });

  it('a heartbeat does not void a lease whose statement, sent before it, committed after its snapshot', async () => {
    await pool.query(`DELETE FROM budget_leases`);
    await pool.query(`UPDATE budgets SET reserved_micros = 0, spent_micros = 0`);
    let clock = 0;
    let gate: Promise<void> = Promise.resolve();
    let beaten: (() => void) | null = null;
    const beat = new Promise<void>((r) => {
      beaten = r;
    });
    let leased = 0;
    const leases = new GatewayBudgetLeases({
      processId: randomUUID(),
      store: {
        ...store,
        lease: (...a: Parameters<BudgetStore['lease']>) => {
          leased++;
          return store.lease(...a);
        },
        // The heartbeat's UPDATE runs (its snapshot taken), then its answer is slow to come back.
        heartbeatLeases: async (p: string) => {
          const r = await store.heartbeatLeases(p);
          beaten?.();
          await gate;
          return r;
        },
      },
      settle: async (p, calls) => {
        await store.settleLeased(p, calls);
      },
      ...size,
      now: () => clock,
      heartbeatMs: 3_600_000,
      idleMs: 3_600_000,
    });
    const caller = { userId, teamId: null, apiTokenId: null };
    const holds: LeaseHold[] = [];
    // The process's first lease statement waits for a budget row…
    const locker = await pool.connect();
    let open: () => void = () => {};
    gate = new Promise<void>((r) => {
      open = r;
    });
    try {
      await locker.query('BEGIN');
      await locker.query('SELECT id FROM budgets WHERE id = $1 FOR UPDATE', [budgetIds[0]]);
      const taking = leases.take(caller, 1000, 0);
      clock += 1;
      // …while a heartbeat is sent: its UPDATE does not see the row the lease is about to write.
      const beating = leases.heartbeat();
      await beat;
      await locker.query('COMMIT');
      const t = await taking;
      if (t.kind === 'held') holds.push(t.hold);
      open();
      await beating;
    } finally {
      locker.release();
    }
    expect(leased).toBe(1);
    // The new lease still serves from memory: no new statement, nothing more reserved.
    const t = await leases.take(caller, 1000, 0);
    if (t.kind === 'held') holds.push(t.hold);
    expect(leased).toBe(1);
    expect(await ledger()).toMatchObject({ reserved: [4000, 4000], leased: [4000, 4000] });
    await leases.settle(
      holds.map((h) => ({
        taskId: randomUUID(),
        processId: h.processId,
        budgetIds: h.budgetIds,
        reservedMicros: h.micros,
        reservedTokens: h.tokens,
        costMicros: 0,
        usedTokens: 0,
      })),
    );
    await leases.close();
    expect(await ledger()).toEqual({ reserved: [0, 0], leased: [0, 0], spent: [0, 0] });
  });

  it('confirmation is timed on a monotonic clock: the wall clock jumping ahead does not void a lease', async () => {
    await pool.query(`DELETE FROM budget_leases`);
    await pool.query(`UPDATE budgets SET reserved_micros = 0, spent_micros = 0`);
    let leased = 0;
    const caller = { userId, teamId: null, apiTokenId: null };
    const holds: LeaseHold[] = [];
    vi.useFakeTimers({ toFake: ['Date'] });
    // (made while Date is faked: whatever clock it reads by default is the faked one)
    const leases = new GatewayBudgetLeases({
      processId: randomUUID(),
      store: {
        ...store,
        lease: (...a: Parameters<BudgetStore['lease']>) => {
          leased++;
          return store.lease(...a);
        },
      },
      settle: async (p, calls) => {
        await store.settleLeased(p, calls);
      },
      ...size,
      heartbeatMs: 3_600_000,
      idleMs: 3_600_000,
    });
    try {
      const a = await leases.take(caller, 1000, 0);
      if (a.kind === 'held') holds.push(a.hold);
      // The machine's clock is set an hour ahead (NTP, an operator): no time passed for the lease.
      vi.setSystemTime(Date.now() + 3_600_000);
      const b = await leases.take(caller, 1000, 0);
      if (b.kind === 'held') holds.push(b.hold);
    } finally {
      vi.useRealTimers();
    }
    expect(leased).toBe(1);
    expect(await ledger()).toMatchObject({ reserved: [4000, 4000], leased: [4000, 4000] });
    await leases.settle(
      holds.map((h) => ({
        taskId: randomUUID(),
        processId: h.processId,
        budgetIds: h.budgetIds,
        reservedMicros: h.micros,
        reservedTokens: h.tokens,
        costMicros: 0,
        usedTokens: 0,
      })),
    );
    await leases.close();
    expect(await ledger()).toEqual({ reserved: [0, 0], leased: [0, 0], spent: [0, 0] });
  });

  it("a dropped call's budget hold is settled, charged its cost, even when giving back its account reservation fails", async () => {
    await pool.query(`DELETE FROM budget_leases`);
    await pool.query(`UPDATE budgets SET reserved_micros = 0, spent_micros = 0`);
    const leases = new GatewayBudgetLeases({
      processId: randomUUID(),
      store,
      settle: async (p, calls) => {
        await store.settleLeased(p, calls);
      },
      ...size,
      heartbeatMs: 3_600_000,
      idleMs: 3_600_000,
    });
    const t = await leases.take({ userId, teamId: null, apiTokenId: null }, 1000, 0);
    if (t.kind !== 'held') throw new Error('not held');
    const accounts = createGatewayStore(createDb(pool), {} as RoutingStore, { heartbeatMs: 3_600_000 });
    const now = new Date();
    const call: GatewayCallRecord = {
      taskId: randomUUID(),
      userId,
      teamId: null,
      taskType: 'chat',
      title: 'Gateway: m',
      description: 'x',
      status: 'completed',
      error: null,
      providerId: null,
      model: 'm',
      maxTokens: 10,
      createdAt: now,
      completedAt: now,
      routing: {},
      hold: t.hold,
      attempts: [
        {
          id: randomUUID(),
          providerId: randomUUID(),
          providerName: 'p',
          providerKind: 'openai_compatible',
          // The database refuses the give-back (not an account id it can read).
          accountId: 'no-such-account',
          leaseId: randomUUID(),
          status: 'succeeded',
          model: 'm',
          tokensInput: 20,
          tokensOutput: 10,
          tokensReserved: 100,
          latencyMs: 1,
          errorCode: null,
          errorMessage: null,
          costMicros: 700,
        },
      ],
    };
    await expect(settleDroppedCall(accounts, leases, call)).rejects.toThrow();
    await leases.close();
    await accounts.close();
    expect(await ledger()).toEqual({ reserved: [0, 0], leased: [0, 0], spent: [700, 700] });
  });
});
