import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DISCORD_APP_ID, discordCommand, discordKeys, sql } from '../chat/helpers.js';
import { registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { type StubServer, sendJson, startStubServer } from '../helpers/stubServer.js';

/** A Discord server (guild) attached to a team: its commands make the team's tasks. */
describe('teams: Discord guild as a chat workspace', () => {
  let app: TestApp;
  let stub: StubServer;
  const keys = discordKeys();

  beforeAll(async () => {
    stub = await startStubServer((r, res) => {
      const path = decodeURIComponent(r.path);
      if (/^\/api\/v10\/webhooks\/\d+\//.test(path))
        return sendJson(res, 200, { id: `${Date.now()}`, channel_id: 'CH1' });
      if (/^\/api\/v10\/channels\/[^/]+\/messages$/.test(path))
        return sendJson(res, 200, { id: `${Date.now()}` });
    });
    app = await startTestApp({
      env: {
        DISCORD_PUBLIC_KEY: keys.publicKeyHex,
        DISCORD_APPLICATION_ID: DISCORD_APP_ID,
        DISCORD_BOT_TOKEN: 'discord-bot-token-for-tests-0123456789',
        DISCORD_API_URL: `${stub.url}/api`,
        PUBLIC_URL: 'https://sy.example',
      },
    });
  });
  afterAll(async () => {
    await app?.close();
    await stub?.close();
  });

  it('a /generate from the attached guild is the team’s task', async () => {
    const owner = await registerUser(app.url);
    const outsider = await registerUser(app.url);
    const team = (await owner.api.post('/api/teams', { name: 'Guild Team' })).body;
    // discordCommand sends guild_id G1.
    expect(
      (
        await owner.api.post(`/api/teams/${team.id}/chat-workspaces`, {
          platform: 'discord',
          externalId: 'G1',
        })
      ).status,
    ).toBe(201);
    const body = JSON.stringify(discordCommand('generate', { prompt: 'Guild news' }));
    const r = await fetch(`${app.url}/api/integrations/discord/interactions`, {
      method: 'POST',
      body,
      headers: keys.headers(body),
    });
    expect(r.status).toBe(200);
    const [task] = await sql<{ id: string; team_id: string | null }>(
      app,
      `SELECT id, team_id FROM tasks WHERE source = 'discord'`,
    );
    expect(task!.team_id).toBe(team.id);
    expect((await owner.api.get(`/api/tasks/${task!.id}`)).status).toBe(200);
    expect((await outsider.api.get(`/api/tasks/${task!.id}`)).status).toBe(404);
  });
});
