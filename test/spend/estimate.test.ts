import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { teamFixture } from '../teams/helpers.js';

/**
 * POST /api/tasks/estimate (issue 14: "estimated cost range before submitting"): the body of
 * POST /api/tasks; nothing is written. The built-in mock provider is priced by an admin override at
 * $1 per million input tokens and $1000 per million output tokens (µ$1 and µ$1000 a token), so
 * max = input tokens (with the margin) × 1 + maxTokens × 1000, exactly.
 */
let app: TestApp;
let f: Awaited<ReturnType<typeof teamFixture>>;
let db: pg.Client;

const body = (maxTokens: number, extra: Record<string, unknown> = {}) => ({
  description: 'Write a haiku about budgets',
  taskType: 'article',
  options: { maxTokens },
  ...extra,
});

async function taskCount() {
  return Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM tasks')).rows[0]!.n);
}

beforeAll(async () => {
  app = await startTestApp({ roles: ['api'] });
  f = await teamFixture(app);
  db = new pg.Client({ connectionString: app.databaseUrl });
  await db.connect();
  const prices = await f.admin.api.put('/api/admin/prices', {
    items: [{ providerKind: 'mock', model: '*', inputPerMTokUsd: 1, outputPerMTokUsd: 1000 }],
  });
  expect(prices.status, prices.text).toBe(200);
});
afterAll(async () => {
  await db?.end();
  await app?.close();
});

describe('POST /api/tasks/estimate', () => {
  it('prices the task like intake does, against the confirm threshold, and writes nothing', async () => {
    const before = await taskCount();
    const r = await f.member.api.post('/api/tasks/estimate', body(50));
    expect(r.status, r.text).toBe(200);
    const { min, max } = r.body.estimatedCostMicros;
    const inputTokens = r.body.estimatedTokens - 50;
    expect(inputTokens).toBeGreaterThan(0);
    expect(max).toBe(inputTokens * 1 + 50 * 1000);
    // min: the prompt alone, without the margin.
    expect(min).toBeGreaterThan(0);
    expect(min).toBeLessThanOrEqual(inputTokens);
    expect(r.body).toMatchObject({ thresholdMicros: 10_000, exceedsThreshold: true, budgets: [] });
    const cheap = await f.member.api.post('/api/tasks/estimate', body(5));
    expect(cheap.body.exceedsThreshold).toBe(false);
    expect(await taskCount()).toBe(before);
  });

  it('names the budgets the task would be reserved against and whether it would be refused', async () => {
    const mine = await f.admin.api.post('/api/budgets', {
      scope: 'user',
      scopeId: f.member.user.id,
      limitMicros: 30_000,
      period: 'monthly',
    });
    expect(mine.status, mine.text).toBe(201);
    const team = await f.owner.api.post('/api/budgets', {
      scope: 'team',
      scopeId: f.team.id,
      limitMicros: 1_000_000,
      period: 'monthly',
    });
    expect(team.status, team.text).toBe(201);
    const big = await f.member.api.post('/api/tasks/estimate', body(50, { teamId: f.team.id }));
    expect(big.status, big.text).toBe(200);
    const byScope = Object.fromEntries(big.body.budgets.map((b: any) => [b.scope, b]));
    expect(byScope.user).toMatchObject({ id: mine.body.id, remainingMicros: 30_000, wouldExceed: true });
    expect(byScope.team).toMatchObject({ id: team.body.id, remainingMicros: 1_000_000, wouldExceed: false });
    // What it says is what submitting does.
    const refused = await f.member.api.post('/api/tasks', body(50, { teamId: f.team.id }));
    expect(refused.status).toBe(422);
    expect(refused.body.error.details.budgetId).toBe(mine.body.id);
    const small = await f.member.api.post('/api/tasks/estimate', body(5));
    expect(small.body.budgets.map((b: any) => [b.scope, b.wouldExceed])).toEqual([['user', false]]);
    // Without the team, the team budget does not apply.
    expect(small.body.budgets).toHaveLength(1);
  });

  it('answers like POST /api/tasks for each actor', async () => {
    expect((await f.anonymous.api.post('/api/tasks/estimate', body(5))).status).toBe(401);
    // A user for themselves.
    expect((await f.outsider.api.post('/api/tasks/estimate', body(5))).status).toBe(200);
    // Team member and team admin, for their team.
    expect((await f.member.api.post('/api/tasks/estimate', body(5, { teamId: f.team.id }))).status).toBe(200);
    expect((await f.teamAdmin.api.post('/api/tasks/estimate', body(5, { teamId: f.team.id }))).status).toBe(
      200,
    );
    // Another team's (or an unknown) team: 404, as for submitting.
    expect((await f.outsider.api.post('/api/tasks/estimate', body(5, { teamId: f.team.id }))).status).toBe(
      404,
    );
    expect((await f.member.api.post('/api/tasks/estimate', body(5, { teamId: f.otherTeam.id }))).status).toBe(
      404,
    );
    // Site admin: any team that exists.
    expect((await f.admin.api.post('/api/tasks/estimate', body(5, { teamId: f.team.id }))).status).toBe(200);
    expect(
      (await f.admin.api.post('/api/tasks/estimate', body(5, { teamId: crypto.randomUUID() }))).status,
    ).toBe(404);
    // The same validation as POST /api/tasks.
    const bad = await f.member.api.post('/api/tasks/estimate', { description: 'x', taskType: 'nope' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
  });
});
