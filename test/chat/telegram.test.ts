import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ResultDeliverer } from '../../src/core/tasks/types.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { delay, type StubServer, sendJson, startStubServer } from '../helpers/stubServer.js';
import {
  BOT_INFO,
  countTasks,
  setMockConfig,
  sql,
  TELEGRAM_SECRET,
  TELEGRAM_TOKEN,
  telegramCallback,
  telegramCalls,
  telegramMessage,
  telegramStubHandler,
  waitFor,
} from './helpers.js';

describe('Telegram (grammY webhook with the secret token, Bot API on a stub)', () => {
  let app: TestApp;
  let stub: StubServer;
  let getMeAtStart = 0;
  /** `secret: null` sends no secret header at all. */
  const deliver = async (update: unknown, secret: string | null = TELEGRAM_SECRET) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (secret !== null) headers['x-telegram-bot-api-secret-token'] = secret;
    const res = await fetch(`${app.url}/api/integrations/telegram/webhook`, {
      method: 'POST',
      headers,
      body: JSON.stringify(update),
    });
    return res.status;
  };
  const sent = () => telegramCalls(stub, 'sendMessage').map((r) => r.json());
  const edits = () => telegramCalls(stub, 'editMessageText').map((r) => r.json());

  beforeAll(async () => {
    stub = await startStubServer(telegramStubHandler());
    app = await startTestApp({
      env: {
        TELEGRAM_BOT_TOKEN: TELEGRAM_TOKEN,
        TELEGRAM_WEBHOOK_SECRET: TELEGRAM_SECRET,
        TELEGRAM_API_ROOT: stub.url,
        PUBLIC_URL: 'https://sy.example',
      },
    });
    getMeAtStart = telegramCalls(stub, 'getMe').length;
  });
  afterAll(async () => {
    await app?.close();
    await stub?.close();
  });
  beforeEach(() => stub.reset());

  it('called getMe once at start-up (never per update) and says so in the banner', () => {
    expect(getMeAtStart).toBe(1);
    expect(app.sy.banner()).toContain('telegram on (webhook)');
    expect(app.sy.banner()).toContain('slack off');
  });

  it('acknowledges /generate, makes one task, and edits the acknowledgement into the result', async () => {
    expect(await deliver(telegramMessage('/generate A haiku about lighthouses'))).toBe(200);
    const ack = sent()[0];
    expect(ack).toMatchObject({
      chat_id: 777,
      text: '⏳ On it: “A haiku about lighthouses”. I’ll post the result here.',
    });
    const [task] = await sql<{ id: string; origin: { ackMessageId: number; chatId: number } }>(
      app,
      `SELECT id, origin FROM tasks WHERE source = 'telegram'`,
    );
    expect(task!.origin).toMatchObject({ chatId: 777, ackMessageId: expect.any(Number) });
    const result = await waitFor(async () => edits().find((e) => e.text.startsWith('✅')), 'the result edit');
    expect(result.message_id).toBe(task!.origin.ackMessageId);
    expect(result.text).toContain(`(task ${task!.id.slice(0, 8)})`);
    expect(result.text).toContain('Full result: https://sy.example/content/');
    expect(
      result.reply_markup.inline_keyboard[0].map((b: { callback_data: string }) => b.callback_data),
    ).toEqual([`sy:regenerate:${task!.id}`, `sy:share:${task!.id}`]);
    expect(telegramCalls(stub, 'getMe')).toHaveLength(0);
    const [guest] = await sql<{ username: string; is_guest: boolean }>(
      app,
      'SELECT u.username, u.is_guest FROM tasks t JOIN users u ON u.id = t.user_id WHERE t.id = $1',
      [task!.id],
    );
    expect(guest).toEqual({ username: 'telegram-777', is_guest: true });
  });

  it('in groups answers /cmd@thisbot and bare commands, and ignores other bots and chatter', async () => {
    const before = await countTasks(app, 'telegram');
    await deliver(telegramMessage(`/generate@${BOT_INFO.username} group task`, { chatType: 'group' }));
    await deliver(telegramMessage('/generate@some_other_bot not for us', { chatType: 'group' }));
    await deliver(telegramMessage('/weather in a group', { chatType: 'group' }));
    await deliver(telegramMessage('just chatting', { chatType: 'group' }));
    expect(await countTasks(app, 'telegram')).toBe(before + 1);
    expect(sent().map((m) => m.text)).toEqual(['⏳ On it: “group task”. I’ll post the result here.']);
    // In a private chat plain text is a command too, and mistakes are explained.
    await deliver(telegramMessage('status nothing-like-an-id'));
    await deliver(telegramMessage('/generate --priority whenever x'));
    const replies = sent()
      .slice(1)
      .map((m) => m.text);
    expect(replies[0]).toMatch(/isn’t a task id/);
    expect(replies[1]).toMatch(/"whenever" is not a priority/);
  });

  it('refuses a wrong or missing secret with 401: no task, no Bot API call', async () => {
    const before = await countTasks(app);
    expect(await deliver(telegramMessage('/generate nope'), 'wrong-secret')).toBe(401);
    expect(await deliver(telegramMessage('/generate nope'), null)).toBe(401);
    expect(await countTasks(app)).toBe(before);
    // (Results of earlier tests may still arrive; nothing about these updates does.)
    expect(stub.requests.filter((r) => r.body.includes('nope'))).toHaveLength(0);
    expect(telegramCalls(stub, 'sendMessage').filter((r) => r.json().text.startsWith('⏳'))).toHaveLength(0);
  });

  it('makes one task from the same update delivered three times', async () => {
    const before = await countTasks(app, 'telegram');
    const u = telegramMessage('/generate exactly once');
    expect([await deliver(u), await deliver(u), await deliver(u)]).toEqual([200, 200, 200]);
    expect(await countTasks(app, 'telegram')).toBe(before + 1);
    expect(sent().filter((m) => m.text.includes('exactly once'))).toHaveLength(1);
  });

  it('inline keyboard: regenerate makes a new task; share and cancel answer', async () => {
    const [done] = await waitFor(async () => {
      const r = await sql<{ id: string }>(
        app,
        `SELECT id FROM tasks WHERE source = 'telegram' AND status = 'completed' ORDER BY created_at LIMIT 1`,
      );
      return r.length ? r : null;
    }, 'a completed task');
    const before = await countTasks(app, 'telegram');
    expect(await deliver(telegramCallback(`sy:regenerate:${done!.id}`))).toBe(200);
    expect(await countTasks(app, 'telegram')).toBe(before + 1);
    expect(telegramCalls(stub, 'answerCallbackQuery')[0]!.json()).toMatchObject({ text: 'Regenerating…' });
    const regenAck = sent().find((m) => m.text === '🔁 Regenerating…');
    expect(regenAck).toBeDefined();
    await waitFor(
      async () => edits().find((e) => e.text.startsWith('✅') && e.text.includes('task ')),
      'the regenerated result',
    );

    stub.reset();
    await deliver(telegramCallback(`sy:share:${done!.id}`));
    expect(sent().at(-1)!.text).toMatch(/^🔗 Read-only link .+: https:\/\/sy\.example\/s\/\S+$/);
    // `share <contentId>` works too.
    const [c] = await sql<{ content_id: string }>(app, 'SELECT content_id FROM tasks WHERE id = $1', [
      done!.id,
    ]);
    await deliver(telegramMessage(`/share ${c!.content_id}`));
    expect(sent().at(-1)!.text).toMatch(/^🔗 Read-only link .+: https:\/\/sy\.example\/s\/\S+$/);
    await deliver(telegramCallback(`sy:cancel:${done!.id}`));
    expect(telegramCalls(stub, 'answerCallbackQuery').at(-1)!.json().text).toMatch(/already finished/);
  });

  it('reports a failed task in plain words, with a Regenerate button', async () => {
    await setMockConfig(app.databaseUrl, { failureMode: 'refusal' });
    try {
      await deliver(telegramMessage('/generate something the model refuses'));
      const failed = await waitFor(
        async () => edits().find((e) => e.text.startsWith('❌')),
        'the failure message',
      );
      expect(failed.text).toMatch(
        /^❌ Task [0-9a-f]{8} failed: .+\. Try again with Regenerate\.\n\nDetails: https:\/\/sy\.example\/tasks\/[0-9a-f-]{36}$/,
      );
      expect(failed.text).not.toMatch(/\n\s+at /);
      expect(failed.reply_markup.inline_keyboard[0][0].callback_data).toMatch(/^sy:regenerate:/);
    } finally {
      await setMockConfig(app.databaseUrl, { failureMode: 'none' });
    }
  });

  it('splits a long result at 4,096 characters on paragraph boundaries (deliverer through grammY)', async () => {
    const [task] = await sql<{ id: string }>(
      app,
      `SELECT id FROM tasks WHERE source = 'telegram' AND status = 'completed' ORDER BY created_at LIMIT 1`,
    );
    const record = (await app.sy.tasks.get(task!.id, { userId: 'admin', isAdmin: true }))!;
    const paragraphs = Array.from(
      { length: 30 },
      (_, i) => `Paragraph ${i}. ${'All work and no play makes a long message. '.repeat(9).trim()}`,
    );
    stub.reset();
    await sql(app, `UPDATE tasks SET origin = origin - 'sent_completed' WHERE id = $1`, [task!.id]);
    const deliverer = app.sy.deliverers.get('telegram') as ResultDeliverer;
    await deliverer.deliver({
      kind: 'completed',
      task: record,
      content: { id: record.contentId!, title: 'Long', contentData: paragraphs.join('\n\n'), version: 2 },
    });
    const parts = [...edits(), ...sent()].map((m) => m.text as string);
    expect(parts.length).toBeGreaterThanOrEqual(3);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(4096);
    // Every paragraph arrives whole, in order.
    const joined = parts.join('\n\n');
    let at = -1;
    for (const p of paragraphs) {
      const i = joined.indexOf(p);
      expect(i).toBeGreaterThan(at);
      at = i;
    }
    expect(parts.at(-1)).toContain('Full result: https://sy.example/content/');
    // Delivering the same event again (a retried job) sends nothing more.
    const count = stub.requests.length;
    await deliverer.deliver({
      kind: 'completed',
      task: record,
      content: { id: record.contentId!, title: 'Long', contentData: paragraphs.join('\n\n'), version: 2 },
    });
    expect(stub.requests.length).toBe(count);
  });
});

