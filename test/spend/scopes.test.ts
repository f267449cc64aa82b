import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DISCORD_APP_ID, discordCommand, discordKeys, sql } from '../chat/helpers.js';
import { loginAdmin, registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { type StubServer, sendJson, startStubServer } from '../helpers/stubServer.js';
import { deliver } from '../webhooks/helpers.js';

/**
 * Intake budgets of the scopes that are neither a team nor a user (issue 14): an API token, an
 * inbound hook and a chat workspace. Each budget holds back exactly the tasks of its own scope —
 * 422 budget_exceeded naming it (or the same in words in chat) — and nothing else.
 */
let app: TestApp;
let stub: StubServer;
let admin: Awaited<ReturnType<typeof loginAdmin>>;
const keys = discordKeys();

beforeAll(async () => {
  stub = await startStubServer((r, res) => {
    const path = decodeURIComponent(r.path);
    if (/^\/api\/v10\/webhooks\/\d+\//.test(path)) return sendJson(res, 200, { id: `${Date.now()}` });
    if (/^\/api\/v10\/channels\/[^/]+\/messages$/.test(path))
      return sendJson(res, 200, { id: `${Date.now()}` });
  });
  app = await startTestApp({
    roles: ['api'],
    env: {
      DISCORD_PUBLIC_KEY: keys.publicKeyHex,
      DISCORD_APPLICATION_ID: DISCORD_APP_ID,
      DISCORD_BOT_TOKEN: 'discord-bot-token-for-tests-0123456789',
      DISCORD_API_URL: `${stub.url}/api`,
      PUBLIC_URL: 'https://sy.example',
    },
  });
  admin = await loginAdmin(app.url);
});
afterAll(async () => {
  await app?.close();
  await stub?.close();
});

/** A budget no task fits in (every estimate is more than one token). */
async function tinyBudget(scope: string, scopeId: string): Promise<string> {
  const b = await admin.api.post('/api/budgets', { scope, scopeId, limitTokens: 1, period: 'monthly' });
  expect(b.status).toBe(201);
  return b.body.id as string;
}

describe('intake budgets of an API token, a hook and a chat workspace', () => {
  it('an API token budget refuses that token’s tasks only', async () => {
    const u = await registerUser(app.url);
    const made = await u.api.post('/api/auth/tokens', { name: 'ci' });
    expect(made.status).toBe(201);
    const budgetId = await tinyBudget('api_token', made.body.id);
    const task = { description: 'Release notes', taskType: 'summary' };

    const byToken = await fetch(`${app.url}/api/tasks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${made.body.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(task),
    });
    expect(byToken.status).toBe(422);
    const err = ((await byToken.json()) as { error: { code: string; details: Record<string, unknown> } })
      .error;
    expect(err.code).toBe('budget_exceeded');
    expect(err.details.budgetId).toBe(budgetId);
    expect(err.details.resetsAt).toEqual(expect.any(String));

    // The same user signed in (no token) is not held back by the token's budget.
    expect((await u.api.post('/api/tasks', task)).status).toBe(201);
    expect((await u.api.get('/api/tasks')).body.items).toHaveLength(1);
  });

  it('a hook budget refuses that hook’s deliveries only, and writes no task', async () => {
    const newHook = async (name: string) => {
      const r = await admin.api.post('/api/webhooks', {
        name,
        taskType: 'summary',
        promptTemplate: 'Summarize: {{ticket.title}}',
      });
      expect(r.status).toBe(201);
      return r.body as { id: string; url: string; secret: string };
    };
    const held = await newHook('Budgeted desk');
    const free = await newHook('Free desk');
    const budgetId = await tinyBudget('hook', held.id);
    const body = JSON.stringify({ ticket: { title: 'Printer on fire' } });
    const tasksOf = async (id: string) =>
      Number(
        (await sql<{ n: string }>(app, 'SELECT count(*) AS n FROM tasks WHERE webhook_id = $1', [id]))[0]!.n,
      );

    const refused = await deliver(`${app.url}/api/webhooks/in/${held.id}`, body, { secret: held.secret });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('budget_exceeded');
    expect(refused.body.error.details.budgetId).toBe(budgetId);
    expect(await tasksOf(held.id)).toBe(0);

    const accepted = await deliver(`${app.url}/api/webhooks/in/${free.id}`, body, { secret: free.secret });
    expect(accepted.status).toBeLessThan(300);
    expect(await tasksOf(free.id)).toBe(1);
  });

  it('a chat workspace budget refuses generate from that Discord server, in words, and not from another', async () => {
    const owner = await registerUser(app.url);
    const team = (await owner.api.post('/api/teams', { name: 'Budgeted guild' })).body;
    const ws = await owner.api.post(`/api/teams/${team.id}/chat-workspaces`, {
      platform: 'discord',
      externalId: 'G1',
    });
    expect(ws.status).toBe(201);
    await tinyBudget('chat_workspace', ws.body.id);
    const send = async (guild: string, prompt: string) => {
      const body = JSON.stringify({ ...discordCommand('generate', { prompt }), guild_id: guild });
      const r = await fetch(`${app.url}/api/integrations/discord/interactions`, {
        method: 'POST',
        body,
        headers: keys.headers(body),
      });
      expect(r.status).toBe(200);
      return (await r.json()) as { data?: { content?: string } };
    };
    const tasksFor = async (prompt: string) =>
      Number(
        (
          await sql<{ n: string }>(app, 'SELECT count(*) AS n FROM tasks WHERE description = $1', [prompt])
        )[0]!.n,
      );

    const refused = await send('G1', 'Guild news over budget');
    expect(refused.data?.content ?? '').toMatch(/budget/i);
    expect(await tasksFor('Guild news over budget')).toBe(0);

    await send('G2', 'News from an unbudgeted guild');
    expect(await tasksFor('News from an unbudgeted guild')).toBe(1);
  });
});
