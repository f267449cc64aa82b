import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SLACK_SECRET, slackStubHandler } from '../chat/helpers.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { type StubServer, startStubServer } from '../helpers/stubServer.js';
import { type Api, expectError, teamFixture } from './helpers.js';

/**
 * GET /api/reports/schedules and DELETE /api/reports/schedules/:id: one case per row of the
 * authorisation table in docs/collaboration.md (anonymous, creator, other user, team member, other
 * team, team admin, site admin).
 */
describe('reports: listing and deleting schedules', () => {
  let app: TestApp;
  let stub: StubServer;
  let f: Awaited<ReturnType<typeof teamFixture>>;

  beforeAll(async () => {
    stub = await startStubServer();
    stub.handle(slackStubHandler(() => stub));
    app = await startTestApp({
      env: {
        SLACK_SIGNING_SECRET: SLACK_SECRET,
        SLACK_BOT_TOKEN: 'xoxb-test-token-1234567890',
        SLACK_API_URL: `${stub.url}/api/`,
      },
    });
    f = await teamFixture(app);
  });
  afterAll(async () => {
    await app?.close();
    await stub?.close();
  });

  type Actor = { api: Api };
  async function schedule(by: Actor, teamId: string | undefined, channel: string): Promise<string> {
    const r = await by.api.post('/api/reports/schedules', {
      report: 'usage',
      groupBy: 'user',
      every: 'month',
      ...(teamId ? { teamId } : {}),
      deliverTo: { platform: 'slack', channel },
    });
    expect(r.status, r.text).toBe(201);
    return r.body.id as string;
  }
  async function listed(by: Actor): Promise<string[]> {
    const r = await by.api.get('/api/reports/schedules');
    expect(r.status, r.text).toBe(200);
    return (r.body.items as Array<{ id: string }>).map((s) => s.id);
  }

  it('anonymous: 401 for both', async () => {
    expect((await f.anonymous.api.get('/api/reports/schedules')).status).toBe(401);
    expect(
      (await f.anonymous.api.delete('/api/reports/schedules/00000000-0000-4000-8000-000000000001')).status,
    ).toBe(401);
  });

  it('creator: sees and deletes their own schedule; then it is gone (404 again)', async () => {
    const id = await schedule(f.teamAdmin, f.team.id, 'COWN');
    const items = (await f.teamAdmin.api.get('/api/reports/schedules')).body.items as Array<
      Record<string, unknown>
    >;
    expect(items.find((s) => s.id === id)).toMatchObject({
      report: 'usage',
      groupBy: 'user',
      every: 'month',
      teamId: f.team.id,
      deliverTo: { platform: 'slack', channel: 'COWN' },
      lastSentAt: null,
    });
    const del = await f.teamAdmin.api.delete(`/api/reports/schedules/${id}`);
    expect(del.status, del.text).toBe(204);
    expect(await listed(f.teamAdmin)).not.toContain(id);
    expectError(await f.teamAdmin.api.delete(`/api/reports/schedules/${id}`), 404, 'not_found');
  });

  it('other user, team member, other team’s admin: do not see it, and get 404 on delete', async () => {
    const id = await schedule(f.teamAdmin, f.team.id, 'CHIDDEN');
    // The outsider owns "Other Team": an admin of another team.
    for (const who of [f.outsider, f.member]) {
      expect(await listed(who)).not.toContain(id);
      expectError(await who.api.delete(`/api/reports/schedules/${id}`), 404, 'not_found');
    }
    expect(await listed(f.teamAdmin)).toContain(id);
  });

  it('team admin of its team (not the creator): sees it and deletes it', async () => {
    const id = await schedule(f.teamAdmin, f.team.id, 'CTEAM');
    expect(await listed(f.owner)).toContain(id);
    const del = await f.owner.api.delete(`/api/reports/schedules/${id}`);
    expect(del.status, del.text).toBe(204);
    expect(await listed(f.teamAdmin)).not.toContain(id);
  });

  it('site admin: sees every schedule and deletes any; a team admin does not see a site-wide one', async () => {
    const teamOne = await schedule(f.teamAdmin, f.team.id, 'CA');
    const siteWide = await schedule(f.admin, undefined, 'CSITE');
    const all = await listed(f.admin);
    expect(all).toEqual(expect.arrayContaining([teamOne, siteWide]));
    expect(await listed(f.teamAdmin)).not.toContain(siteWide);
    expectError(await f.teamAdmin.api.delete(`/api/reports/schedules/${siteWide}`), 404, 'not_found');
    expect((await f.admin.api.delete(`/api/reports/schedules/${teamOne}`)).status).toBe(204);
    expect((await f.admin.api.delete(`/api/reports/schedules/${siteWide}`)).status).toBe(204);
    expect(await listed(f.admin)).not.toEqual(expect.arrayContaining([teamOne]));
  });

  it('a malformed id: 400', async () => {
    expectError(await f.teamAdmin.api.delete('/api/reports/schedules/not-a-uuid'), 400, 'validation_failed');
  });
});
