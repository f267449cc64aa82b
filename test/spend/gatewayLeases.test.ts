import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GatewayBudgetLeases } from '../../src/core/spend/gatewayLeases.js';
import type { BudgetStore, LeaseGrant } from '../../src/core/spend/ports.js';

/**
 * The gateway's money leases in memory (core/spend/gatewayLeases.ts) over a store that records what
 * it is asked: which calls reach the database, and what is given back. The SQL side (one statement,
 * all or nothing, only from room that exists) is tested through /v1 in test/gateway/budgets.test.ts.
 */
const caller = { userId: 'u1', teamId: null, apiTokenId: null };

function fakeStore(grant: (micros: number, tokens: number) => LeaseGrant) {
  const asked: Array<{ micros: number; tokens: number }> = [];
  const released: Array<{ budgetIds: string[]; micros: number; tokens: number }> = [];
  const store: Pick<BudgetStore, 'lease' | 'releaseLease' | 'heartbeatLeases' | 'dropEmptyLeases'> = {
    lease: async (_pid, _s, micros, tokens) => {
      asked.push({ micros, tokens });
      return grant(micros, tokens);
    },
    releaseLease: async (_pid, budgetIds, micros, tokens) => {
      released.push({ budgetIds, micros, tokens });
    },
    heartbeatLeases: async () => [],
    dropEmptyLeases: async () => {},
  };
  return { store, asked, released };
}