describe('Telegram long polling (TELEGRAM_MODE=polling, bots role)', () => {
  let app: TestApp;
  let stub: StubServer;
  let served = false;

  beforeAll(async () => {
    const base = telegramStubHandler();
    stub = await startStubServer(async (r, res) => {
      if (r.path.endsWith('/getUpdates')) {
        if (!served) {
          served = true;
          return sendJson(res, 200, {
            ok: true,
            result: [telegramMessage('/generate polled prompt', { userId: 888 })],
          });
        }
        await delay(200, res);
        return sendJson(res, 200, { ok: true, result: [] });
      }
      return base(r, res);
    });
    app = await startTestApp({
      roles: ['api', 'worker', 'bots'],
      env: { TELEGRAM_BOT_TOKEN: TELEGRAM_TOKEN, TELEGRAM_MODE: 'polling', TELEGRAM_API_ROOT: stub.url },
    });
  });
  afterAll(async () => {
    await app?.close();
    await stub?.close();
  });

  it('polls for updates without a webhook and answers them', async () => {
    expect(app.sy.banner()).toContain('telegram on (polling)');
    const result = await waitFor(
      async () => telegramCalls(stub, 'editMessageText').find((r) => r.json().text.startsWith('✅')),
      'the polled task result',
    );
    expect(result.json().chat_id).toBe(888);
    expect(telegramCalls(stub, 'deleteWebhook').length).toBeGreaterThanOrEqual(1);
    const webhook = await fetch(`${app.url}/api/integrations/telegram/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(webhook.status).toBe(404);
  });
});
