import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { sql } from '../helpers/sql.js';
import { type Api, expectError, teamFixture } from './helpers.js';

/**
 * Usage reports over tasks seeded with known figures in November 2026: the team's member ran 3
 * (2 completed, 1 failed), its admin 1 completed; another team 2; and one task falls in December.
 * Each task costs 10 micro-dollars per token.
 */
describe('reports: usage', () => {
  let app: TestApp;
  let f: Awaited<ReturnType<typeof teamFixture>>;
  const NOV = 'from=2026-11-01&to=2026-12-01';

  const seed = async (
    userId: string,
    teamId: string | null,
    at: string,
    status: 'completed' | 'failed',
    tokens: number,
    latencyMs: number,
    provider = 'Mock',
  ) => {
    const [t] = await sql<{ id: string }>(
      app,
      `INSERT INTO tasks (user_id, team_id, title, description, task_type, status, source, created_at, started_at, completed_at, cost_micros)
       VALUES ($1, $2, 't', 'd', 'summary', $3, 'api', $4::timestamptz, $4::timestamptz, $4::timestamptz + make_interval(secs => $5::float / 1000), $6)
       RETURNING id`,
      [userId, teamId, status, at, latencyMs, tokens * 10],
    );
    await sql(
      app,
      `INSERT INTO task_assignments (task_id, provider_name, status, tokens_used, created_at)
       VALUES ($1, $2, $3, $4, $5::timestamptz)`,
      [t!.id, provider, status === 'completed' ? 'succeeded' : 'failed', tokens, at],
    );
  };

  beforeAll(async () => {
    app = await startTestApp({ roles: ['api'] });
    f = await teamFixture(app);
    const team = f.team.id;
    await seed(f.member.user.id, team, '2026-11-02T10:00:00Z', 'completed', 100, 1000);
    await seed(f.member.user.id, team, '2026-11-02T11:00:00Z', 'completed', 300, 3000, 'Claude');
    await seed(f.member.user.id, team, '2026-11-15T09:00:00Z', 'failed', 0, 0);
    await seed(f.teamAdmin.user.id, team, '2026-11-30T23:59:59Z', 'completed', 50, 500);
    await seed(f.outsider.user.id, f.otherTeam.id, '2026-11-03T00:00:00Z', 'completed', 1000, 2000);
    await seed(f.outsider.user.id, f.otherTeam.id, '2026-11-04T00:00:00Z', 'completed', 1000, 2000);
    await seed(f.member.user.id, team, '2026-12-01T00:00:00Z', 'completed', 7, 7);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('a team admin’s monthly CSV by user lists the right totals', async () => {
    const r = await f.teamAdmin.api.get(
      `/api/reports/usage?${NOV}&groupBy=user&teamId=${f.team.id}&format=csv`,
    );
    expect(r.status, r.text).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = r.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe('key,label,tasks,completed,failed,tokens,costMicros,p50LatencyMs,p95LatencyMs');
    const rows = Object.fromEntries(
      lines.slice(1).map((l) => {
        const [key, label, tasks, completed, failed, tokens, cost, p50, p95] = l.split(',');
        return [label, { key, tasks, completed, failed, tokens, cost, p50, p95 }];
      }),
    );
    expect(rows[f.member.user.username]).toEqual({
      key: f.member.user.id,
      tasks: '3',
      completed: '2',
      failed: '1',
      tokens: '400',
      cost: '4000',
      p50: '2000',
      p95: '2900',
    });
    expect(rows[f.teamAdmin.user.username]).toMatchObject({
      tasks: '1',
      completed: '1',
      tokens: '50',
      p50: '500',
    });
    expect(Object.keys(rows)).toHaveLength(2);
    const total = Object.values(rows).reduce((n, x) => n + Number(x.tasks), 0);
    expect(total).toBe(4);
  });

  it('groups by day, provider, team, task type and source', async () => {
    const admin = f.admin.api;
    const byDay = await admin.get(`/api/reports/usage?${NOV}&groupBy=day`);
    expect(byDay.body.items.map((i: any) => [i.key, i.tasks])).toEqual([
      ['2026-11-02', 2],
      ['2026-11-03', 1],
      ['2026-11-04', 1],
      ['2026-11-15', 1],
      ['2026-11-30', 1],
    ]);
    const byProvider = await admin.get(`/api/reports/usage?${NOV}&groupBy=provider`);
    expect(byProvider.body.items.map((i: any) => [i.label, i.tasks, i.tokens])).toEqual([
      ['Claude', 1, 300],
      ['Mock', 5, 2150],
    ]);
    const byTeam = await admin.get(`/api/reports/usage?${NOV}&groupBy=team`);
    expect(byTeam.body.items.map((i: any) => i.label).sort()).toEqual(['Acme Writers', 'Other Team']);
    const byType = await admin.get(`/api/reports/usage?${NOV}&groupBy=taskType&teamId=${f.team.id}`);
    expect(byType.body.items).toEqual([
      expect.objectContaining({ key: 'summary', label: 'summary', tasks: 4 }),
    ]);
    const bySource = await admin.get(`/api/reports/usage?${NOV}&groupBy=source`);
    expect(bySource.body.items).toEqual([
      expect.objectContaining({ key: 'api', tasks: 6, costMicros: 24_500 }),
    ]);
  });

  it('authorisation: anonymous 401, member 403, other team 404, other user 403, team admin and site admin 200', async () => {
    const q = `/api/reports/usage?${NOV}&teamId=${f.team.id}`;
    const other = await registerUser(app.url);
    const expectStatus = async (api: Api, path: string, status: number) =>
      expect((await api.get(path)).status).toBe(status);
    await expectStatus(f.anonymous.api, q, 401);
    expectError(await f.member.api.get(q), 403, 'forbidden');
    expectError(await f.outsider.api.get(q), 404, 'not_found');
    expectError(await other.api.get(q), 404, 'not_found');
    expectError(await other.api.get(`/api/reports/usage?${NOV}`), 403, 'forbidden');
    await expectStatus(f.teamAdmin.api, q, 200);
    await expectStatus(f.owner.api, q, 200);
    await expectStatus(f.admin.api, q, 200);
    await expectStatus(f.admin.api, `/api/reports/usage?${NOV}`, 200);
  });

  it('refuses malformed queries with 400', async () => {
    const a = f.admin.api;
    expectError(await a.get('/api/reports/usage?groupBy=week'), 400, 'validation_failed');
    expectError(await a.get('/api/reports/usage?from=yesterday'), 400, 'validation_failed');
    expectError(await a.get('/api/reports/usage?from=2026-12-01&to=2026-11-01'), 400, 'validation_failed');
    expectError(await a.get('/api/reports/usage?from=2024-01-01&to=2026-01-01'), 400, 'validation_failed');
    expectError(await a.get('/api/reports/usage?format=xml'), 400, 'validation_failed');
    expectError(await a.get('/api/reports/usage?teamId=x'), 400, 'validation_failed');
  });
});