describe('gateway budget leases (in memory)', () => {
  let leases: GatewayBudgetLeases | undefined;
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-12-31T23:59:00Z'));
  });
  afterEach(async () => {
    await leases?.close();
    vi.useRealTimers();
  });

  it('one store call reserves a chunk; the calls it covers make none; release gives back exactly the unused part', async () => {
    const f = fakeStore((m, t) => ({
      kind: 'granted',
      budgetIds: ['b1', 'b2'],
      micros: 4 * m,
      tokens: 4 * t,
      until: null,
    }));
    leases = new GatewayBudgetLeases({ processId: 'p', store: f.store, settle: async () => {} });
    for (let i = 0; i < 4; i++)
      expect(await leases.take(caller, 100, 10)).toEqual({
        kind: 'held',
        hold: { budgetIds: ['b1', 'b2'], micros: 100, tokens: 10, processId: 'p' },
      });
    expect(f.asked).toHaveLength(1);
    // The fifth call is not covered: a new chunk, of which 3 calls stay unused.
    await leases.take(caller, 100, 10);
    expect(f.asked).toHaveLength(2);
    await leases.release();
    expect(f.released).toEqual([{ budgetIds: ['b1', 'b2'], micros: 300, tokens: 30 }]);
    // Another caller has its own lease.
    await leases.take({ ...caller, apiTokenId: 't1' }, 100, 10);
    expect(f.asked).toHaveLength(3);
  });

  it('refuses with the budget the store names, and takes nothing when no budget applies', async () => {
    const over = {
      id: 'b1',
      scope: 'user' as const,
      name: null,
      action: 'block' as const,
      limitMicros: 50,
      limitTokens: null,
      resetsAt: null,
    };
    const f = fakeStore(() => ({ kind: 'over', over }));
    leases = new GatewayBudgetLeases({ processId: 'p', store: f.store, settle: async () => {} });
    expect(await leases.take(caller, 100, 10)).toEqual({ kind: 'over', over });
    await leases.close();
    const g = fakeStore(() => ({ kind: 'none' }));
    leases = new GatewayBudgetLeases({ processId: 'p', store: g.store, settle: async () => {} });
    expect(await leases.take(caller, 100, 10)).toEqual({ kind: 'none' });
    await leases.release();
    expect(g.released).toEqual([]);
  });

  it("never serves a call from a lease after its budgets' period has ended: the rest goes back", async () => {
    const f = fakeStore((m, t) => ({
      kind: 'granted',
      budgetIds: ['b1'],
      micros: 10 * m,
      tokens: 10 * t,
      until: new Date('2027-01-01T00:00:00Z'),
    }));
    leases = new GatewayBudgetLeases({ processId: 'p', store: f.store, settle: async () => {} });
    await leases.take(caller, 100, 10);
    await leases.take(caller, 100, 10);
    expect(f.asked).toHaveLength(1);
    vi.setSystemTime(new Date('2027-01-01T00:00:01Z'));
    await leases.take(caller, 100, 10);
    expect(f.asked).toHaveLength(2);
    await vi.waitFor(() => expect(f.released).toEqual([{ budgetIds: ['b1'], micros: 800, tokens: 80 }]));
  });

  it('a settlement that fails is settled again (idle timer, close), not left reserved for ever', async () => {
    const f = fakeStore((m, t) => ({
      kind: 'granted',
      budgetIds: ['b1'],
      micros: 4 * m,
      tokens: 4 * t,
      until: null,
    }));
    const settled: string[][] = [];
    let down = true;
    leases = new GatewayBudgetLeases({
      processId: 'p',
      store: f.store,
      idleMs: 20,
      settle: async (_pid, calls) => {
        if (down) throw new Error('connection terminated');
        settled.push(calls.map((c) => c.taskId));
      },
    });
    const call = (taskId: string) => ({
      taskId,
      budgetIds: ['b1'],
      reservedMicros: 100,
      reservedTokens: 10,
      costMicros: 50,
      usedTokens: 5,
    });
    await expect(leases.settle([call('t1')])).rejects.toThrow('connection terminated');
    down = false;
    await leases.settle([call('t2')]);
    await vi.waitFor(() => expect(settled).toEqual([['t2'], ['t1']]));
    // Once settled, never again; and close() settles what is still waiting.
    down = true;
    await expect(leases.settle([call('t3')])).rejects.toThrow();
    down = false;
    await leases.close();
    leases = undefined;
    expect(settled.flat().sort()).toEqual(['t1', 't2', 't3']);
  });

  it('a replaced lease whose give-back fails is given back by the next release, not forgotten', async () => {
    let ids = ['b1'];
    const f = fakeStore((m, t) => ({
      kind: 'granted',
      budgetIds: ids,
      micros: 4 * m,
      tokens: 4 * t,
      until: null,
    }));
    let fail = true;
    const releaseLease = f.store.releaseLease;
    f.store.releaseLease = async (...a) => {
      if (fail) throw new Error('connection terminated');
      return releaseLease(...a);
    };
    leases = new GatewayBudgetLeases({ processId: 'p', store: f.store, settle: async () => {} });
    await leases.take(caller, 100, 10);
    await leases.take(caller, 100, 10);
    // A budget came: the next chunk is on two budgets, the old lease's 200 µ$ go back — and fail.
    ids = ['b1', 'b2'];
    await leases.take(caller, 300, 10);
    await leases.take(caller, 300, 10);
    fail = false;
    await leases.release();
    expect(f.released).toContainEqual({ budgetIds: ['b1'], micros: 200, tokens: 20 });
    expect(f.released).toContainEqual({ budgetIds: ['b1', 'b2'], micros: 600, tokens: 20 });
  });

  it('a revocation (a budget changed) gives every lease back, and one reserved by a statement in flight serves no later call', async () => {
    const f = fakeStore((m, t) => ({
      kind: 'granted',
      budgetIds: ['b1'],
      micros: 4 * m,
      tokens: 4 * t,
      until: null,
    }));
    let open: (() => void) | null = null;
    const gate = new Promise<void>((r) => {
      open = r;
    });
    const other = { ...caller, apiTokenId: 't1' };
    const store = {
      ...f.store,
      lease: async (...a: Parameters<typeof f.store.lease>) => {
        if (a[1].apiTokenId === 't1') await gate;
        return f.store.lease(...a);
      },
    };
    leases = new GatewayBudgetLeases({ processId: 'p', store, settle: async () => {} });
    await leases.take(caller, 100, 10);
    expect(f.asked).toHaveLength(1);
    // Another caller's lease statement is on its way when the budget changes.
    const inFlight = leases.take(other, 100, 10);
    vi.setSystemTime(Date.now() + 1);
    leases.revoke();
    open!();
    expect(await inFlight).toMatchObject({ kind: 'held' });
    // The first caller's lease went back at once.
    await vi.waitFor(() => expect(f.released).toEqual([{ budgetIds: ['b1'], micros: 300, tokens: 30 }]));
    // Neither lease serves any more: each caller's next call asks the store again.
    vi.setSystemTime(Date.now() + 1);
    await leases.take(caller, 100, 10);
    await leases.take(other, 100, 10);
    expect(f.asked).toHaveLength(4);
  });
});
