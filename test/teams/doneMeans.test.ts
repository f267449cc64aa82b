import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SLACK_SECRET, slackHeaders, slackStubHandler, slashCommand, sql, waitFor } from '../chat/helpers.js';
import { registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { type StubServer, startStubServer } from '../helpers/stubServer.js';

/**
 * Issue 13 "Done means" (team part): a team owner invites two people, attaches a Slack workspace,
 * and a command from that workspace creates a team task that both members see while a third user
 * gets 404. Slack is driven through Bolt over HTTP against the stub Web API, as in test/chat.
 */
describe('teams: done means', () => {
  let app: TestApp;
  let stub: StubServer;

  beforeAll(async () => {
    stub = await startStubServer();
    stub.handle(slackStubHandler(() => stub));
    app = await startTestApp({
      env: {
        SLACK_SIGNING_SECRET: SLACK_SECRET,
        SLACK_BOT_TOKEN: 'xoxb-test-token-1234567890',
        SLACK_API_URL: `${stub.url}/api/`,
        PUBLIC_URL: 'https://sy.example',
      },
    });
  });
  afterAll(async () => {
    await app?.close();
    await stub?.close();
  });

  it('a Slack command from the team’s workspace makes a team task both members see; a third user gets 404', async () => {
    const owner = await registerUser(app.url);
    const alice = await registerUser(app.url);
    const bob = await registerUser(app.url);
    const carol = await registerUser(app.url);

    const team = (await owner.api.post('/api/teams', { name: 'Harbour Press' })).body;
    for (const u of [alice, bob]) {
      const inv = await owner.api.post(`/api/teams/${team.id}/invites`, {
        email: `${u.user.username}@example.com`,
        role: 'member',
      });
      expect(inv.status).toBe(201);
      expect(inv.body.emailed).toBe(false); // no SMTP here: the link is shown to copy
      expect((await u.api.post(`/api/invites/${inv.body.token}/accept`)).status).toBe(200);
    }
    const ws = await owner.api.post(`/api/teams/${team.id}/chat-workspaces`, {
      platform: 'slack',
      externalId: 'TACME',
    });
    expect(ws.status).toBe(201);
    const detail = (await owner.api.get(`/api/teams/${team.id}`)).body;
    expect(detail.members.map((m: any) => m.role).sort()).toEqual(['member', 'member', 'owner']);
    expect(detail.chatWorkspaces).toEqual([
      expect.objectContaining({ platform: 'slack', externalId: 'TACME' }),
    ]);

    // A Slack user of that workspace (not linked to any account) types a command.
    const body = slashCommand(stub.url, 'Write a haiku about the harbour', {
      command: '/generate',
      team: 'TACME',
      user: 'U42',
      triggerId: 'trig-team-1',
    });
    const res = await fetch(`${app.url}/api/integrations/slack/events`, {
      method: 'POST',
      body,
      headers: slackHeaders(body),
    });
    expect(res.status).toBe(200);
    const [task] = await sql<{ id: string; team_id: string | null; source: string }>(
      app,
      `SELECT id, team_id, source FROM tasks WHERE source = 'slack'`,
    );
    expect(task).toMatchObject({ team_id: team.id, source: 'slack' });

    // Both members see it in the portal's (team-filtered) list and by id; the third user does not.
    for (const u of [alice, bob, owner]) {
      const list = await u.api.get(`/api/tasks?teamId=${team.id}`);
      expect(list.status).toBe(200);
      expect(list.body.items.map((t: any) => t.id)).toContain(task!.id);
      expect((await u.api.get(`/api/tasks/${task!.id}`)).status).toBe(200);
    }
    expect((await carol.api.get(`/api/tasks/${task!.id}`)).status).toBe(404);
    expect((await carol.api.get(`/api/tasks?teamId=${team.id}`)).status).toBe(404);

    // Its content (once generated) is the team's too.
    const done = await waitFor(async () => {
      const r = await alice.api.get(`/api/tasks/${task!.id}`);
      return r.body.status === 'completed' ? r.body : null;
    }, 'the Slack task to complete');
    expect((await bob.api.get(`/api/content/${done.contentId}`)).status).toBe(200);
    expect((await carol.api.get(`/api/content/${done.contentId}`)).status).toBe(404);

    // A workspace attached to no team still makes personal tasks.
    const other = slashCommand(stub.url, 'Personal one', {
      command: '/generate',
      team: 'TOTHER',
      triggerId: 'trig-2',
    });
    await fetch(`${app.url}/api/integrations/slack/events`, {
      method: 'POST',
      body: other,
      headers: slackHeaders(other),
    });
    const personal = await sql<{ team_id: string | null }>(
      app,
      `SELECT team_id FROM tasks WHERE description = 'Personal one'`,
    );
    expect(personal).toEqual([{ team_id: null }]);
  });
});
