import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loginAdmin, startTestApp, type TestApp } from '../helpers/app.js';
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
 * A chat task over an `approve` budget: the reply says it waits for approval and carries
 * Approve/Reject buttons; the person who started it may press them (the result then arrives as
 * usual), anyone else is told they are not allowed. Slack, Telegram and Discord, each through its
 * SDK against a stub of its API.
 */
describe('Approve/Reject buttons in chat', () => {
  let app: TestApp;
  let stub: StubServer;
  let admin: Awaited<ReturnType<typeof loginAdmin>>;
  const discord = discordKeys();

  beforeAll(async () => {
    stub = await startStubServer();
    const slack = slackStubHandler(() => stub);
    const telegram = telegramStubHandler();
    stub.handle((r, res) => {
      if (r.path.startsWith('/bot')) return telegram(r, res);
      // Discord's REST API (its SDK: webhooks for interaction follow-ups, channel messages, commands).
      if (r.path.startsWith('/api/v10/'))
        return sendJson(res, 200, { id: `${Date.now()}`, channel_id: 'CH1' });
      return slack(r, res);
    });
    app = await startTestApp({
      env: {
        SLACK_SIGNING_SECRET: SLACK_SECRET,
        SLACK_BOT_TOKEN: 'xoxb-test-token-1234567890',
        SLACK_API_URL: `${stub.url}/api/`,
        TELEGRAM_BOT_TOKEN: TELEGRAM_TOKEN,
        TELEGRAM_WEBHOOK_SECRET: TELEGRAM_SECRET,
        TELEGRAM_API_ROOT: stub.url,
        DISCORD_PUBLIC_KEY: discord.publicKeyHex,
        DISCORD_APPLICATION_ID: DISCORD_APP_ID,
        DISCORD_BOT_TOKEN: 'discord-bot-token',
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
  beforeEach(() => stub.reset());

  /** An `approve` budget of ten tokens on the chat user's (guest) account: every task passes it. */
  const approveBudgetOn = async (username: string) => {
    const [u] = await sql<{ id: string }>(app, 'SELECT id FROM users WHERE username = $1', [username]);
    expect(u).toBeDefined();
    const b = await admin.api.post('/api/budgets', {
      scope: 'user',
      scopeId: u!.id,
      name: 'Chat cap',
      limitTokens: 10,
      period: 'monthly',
      action: 'approve',
    });
    expect(b.status).toBe(201);
  };
  const taskStatus = async (id: string) =>
    (await sql<{ status: string }>(app, 'SELECT status FROM tasks WHERE id = $1', [id]))[0]?.status;

  it('Slack: waiting reply with buttons; a stranger is refused; the owner approves and the result arrives', async () => {
    const slackPost = (body: string) =>
      fetch(`${app.url}/api/integrations/slack/events`, {
        method: 'POST',
        body,
        headers: slackHeaders(body),
      });
    const responses = (trigger: string) => stub.requests.filter((r) => r.path === `/response_url/${trigger}`);
    const triggerOf = (body: string) => JSON.parse(new URLSearchParams(body).get('payload')!).trigger_id;

    const hello = slashCommand(stub.url, 'tasks', { triggerId: 'trig-appr-0' });
    expect((await slackPost(hello)).status).toBe(200);
    await approveBudgetOn('slack-T1-U1');

    const gen = slashCommand(stub.url, 'A haiku about approvals', {
      command: '/generate',
      triggerId: 'trig-appr-1',
    });
    const ack = (await (await slackPost(gen)).json()) as any;
    expect(ack.response_type).toBe('in_channel');
    expect(ack.text).toMatch(
      /^⏸️ Task [0-9a-f]{8} is waiting for approval: it would exceed “Chat cap” \(limit 10 tokens/,
    );
    const buttons = ack.blocks.at(-1).elements;
    expect(buttons.map((e: { action_id: string }) => e.action_id)).toEqual(['sy_approve', 'sy_reject']);
    const taskId = buttons[0].value as string;
    expect(await taskStatus(taskId)).toBe('awaiting_approval');

    const stranger = blockAction(stub.url, 'approve', taskId, { user: 'U999' });
    await slackPost(stranger);
    const refused = await waitFor(async () => responses(triggerOf(stranger))[0], 'the refusal');
    expect(refused.json()).toMatchObject({ response_type: 'ephemeral' });
    expect(refused.json().text).toMatch(/^You’re not allowed to approve task/);
    expect(await taskStatus(taskId)).toBe('awaiting_approval');

    const approve = blockAction(stub.url, 'approve', taskId);
    await slackPost(approve);
    const ok = await waitFor(async () => responses(triggerOf(approve))[0], 'the approval reply');
    expect(ok.json().text).toMatch(/^✅ Task [0-9a-f]{8} approved; it is queued now/);
    // The result goes where the task came from (the slash command's response_url), as for any task.
    const result = await waitFor(
      async () => responses('trig-appr-1').find((r) => r.json().text?.startsWith('✅')),
      'the result at response_url',
    );
    expect(result.json().text).toContain(`(task ${taskId.slice(0, 8)})`);
    expect(await taskStatus(taskId)).toBe('completed');

    // A second press: the task no longer waits.
    const again = blockAction(stub.url, 'reject', taskId);
    await slackPost(again);
    const late = await waitFor(async () => responses(triggerOf(again))[0], 'the late reply');
    expect(late.json().text).toMatch(/no longer waiting for approval/);
  });

  it('Telegram: the acknowledgement becomes the waiting message with an inline keyboard; Reject ends it', async () => {
    const deliver = (update: unknown) =>
      fetch(`${app.url}/api/integrations/telegram/webhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': TELEGRAM_SECRET },
        body: JSON.stringify(update),
      });
    const edits = () => telegramCalls(stub, 'editMessageText').map((r) => r.json());
    const toasts = () => telegramCalls(stub, 'answerCallbackQuery').map((r) => r.json());

    await deliver(telegramMessage('/tasks', { userId: 555 }));
    await approveBudgetOn('telegram-555');

    expect((await deliver(telegramMessage('/generate A haiku about gates', { userId: 555 }))).status).toBe(
      200,
    );
    const waiting = await waitFor(
      async () => edits().find((e) => e.text.startsWith('⏸️')),
      'the waiting message',
    );
    const keys = waiting.reply_markup.inline_keyboard[0].map(
      (b: { callback_data: string }) => b.callback_data,
    );
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^sy:approve:[0-9a-f-]{36}$/);
    const taskId = keys[0].slice('sy:approve:'.length);
    expect(keys[1]).toBe(`sy:reject:${taskId}`);
    expect(waiting.text).toContain('“Chat cap”');

    await deliver(telegramCallback(`sy:approve:${taskId}`, { userId: 556, chatId: 555 }));
    expect(toasts().at(-1)!.text).toMatch(/^You’re not allowed to approve task/);
    expect(await taskStatus(taskId)).toBe('awaiting_approval');

    await deliver(telegramCallback(`sy:reject:${taskId}`, { userId: 555 }));
    expect(toasts().at(-1)!.text).toMatch(/^⛔ Task [0-9a-f]{8} rejected/);
    expect(await taskStatus(taskId)).toBe('cancelled');

    // Approve on a second task: it runs and the waiting message is edited into the result.
    stub.reset();
    await deliver(telegramMessage('/generate Another haiku', { userId: 555 }));
    const second = await waitFor(
      async () => edits().find((e) => e.text.startsWith('⏸️')),
      'the second waiting message',
    );
    const id2 = second.reply_markup.inline_keyboard[0][0].callback_data.slice('sy:approve:'.length);
    await deliver(telegramCallback(`sy:approve:${id2}`, { userId: 555 }));
    expect(toasts().at(-1)!.text).toMatch(/^✅ Task [0-9a-f]{8} approved/);
    const result = await waitFor(
      async () => edits().find((e) => e.text.startsWith('✅') && e.message_id === second.message_id),
      'the result edit',
    );
    expect(result.text).toContain(`(task ${id2.slice(0, 8)})`);
  });

  it('Discord: the waiting reply carries Approve/Reject components; a stranger gets an ephemeral refusal', async () => {
    const interact = async (body: unknown) => {
      const raw = JSON.stringify(body);
      const res = await fetch(`${app.url}/api/integrations/discord/interactions`, {
        method: 'POST',
        headers: discord.headers(raw),
        body: raw,
      });
      return (await res.json()) as any;
    };
    await interact(discordCommand('tasks', {}, { user: 'DU7' }));
    await approveBudgetOn('discord-DU7');
    const r = await interact(discordCommand('generate', { prompt: 'A haiku about doors' }, { user: 'DU7' }));
    expect(r.type).toBe(4);
    expect(r.data.content).toMatch(/^⏸️ Task [0-9a-f]{8} is waiting for approval/);
    const ids = r.data.components[0].components.map((c: { custom_id: string }) => c.custom_id);
    expect(ids[0]).toMatch(/^sy:approve:/);
    const taskId = ids[0].slice('sy:approve:'.length);
    expect(ids[1]).toBe(`sy:reject:${taskId}`);

    const refused = await interact(discordButton(`sy:approve:${taskId}`, { user: 'DU8' }));
    expect(refused.data.flags & 64).toBe(64);
    expect(refused.data.content).toMatch(/^You’re not allowed to approve task/);

    const ok = await interact(discordButton(`sy:approve:${taskId}`, { user: 'DU7' }));
    expect(ok.data.content).toMatch(/^✅ Task [0-9a-f]{8} approved/);
    await waitFor(
      async () => (await taskStatus(taskId)) === 'completed',
      'the approved Discord task to complete',
    );
  });
});
