import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_GROUP_BYS, type UsageQuery } from '../../src/core/reports/usageReport.js';
import { createLogger } from '../../src/logger.js';
import { createDb, createPool } from '../../src/models/db.js';
import { attemptsPlan, createReportStore } from '../../src/models/reportStore.js';
import { createTestDatabase } from '../helpers/db.js';

/**
 * The two ways a usage report finds tasks' attempts (a hashed window of attempts by date, or each
 * task's attempts by task id) give the same rows, on data with several attempts per task, tasks with
 * none, personal tasks, unfinished tasks, range edges, an attempt stamped a little before its task
 * (gateway clock) and attempts of a task outside the range stamped inside it.
 */
describe('reports: attempts plans', () => {
  let pool: ReturnType<typeof createPool>;
  let ids: { users: string[]; teams: string[] };

  const task = async (
    user: number,
    team: number | null,
    at: string,
    status: string,
    latencyMs: number | null,
    attempts: Array<{ provider: string; tokens: number; at: string }>,
    extra: { taskType?: string; source?: string; costMicros?: number } = {},
  ) => {
    const started = latencyMs === null ? null : at;
    const r = await pool.query(
      `INSERT INTO tasks (user_id, team_id, title, description, task_type, status, source, created_at, started_at, completed_at, cost_micros)
       VALUES ($1, $2, 't', 'd', $3, $4, $5, $6::timestamptz, $7::timestamptz,
               $7::timestamptz + make_interval(secs => $8::float / 1000), $9)
       RETURNING id`,
      [
        ids.users[user],
        team === null ? null : ids.teams[team],
        extra.taskType ?? 'summary',
        status,
        extra.source ?? 'api',
        at,
        started,
        latencyMs ?? 0,
        extra.costMicros ?? 0,
      ],
    );
    for (const a of attempts)
      await pool.query(
        `INSERT INTO task_assignments (task_id, provider_name, status, tokens_used, created_at)
         VALUES ($1, $2, 'succeeded', $3, $4::timestamptz)`,
        [r.rows[0].id, a.provider, a.tokens, a.at],
      );
  };

  beforeAll(async () => {
    pool = createPool(await createTestDatabase(), createLogger({ level: 'error' }));
    const users = await pool.query(
      `INSERT INTO users (username) SELECT 'plan-user-' || i FROM generate_series(1, 3) i RETURNING id`,
    );
    const teams = await pool.query(
      `INSERT INTO teams (name, slug) SELECT 'Plan team ' || i, 'plan-team-' || i FROM generate_series(1, 2) i RETURNING id`,
    );
    ids = { users: users.rows.map((r) => r.id), teams: teams.rows.map((r) => r.id) };
    const at = (d: string, h = 0) => `2026-10-${d}T${String(h).padStart(2, '0')}:00:00Z`;
    await task(0, 0, at('01'), 'completed', 1200, [{ provider: 'Mock', tokens: 100, at: at('01') }], {
      costMicros: 1000,
    });
    // Retried: tokens add up, the provider is the last attempt's.
    await task(
      0,
      0,
      at('02', 3),
      'completed',
      3000,
      [
        { provider: 'Mock', tokens: 40, at: at('02', 3) },
        { provider: 'Claude', tokens: 260, at: at('02', 4) },
      ],
      { taskType: 'code', costMicros: 2600 },
    );
    await task(1, 0, at('10'), 'failed', null, [{ provider: 'Claude', tokens: 0, at: at('10') }], {
      source: 'slack',
    });
    await task(1, null, at('11'), 'queued', null, []); // personal, never attempted
    await task(2, 1, at('15', 12), 'completed', 800, [{ provider: 'OpenAI', tokens: 70, at: at('15', 12) }], {
      source: 'portal',
      costMicros: 700,
    });
    // A gateway call stamped by its process's clock: the attempt an hour before the task.
    await task(
      2,
      1,
      at('01', 1),
      'completed',
      400,
      [{ provider: 'OpenAI', tokens: 11, at: '2026-09-30T23:59:00Z' }],
      {
        source: 'gateway',
      },
    );
    await task(0, 1, at('31', 23), 'completed', 5000, [{ provider: 'Mock', tokens: 9, at: at('31', 23) }]);
    // Outside the range (before it), but attempted inside it: never counted.
    await task(0, 0, '2026-09-29T12:00:00Z', 'completed', 100, [
      { provider: 'Mock', tokens: 999, at: at('03') },
    ]);
    // After the range.
    await task(1, 0, '2026-11-01T00:00:00Z', 'completed', 100, [
      { provider: 'Mock', tokens: 5, at: '2026-11-01T00:00:00Z' },
    ]);
  });
  afterAll(async () => {
    await pool?.end();
  });

  const october = { from: new Date('2026-10-01T00:00:00Z'), to: new Date('2026-11-01T00:00:00Z') };

  it('window and per-task plans give the same rows for every grouping, whole site and one team', async () => {
    const db = createDb(pool);
    const window = createReportStore(db, { plan: 'window' });
    const perTask = createReportStore(db, { plan: 'perTask' });
    for (const groupBy of REPORT_GROUP_BYS)
      for (const teamId of [undefined, ids.teams[0], ids.teams[1]]) {
        const q: UsageQuery = { ...october, groupBy, teamId };
        expect(await window.usage(q), `${groupBy} ${teamId ?? 'site'}`).toEqual(await perTask.usage(q));
      }
  });

  it('counts what a reader expects from the seeded tasks', async () => {
    const store = createReportStore(createDb(pool), { plan: 'window' });
    const byProvider = await store.usage({ ...october, groupBy: 'provider' });
    expect(byProvider.map((r) => [r.label, r.tasks, r.tokens])).toEqual([
      ['(none)', 1, 0],
      ['Claude', 2, 300],
      ['Mock', 2, 109],
      ['OpenAI', 2, 81],
    ]);
    const byUser = await store.usage({ ...october, groupBy: 'user' });
    expect(
      Object.fromEntries(
        byUser.map((r) => [r.label, [r.tasks, r.completed, r.failed, r.tokens, r.costMicros]]),
      ),
    ).toEqual({
      'plan-user-1': [3, 3, 0, 409, 3600],
      'plan-user-2': [2, 0, 1, 0, 0],
      'plan-user-3': [2, 2, 0, 81, 700],
    });
    expect(byUser.map((r) => r.key)).toEqual([...ids.users].sort());
    const byTeam = await store.usage({ ...october, groupBy: 'team' });
    expect(byTeam[0]).toMatchObject({ key: '', label: '(personal)', tasks: 1, p50LatencyMs: null });
    const byDay = await store.usage({ ...october, groupBy: 'day' });
    expect(byDay.map((r) => r.key)).toEqual([
      '2026-10-01',
      '2026-10-02',
      '2026-10-10',
      '2026-10-11',
      '2026-10-15',
      '2026-10-31',
    ]);
  });

  it('hashes a window for recent whole-site reports, looks attempts up per task otherwise', () => {
    const now = new Date('2026-11-01T00:07:00Z');
    expect(attemptsPlan(october, now)).toBe('window');
    expect(attemptsPlan({ ...october, teamId: 'x' }, now)).toBe('perTask');
    expect(attemptsPlan(october, new Date('2027-06-01T00:00:00Z'))).toBe('perTask');
  });
});
