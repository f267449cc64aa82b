import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEAD_BUDGET_LEASE_SECONDS } from '../../src/core/spend/gatewayLeases.js';
import { createLogger } from '../../src/logger.js';
import { createDb, createPool } from '../../src/models/db.js';
import { DEAD_LEASE_SECONDS, releaseDeadGatewayLeases } from '../../src/models/gatewayLeaseSweep.js';
import { createSpendBudgetStore } from '../../src/models/spendBudgetStore.js';
import { client } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';
import { oneAtATime } from '../helpers/oneAtATime.js';
import { withDb } from '../helpers/sql.js';
import { type StubServer, startStubServer } from '../helpers/stubServer.js';
import { waitFor } from '../helpers/wait.js';
import { type RoleProcess, spawnRole } from '../ops/cluster.js';

/**
 * A gateway process killed with SIGKILL (no shutdown) while a call is in flight: its lease and the
 * call's reservation are counted under its process id in gateway_leases, and the worker's budget job
 * gives them back once its heartbeat is stale, so the account's budget is not held for ever. The same
 * for money: the caller's budget lease (budget_leases) and the account's own money budget.
 */
const ADMIN = { email: 'lease-admin@example.com', password: 'lease-admin-password' };
let databaseUrl: string;
let stub: StubServer;
let api: RoleProcess | undefined;

oneAtATime();
beforeAll(async () => {
  databaseUrl = await createTestDatabase();
  // A provider that accepts the call and never answers.
  stub = await startStubServer(() => new Promise<void>(() => {}));
  api = await spawnRole('api', databaseUrl, {
    MOCK_PROVIDER: 'off',
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
  });
}, 240_000);

afterAll(async () => {
  await api?.stop('SIGKILL');
  await stub?.close();
}, 60_000);

async function money(): Promise<{ reserved: number; leased: number; accountLeased: number }> {
  return withDb(databaseUrl, async (db) => {
    const b = await db.query(`SELECT coalesce(sum(reserved_micros), 0)::int AS n FROM budgets`);
    // Per budget, in budget_leases: the caller's budgets and the account's own (provider_account).
    const l = await db.query(
      `SELECT coalesce(sum(l.micros) FILTER (WHERE b.scope <> 'provider_account'), 0)::int AS n,
              coalesce(sum(l.micros) FILTER (WHERE b.scope = 'provider_account'), 0)::int AS a
       FROM budget_leases l JOIN budgets b ON b.id = l.budget_id`,
    );
    return { reserved: b.rows[0].n, leased: l.rows[0].n, accountLeased: l.rows[0].a };
  });
}

async function held(): Promise<{ reserved: number; leased: number; rows: number }> {
  return withDb(databaseUrl, async (db) => {
    const a = await db.query(`SELECT coalesce(sum(token_reserved), 0)::int AS n FROM provider_accounts`);
    const l = await db.query(
      `SELECT coalesce(sum(tokens), 0)::int AS n, count(*)::int AS c FROM gateway_leases`,
    );
    return { reserved: a.rows[0].n, leased: l.rows[0].n, rows: l.rows[0].c };
  });
}

describe('gateway leases after a SIGKILL', () => {
  it("a killed process's reservations go back once its heartbeat is stale, not before", async () => {
    const login = await client(api!.url!).post('/api/auth/login', ADMIN);
    expect(login.status, login.text).toBe(200);
    const admin = client(api!.url!, login.body.accessToken);
    const p = await admin.post('/api/providers', {
      name: 'slow',
      kind: 'openai_compatible',
      apiEndpoint: `${stub.url}/v1`,
      models: ['slow-model'],
      competencies: { article: 0.9 },
    });
    expect(p.status, p.text).toBe(201);
    const acc = await admin.post(`/api/providers/${p.body.id}/accounts`, {
      accountName: 'main',
      tokenLimit: 1_000_000,
      credentials: { apiKey: 'k' },
    });
    expect(acc.status, acc.text).toBe(201);
    const tok = await admin.post('/api/auth/tokens', { name: 'gw' });
    expect(tok.status).toBe(201);
    // Priced, with a money budget on the caller and one on the account.
    const prices = await admin.put('/api/admin/prices', {
      items: [
        { providerKind: 'openai_compatible', model: '*', inputPerMTokUsd: 100, outputPerMTokUsd: 1000 },
      ],
    });
    expect(prices.status, prices.text).toBe(200);
    for (const [scope, scopeId] of [
      ['user', login.body.user.id],
      ['provider_account', acc.body.id],
    ]) {
      const b = await admin.post('/api/budgets', {
        scope,
        scopeId,
        limitMicros: 100_000_000,
        period: 'monthly',
      });
      expect(b.status, b.text).toBe(201);
    }

    const inFlight = fetch(`${api!.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tok.body.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'slow-model', messages: [{ role: 'user', content: 'hi' }] }),
    }).catch((e: unknown) => e);
    await waitFor(async () => stub.requests.length >= 1, 'the call reaches the provider', 30_000);

    const before = await held();
    expect(before.reserved).toBeGreaterThan(0);
    expect(before.leased).toBe(before.reserved);
    const moneyBefore = await money();
    expect(moneyBefore.leased).toBeGreaterThan(0);
    expect(moneyBefore.accountLeased).toBeGreaterThan(0);
    expect(moneyBefore.reserved).toBe(moneyBefore.leased + moneyBefore.accountLeased);

    await api!.stop('SIGKILL');
    await inFlight;
    // The process is gone, but what it held is still counted.
    expect((await held()).reserved).toBe(before.reserved);
    expect(await money()).toEqual(moneyBefore);

    await withDb(databaseUrl, async (db) => {
      // Its heartbeat is fresh: the budget job's sweep leaves it alone...
      expect(await releaseDeadGatewayLeases(db, DEAD_LEASE_SECONDS)).toBe(0);
      expect((await held()).reserved).toBe(before.reserved);
      // ...and once the heartbeat is stale, everything comes back, once.
      await db.query(`UPDATE gateway_leases SET heartbeat_at = now() - interval '2 minutes'`);
      expect(await releaseDeadGatewayLeases(db, DEAD_LEASE_SECONDS)).toBe(before.reserved);
      expect(await releaseDeadGatewayLeases(db, DEAD_LEASE_SECONDS)).toBe(0);
    });
    expect(await held()).toEqual({ reserved: 0, leased: 0, rows: 0 });
    // The money leases (the caller's budget and the account's): the budget job's sweep
    // (BudgetService.settleEnded) gives them back once the dead process's heartbeat is stale, not
    // before, and once.
    const pool = createPool(databaseUrl, createLogger({ level: 'silent' }), 2);
    try {
      const spend = createSpendBudgetStore(createDb(pool));
      expect(await spend.releaseDeadLeases(DEAD_BUDGET_LEASE_SECONDS)).toBe(0);
      expect((await money()).leased).toBe(moneyBefore.leased);
      await pool.query(`UPDATE budget_leases SET heartbeat_at = now() - interval '2 minutes'`);
      expect(await spend.releaseDeadLeases(DEAD_BUDGET_LEASE_SECONDS)).toBe(
        moneyBefore.leased + moneyBefore.accountLeased,
      );
      expect(await spend.releaseDeadLeases(DEAD_BUDGET_LEASE_SECONDS)).toBe(0);
    } finally {
      await pool.end();
    }
    expect(await money()).toEqual({ reserved: 0, leased: 0, accountLeased: 0 });
  }, 120_000);
});
