import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySignature } from '../../src/core/webhooks/signature.js';
import { slackStubHandler } from '../chat/helpers.js';
import { loginAdmin, registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { type StubServer, sendJson, startStubServer } from '../helpers/stubServer.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Done means (issue 14): a $1.00 monthly team budget and $0.10 per-user budgets, a burst of 200
 * concurrent tasks → no budget over its limit by one micro-dollar, the right tasks refused, the team
 * budget's alerts sent once per threshold crossed to a stub Slack channel and a signed webhook, and
 * its forecast naming a run-out date.
 * The burst runs against an API-only process (nothing settles meanwhile, so the expected counts are
 * exact); a worker process then drains the queue and the budgets settle with the real costs.
 */
const TEAM_LIMIT = 1_000_000;
const USER_LIMIT = 100_000;
const HEAVY = 5; // users with 25 tasks each
const LIGHT = 15; // users with 5 tasks each
const DESCRIPTION = 'Summarise the quarterly spend report for the finance team in three short bullet points.';

let api: TestApp;
let worker: TestApp | undefined;
let db: pg.Client;
let slack: StubServer;
let hook: StubServer;
let alertEnv: Record<string, string>;

beforeAll(async () => {
  slack = await startStubServer();
  slack.handle(slackStubHandler(() => slack));
  hook = await startStubServer((_r, res) => sendJson(res, 200, { ok: true }));
  alertEnv = {
    SLACK_SIGNING_SECRET: 'slack-signing-secret-for-tests',
    SLACK_BOT_TOKEN: 'xoxb-test-token-1234567890',
    SLACK_API_URL: `${slack.url}/api/`,
    OUTBOUND_ALLOW_PRIVATE: 'true',
  };
  api = await startTestApp({ roles: ['api'], env: alertEnv });
  db = new pg.Client({ connectionString: api.databaseUrl });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
  await worker?.close();
  await api?.close();
  await slack?.close();
  await hook?.close();
});

describe('budgets under a burst of 200 concurrent tasks', () => {
  it('never passes a limit and refuses exactly the tasks that do not fit', { timeout: 120_000 }, async () => {
    const admin = await loginAdmin(api.url);
    // Fixed prices for the mock provider, chosen so one task's estimate is about $0.008.
    const setPrice = (usd: number) =>
      admin.api.put('/api/admin/prices', {
        items: [{ providerKind: 'mock', model: '*', inputPerMTokUsd: usd, outputPerMTokUsd: usd }],
      });
    expect((await setPrice(1)).status).toBe(200);
    const probeUser = await registerUser(api.url);
    const probe = async () => {
      const r = await probeUser.api.post('/api/tasks', {
        description: DESCRIPTION,
        taskType: 'summary',
        options: { maxTokens: 200 },
      });
      return (await probeUser.api.get(`/api/tasks/${r.body.id}`)).body.estimatedCostMicros as number;
    };
    const tokens = await probe();
    expect((await setPrice(Math.ceil((8000 / tokens) * 100) / 100)).status).toBe(200);
    const E = await probe();

    const owner = await registerUser(api.url);
    const team = (await owner.api.post('/api/teams', { name: 'Burst' })).body;
    const users = [];
    for (let i = 0; i < HEAVY + LIGHT; i++) {
      const u = await registerUser(api.url);
      const inv = await owner.api.post(`/api/teams/${team.id}/invites`, { role: 'member' });
      expect((await u.api.post(`/api/invites/${inv.body.token}/accept`)).status).toBe(200);
      users.push({ ...u, tasks: i < HEAVY ? 25 : 5 });
    }
    const teamBudget = await admin.api.post('/api/budgets', {
      scope: 'team',
      scopeId: team.id,
      name: 'Burst team',
      limitMicros: TEAM_LIMIT,
      period: 'monthly',
      timeZone: 'Europe/Paris',
      alertTargets: { slackChannel: 'C-SPEND', webhookUrl: `${hook.url}/alerts` },
    });
    expect(teamBudget.status).toBe(201);
    const userBudgets = new Map<string, string>();
    for (const u of users) {
      const b = await admin.api.post('/api/budgets', {
        scope: 'user',
        scopeId: u.user.id,
        limitMicros: USER_LIMIT,
        period: 'monthly',
      });
      expect(b.status).toBe(201);
      userBudgets.set(u.user.id, b.body.id);
    }

    const jobs = users.flatMap((u) =>
      Array.from({ length: u.tasks }, () => async () => {
        const r = await u.api.post('/api/tasks', {
          description: DESCRIPTION,
          taskType: 'summary',
          teamId: team.id,
          options: { maxTokens: 200 },
        });
        return { user: u.user.id, status: r.status, body: r.body };
      }),
    );
    expect(jobs).toHaveLength(200);
    const results = await Promise.all(jobs.map((j) => j()));

    const accepted = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status === 422);
    expect(accepted.length + refused.length).toBe(200);
    for (const r of refused) {
      expect(r.body.error.code).toBe('budget_exceeded');
      expect([teamBudget.body.id, userBudgets.get(r.user)]).toContain(r.body.error.details.budgetId);
      expect(r.body.error.details.resetsAt).toEqual(expect.any(String));
    }
    const capUser = Math.floor(USER_LIMIT / E);
    const capTeam = Math.floor(TEAM_LIMIT / E);
    const wanted = users.reduce((n, u) => n + Math.min(u.tasks, capUser), 0);
    expect(accepted.length).toBe(Math.min(capTeam, wanted));
    for (const u of users)
      expect(accepted.filter((r) => r.user === u.user.id).length).toBeLessThanOrEqual(capUser);

    const reserved = async () =>
      (
        await db.query(
          'SELECT id, scope, limit_micros, spent_micros, reserved_micros FROM budgets ORDER BY scope, id',
        )
      ).rows.map((r) => ({
        id: r.id as string,
        scope: r.scope as string,
        limit: Number(r.limit_micros),
        spent: Number(r.spent_micros),
        reserved: Number(r.reserved_micros),
      }));
    for (const b of await reserved()) expect(b.spent + b.reserved).toBeLessThanOrEqual(b.limit);

    // A worker drains the queue; every budget settles with the real cost.
    worker = await startTestApp({ roles: ['worker'], databaseUrl: api.databaseUrl, env: alertEnv });
    await waitFor(
      async () => {
        const { rows } = await db.query(
          "SELECT count(*)::int AS n FROM tasks WHERE team_id = $1 AND status IN ('queued', 'running')",
          [team.id],
        );
        return rows[0].n === 0;
      },
      'the accepted tasks to finish',
      90_000,
      200,
    );
    await waitFor(async () => {
      const { rows } = await db.query(
        'SELECT count(*)::int AS n FROM budget_reservations br JOIN tasks t ON t.id = br.task_id WHERE t.team_id = $1 AND br.settled_at IS NULL',
        [team.id],
      );
      return rows[0].n === 0;
    }, 'every reservation to settle');
    const after = await reserved();
    const { rows: cost } = await db.query(
      "SELECT coalesce(sum(cost_micros), 0)::bigint AS c, count(*) FILTER (WHERE status = 'completed')::int AS done FROM tasks WHERE team_id = $1",
      [team.id],
    );
    const teamAfter = after.find((b) => b.id === teamBudget.body.id)!;
    expect(Number(cost[0].done)).toBe(accepted.length);
    expect(teamAfter.spent).toBe(Number(cost[0].c));
    for (const b of after) {
      expect(b.reserved).toBe(0);
      expect(b.spent).toBeLessThanOrEqual(b.limit);
    }
    const userAfter = after.filter((b) => b.scope === 'user');

    // The team budget's alerts: one per threshold its settled spend crossed, to Slack and the webhook.
    const crossed = [50, 80, 100].filter((t) => teamAfter.spent * 100 >= t * TEAM_LIMIT);
    expect(crossed.length).toBeGreaterThan(0);
    const posts = () =>
      slack.requests
        .filter((r) => r.path === '/api/chat.postMessage')
        .map((r) =>
          r.headers['content-type']?.includes('json')
            ? r.json()
            : Object.fromEntries(new URLSearchParams(r.body)),
        )
        .filter((b) => b.channel === 'C-SPEND');
    const hooks = () => hook.requests.filter((r) => r.path === '/alerts');
    await waitFor(
      async () => posts().length >= crossed.length && hooks().length >= crossed.length,
      'the team budget alerts',
    );
    // Every settlement is done, so nothing more is coming: exactly one alert per crossed threshold.
    expect(posts().map((b) => Number(String(b.text).match(/reached (\d+)%/)?.[1]))).toEqual(crossed);
    expect(hooks().map((r) => r.json().threshold)).toEqual(crossed);
    const secret = (await admin.api.get('/api/webhooks/callback-secret')).body.secret;
    for (const r of hooks())
      expect(verifySignature(r.headers['x-switchyard-signature'] as string, r.rawBody, [secret]).ok).toBe(
        true,
      );

    // The forecast: at this burn rate the team budget runs out before its period ends.
    const forecast = await admin.api.get(`/api/budgets/${teamBudget.body.id}/forecast`);
    expect(forecast.status).toBe(200);
    expect(forecast.body.burnRatePerDayMicros).toBeGreaterThan(0);
    expect(forecast.body.runsOutAt).toEqual(expect.any(String));
    const resetsAt = (await admin.api.get(`/api/budgets/${teamBudget.body.id}`)).body.resetsAt;
    expect(Date.parse(forecast.body.runsOutAt)).toBeLessThanOrEqual(Date.parse(resetsAt));
    console.log(
      [
        `spend burst: tasks=${results.length} accepted=${accepted.length} refused=${refused.length} estimate/task=${E}µ$`,
        `  team budget: spent ${teamAfter.spent}µ$ of ${teamAfter.limit}µ$ (estimates held at the peak: ${accepted.length * E}µ$)`,
        `  user budgets (${userAfter.length}): max spent ${Math.max(...userAfter.map((b) => b.spent))}µ$ of ${USER_LIMIT}µ$, total ${userAfter.reduce((n, b) => n + b.spent, 0)}µ$`,
        `  team alerts sent (Slack and webhook, once each): ${crossed.map((t) => `${t}%`).join(', ')}; forecast runs out ${forecast.body.runsOutAt}`,
        `  refused by the team budget: ${refused.filter((r) => r.body.error.details.budgetId === teamBudget.body.id).length}, by a user budget: ${refused.filter((r) => r.body.error.details.budgetId !== teamBudget.body.id).length}`,
      ].join('\n'),
    );
  });
});
