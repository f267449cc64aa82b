import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loginAdmin, registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { type StubServer, sendJson, startStubServer } from '../helpers/stubServer.js';
import {
  blockAction,
  DISCORD_APP_ID,
  discordButton,
  discordCommand,
  discordKeys,
  SLACK_SECRET,
  slackHeaders,
  slackStubHandler,
  slashCommand,
  sql,
  TELEGRAM_SECRET,
  TELEGRAM_TOKEN,
  telegramCallback,
  telegramCalls,
  telegramMessage,
  telegramStubHandler,
  waitFor,
} from './helpers.js';

/**
 * Estimate before running (issue 14) in chat: a `generate` whose estimate is above the user's
 * confirm threshold (their profile's estimateConfirmThresholdMicros, else
 * ESTIMATE_CONFIRM_THRESHOLD_MICROS) is not submitted; the reply shows the cost range with Run and
 * Cancel. Run by the same user submits it exactly once; Cancel drops it; anyone else is refused.
 * The mock provider is priced by an admin override ($1 per million input tokens, $1000 per million
 * output tokens), so an article's estimate is well above a threshold of 1 µ$ and well below the
 * server default set here (1000 $).
 */
const SERVER_THRESHOLD = 1_000_000_000;

let app: TestApp;
let stub: StubServer;
let user: Awaited<ReturnType<typeof registerUser>>;
const discord = discordKeys();
const env = () => ({
  DISCORD_PUBLIC_KEY: discord.publicKeyHex,
  DISCORD_APPLICATION_ID: DISCORD_APP_ID,
  DISCORD_BOT_TOKEN: 'discord-bot-token',
  DISCORD_API_URL: `${stub.url}/api`,
  SLACK_SIGNING_SECRET: SLACK_SECRET,
  SLACK_BOT_TOKEN: 'xoxb-test-token-1234567890',
  SLACK_API_URL: `${stub.url}/api/`,
  TELEGRAM_BOT_TOKEN: TELEGRAM_TOKEN,
  TELEGRAM_WEBHOOK_SECRET: TELEGRAM_SECRET,
  TELEGRAM_API_ROOT: stub.url,
  PUBLIC_URL: 'https://sy.example',
  ESTIMATE_CONFIRM_THRESHOLD_MICROS: String(SERVER_THRESHOLD),
});

const slackPost = (body: string) =>
  fetch(`${app.url}/api/integrations/slack/events`, { method: 'POST', body, headers: slackHeaders(body) });
