import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEAM_ACTIONS, TEAM_MATRIX, TEAM_ROLES } from '../../src/core/teams/authorization.js';
import { registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { sql } from '../helpers/sql.js';
import { waitFor } from '../helpers/wait.js';
import { deliver } from '../webhooks/helpers.js';
import { type Api, teamFixture } from './helpers.js';

type Who = 'anonymous' | 'member' | 'teamAdmin' | 'outsider' | 'siteAdmin';
const WHO: Who[] = ['anonymous', 'member', 'teamAdmin', 'outsider', 'siteAdmin'];

/**
 * The authorisation matrix, route by route: anonymous / member / team admin / other team / site
 * admin × every team-scoped route. Outsiders get 404 (no leak of the team or its objects), members
 * without the right 403.
 */
describe('teams: authorisation matrix', () => {
  let app: TestApp;
  let f: Awaited<ReturnType<typeof teamFixture>>;
  let apis: Record<Who, Api>;
  let teamTaskId: string;
  let teamContentId: string;
  let otherTeamTaskId: string;
  let teamHook: { id: string; url: string; secret: string };

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
    const t = await f.owner.api.post('/api/tasks', {
      description: 'Team brief',
      taskType: 'summary',
      teamId: f.team.id,
    });
    expect(t.status).toBe(201);
    expect(t.body.teamId).toBe(f.team.id);
    teamTaskId = t.body.id;
    const done = await waitFor(async () => {
      const r = await f.owner.api.get(`/api/tasks/${teamTaskId}`);
      return r.body.status === 'completed' ? r.body : null;
    }, 'the team task to complete');
    teamContentId = done.contentId;
    const o = await f.outsider.api.post('/api/tasks', {
      description: 'Other team brief',
      taskType: 'summary',
      teamId: f.otherTeam.id,
    });
    otherTeamTaskId = o.body.id;
    const h = await f.teamAdmin.api.post('/api/webhooks', {
      name: 'Team intake',
      taskType: 'summary',
      promptTemplate: 'Summarise {{x}}',
      teamId: f.team.id,
    });
    expect(h.status).toBe(201);
    expect(h.body.teamId).toBe(f.team.id);
    teamHook = h.body;
  });
  afterAll(async () => {
    await app?.close();
  });

  it('is one table: every action lists the roles allowed, admins ⊇ members', () => {
    for (const a of TEAM_ACTIONS) {
      for (const r of TEAM_MATRIX[a]) expect(TEAM_ROLES).toContain(r);
      if (TEAM_MATRIX[a].includes('member')) expect(TEAM_MATRIX[a]).toContain('admin');
      expect(TEAM_MATRIX[a]).toContain('owner');
    }
  });

  type Row = {
    route: string;
    call: (api: Api, who: Who) => Promise<{ status: number; body?: any }>;
    expect: Record<Who, number>;
  };
  const rows: Row[] = [
    {
      route: 'GET /api/teams/:id',
      call: (a) => a.get(`/api/teams/${f.team.id}`),
      expect: { anonymous: 401, member: 200, teamAdmin: 200, outsider: 404, siteAdmin: 200 },
    },
    {
      route: 'PUT /api/teams/:id',
      call: (a) => a.put(`/api/teams/${f.team.id}`, { name: 'Acme Writers' }),
      expect: { anonymous: 401, member: 403, teamAdmin: 200, outsider: 404, siteAdmin: 200 },
    },
    {
      route: 'POST /api/teams/:id/invites',
      call: (a) => a.post(`/api/teams/${f.team.id}/invites`, { role: 'member' }),
      expect: { anonymous: 401, member: 403, teamAdmin: 201, outsider: 404, siteAdmin: 201 },
    },
    {
      route: 'PUT /api/teams/:id/members/:userId',
      call: (a) => a.put(`/api/teams/${f.team.id}/members/${f.member.user.id}`, { role: 'member' }),
      expect: { anonymous: 401, member: 403, teamAdmin: 200, outsider: 404, siteAdmin: 200 },
    },
    {
      route: 'DELETE /api/teams/:id/members/:userId',
      call: async (a) => {
        // A fresh member to remove each time.
        const extra = await registerUser(app.url);
        const inv = await f.owner.api.post(`/api/teams/${f.team.id}/invites`, { role: 'member' });
        await extra.api.post(`/api/invites/${inv.body.token}/accept`);
        return a.delete(`/api/teams/${f.team.id}/members/${extra.user.id}`);
      },
      expect: { anonymous: 401, member: 403, teamAdmin: 204, outsider: 404, siteAdmin: 204 },
    },
    {
      route: 'POST /api/teams/:id/chat-workspaces',
      call: (a) =>
        a.post(`/api/teams/${f.team.id}/chat-workspaces`, {
          platform: 'discord',
          externalId: String(Math.floor(Math.random() * 1e15)),
        }),
      expect: { anonymous: 401, member: 403, teamAdmin: 201, outsider: 404, siteAdmin: 201 },
    },
    {
      route: 'DELETE /api/teams/:id/chat-workspaces/:workspaceId',
      call: async (a) => {
        const w = await f.owner.api.post(`/api/teams/${f.team.id}/chat-workspaces`, {
          platform: 'telegram',
          externalId: `-${Math.floor(Math.random() * 1e12)}`,
        });
        return a.delete(`/api/teams/${f.team.id}/chat-workspaces/${w.body.id}`);
      },
      expect: { anonymous: 401, member: 403, teamAdmin: 204, outsider: 404, siteAdmin: 204 },
    },
    {
      route: 'GET /api/tasks?teamId=',
      call: (a) => a.get(`/api/tasks?teamId=${f.team.id}`),
      expect: { anonymous: 401, member: 200, teamAdmin: 200, outsider: 404, siteAdmin: 200 },
    },
    {
      route: 'POST /api/tasks {teamId}',
      call: (a) => a.post('/api/tasks', { description: 'x', taskType: 'summary', teamId: f.team.id }),
      expect: { anonymous: 401, member: 201, teamAdmin: 201, outsider: 404, siteAdmin: 201 },
    },
    {
      route: 'GET /api/tasks/:id (team task)',
      call: (a) => a.get(`/api/tasks/${teamTaskId}`),
      expect: { anonymous: 401, member: 200, teamAdmin: 200, outsider: 404, siteAdmin: 200 },
    },
    {
      route: 'GET /api/tasks/:id/routing (team task)',
      call: (a) => a.get(`/api/tasks/${teamTaskId}/routing`),
      expect: { anonymous: 401, member: 200, teamAdmin: 200, outsider: 404, siteAdmin: 200 },
    },
    {
      route: 'GET /api/tasks/:id/status (team task)',
      call: (a) => a.get(`/api/tasks/${teamTaskId}/status`),
      expect: { anonymous: 401, member: 200, teamAdmin: 200, outsider: 404, siteAdmin: 200 },
    },
    {
      route: 'PUT /api/tasks/:id (team task of another member; finished → 409 past the check)',
      call: (a) => a.put(`/api/tasks/${teamTaskId}`, { title: 'Renamed' }),
      expect: { anonymous: 401, member: 403, teamAdmin: 409, outsider: 404, siteAdmin: 409 },
    },
    {
      route: 'GET /api/content?teamId=',
      call: (a) => a.get(`/api/content?teamId=${f.team.id}`),
      expect: { anonymous: 401, member: 200, teamAdmin: 200, outsider: 404, siteAdmin: 200 },
    },
    {
      route: 'GET /api/content/:id (team content)',
      call: (a) => a.get(`/api/content/${teamContentId}`),
      expect: { anonymous: 401, member: 200, teamAdmin: 200, outsider: 404, siteAdmin: 200 },
    },
    {
      route: 'PUT /api/content/:id (team content, not the owner)',
      call: (a) => a.put(`/api/content/${teamContentId}`, { title: 'Changed' }),
      expect: { anonymous: 401, member: 403, teamAdmin: 403, outsider: 404, siteAdmin: 403 },
    },
    {
      route: 'POST /api/webhooks {teamId}',
      call: (a) =>
        a.post('/api/webhooks', {
          name: 'h',
          taskType: 'summary',
          promptTemplate: '{{x}}',
          teamId: f.team.id,
        }),
      expect: { anonymous: 401, member: 403, teamAdmin: 201, outsider: 404, siteAdmin: 201 },
    },
    {
      route: 'GET /api/webhooks?teamId=',
      call: (a) => a.get(`/api/webhooks?teamId=${f.team.id}`),
      expect: { anonymous: 401, member: 403, teamAdmin: 200, outsider: 404, siteAdmin: 200 },
    },
    {
      route: 'POST /api/webhooks/:id/rotate (team hook)',
      call: (a) => a.post(`/api/webhooks/${teamHook.id}/rotate`, { graceHours: 1 }),
      expect: { anonymous: 401, member: 403, teamAdmin: 200, outsider: 404, siteAdmin: 200 },
    },
    {
      route: 'GET /api/webhooks/:id/deliveries (team hook)',
      call: (a) => a.get(`/api/webhooks/${teamHook.id}/deliveries`),
      expect: { anonymous: 401, member: 403, teamAdmin: 200, outsider: 404, siteAdmin: 200 },
    },
    {
      route: 'DELETE /api/webhooks/:id (team hook)',
      call: async (a) => {
        const h = await f.owner.api.post('/api/webhooks', {
          name: 'tmp',
          taskType: 'summary',
          promptTemplate: '{{x}}',
          teamId: f.team.id,
        });
        return a.delete(`/api/webhooks/${h.body.id}`);
      },
      expect: { anonymous: 401, member: 403, teamAdmin: 204, outsider: 404, siteAdmin: 204 },
    },
    {
      route: 'POST /api/webhooks (no teamId: admins only)',
      call: (a) => a.post('/api/webhooks', { name: 'h', taskType: 'summary', promptTemplate: '{{x}}' }),
      expect: { anonymous: 401, member: 403, teamAdmin: 403, outsider: 403, siteAdmin: 201 },
    },
  ];

  for (const row of rows) {
    for (const who of WHO) {
      it(`${row.route} — ${who} → ${row.expect[who]}`, async () => {
        const r = await row.call(apis[who], who);
        expect(r.status).toBe(row.expect[who]);
        if (r.status === 404 || r.status === 403 || r.status === 401) {
          // The error shape names nothing of the team's.
          expect(JSON.stringify(r.body)).not.toContain('Acme');
        }
      });
    }
  }

  it('another team’s objects answer 404 to members of this one, even to its owner', async () => {
    for (const api of [f.owner.api, f.teamAdmin.api, f.member.api]) {
      expect((await api.get(`/api/teams/${f.otherTeam.id}`)).status).toBe(404);
      expect((await api.get(`/api/tasks/${otherTeamTaskId}`)).status).toBe(404);
      expect((await api.get(`/api/tasks?teamId=${f.otherTeam.id}`)).status).toBe(404);
      expect((await api.post(`/api/teams/${f.otherTeam.id}/invites`, { role: 'member' })).status).toBe(404);
    }
    // An unknown team is as absent as someone else's.
    expect((await f.owner.api.get(`/api/teams/${randomUUID()}`)).status).toBe(404);
  });

  it('lists leak nothing: outsiders see neither the team nor its tasks or content', async () => {
    const teams = await f.outsider.api.get('/api/teams');
    expect(teams.body.items.map((t: any) => t.id)).not.toContain(f.team.id);
    const tasks = await f.outsider.api.get('/api/tasks?limit=100');
    expect(tasks.body.items.map((t: any) => t.id)).not.toContain(teamTaskId);
    const content = await f.outsider.api.get('/api/content?limit=100');
    expect(content.body.items.map((c: any) => c.id)).not.toContain(teamContentId);
    // Members see them through the team filter.
    const mine = await f.member.api.get(`/api/tasks?teamId=${f.team.id}&limit=100`);
    expect(mine.body.items.map((t: any) => t.id)).toContain(teamTaskId);
    const mc = await f.member.api.get(`/api/content?teamId=${f.team.id}`);
    expect(mc.body.items.map((c: any) => c.id)).toContain(teamContentId);
    // GET /api/teams shows the caller's role; admins may list all.
    const list = await f.member.api.get('/api/teams');
    expect(list.body.items).toEqual([expect.objectContaining({ id: f.team.id, role: 'member' })]);
    expect((await f.member.api.get('/api/teams?all=true')).status).toBe(403);
    const all = await f.admin.api.get('/api/teams?all=true');
    expect(all.body.items.map((t: any) => t.id)).toEqual(expect.arrayContaining([f.team.id, f.otherTeam.id]));
  });

  it('a team hook’s deliveries make the team’s tasks; it stops when its creator stops administering the team', async () => {
    const h = await f.teamAdmin.api.post('/api/webhooks', {
      name: 'Deliveries',
      taskType: 'summary',
      promptTemplate: 'Summarise {{x}}',
      teamId: f.team.id,
    });
    const r = await deliver(h.body.url, '{"x":"the quarter"}', { secret: h.body.secret });
    expect(r.status).toBe(202);
    const taskId = r.body.taskId;
    expect((await f.member.api.get(`/api/tasks/${taskId}`)).body.teamId).toBe(f.team.id);
    expect((await f.outsider.api.get(`/api/tasks/${taskId}`)).status).toBe(404);
    // Demoted to member: the hook acts on their authority, so it refuses deliveries.
    await f.owner.api.put(`/api/teams/${f.team.id}/members/${f.teamAdmin.user.id}`, { role: 'member' });
    const refused = await deliver(h.body.url, '{"x":"again"}', { secret: h.body.secret });
    expect(refused.status).toBe(403);
    await f.owner.api.put(`/api/teams/${f.team.id}/members/${f.teamAdmin.user.id}`, { role: 'admin' });
  });

  it('generated content carries the task’s team', async () => {
    const [row] = await sql<{ team_id: string }>(app, 'SELECT team_id FROM content WHERE id = $1', [
      teamContentId,
    ]);
    expect(row!.team_id).toBe(f.team.id);
  });

  it('only owners make owners; a team admin cannot promote to owner or demote an owner', async () => {
    const r1 = await f.teamAdmin.api.put(`/api/teams/${f.team.id}/members/${f.member.user.id}`, {
      role: 'owner',
    });
    expect(r1.status).toBe(403);
    const r2 = await f.teamAdmin.api.put(`/api/teams/${f.team.id}/members/${f.owner.user.id}`, {
      role: 'member',
    });
    expect(r2.status).toBe(403);
    const r3 = await f.teamAdmin.api.post(`/api/teams/${f.team.id}/invites`, { role: 'owner' });
    expect(r3.status).toBe(403);
  });
});
