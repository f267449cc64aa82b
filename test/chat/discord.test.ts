import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { type RecordedRequest, type StubServer, sendJson, startStubServer } from '../helpers/stubServer.js';
import {
  countTasks,
  DISCORD_APP_ID,
  discordButton,
  discordCommand,
  discordKeys,
  nowSeconds,
  setMockConfig,
  sql,
  waitFor,
} from './helpers.js';

const BOT_TOKEN = 'discord-bot-token-for-tests-0123456789';

describe('Discord (HTTP interactions, Ed25519, REST follow-ups on a stub)', () => {
  let app: TestApp;
  let stub: StubServer;
  const keys = discordKeys();
  /** Interaction tokens the stub treats as expired (404, code 10015). */
  const expired = new Set<string>();
  const post = (body: string, headers: Record<string, string>) =>
    fetch(`${app.url}/api/integrations/discord/interactions`, { method: 'POST', body, headers });
  const send = async (interaction: unknown) => {
    const body = JSON.stringify(interaction);
    const res = await post(body, keys.headers(body));
    return { status: res.status, body: (await res.json().catch(() => null)) as any };
  };
  const webhookCalls = (token: string) =>
    stub.requests.filter((r) =>
      decodeURIComponent(r.path).startsWith(`/api/v10/webhooks/${DISCORD_APP_ID}/${token}`),
    );
  const contentOf = (r: RecordedRequest) => r.json().content as string;

  beforeAll(async () => {
    stub = await startStubServer((r, res) => {
      const path = decodeURIComponent(r.path);
      const m = /^\/api\/v10\/webhooks\/\d+\/([^/]+)/.exec(path);
      if (m) {
        if (expired.has(m[1]!)) return sendJson(res, 404, { message: 'Unknown Webhook', code: 10015 });
        return sendJson(res, 200, {
          id: `${Date.now()}`,
          channel_id: 'CH1',
          content: r.json()?.content ?? '',
        });
      }
      if (/^\/api\/v10\/channels\/[^/]+\/messages$/.test(path) && r.method === 'POST')
        return sendJson(res, 200, { id: `${Date.now()}`, channel_id: 'CH1' });
      if (r.method === 'PUT' && /\/applications\/\d+\/commands$/.test(path))
        return sendJson(res, 200, r.json());
    });
    app = await startTestApp({
      env: {
        DISCORD_PUBLIC_KEY: keys.publicKeyHex,
        DISCORD_APPLICATION_ID: DISCORD_APP_ID,
        DISCORD_BOT_TOKEN: BOT_TOKEN,
        DISCORD_API_URL: `${stub.url}/api`,
        PUBLIC_URL: 'https://sy.example',
      },
    });
  });
  afterAll(async () => {
    await app?.close();
    await stub?.close();
  });
  beforeEach(() => stub.reset());

  it('answers PING with PONG; platforms without credentials are off', async () => {
    const r = await send({ id: '1', application_id: DISCORD_APP_ID, type: 1, token: 'ping', version: 1 });
    expect(r).toEqual({ status: 200, body: { type: 1 } });
    expect(app.sy.banner()).toMatch(/chat: +slack off, discord on, telegram off/);
    const slack = await fetch(`${app.url}/api/integrations/slack/events`, { method: 'POST', body: 'x' });
    const telegram = await fetch(`${app.url}/api/integrations/telegram/webhook`, {
      method: 'POST',
      body: '{}',
    });
    expect([slack.status, telegram.status]).toEqual([404, 404]);
  });

  it('defers /generate (type 5) and edits @original with the result, without a bot token', async () => {
    const i = discordCommand('generate', {
      prompt: 'A limerick about queues',
      type: 'social_post',
      priority: 'high',
    });
    const r = await send(i);
    expect(r).toEqual({ status: 200, body: { type: 5 } });
    const [task] = await sql<{ id: string; priority: string; task_type: string }>(
      app,
      `SELECT id, priority, task_type FROM tasks WHERE source = 'discord'`,
    );
    expect(task).toMatchObject({ priority: 'high', task_type: 'social_post' });
    const result = await waitFor(
      async () => webhookCalls(i.token).find((c) => c.method === 'PATCH' && contentOf(c).startsWith('✅')),
      'the result PATCH',
    );
    expect(decodeURIComponent(result.path)).toBe(
      `/api/v10/webhooks/${DISCORD_APP_ID}/${i.token}/messages/@original`,
    );
    expect(result.headers.authorization).toBeUndefined();
    const body = result.json();
    expect(body.content).toContain(`(task ${task!.id.slice(0, 8)})`);
    expect(body.content).toContain('Full result: https://sy.example/content/');
    expect(body.allowed_mentions).toEqual({ parse: [] });
    expect(body.components[0].components.map((c: { custom_id: string }) => c.custom_id)).toEqual([
      `sy:regenerate:${task!.id}`,
      `sy:share:${task!.id}`,
    ]);
  });

  it('answers other commands at once, privately, and explains mistakes', async () => {
    const help = await send(discordCommand('help'));
    expect(help.body.type).toBe(4);
    expect(help.body.data.flags).toBe(64);
    expect(help.body.data.content).toContain('/generate [--type T]');
    const bad = await send(discordCommand('generate', { prompt: 'x', priority: 'asap' }));
    expect(bad.body.data.content).toContain('"asap" is not a priority');
    const tasks = await send(discordCommand('tasks'));
    expect(tasks.body.data.content).toMatch(/Your recent tasks:/);
  });

  it('refuses a bad signature, a wrong key, a changed body and a stale or future timestamp with 401, making no task', async () => {
    const before = await countTasks(app);
    const body = JSON.stringify(discordCommand('generate', { prompt: 'never' }));
    const good = keys.headers(body);
    const other = discordKeys();
    const results = await Promise.all([
      post(body, {
        ...good,
        'x-signature-ed25519': good['x-signature-ed25519'].replace(/^./, (c) => (c === 'a' ? 'b' : 'a')),
      }),
      post(body, other.headers(body)),
      post(body.replace('never', 'nevar'), good),
      post(body, keys.headers(body, String(nowSeconds() - 301))),
      post(body, keys.headers(body, String(nowSeconds() + 360))),
      post(body, { 'content-type': 'application/json' }),
    ]);
    expect(results.map((r) => r.status)).toEqual([401, 401, 401, 401, 401, 401]);
    expect(await countTasks(app)).toBe(before);
  });

  it('makes one task from the same interaction sent three times', async () => {
    const before = await countTasks(app, 'discord');
    const i = discordCommand('generate', { prompt: 'only once' });
    const replies = [await send(i), await send(i), await send(i)];
    expect(replies[0]!.body).toEqual({ type: 5 });
    for (const r of replies.slice(1)) expect(r.body.data.content).toMatch(/Already on it/);
    expect(await countTasks(app, 'discord')).toBe(before + 1);
  });

  it('buttons: regenerate defers a new task; cancel and share answer privately', async () => {
    const [done] = await sql<{ id: string }>(
      app,
      `SELECT id FROM tasks WHERE source = 'discord' AND status = 'completed' ORDER BY created_at LIMIT 1`,
    );
    const before = await countTasks(app, 'discord');
    const regen = discordButton(`sy:regenerate:${done!.id}`);
    expect((await send(regen)).body).toEqual({ type: 5 });
    expect(await countTasks(app, 'discord')).toBe(before + 1);
    await waitFor(
      async () => webhookCalls(regen.token).find((c) => contentOf(c)?.startsWith('✅')),
      'the regenerated result',
    );

    const cancel = await send(discordButton(`sy:cancel:${done!.id}`));
    expect(cancel.body).toMatchObject({ type: 4, data: { flags: 64 } });
    expect(cancel.body.data.content).toMatch(/already finished/);
    const share = await send(discordButton(`sy:share:${done!.id}`));
    expect(share.body.data.content).toMatch(/^🔗 Read-only link .+: https:\/\/sy\.example\/s\/\S+$/);
    const stranger = await send(discordButton(`sy:cancel:${done!.id}`, { user: 'DU999' }));
    expect(stranger.body.data.content).toMatch(/can’t find task/);
  });

  it('cancels a running task from its Cancel button; the message then says so', async () => {
    await setMockConfig(app.databaseUrl, { latencyMs: 20_000 });
    try {
      const i = discordCommand('generate', { prompt: 'a slow one' });
      await send(i);
      const [task] = await sql<{ id: string }>(app, `SELECT id FROM tasks WHERE description = 'a slow one'`);
      await waitFor(
        async () =>
          (await sql<{ status: string }>(app, 'SELECT status FROM tasks WHERE id = $1', [task!.id]))[0]!
            .status === 'running',
        'the task to run',
      );
      // Progress: the deferred response is edited to say where the task runs, with a Cancel button.
      const progress = await waitFor(
        async () => webhookCalls(i.token).find((c) => contentOf(c)?.startsWith('⚙️')),
        'the progress edit',
      );
      expect(progress.json().content).toMatch(
        new RegExp(`^⚙️ Task ${task!.id.slice(0, 8)} is running on .+…$`),
      );
      expect(progress.json().components[0].components[0].custom_id).toBe(`sy:cancel:${task!.id}`);
      const r = await send(discordButton(`sy:cancel:${task!.id}`));
      expect(r.body.data.content).toBe(`🚫 Cancelled task ${task!.id.slice(0, 8)}.`);
      const edit = await waitFor(
        async () => webhookCalls(i.token).find((c) => contentOf(c)?.startsWith('🚫')),
        'the cancelled message',
      );
      expect(edit.method).toBe('PATCH');
    } finally {
      await setMockConfig(app.databaseUrl, { latencyMs: 0 });
    }
  });

  it('splits a long result at 2,000 characters, and posts to the channel with the bot token once the interaction token has expired', async () => {
    const long = Array.from(
      { length: 25 },
      (_, n) => `Pgrph ${n}: ${'why shy lynx fly by dry gym crypts '.repeat(6).trim()}.`,
    ).join('\n\n');
    const i = discordCommand('generate', { prompt: long, type: 'translation' }, { channel: 'CH1' });
    expired.add(i.token); // the stub answers 404 code 10015 for this token
    expect((await send(i)).body).toEqual({ type: 5 });
    const posts = await waitFor(async () => {
      const p = stub.requests.filter((r) => r.path === '/api/v10/channels/CH1/messages');
      return p.some((x) => contentOf(x).includes('Full result:')) ? p : null;
    }, 'the result as channel messages');
    expect(webhookCalls(i.token).some((c) => c.method === 'PATCH')).toBe(true); // tried the token first
    expect(posts.length).toBeGreaterThan(1);
    for (const p of posts) {
      expect(p.headers.authorization).toBe(`Bot ${BOT_TOKEN}`);
      expect(contentOf(p).length).toBeLessThanOrEqual(2000);
    }
    expect(contentOf(posts[0]!).startsWith('✅ Done:')).toBe(true);
    // Only the last part carries the buttons.
    expect(posts.at(-1)!.json().components).toHaveLength(1);
    expect(posts[0]!.json().components).toEqual([]);
  });

  it('still recognises a re-sent interaction after a restart (the ledger is in the database)', async () => {
    const i = discordCommand('generate', { prompt: 'survives restarts' });
    expect((await send(i)).body).toEqual({ type: 5 });
    const before = await countTasks(app, 'discord');
    const databaseUrl = app.databaseUrl;
    await app.close();
    app = await startTestApp({
      databaseUrl,
      env: {
        DISCORD_PUBLIC_KEY: keys.publicKeyHex,
        DISCORD_BOT_TOKEN: BOT_TOKEN,
        DISCORD_API_URL: `${stub.url}/api`,
        PUBLIC_URL: 'https://sy.example',
      },
    });
    const again = await send(i);
    expect(again.body.data.content).toMatch(/Already on it/);
    expect(await countTasks(app, 'discord')).toBe(before);
  });
});
