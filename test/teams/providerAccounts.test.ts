import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { sql } from '../helpers/sql.js';
import { waitFor } from '../helpers/wait.js';
import { type Api, teamFixture } from './helpers.js';

type Who = 'anonymous' | 'member' | 'teamAdmin' | 'outsider' | 'siteAdmin';
const WHO: Who[] = ['anonymous', 'member', 'teamAdmin', 'outsider', 'siteAdmin'];

describe('teams: provider accounts', () => {
  let app: TestApp;
  let f: Awaited<ReturnType<typeof teamFixture>>;
  let apis: Record<Who, Api>;
  let mockId: string;
  let teamAccount: { id: string };

  beforeAll(async () => {
    app = await startTestApp();
    f = await teamFixture(app);
    apis = {
      anonymous: f.anonymous.api,
      member: f.member.api,
      teamAdmin: f.teamAdmin.api,
      outsider: f.outsider.api,
      siteAdmin: f.admin.api,
    };
    const list = await f.admin.api.get('/api/providers');
    mockId = list.body.items.find((p: any) => p.kind === 'mock').id;
    const a = await f.teamAdmin.api.post(`/api/providers/${mockId}/accounts`, {
      accountName: 'acme-team-key',
      tokenLimit: 1_000_000,
      teamId: f.team.id,
    });
    expect(a.status).toBe(201);
    expect(a.body).toMatchObject({ teamId: f.team.id, tokenLimit: 1_000_000 });
    teamAccount = a.body;
  });
  afterAll(async () => {
    await app?.close();
  });

  const rows: Array<{
    route: string;
    call: (a: Api) => Promise<{ status: number }>;
    expect: Record<Who, number>;
  }> = [
    {
      route: 'POST /api/providers/:id/accounts {teamId}',
      call: (a) =>
        a.post(`/api/providers/${mockId}/accounts`, { accountName: 'k', tokenLimit: 10, teamId: f.team.id }),
      expect: { anonymous: 401, member: 403, teamAdmin: 201, outsider: 404, siteAdmin: 201 },
    },
    {
      route: 'POST /api/providers/:id/accounts (everyone’s: admins only)',
      call: (a) => a.post(`/api/providers/${mockId}/accounts`, { accountName: 'g', tokenLimit: 10 }),
      expect: { anonymous: 401, member: 403, teamAdmin: 403, outsider: 403, siteAdmin: 201 },
    },
    {
      route: 'PUT /api/providers/:id/accounts/:accountId (team account)',
      call: (a) => a.put(`/api/providers/${mockId}/accounts/${teamAccount.id}`, { tokenLimit: 1_000_000 }),
      expect: { anonymous: 401, member: 403, teamAdmin: 200, outsider: 404, siteAdmin: 200 },
    },
    {
      route: 'DELETE /api/providers/:id/accounts/:accountId (team account)',
      call: async (a) => {
        const k = await f.owner.api.post(`/api/providers/${mockId}/accounts`, {
          accountName: 'tmp',
          tokenLimit: 10,
          teamId: f.team.id,
        });
        return a.delete(`/api/providers/${mockId}/accounts/${k.body.id}`);
      },
      expect: { anonymous: 401, member: 403, teamAdmin: 204, outsider: 404, siteAdmin: 204 },
    },
  ];
  for (const row of rows)
    for (const who of WHO)
      it(`${row.route} — ${who} → ${row.expect[who]}`, async () => {
        expect((await row.call(apis[who])).status).toBe(row.expect[who]);
      });

  it('other teams’ accounts are not listed; budgets show to site and team admins only', async () => {
    const ids = async (api: Api) =>
      (await api.get(`/api/providers/${mockId}`)).body.accounts.map((a: any) => a.id) as string[];
    expect(await ids(f.outsider.api)).not.toContain(teamAccount.id);
    expect(await ids(f.member.api)).toContain(teamAccount.id);
    const seen = async (api: Api) =>
      (await api.get(`/api/providers/${mockId}`)).body.accounts.find((a: any) => a.id === teamAccount.id);
    expect((await seen(f.member.api)).tokenLimit).toBeUndefined();
    expect((await seen(f.teamAdmin.api)).tokenLimit).toBe(1_000_000);
    expect((await seen(f.admin.api)).tokenLimit).toBe(1_000_000);
  });

  it('a team task uses the team’s account first; nobody else’s task ever uses it', async () => {
    const accountOf = async (api: Api, body: Record<string, unknown>) => {
      const t = await api.post('/api/tasks', { description: 'Route me', taskType: 'summary', ...body });
      expect(t.status).toBe(201);
      await waitFor(
        async () => (await api.get(`/api/tasks/${t.body.id}`)).body.status === 'completed',
        'done',
      );
      const [a] = await sql<{ account_id: string }>(
        app,
        `SELECT account_id FROM task_assignments WHERE task_id = $1 AND status = 'succeeded'`,
        [t.body.id],
      );
      return a!.account_id;
    };
    expect(await accountOf(f.member.api, { teamId: f.team.id })).toBe(teamAccount.id);
    expect(await accountOf(f.member.api, {})).not.toBe(teamAccount.id);
    expect(await accountOf(f.outsider.api, { teamId: f.otherTeam.id })).not.toBe(teamAccount.id);
  });
});
