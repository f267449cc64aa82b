import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySignature } from '../../src/core/webhooks/signature.js';
import { REPORT_SCHEDULES_QUEUE } from '../../src/jobs/reportJobs.js';
import { SLACK_SECRET, slackStubHandler } from '../chat/helpers.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { sql } from '../helpers/sql.js';
import { type StubServer, sendJson, startStubServer } from '../helpers/stubServer.js';
import { waitFor } from '../helpers/wait.js';
import { expectError, teamFixture } from './helpers.js';

/** Scheduled reports reach a stub Slack channel and a signed webhook through the pg-boss job. */
describe('reports: schedules', () => {
  let app: TestApp;
  let stub: StubServer;
  let f: Awaited<ReturnType<typeof teamFixture>>;

  beforeAll(async () => {
    stub = await startStubServer();
    const slack = slackStubHandler(() => stub);
    stub.handle((r, res) => (r.path === '/hook' ? sendJson(res, 200, { ok: true }) : slack(r, res)));
    app = await startTestApp({
      env: {
        SLACK_SIGNING_SECRET: SLACK_SECRET,
        SLACK_BOT_TOKEN: 'xoxb-test-token-1234567890',
        SLACK_API_URL: `${stub.url}/api/`,
        OUTBOUND_ALLOW_PRIVATE: 'true',
      },
    });
    f = await teamFixture(app);
    // One task of the team's member in the week before this one.
    await sql(
      app,
      `INSERT INTO tasks (user_id, team_id, title, description, task_type, status, created_at, started_at, completed_at)
       VALUES ($1, $2, 't', 'd', 'summary', 'completed', date_trunc('week', now()) - interval '3 days',
               date_trunc('week', now()) - interval '3 days', date_trunc('week', now()) - interval '3 days' + interval '2 seconds')`,
      [f.member.user.id, f.team.id],
    );
  });
  afterAll(async () => {
    await app?.close();
    await stub?.close();
  });

  const weekly = (deliverTo: unknown) => ({
    report: 'usage',
    groupBy: 'user',
    every: 'week',
    teamId: f.team.id,
    deliverTo,
  });

  it('who may schedule: team admin 201; member 403; other team 404; anonymous 401; bad input 400', async () => {
    const ok = await f.teamAdmin.api.post(
      '/api/reports/schedules',
      weekly({ platform: 'slack', channel: 'CREP' }),
    );
    expect(ok.status, ok.text).toBe(201);
    const next = new Date(ok.body.nextRunAt);
    expect(next.getUTCDay()).toBe(1);
    expect(next.getTime()).toBeGreaterThan(Date.now());
    expectError(
      await f.member.api.post('/api/reports/schedules', weekly({ platform: 'slack', channel: 'C' })),
      403,
      'forbidden',
    );
    expectError(
      await f.outsider.api.post('/api/reports/schedules', weekly({ platform: 'slack', channel: 'C' })),
      404,
      'not_found',
    );
    expect(
      (await f.anonymous.api.post('/api/reports/schedules', weekly({ platform: 'slack', channel: 'C' })))
        .status,
    ).toBe(401);
    expectError(
      await f.teamAdmin.api.post('/api/reports/schedules', weekly({ platform: 'discord', channel: 'C' })),
      400,
      'validation_failed',
    );
    expectError(
      await f.teamAdmin.api.post('/api/reports/schedules', {
        ...weekly({ platform: 'slack', channel: 'C' }),
        every: 'day',
      }),
      400,
      'validation_failed',
    );
    expectError(
      await f.teamAdmin.api.post(
        '/api/reports/schedules',
        weekly({ webhookId: '00000000-0000-4000-8000-000000000000' }),
      ),
      404,
      'not_found',
    ); // A site admin naming a team that does not exist: 404, not a 500 from the foreign key.
    expectError(
      await f.admin.api.post('/api/reports/schedules', {
        ...weekly({ platform: 'slack', channel: 'C1' }),
        teamId: '00000000-0000-4000-8000-0000000000aa',
      }),
      404,
      'not_found',
    );
  });

  it('the job sends last week’s report to the Slack channel and to a signed webhook, and moves the schedule on', async () => {
    const hook = await f.teamAdmin.api.post('/api/webhooks', {
      name: 'Reports sink',
      taskType: 'summary',
      promptTemplate: 'x',
      callbackUrl: `${stub.url}/hook`,
      teamId: f.team.id,
    });
    expect(hook.status, hook.text).toBe(201);
    const s1 = await f.teamAdmin.api.post(
      '/api/reports/schedules',
      weekly({ platform: 'slack', channel: 'CWEEKLY' }),
    );
    const s2 = await f.teamAdmin.api.post('/api/reports/schedules', weekly({ webhookId: hook.body.id }));
    expect(s2.status, s2.text).toBe(201);
    // Due now: this week's Monday, so the report covers the week before.
    await sql(app, `UPDATE report_schedules SET next_run_at = date_trunc('week', now()) WHERE id = ANY($1)`, [
      [s1.body.id, s2.body.id],
    ]);
    await app.sy.boss.send(REPORT_SCHEDULES_QUEUE, null);

    const post = await waitFor(
      async () =>
        stub.requests
          .filter((r) => r.path === '/api/chat.postMessage')
          .map((r) => Object.fromEntries(new URLSearchParams(r.body)) as Record<string, string>)
          .find((b) => b.channel === 'CWEEKLY'),
      'the report in the Slack channel',
    );
    expect(post.text).toContain('Usage by user');
    expect(post.text).toContain(f.member.user.username);
    const delivered = await waitFor(async () => stub.requests.find((r) => r.path === '/hook'), 'the webhook');
    const verified = verifySignature(String(delivered.headers['x-switchyard-signature']), delivered.rawBody, [
      hook.body.secret,
    ]);
    expect(verified.ok).toBe(true);
    const payload = delivered.json();
    expect(payload).toMatchObject({ event: 'report.usage', groupBy: 'user', teamId: f.team.id });
    expect(payload.items).toEqual([
      expect.objectContaining({
        key: f.member.user.id,
        label: f.member.user.username,
        tasks: 1,
        completed: 1,
      }),
    ]);
    const rows = await sql<{ next_run_at: Date; last_sent_at: Date | null }>(
      app,
      'SELECT next_run_at, last_sent_at FROM report_schedules WHERE id = ANY($1)',
      [[s1.body.id, s2.body.id]],
    );
    for (const r of rows) {
      expect(r.next_run_at.getTime()).toBeGreaterThan(Date.now());
      expect(r.last_sent_at).not.toBeNull();
    }
  });
});
