import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { sql } from '../helpers/sql.js';
import { type Api, expectError, teamFixture } from './helpers.js';

/**
 * Failure reasons over attempts seeded in November 2026. The team: task A failed after two timeouts
 * (Mock, then Claude); task B completed after a rate limit; task C failed once with no code and once
 * with a long server error that carries a key; an aborted attempt and a December timeout do not
 * count. Another team: task D failed on a timeout.
 */
describe('reports: failure reasons', () => {
  let app: TestApp;
  let f: Awaited<ReturnType<typeof teamFixture>>;
  const NOV = 'from=2026-11-01&to=2026-12-01';
  const LONG = `Upstream said: ${'x'.repeat(300)}`;

  const task = async (userId: string, teamId: string, status: 'completed' | 'failed', at: string) => {
    const [t] = await sql<{ id: string }>(
      app,
      `INSERT INTO tasks (user_id, team_id, title, description, task_type, status, source, created_at)
       VALUES ($1, $2, 't', 'd', 'summary', $3, 'api', $4::timestamptz) RETURNING id`,
      [userId, teamId, status, at],
    );
    return t!.id;
  };
  const attempt = async (
    taskId: string,
    at: string,
    status: 'failed' | 'succeeded' | 'aborted',
    provider: string,
    code: string | null,
    message: string | null,
  ) =>
    sql(
      app,
      `INSERT INTO task_assignments (task_id, provider_name, status, error_code, error_message, created_at)
       VALUES ($1, $2, $3, $4, $5, $6::timestamptz)`,
      [taskId, provider, status, code, message, at],
    );

  beforeAll(async () => {
    app = await startTestApp({ roles: ['api'] });
    f = await teamFixture(app);
    const team = f.team.id;
    const a = await task(f.member.user.id, team, 'failed', '2026-11-02T10:00:00Z');
    await attempt(a, '2026-11-02T10:00:00Z', 'failed', 'Mock', 'timeout', 'mock: timed out after 30s');
    await attempt(a, '2026-11-02T10:01:00Z', 'failed', 'Claude', 'timeout', 'anthropic: timed out after 60s');
    const b = await task(f.member.user.id, team, 'completed', '2026-11-03T10:00:00Z');
    await attempt(b, '2026-11-03T10:00:00Z', 'failed', 'Mock', 'rate_limit', 'mock: 429 slow down');
    await attempt(b, '2026-11-03T10:00:05Z', 'succeeded', 'Claude', null, null);
    const c = await task(f.teamAdmin.user.id, team, 'failed', '2026-11-20T10:00:00Z');
    await attempt(c, '2026-11-20T10:00:00Z', 'failed', 'Mock', null, null);
    await attempt(
      c,
      '2026-11-20T10:00:10Z',
      'failed',
      'Mock',
      'server_error',
      `key sk-abcdefghijklmnop ${LONG}`,
    );
    await attempt(c, '2026-11-20T10:00:20Z', 'aborted', 'Mock', 'aborted', 'cancelled');
    const dec = await task(f.member.user.id, team, 'failed', '2026-12-01T00:00:00Z');
    await attempt(dec, '2026-12-01T00:00:00Z', 'failed', 'Mock', 'timeout', 'december');
    const d = await task(f.outsider.user.id, f.otherTeam.id, 'failed', '2026-11-04T00:00:00Z');
    await attempt(d, '2026-11-04T00:00:00Z', 'failed', 'OpenAI', 'timeout', 'other team: timed out');
  });
  afterAll(async () => {
    await app?.close();
  });

  const counts = (items: any[]) => items.map((i) => [i.code, i.attempts, i.tasks, i.providers]);

  it('a site admin sees every team’s failures by code, most attempts first', async () => {
    const r = await f.admin.api.get(`/api/reports/failures?${NOV}`);
    expect(r.status, r.text).toBe(200);
    expect(counts(r.body.items)).toEqual([
      ['timeout', 3, 2, ['Claude', 'Mock', 'OpenAI']],
      ['rate_limit', 1, 0, ['Mock']],
      ['server_error', 1, 1, ['Mock']],
      ['unknown', 1, 1, ['Mock']],
    ]);
    const byCode = Object.fromEntries(r.body.items.map((i: any) => [i.code, i]));
    expect(byCode.timeout).toMatchObject({
      label: 'The provider did not answer in time',
      lastAt: '2026-11-04T00:00:00.000Z',
      example: 'other team: timed out',
    });
    expect(byCode.unknown).toMatchObject({ label: 'Failed without a recorded reason', example: null });
    const example = byCode.server_error.example as string;
    expect(example).toHaveLength(200);
    expect(example).not.toContain('sk-abcdefghijklmnop');
    expect(example.startsWith('key [REDACTED] Upstream said: xxx')).toBe(true);
  });

  it('a team admin sees only their team’s failures, in JSON and CSV', async () => {
    const r = await f.teamAdmin.api.get(`/api/reports/failures?${NOV}&teamId=${f.team.id}`);
    expect(r.status, r.text).toBe(200);
    expect(counts(r.body.items)).toEqual([
      ['timeout', 2, 1, ['Claude', 'Mock']],
      ['rate_limit', 1, 0, ['Mock']],
      ['server_error', 1, 1, ['Mock']],
      ['unknown', 1, 1, ['Mock']],
    ]);
    expect(r.body.items[0]).toMatchObject({
      lastAt: '2026-11-02T10:01:00.000Z',
      example: 'anthropic: timed out after 60s',
    });

    const csv = await f.teamAdmin.api.get(`/api/reports/failures?${NOV}&teamId=${f.team.id}&format=csv`);
    expect(csv.status, csv.text).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = csv.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe('code,label,attempts,tasks,providers,lastAt,example');
    expect(lines[1]).toBe(
      'timeout,The provider did not answer in time,2,1,Claude;Mock,2026-11-02T10:01:00.000Z,anthropic: timed out after 60s',
    );
    expect(lines[2]).toBe(
      'rate_limit,The provider rate-limited the request,1,0,Mock,2026-11-03T10:00:00.000Z,mock: 429 slow down',
    );
    expect(lines).toHaveLength(5);
    expect(lines[4]).toBe('unknown,Failed without a recorded reason,1,1,Mock,2026-11-20T10:00:00.000Z,');
  });

  it('an empty range answers no rows', async () => {
    const r = await f.admin.api.get('/api/reports/failures?from=2026-10-01&to=2026-11-01');
    expect(r.status, r.text).toBe(200);
    expect(r.body.items).toEqual([]);
  });

  it('authorisation: anonymous 401, member 403, other team 404, other user 403/404, team admin and site admin 200', async () => {
    const q = `/api/reports/failures?${NOV}&teamId=${f.team.id}`;
    const other = await registerUser(app.url);
    const expectStatus = async (api: Api, path: string, status: number) =>
      expect((await api.get(path)).status).toBe(status);
    await expectStatus(f.anonymous.api, q, 401);
    expectError(await f.member.api.get(q), 403, 'forbidden');
    expectError(await f.outsider.api.get(q), 404, 'not_found');
    expectError(await other.api.get(q), 404, 'not_found');
    expectError(await other.api.get(`/api/reports/failures?${NOV}`), 403, 'forbidden');
    expectError(await f.teamAdmin.api.get(`/api/reports/failures?${NOV}`), 403, 'forbidden');
    await expectStatus(f.teamAdmin.api, q, 200);
    await expectStatus(f.owner.api, q, 200);
    await expectStatus(f.admin.api, q, 200);
  });

  it('refuses malformed queries with 400', async () => {
    const a = f.admin.api;
    expectError(await a.get('/api/reports/failures?from=yesterday'), 400, 'validation_failed');
    expectError(await a.get('/api/reports/failures?from=2026-12-01&to=2026-11-01'), 400, 'validation_failed');
    expectError(await a.get('/api/reports/failures?from=2024-01-01&to=2026-01-01'), 400, 'validation_failed');
    expectError(await a.get('/api/reports/failures?format=xml'), 400, 'validation_failed');
    expectError(await a.get('/api/reports/failures?teamId=x'), 400, 'validation_failed');
  });
});
