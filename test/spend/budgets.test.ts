import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { waitFor } from '../helpers/wait.js';
import { teamFixture } from '../teams/helpers.js';

let app: TestApp;
let f: Awaited<ReturnType<typeof teamFixture>>;
let db: pg.Client;

beforeAll(async () => {
  app = await startTestApp();
  f = await teamFixture(app);
  db = new pg.Client({ connectionString: app.databaseUrl });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
  await app?.close();
});

const teamBudget = () => ({ scope: 'team', scopeId: f.team.id, limitMicros: 500_000, period: 'monthly' });

describe('budgets: who may do what (one row per actor)', () => {
  it('anonymous: 401 everywhere', async () => {
    const a = f.anonymous.api;
    expect((await a.post('/api/budgets', teamBudget())).status).toBe(401);
    expect((await a.get('/api/budgets')).status).toBe(401);
    expect((await a.get(`/api/budgets/${crypto.randomUUID()}/forecast`)).status).toBe(401);
  });

  it('team admin: creates, reads, changes and deletes their team’s budgets', async () => {
    const c = await f.teamAdmin.api.post('/api/budgets', { ...teamBudget(), alertThresholds: [80, 50, 80] });
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({
      scope: 'team',
      teamId: f.team.id,
      limitMicros: 500_000,
      spentMicros: 0,
      reservedMicros: 0,
      action: 'block',
      alertThresholds: [50, 80],
      timeZone: 'UTC',
    });
    // Monthly in UTC: resets on the 1st at 00:00.
    expect(c.body.resetsAt).toMatch(/^\d{4}-\d{2}-01T00:00:00\.000Z$/);
    const id = c.body.id;
    expect((await f.teamAdmin.api.get(`/api/budgets/${id}`)).status).toBe(200);
    expect((await f.teamAdmin.api.get('/api/budgets')).body.items.map((b: any) => b.id)).toContain(id);
    const u = await f.teamAdmin.api.put(`/api/budgets/${id}`, {
      limitMicros: 600_000,
      timeZone: 'America/New_York',
    });
    expect(u.status).toBe(200);
    expect(u.body.limitMicros).toBe(600_000);
    // Midnight in New York is 04:00 or 05:00 UTC.
    expect(u.body.resetsAt).toMatch(/T0[45]:00:00\.000Z$/);
    expect((await f.teamAdmin.api.delete(`/api/budgets/${id}`)).status).toBe(204);
    expect((await f.teamAdmin.api.get(`/api/budgets/${id}`)).status).toBe(404);
  });

  it('member of the team: 403 to create or change, 404 to read a team budget', async () => {
    expect((await f.member.api.post('/api/budgets', teamBudget())).status).toBe(403);
    const b = (await f.owner.api.post('/api/budgets', teamBudget())).body;
    expect((await f.member.api.get(`/api/budgets/${b.id}`)).status).toBe(404);
    expect((await f.member.api.put(`/api/budgets/${b.id}`, { limitMicros: 1 })).status).toBe(404);
    expect((await f.member.api.get('/api/budgets')).body.items).toEqual([]);
  });

  it('other team: 404 for create, read, change and delete', async () => {
    const b = (await f.owner.api.post('/api/budgets', teamBudget())).body;
    expect((await f.outsider.api.post('/api/budgets', teamBudget())).status).toBe(404);
    expect((await f.outsider.api.get(`/api/budgets/${b.id}`)).status).toBe(404);
    expect((await f.outsider.api.put(`/api/budgets/${b.id}`, { limitMicros: 1 })).status).toBe(404);
    expect((await f.outsider.api.delete(`/api/budgets/${b.id}`)).status).toBe(404);
    expect((await f.outsider.api.get(`/api/budgets/${b.id}/forecast`)).status).toBe(404);
  });

  it('user: reads the budget on themselves (403 to change it); another user’s answers 404', async () => {
    const mine = await f.admin.api.post('/api/budgets', {
      scope: 'user',
      scopeId: f.member.user.id,
      limitMicros: 100_000,
      period: 'daily',
    });
    expect(mine.status).toBe(201);
    expect((await f.member.api.get(`/api/budgets/${mine.body.id}`)).status).toBe(200);
    expect((await f.member.api.get('/api/budgets')).body.items.map((b: any) => b.id)).toEqual([mine.body.id]);
    expect((await f.member.api.put(`/api/budgets/${mine.body.id}`, { limitMicros: 1 })).status).toBe(403);
    expect((await f.member.api.delete(`/api/budgets/${mine.body.id}`)).status).toBe(403);
    expect(
      (await f.member.api.post('/api/budgets', { ...teamBudget(), scope: 'user', scopeId: f.member.user.id }))
        .status,
    ).toBe(403);
    expect((await f.outsider.api.get(`/api/budgets/${mine.body.id}`)).status).toBe(404);
    // A team admin does not manage a person's own budget either.
    expect((await f.teamAdmin.api.get(`/api/budgets/${mine.body.id}`)).status).toBe(404);
  });

  it('site admin: any scope, and sees every budget', async () => {
    const acc = await db.query('SELECT id FROM provider_accounts LIMIT 1');
    const b = await f.admin.api.post('/api/budgets', {
      scope: 'provider_account',
      scopeId: acc.rows[0].id,
      limitTokens: 1_000_000,
      period: 'total',
      action: 'notify',
    });
    expect(b.status).toBe(201);
    expect(b.body.resetsAt).toBeNull();
    expect((await f.admin.api.get('/api/budgets')).body.items.map((x: any) => x.id)).toContain(b.body.id);
    expect((await f.admin.api.put(`/api/budgets/${b.body.id}`, { action: 'block' })).status).toBe(200);
    expect((await f.admin.api.delete(`/api/budgets/${b.body.id}`)).status).toBe(204);
  });

  it('malformed input is a 400, never a 500; an unknown scope object is a 404', async () => {
    const a = f.admin.api;
    for (const body of [
      { ...teamBudget(), timeZone: 'Mars/Olympus' },
      { ...teamBudget(), limitMicros: undefined },
      { ...teamBudget(), limitMicros: -1 },
      { ...teamBudget(), limitMicros: 1.5 },
      { ...teamBudget(), period: 'yearly' },
      { ...teamBudget(), scope: 'galaxy' },
      { ...teamBudget(), scopeId: 'nope' },
      { ...teamBudget(), alertThresholds: [0] },
      { ...teamBudget(), alertTargets: { webhookUrl: 'not a url' } },
      { ...teamBudget(), extra: 1 },
    ]) {
      const r = await a.post('/api/budgets', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe('validation_failed');
    }
    expect((await a.post('/api/budgets', '{"scope":')).status).toBe(400);
    expect((await a.put(`/api/budgets/${crypto.randomUUID()}`, {})).status).toBe(400);
    expect((await a.get('/api/budgets/not-a-uuid')).status).toBe(400);
    expect((await a.post('/api/budgets', { ...teamBudget(), scopeId: crypto.randomUUID() })).status).toBe(
      404,
    );
  });
});

describe('GET /api/budgets/:id/forecast', () => {
  it('gives the burn rate over the trailing window, the run-out date and the projected spend', async () => {
    await f.admin.api.put('/api/admin/prices', {
      items: [{ providerKind: 'mock', model: '*', inputPerMTokUsd: 50, outputPerMTokUsd: 50 }],
    });
    const budget = await f.admin.api.post('/api/budgets', {
      scope: 'user',
      scopeId: f.outsider.user.id,
      limitMicros: 1_000_000,
      period: 'total',
    });
    const empty = await f.outsider.api.get(`/api/budgets/${budget.body.id}/forecast`);
    expect(empty.status).toBe(200);
    expect(empty.body).toMatchObject({
      burnRatePerDayMicros: 0,
      runsOutAt: null,
      projectedPeriodSpendMicros: 0,
    });

    const t = await f.outsider.api.post('/api/tasks', {
      description: 'One line on forecasts',
      taskType: 'summary',
    });
    expect(t.status).toBe(201);
    const spent = await waitFor(async () => {
      const b = (await f.outsider.api.get(`/api/budgets/${budget.body.id}`)).body;
      return b.spentMicros > 0 && b.reservedMicros === 0 ? b.spentMicros : null;
    }, 'the task to settle on the budget');
    const cost = (await f.outsider.api.get(`/api/tasks/${t.body.id}`)).body.costMicros;
    expect(spent).toBe(cost);

    const fc = (await f.outsider.api.get(`/api/budgets/${budget.body.id}/forecast`)).body;
    expect(fc.windowDays).toBe(7);
    expect(fc.burnRatePerDayMicros).toBe(Math.round(spent / 7));
    const days = (1_000_000 - spent) / Math.round(spent / 7);
    const expectedAt = Date.now() + days * 86_400_000;
    expect(Math.abs(new Date(fc.runsOutAt).getTime() - expectedAt)).toBeLessThan(60_000);
    expect(fc.projectedPeriodSpendMicros).toBe(spent); // a total budget has no period left to project

    // Spend settled before the window does not count in it.
    await db.query(
      "UPDATE budget_reservations SET settled_at = now() - interval '3 days' WHERE budget_id = $1",
      [budget.body.id],
    );
    const narrow = (await f.outsider.api.get(`/api/budgets/${budget.body.id}/forecast?windowDays=1`)).body;
    expect(narrow).toMatchObject({ windowDays: 1, burnRatePerDayMicros: 0, runsOutAt: null });
    expect((await f.outsider.api.get(`/api/budgets/${budget.body.id}/forecast?windowDays=0`)).status).toBe(
      400,
    );
  });
});