const slackCommand = async (text: string, o: { user?: string } = {}) => {
  const res = await slackPost(slashCommand(stub.url, text, { user: o.user ?? 'U70' }));
  expect(res.status).toBe(200);
  return (await res.json()) as { text: string; response_type: string; blocks: any[] };
};
/** Presses a button as a Slack user; returns the reply posted to the action's response_url. */
const slackPress = async (action: 'run' | 'drop', id: string, userId = 'U70') => {
  const body = blockAction(stub.url, action, id, { user: userId });
  expect((await slackPost(body)).status).toBe(200);
  const trigger = JSON.parse(new URLSearchParams(body).get('payload')!).trigger_id;
  const r = await waitFor(
    async () => stub.requests.find((q) => q.path === `/response_url/${trigger}`),
    `the reply to ${action}`,
  );
  return r.json() as { text: string; response_type: string };
};
const tgDeliver = (update: unknown) =>
  fetch(`${app.url}/api/integrations/telegram/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': TELEGRAM_SECRET },
    body: JSON.stringify(update),
  });
const discordInteract = async (body: unknown) => {
  const raw = JSON.stringify(body);
  const res = await fetch(`${app.url}/api/integrations/discord/interactions`, {
    method: 'POST',
    headers: discord.headers(raw),
    body: raw,
  });
  expect(res.status).toBe(200);
  return (await res.json()) as any;
};
const tasksOf = async (userId: string) =>
  sql<{ id: string; description: string; status: string; source: string }>(
    app,
    'SELECT id, description, status, source FROM tasks WHERE user_id = $1 ORDER BY created_at',
    [userId],
  );
const setThreshold = async (micros: number | null) => {
  const r = await user.api.put('/api/auth/me', { estimateConfirmThresholdMicros: micros });
  expect(r.status, r.text).toBe(200);
  expect(r.body.user.estimateConfirmThresholdMicros).toBe(micros);
};
const RANGE = /^💰 Estimated cost \$\d+\.\d+–\$\d+\.\d+ \(up to [\d,]+ tokens\)\. Run it\?/;

beforeAll(async () => {
  stub = await startStubServer();
  const slack = slackStubHandler(() => stub);
  const telegram = telegramStubHandler();
  stub.handle((r, res) => {
    if (r.path.startsWith('/bot')) return telegram(r, res);
    if (r.path.startsWith('/api/v10/')) return sendJson(res, 200, { id: `${Date.now()}`, channel_id: 'CH1' });
    return slack(r, res);
  });
  app = await startTestApp({ env: env() });
  const admin = await loginAdmin(app.url);
  const prices = await admin.api.put('/api/admin/prices', {
    items: [{ providerKind: 'mock', model: '*', inputPerMTokUsd: 1, outputPerMTokUsd: 1000 }],
  });
  expect(prices.status, prices.text).toBe(200);
  // One account, linked from Slack (U70) and Telegram (870).
  user = await registerUser(app.url);
  const code1 = (await user.api.post('/api/links/codes')).body.code as string;
  expect((await slackCommand(`link ${code1}`)).text).toMatch(/^🔗 Linked!/);
  const code2 = (await user.api.post('/api/links/codes')).body.code as string;
  await tgDeliver(telegramMessage(`/link ${code2}`, { userId: 870 }));
  const code3 = (await user.api.post('/api/links/codes')).body.code as string;
  expect(
    (await discordInteract(discordCommand('link', { code: code3 }, { user: 'DU70' }))).data.content,
  ).toMatch(/^🔗 Linked!/);
  const linked = await sql(app, 'SELECT 1 FROM chat_identities WHERE user_id = $1', [user.user.id]);
  expect(linked).toHaveLength(3);
});
afterAll(async () => {
  await app?.close();
  await stub?.close();
});
beforeEach(() => stub.reset());

describe('per-user confirm threshold (PUT /api/auth/me, POST /api/tasks/estimate)', () => {
  it('is stored on the profile and decides exceedsThreshold', async () => {
    const body = {
      description: 'Write a haiku about budgets',
      taskType: 'article',
      options: { maxTokens: 5 },
    };
    const me = await user.api.get('/api/auth/me');
    expect(me.body.user.estimateConfirmThresholdMicros).toBeNull();
    const byDefault = await user.api.post('/api/tasks/estimate', body);
    expect(byDefault.status, byDefault.text).toBe(200);
    expect(byDefault.body).toMatchObject({ thresholdMicros: SERVER_THRESHOLD, exceedsThreshold: false });

    await setThreshold(1);
    expect((await user.api.get('/api/auth/me')).body.user.estimateConfirmThresholdMicros).toBe(1);
    const low = await user.api.post('/api/tasks/estimate', body);
    expect(low.body).toMatchObject({ thresholdMicros: 1, exceedsThreshold: true });
    // Another user's estimate still uses the server default.
    const other = await registerUser(app.url);
    expect((await other.api.post('/api/tasks/estimate', body)).body).toMatchObject({
      thresholdMicros: SERVER_THRESHOLD,
      exceedsThreshold: false,
    });

    for (const bad of [-1, 1.5, '100'])
      expect((await user.api.put('/api/auth/me', { estimateConfirmThresholdMicros: bad })).status).toBe(400);
    await setThreshold(null);
    expect((await user.api.post('/api/tasks/estimate', body)).body.thresholdMicros).toBe(SERVER_THRESHOLD);
  });
});

describe('chat generate: estimate before running', () => {
  it('Slack: below the threshold it runs at once; above it asks, and Run makes exactly one task', async () => {
    await setThreshold(null);
    const before = (await tasksOf(user.user.id)).length;
    const cheap = await slackCommand('generate A cheap haiku');
    expect(cheap.text).toMatch(/^⏳ Queued task [0-9a-f]{8}/);
    expect(await tasksOf(user.user.id)).toHaveLength(before + 1);

    await setThreshold(1);
    const ask = await slackCommand('generate A dear haiku about estimates');
    expect(ask.response_type).toBe('in_channel');
    expect(ask.text).toMatch(RANGE);
    const buttons = ask.blocks.at(-1).elements;
    expect(buttons.map((e: { action_id: string }) => e.action_id)).toEqual(['sy_run', 'sy_drop']);
    expect(buttons.map((e: { text: { text: string } }) => e.text.text)).toEqual(['▶️ Run', '✖ Cancel']);
    const pendingId = buttons[0].value as string;
    expect(buttons[1].value).toBe(pendingId);
    expect(await tasksOf(user.user.id)).toHaveLength(before + 1);

    // Someone else's press is refused and makes nothing.
    const stranger = await slackPress('run', pendingId, 'U999');
    expect(stranger.response_type).toBe('ephemeral');
    expect(stranger.text).toMatch(/^You’re not allowed to run this request/);
    expect(await tasksOf(user.user.id)).toHaveLength(before + 1);

    // Run pressed twice at once: one task; one press says it queued it, the other that it runs already.
    const presses = await Promise.all([slackPress('run', pendingId), slackPress('run', pendingId)]);
    const run = presses.find((p) => p.text.startsWith('⏳'))!;
    const again = presses.find((p) => p !== run)!;
    expect(run.text).toMatch(/^⏳ Queued task [0-9a-f]{8}/);
    expect(again.text).toMatch(/^Already running it as task [0-9a-f]{8}/);
    const tasks = await tasksOf(user.user.id);
    expect(tasks).toHaveLength(before + 2);
    const made = tasks.filter((t) => t.description === 'A dear haiku about estimates');
    expect(made).toHaveLength(1);
    expect(made[0]!.source).toBe('slack');
    expect(run.text).toContain(made[0]!.id.slice(0, 8));
    expect(again.text).toContain(made[0]!.id.slice(0, 8));
    await waitFor(
      async () => (await tasksOf(user.user.id)).find((t) => t.id === made[0]!.id)?.status === 'completed',
      'the confirmed task to complete',
    );
    // Cancel after Run points to the task instead.
    expect((await slackPress('drop', pendingId)).text).toMatch(/^It is already running as task/);
  });

  it('Slack: Cancel drops the request; Run afterwards makes nothing', async () => {
    await setThreshold(1);
    const before = (await tasksOf(user.user.id)).length;
    const ask = await slackCommand('generate A haiku nobody will read');
    expect(ask.text).toMatch(RANGE);
    const pendingId = ask.blocks.at(-1).elements[0].value as string;
    expect((await slackPress('drop', pendingId, 'U998')).text).toMatch(/^You’re not allowed to cancel/);
    expect((await slackPress('drop', pendingId)).text).toBe('✖ Cancelled; nothing was run.');
    expect((await slackPress('run', pendingId)).text).toMatch(/was cancelled; nothing to run/);
    expect(await tasksOf(user.user.id)).toHaveLength(before);
  });

  it('Slack: Run and Cancel pressed at once — whichever wins, the replies tell the truth', async () => {
    await setThreshold(1);
    // Four rounds of a command and two presses: more than the default 20 commands a minute per
    // chat identity, which the later tests of this file would then run into.
    const admin = await loginAdmin(app.url);
    expect((await admin.api.post('/api/admin/settings', { 'chat.rateLimitPerMinute': 1000 })).status).toBe(
      200,
    );
    for (let round = 0; round < 4; round++) {
      const prompt = `A race haiku number ${round}`;
      const ask = await slackCommand(`generate ${prompt}`);
      const pendingId = ask.blocks.at(-1).elements[0].value as string;
      const [run, drop] = await Promise.all([slackPress('run', pendingId), slackPress('drop', pendingId)]);
      const made = (await tasksOf(user.user.id)).filter((t) => t.description === prompt);
      if (made.length === 1) {
        expect(run.text).toMatch(/^⏳ Queued task [0-9a-f]{8}/);
        expect(drop.text).not.toMatch(/Cancelled; nothing was run/);
      } else {
        expect(made).toHaveLength(0);
        expect(drop.text).toBe('✖ Cancelled; nothing was run.');
        expect(run.text).toMatch(/was cancelled; nothing to run/);
      }
    }
  });

  it('Telegram: the range comes with an inline keyboard; Run twice makes one task; Cancel none', async () => {
    await setThreshold(1);
    const before = (await tasksOf(user.user.id)).length;
    expect((await tgDeliver(telegramMessage('/generate A telegram haiku', { userId: 870 }))).status).toBe(
      200,
    );
    const sent = telegramCalls(stub, 'sendMessage').map((r) => r.json());
    const ask = sent.find((m) => RANGE.test(m.text));
    expect(ask, JSON.stringify(sent)).toBeDefined();
    const keys = ask.reply_markup.inline_keyboard[0].map((b: { callback_data: string }) => b.callback_data);
    expect(keys[0]).toMatch(/^sy:run:[0-9a-f-]{36}$/);
    const pendingId = keys[0].slice('sy:run:'.length);
    expect(keys[1]).toBe(`sy:drop:${pendingId}`);
    expect(await tasksOf(user.user.id)).toHaveLength(before);

    const toasts = () => telegramCalls(stub, 'answerCallbackQuery').map((r) => r.json());
    await tgDeliver(telegramCallback(`sy:run:${pendingId}`, { userId: 871, chatId: 870 }));
    expect(toasts().at(-1)!.text).toMatch(/^You’re not allowed to run this request/);
    await tgDeliver(telegramCallback(`sy:run:${pendingId}`, { userId: 870 }));
    await tgDeliver(telegramCallback(`sy:run:${pendingId}`, { userId: 870 }));
    expect(toasts().at(-1)!.text).toMatch(/^Already running it as task/);
    const made = (await tasksOf(user.user.id)).filter((t) => t.description === 'A telegram haiku');
    expect(made).toHaveLength(1);
    expect(made[0]!.source).toBe('telegram');

    stub.reset();
    await tgDeliver(telegramMessage('/generate Another telegram haiku', { userId: 870 }));
    const ask2 = telegramCalls(stub, 'sendMessage')
      .map((r) => r.json())
      .find((m) => RANGE.test(m.text));
    const id2 = ask2.reply_markup.inline_keyboard[0][1].callback_data.slice('sy:drop:'.length);
    await tgDeliver(telegramCallback(`sy:drop:${id2}`, { userId: 870 }));
    expect(toasts().at(-1)!.text).toBe('✖ Cancelled; nothing was run.');
    expect(
      (await tasksOf(user.user.id)).filter((t) => t.description === 'Another telegram haiku'),
    ).toHaveLength(0);
  });

  it('a guest (unlinked chat identity) is never asked: its generate runs at once, as before', async () => {
    expect((await slackCommand('tasks', { user: 'U72' })).text).toMatch(/no tasks yet/);
    const [guest] = await sql<{ id: string }>(app, "SELECT id FROM users WHERE username = 'slack-T1-U72'");
    // Even with a threshold on the guest row (guests have no profile to set it), nothing is asked.
    await sql(app, 'UPDATE users SET estimate_confirm_threshold_micros = 1 WHERE id = $1', [guest!.id]);
    expect((await slackCommand('generate A guest haiku', { user: 'U72' })).text).toMatch(/^⏳ Queued task/);
    expect(await tasksOf(guest!.id)).toHaveLength(1);
  });

  it('Discord: the range comes with Run/Cancel components; a stranger is refused; Run makes one task', async () => {
    await setThreshold(1);
    const r = await discordInteract(
      discordCommand('generate', { prompt: 'A discord haiku' }, { user: 'DU70' }),
    );
    expect(r.type).toBe(4);
    expect(r.data.content).toMatch(RANGE);
    const ids = r.data.components[0].components.map((c: { custom_id: string }) => c.custom_id);
    expect(ids[0]).toMatch(/^sy:run:[0-9a-f-]{36}$/);
    const pendingId = ids[0].slice('sy:run:'.length);
    expect(ids[1]).toBe(`sy:drop:${pendingId}`);
    const made = async () => (await tasksOf(user.user.id)).filter((t) => t.description === 'A discord haiku');
    expect(await made()).toHaveLength(0);

    const refused = await discordInteract(discordButton(`sy:run:${pendingId}`, { user: 'DU71' }));
    expect(refused.data.flags & 64).toBe(64);
    expect(refused.data.content).toMatch(/^You’re not allowed to run this request/);
    // Run: a deferred response the result later edits; a second press says it runs already.
    expect((await discordInteract(discordButton(`sy:run:${pendingId}`, { user: 'DU70' }))).type).toBe(5);
    const again = await discordInteract(discordButton(`sy:run:${pendingId}`, { user: 'DU70' }));
    expect(again.data.content).toMatch(/^Already running it as task/);
    expect(await made()).toHaveLength(1);
    expect((await made())[0]!.source).toBe('discord');
  });

  it('a pending request survives a restart: Run after it submits once', async () => {
    await setThreshold(1);
    const ask = await slackCommand('generate A haiku across restarts');
    expect(ask.text).toMatch(RANGE);
    const pendingId = ask.blocks.at(-1).elements[0].value as string;
    const stored = await sql<{ expires_in: number }>(
      app,
      'SELECT extract(epoch FROM expires_at - now())::int AS expires_in FROM chat_pending_runs WHERE id = $1',
      [pendingId],
    );
    expect(stored[0]!.expires_in).toBeGreaterThan(14 * 60);
    expect(stored[0]!.expires_in).toBeLessThanOrEqual(15 * 60);

    const databaseUrl = app.databaseUrl;
    await app.close();
    app = await startTestApp({ env: env(), databaseUrl });
    expect((await slackPress('run', pendingId)).text).toMatch(/^⏳ Queued task [0-9a-f]{8}/);
    const made = (await tasksOf(user.user.id)).filter((t) => t.description === 'A haiku across restarts');
    expect(made).toHaveLength(1);
  });
});
