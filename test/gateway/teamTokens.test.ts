import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { sql } from '../helpers/sql.js';
import type { StubServer } from '../helpers/stubServer.js';
import { type Api, teamFixture } from '../teams/helpers.js';
import { startOpenAIStub } from './stubs.js';

/**
 * Team-scoped API tokens: made by a team's admins, they key the gateway and the REST API for the
 * team. The team's own provider accounts serve them (and nobody else), what they create is the
 * team's, and they stop working when their creator leaves the team.
 */
type Who = 'anonymous' | 'member' | 'teamAdmin' | 'outsider' | 'siteAdmin';
const WHO: Who[] = ['anonymous', 'member', 'teamAdmin', 'outsider', 'siteAdmin'];

let app: TestApp;
let oa: StubServer;
let f: Awaited<ReturnType<typeof teamFixture>>;
let apis: Record<Who, Api>;
let teamToken: string;
let personalToken: string;

const openai = (apiKey: string) =>
  new OpenAI({ apiKey, baseURL: `${app.url}/v1`, maxRetries: 0, timeout: 30_000 });

async function modelIds(key: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const m of openai(key).models.list()) ids.push(m.id);
  return ids;
}

beforeAll(async () => {
  oa = await startOpenAIStub();
  app = await startTestApp({ roles: ['api'], env: { MOCK_PROVIDER: 'off' } });
  f = await teamFixture(app);
  apis = {
    anonymous: f.anonymous.api,
    member: f.member.api,
    teamAdmin: f.teamAdmin.api,
    outsider: f.outsider.api,
    siteAdmin: f.admin.api,
  };
  // A public provider (an everyone's account) and one only the team has an account on.
  for (const [name, model, teamId] of [
    ['public', 'gpt-4o-mini', undefined],
    ['teamonly', 'team-model', f.team.id],
  ] as const) {
    const p = await f.admin.api.post('/api/providers', {
      name,
      kind: 'openai_compatible',
      apiEndpoint: `${oa.url}/v1`,
      models: [model],
      defaultModel: model,
      competencies: { article: 0.9 },
    });
    expect(p.status, p.text).toBe(201);
    const who = teamId ? f.teamAdmin.api : f.admin.api;
    const a = await who.post(`/api/providers/${p.body.id}/accounts`, {
      accountName: 'main',
      tokenLimit: 1_000_000_000,
      credentials: { apiKey: `key-${name}` },
      ...(teamId ? { teamId } : {}),
    });
    expect(a.status, a.text).toBe(201);
  }
  const t = await f.teamAdmin.api.post('/api/auth/tokens', { name: 'team ci', teamId: f.team.id });
  expect(t.status, t.text).toBe(201);
  expect(t.body.teamId).toBe(f.team.id);
  teamToken = t.body.token;
  const p = await f.member.api.post('/api/auth/tokens', { name: 'mine' });
  expect(p.body.teamId).toBeNull();
  personalToken = p.body.token;
}, 120_000);

afterAll(async () => {
  await app?.close();
  await oa?.close();
});

describe('team-scoped API tokens: who may make them', () => {
  const expected: Record<Who, number> = {
    anonymous: 401,
    member: 403,
    teamAdmin: 201,
    outsider: 404,
    siteAdmin: 201,
  };
  for (const who of WHO) {
    it(`POST /api/auth/tokens {teamId} as ${who} → ${expected[who]}`, async () => {
      const r = await apis[who].post('/api/auth/tokens', { name: `by ${who}`, teamId: f.team.id });
      expect(r.status, r.text).toBe(expected[who]);
    });
  }

  it("another team's id answers 404 to a team admin, and an unknown team 404 to a site admin", async () => {
    const other = await f.teamAdmin.api.post('/api/auth/tokens', { name: 'x', teamId: f.otherTeam.id });
    expect(other.status).toBe(404);
    const unknown = await f.admin.api.post('/api/auth/tokens', {
      name: 'x',
      teamId: '00000000-0000-4000-8000-000000000000',
    });
    expect(unknown.status).toBe(404);
    const bad = await f.teamAdmin.api.post('/api/auth/tokens', { name: 'x', teamId: 'not-a-uuid' });
    expect(bad.status).toBe(400);
  });

  it("a team token is its creator's: other users neither list nor revoke it", async () => {
    const mine = (await f.teamAdmin.api.get('/api/auth/tokens')).body.items;
    const tok = mine.find((t: { name: string }) => t.name === 'team ci');
    expect(tok.teamId).toBe(f.team.id);
    const theirs = (await f.member.api.get('/api/auth/tokens')).body.items;
    expect(theirs.map((t: { id: string }) => t.id)).not.toContain(tok.id);
    expect((await f.member.api.delete(`/api/auth/tokens/${tok.id}`)).status).toBe(404);
    expect((await f.owner.api.delete(`/api/auth/tokens/${tok.id}`)).status).toBe(404);
  });
});

