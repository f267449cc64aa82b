import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { type StubServer, sendJson, startStubServer } from '../helpers/stubServer.js';
import {
  BOT_INFO,
  nowSeconds,
  sql,
  TELEGRAM_SECRET,
  TELEGRAM_TOKEN,
  telegramCalls,
  telegramMessage,
  telegramStubHandler,
  waitFor,
} from './helpers.js';

/** Users 777 and 778 have started the bot; 779 never has, so the Bot API refuses to DM them. */
const NOT_STARTED = 779;
const GROUP = -100;

describe('Telegram: private replies asked for in a group go to the user’s private chat', () => {
  let app: TestApp;
  let stub: StubServer;
  let updateId = 90_000;

  const deliver = async (update: unknown) => {
    const res = await fetch(`${app.url}/api/integrations/telegram/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': TELEGRAM_SECRET },
      body: JSON.stringify(update),
    });
    expect(res.status).toBe(200);
  };
  const inGroup = (text: string, userId: number) =>
    deliver(telegramMessage(text, { chatType: 'group', chatId: GROUP, userId }));
  /** Every message the bot tried to send (refused ones included), with its target chat. */
  const sentTo = (chatId: number) =>
    telegramCalls(stub, 'sendMessage')
      .map((r) => r.json())
      .filter((m) => m.chat_id === chatId);
  const completedTaskOf = async (userId: number) => {
    await inGroup(`/generate a haiku for user ${userId}`, userId);
    const [task] = await waitFor(async () => {
      const r = await sql<{ id: string }>(
        app,
        `SELECT t.id FROM tasks t JOIN users u ON u.id = t.user_id
          WHERE u.username = $1 AND t.status = 'completed'`,
        [`telegram-${userId}`],
      );
      return r.length ? r : null;
    }, `a completed task of user ${userId}`);
    return task!.id;
  };

  beforeAll(async () => {
    const base = telegramStubHandler();
    stub = await startStubServer((r, res) => {
      if (r.path.endsWith('/sendMessage') && r.json().chat_id === NOT_STARTED) {
        return sendJson(res, 403, {
          ok: false,
          error_code: 403,
          description: "Forbidden: bot can't initiate conversation with a user",
        });
      }
      return base(r, res);
    });
    app = await startTestApp({
      env: {
        TELEGRAM_BOT_TOKEN: TELEGRAM_TOKEN,
        TELEGRAM_WEBHOOK_SECRET: TELEGRAM_SECRET,
        TELEGRAM_API_ROOT: stub.url,
        PUBLIC_URL: 'https://sy.example',
      },
    });
  });
  afterAll(async () => {
    await app?.close();
    await stub?.close();
  });
  beforeEach(() => stub.reset());

  it('/share in a group: the link goes to the user’s DM, the group only hears that it was sent', async () => {
    const taskId = await completedTaskOf(777);
    stub.reset();
    await inGroup(`/share ${taskId.slice(0, 8)}`, 777);

    const dm = sentTo(777);
    expect(dm).toHaveLength(1);
    expect(dm[0].text).toMatch(/^🔗 Read-only link .+: https:\/\/sy\.example\/s\/\S+$/);
    expect(dm[0].reply_parameters).toBeUndefined(); // the group's message can't be quoted in a DM

    const group = sentTo(GROUP);
    expect(group.map((m) => m.text)).toEqual(['📬 @alice, I sent you the answer in a private chat.']);
    expect(group[0].reply_markup).toBeUndefined();
    expect(JSON.stringify(telegramCalls(stub, 'editMessageText').map((r) => r.json()))).not.toContain('/s/');
  });

  it('/status and /tasks in a group: task details and buttons go to the DM', async () => {
    const taskId = (
      await sql<{ id: string }>(
        app,
        `SELECT t.id FROM tasks t JOIN users u ON u.id = t.user_id WHERE u.username = 'telegram-777' LIMIT 1`,
      )
    )[0]!.id;
    await inGroup(`/status ${taskId}`, 777);
    await inGroup('/tasks', 777);

    const dm = sentTo(777);
    expect(dm.map((m) => m.text.split('\n')[0])).toEqual([
      `✅ Task ${taskId.slice(0, 8)} — completed`,
      'Your recent tasks:',
    ]);
    expect(
      dm[0].reply_markup.inline_keyboard[0].map((b: { callback_data: string }) => b.callback_data),
    ).toEqual([`sy:regenerate:${taskId}`, `sy:share:${taskId}`]);
    const group = sentTo(GROUP);
    expect(group).toHaveLength(2);
    for (const m of group) {
      expect(m.text).toBe('📬 @alice, I sent you the answer in a private chat.');
      expect(m.text).not.toContain(taskId.slice(0, 8));
    }
  });

  it('a Share button pressed in a group answers in the DM too', async () => {
    const taskId = (
      await sql<{ id: string }>(
        app,
        `SELECT t.id FROM tasks t JOIN users u ON u.id = t.user_id
          WHERE u.username = 'telegram-777' AND t.status = 'completed' LIMIT 1`,
      )
    )[0]!.id;
    await deliver({
      update_id: ++updateId,
      callback_query: {
        id: `cq-group-${updateId}`,
        from: { id: 777, is_bot: false, first_name: 'Alice', username: 'alice' },
        chat_instance: 'ci',
        data: `sy:share:${taskId}`,
        message: {
          message_id: 55,
          date: nowSeconds(),
          chat: { id: GROUP, type: 'supergroup', title: 'Team' },
        },
      },
    });
    expect(sentTo(777).map((m) => m.text)).toEqual([expect.stringMatching(/https:\/\/sy\.example\/s\/\S+$/)]);
    expect(sentTo(GROUP).map((m) => m.text)).toEqual(['📬 @alice, I sent you the answer in a private chat.']);
    expect(telegramCalls(stub, 'answerCallbackQuery')).toHaveLength(1);
  });

  it('a user who never started the bot is told in the group to start a private chat first — without the link', async () => {
    const taskId = await completedTaskOf(NOT_STARTED);
    stub.reset();
    await inGroup(`/share ${taskId}`, NOT_STARTED);

    // The DM was tried (and refused with 403) …
    expect(sentTo(NOT_STARTED)).toHaveLength(1);
    // … and the group got the notice only.
    const group = sentTo(GROUP);
    expect(group).toHaveLength(1);
    expect(group[0].text).toContain('start a private chat with me');
    expect(group[0].text).toContain(`https://t.me/${BOT_INFO.username}`);
    expect(group[0].text).not.toMatch(/sy\.example|Read-only link/);
  });

  it('in a private chat the answer is still given right there', async () => {
    await deliver(telegramMessage('/tasks', { userId: 778, updateId: ++updateId }));
    expect(sentTo(778).map((m) => m.text)).toEqual([expect.stringMatching(/^You have no tasks yet/)]);
    expect(sentTo(GROUP)).toHaveLength(0);
  });
});
