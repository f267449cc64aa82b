import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccountHold, GatewayCallRecord, GatewayStore } from '../../src/core/gateway/ports.js';
import type { RoutingStore } from '../../src/core/routing/ports.js';
import type { BudgetStore } from '../../src/core/spend/ports.js';
import { createLogger } from '../../src/logger.js';
import { createDb, createPool } from '../../src/models/db.js';
import { DEAD_LEASE_SECONDS, releaseDeadGatewayLeases } from '../../src/models/gatewayLeaseSweep.js';
import { createGatewayStore } from '../../src/models/gatewayStore.js';
import { createSpendBudgetStore } from '../../src/models/spendBudgetStore.js';
import { createTestDatabase } from '../helpers/db.js';

/**
 * The gateway's account leases (models/gatewayStore.ts) against the budget job's sweep: a process
 * paused long enough to be swept (its heartbeat stale), then resumed, records its call in flight and
 * gives its leftover back — neither takes anything from another process's lease. The account's
 * token_reserved stays the sum of the lease rows on it, and so does its money budget's reserved_micros.
 */
let pool: pg.Pool;
let userId: string;
let providerId: string;
let accountId: string;
const stores: GatewayStore[] = [];
let budgets: BudgetStore;

beforeAll(async () => {
  pool = createPool(await createTestDatabase(), createLogger({ level: 'silent' }), 6);
  budgets = createSpendBudgetStore(createDb(pool));
  userId = (await pool.query(`INSERT INTO users (username) VALUES ('acct-sweep') RETURNING id`)).rows[0].id;
  providerId = (
    await pool.query(`INSERT INTO ai_providers (name, kind) VALUES ('p', 'openai_compatible') RETURNING id`)
  ).rows[0].id;
  accountId = (
    await pool.query(
      `INSERT INTO provider_accounts (provider_id, account_name, token_limit) VALUES ($1, 'main', 1000000) RETURNING id`,
      [providerId],
    )
  ).rows[0].id;
  await pool.query(
    `INSERT INTO budgets (scope, scope_id, name, limit_micros, period, action)
     VALUES ('provider_account', $1, 'acct', 1000000, 'total', 'block')`,
    [accountId],
  );
}, 60_000);

afterAll(async () => {
  for (const s of stores) await s.close().catch(() => {});
  await pool?.end();
});

async function ledger() {
  const r = await pool.query(
    `SELECT (SELECT token_reserved::int FROM provider_accounts) AS reserved,
            (SELECT coalesce(sum(tokens), 0)::int FROM gateway_leases) AS leased,
            (SELECT reserved_micros::int FROM budgets) AS reserved_m,
            (SELECT coalesce(sum(micros), 0)::int FROM budget_leases) AS leased_m`,
  );
  return r.rows[0] as { reserved: number; leased: number; reserved_m: number; leased_m: number };
}

function call(tokensReserved: number, hold: AccountHold | null): GatewayCallRecord {
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
        tokensReserved,
        microsReserved: hold?.micros ?? 0,
        microsBudgetIds: hold?.budgetIds ?? [],
        ...(hold?.leaseId ? { leaseId: hold.leaseId } : {}),
        latencyMs: 1,
        errorCode: null,
        errorMessage: null,
        costMicros: 300,
      },
    ],
  };
}

describe('account leases and the sweep of dead processes', () => {
  it('a process swept as dead that resumes gives back nothing twice', async () => {
    const routing = {} as RoutingStore;
    const paused = createGatewayStore(createDb(pool), routing);
    const live = createGatewayStore(createDb(pool), routing);
    stores.push(paused, live);
    const pausedHold = await paused.reserve(accountId, 100, 1000);
    expect(pausedHold).toMatchObject({ micros: 1000 });
    const pausedId = (await pool.query(`SELECT process_id FROM gateway_leases`)).rows[0].process_id;
    const liveHold = await live.reserve(accountId, 100, 1000);
    expect(liveHold).toMatchObject({ micros: 1000 });
    const held = await ledger();
    expect(held.reserved).toBeGreaterThan(0);
    expect(held.reserved_m).toBeGreaterThan(0);
    expect(held).toEqual({ ...held, leased: held.reserved, leased_m: held.reserved_m });

    // The paused process is silent for two minutes: the sweep gives its holdings back.
    for (const table of ['gateway_leases', 'budget_leases'])
      await pool.query(
        `UPDATE ${table} SET heartbeat_at = now() - interval '2 minutes' WHERE process_id = $1`,
        [pausedId],
      );
    expect(await releaseDeadGatewayLeases(pool, DEAD_LEASE_SECONDS)).toBeGreaterThan(0);
    expect(await budgets.releaseDeadLeases(DEAD_LEASE_SECONDS)).toBeGreaterThan(0);
    const swept = await ledger();
    expect(swept.reserved).toBe(swept.leased);

    // It resumes: records its call in flight and gives its leftover back.
    await paused.record([call(100, pausedHold)]);
    await paused.releaseLeases();
    const after = await ledger();
    expect(after).toEqual({ ...after, leased: after.reserved, leased_m: after.reserved_m });
    expect(after.reserved).toBe(swept.reserved);
    expect(after.reserved_m).toBe(swept.reserved_m);

    // The live process records its call and gives everything back: nothing left reserved.
    await live.record([call(100, liveHold)]);
    await live.releaseLeases();
    expect(await ledger()).toEqual({ reserved: 0, leased: 0, reserved_m: 0, leased_m: 0 });
    const used = await pool.query(
      `SELECT token_used::int AS n, spent_micros::int AS m FROM provider_accounts`,
    );
    expect(used.rows[0]).toEqual({ n: 60, m: 600 });
  });

  it('the sweep locks the accounts before the lease rows (no deadlock with a resumed process)', async () => {
    const paused = createGatewayStore(createDb(pool), {} as RoutingStore);
    stores.push(paused);
    expect(await paused.reserve(accountId, 100, 1000)).toMatchObject({ micros: 1000 });
    const pausedId = (await pool.query(`SELECT process_id FROM gateway_leases WHERE tokens > 0`)).rows[0]
      .process_id;
    await pool.query(`UPDATE gateway_leases SET heartbeat_at = now() - interval '2 minutes'`);
    const c = await pool.connect();
    try {
      // The resumed process's record holds the account row (as reserve and record lock it)…
      await c.query('BEGIN');
      await c.query(`SET LOCAL deadlock_timeout = '100ms'`);
      await c.query(`SELECT id FROM provider_accounts WHERE id = $1 FOR UPDATE`, [accountId]);
      // …while the sweep runs: it waits for the account, holding nothing the record needs.
      const sweep = releaseDeadGatewayLeases(pool, DEAD_LEASE_SECONDS);
      for (let i = 0; i < 100; i++) {
        const w = await pool.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
        );
        if (w.rows[0].n > 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      // The record goes on to its lease row and commits: its heartbeat is back, the sweep keeps it.
      await c.query(`UPDATE gateway_leases SET heartbeat_at = now() WHERE process_id = $1`, [pausedId]);
      await c.query('COMMIT');
      expect(await sweep).toBe(0);
    } catch (e) {
      await c.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      c.release();
    }
    await paused.releaseLeases();
    const after = await ledger();
    expect(after).toEqual({ ...after, leased: after.reserved, leased_m: after.reserved_m });
  });
});