describe('team-scoped API tokens at the gateway', () => {
  it("lists the team's models to a team token and hides them from personal tokens", async () => {
    const team = await modelIds(teamToken);
    expect(team).toEqual(expect.arrayContaining(['teamonly/team-model', 'team-model', 'public/gpt-4o-mini']));
    const personal = await modelIds(personalToken);
    expect(personal).toContain('public/gpt-4o-mini');
    expect(personal).not.toContain('teamonly/team-model');
    expect(personal).not.toContain('team-model');
  });

  it('GET /v1/models/:id answers a model the caller may use and 404 model_not_found otherwise', async () => {
    const m = await openai(teamToken).models.retrieve('teamonly/team-model');
    expect(m).toMatchObject({ id: 'teamonly/team-model', object: 'model', owned_by: 'teamonly' });
    const auto = await openai(personalToken).models.retrieve('switchyard/auto');
    expect(auto.id).toBe('switchyard/auto');
    const err = await openai(personalToken)
      .models.retrieve('teamonly/team-model')
      .catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect(err.code).toBe('model_not_found');
  });

  it("a team token's call is served by the team's account and recorded as the team's task", async () => {
    const r = await openai(teamToken).chat.completions.create({
      model: 'team-model',
      messages: [{ role: 'user', content: 'hello from the team' }],
    });
    expect(r.choices[0]?.message.content).toBeTruthy();
    await app.sy.gateway.flush();
    const rows = await sql<{ team_id: string | null; user_id: string; account_team: string | null }>(
      app,
      `SELECT t.team_id, t.user_id, pa.team_id AS account_team
         FROM tasks t JOIN task_assignments a ON a.task_id = t.id
         JOIN provider_accounts pa ON pa.id = a.account_id
        WHERE t.source = 'gateway' AND t.description = 'hello from the team'`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      team_id: f.team.id,
      user_id: f.teamAdmin.user.id,
      account_team: f.team.id,
    });
    // A plain member of the team sees it among the team's tasks.
    const list = await f.member.api.get(`/api/tasks?teamId=${f.team.id}&source=gateway`);
    expect(list.status).toBe(200);
    expect(list.body.items.map((t: { description: string }) => t.description)).toContain(
      'hello from the team',
    );
  });

  it("a personal token may not use the team's model (404 model_not_found, nothing served)", async () => {
    const before = oa.requests.length;
    const err = await openai(personalToken)
      .chat.completions.create({ model: 'team-model', messages: [{ role: 'user', content: 'x' }] })
      .catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect(oa.requests.length).toBe(before);
  });
});

describe('team-scoped API tokens at the REST API', () => {
  it("tasks created with a team token are the team's; naming another team is 403", async () => {
    const bearer = { Authorization: `Bearer ${teamToken}` };
    const mine = await fetch(`${app.url}/api/tasks`, {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'application/json' },
      body: JSON.stringify({ description: 'a team post', taskType: 'social_post' }),
    });
    expect(mine.status).toBe(201);
    expect(((await mine.json()) as any).teamId).toBe(f.team.id);
    const other = await fetch(`${app.url}/api/tasks`, {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'application/json' },
      body: JSON.stringify({ description: 'x', taskType: 'social_post', teamId: f.otherTeam.id }),
    });
    expect(other.status).toBe(403);
    expect(((await other.json()) as any).error.code).toBe('forbidden');
  });

  it('stops working (401) once its creator is removed from the team', async () => {
    const t = await f.teamAdmin.api.post('/api/auth/tokens', { name: 'short-lived', teamId: f.team.id });
    const key = t.body.token as string;
    expect((await modelIds(key)).length).toBeGreaterThan(0);
    const removed = await f.owner.api.delete(`/api/teams/${f.team.id}/members/${f.teamAdmin.user.id}`);
    expect(removed.status).toBe(204);
    const err = await openai(key)
      .models.list()
      .catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    const me = await fetch(`${app.url}/api/auth/me`, { headers: { Authorization: `Bearer ${key}` } });
    expect(me.status).toBe(401);
    // Their personal access is untouched.
    expect((await f.teamAdmin.api.get('/api/auth/me')).status).toBe(200);
  });
});
