import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAdmin, registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { type StubServer, startStubServer } from '../helpers/stubServer.js';
import {
  countTasks,
  SLACK_SECRET,
  slackHeaders,
  slackStubHandler,
  slashCommand,
  sql,
  TELEGRAM_SECRET,
  TELEGRAM_TOKEN,
  telegramCalls,
  telegramMessage,
  telegramStubHandler,
  waitFor,
} from './helpers.js';

describe('account linking, guests, requireLinkedAccount and the per-identity rate limit', () => {
  let app: TestApp;
  let slackStub: StubServer;
  let tgStub: StubServer;
  let admin: Awaited<ReturnType<typeof loginAdmin>>;

  /** Sends `/sy <text>` as a Slack user and returns the acknowledgement's text. */
  const slack = async (text: string, user = 'U50') => {
    const body = slashCommand(slackStub.url, text, { user });
    const res = await fetch(`${app.url}/api/integrations/slack/events`, {
      method: 'POST',
      body,
      headers: slackHeaders(body),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { text: string }).text;
  };
  const newCode = async (api: ReturnType<typeof import('../helpers/app.js').client>) => {
    const r = await api.post('/api/links/codes');
    expect(r.status).toBe(201);
    return r.body as { code: string; expiresAt: string };
  };

  beforeAll(async () => {
    slackStub = await startStubServer();
    slackStub.handle(slackStubHandler(() => slackStub));
    tgStub = await startStubServer(telegramStubHandler());
    app = await startTestApp({
      env: {
        SLACK_SIGNING_SECRET: SLACK_SECRET,
        SLACK_API_URL: `${slackStub.url}/api/`,
        TELEGRAM_BOT_TOKEN: TELEGRAM_TOKEN,
        TELEGRAM_WEBHOOK_SECRET: TELEGRAM_SECRET,
        TELEGRAM_API_ROOT: tgStub.url,
        PUBLIC_URL: 'https://sy.example',
      },
    });
    admin = await loginAdmin(app.url);
  });
  afterAll(async () => {
    await app?.close();
    await slackStub?.close();
    await tgStub?.close();
  });

  it('issues single-use, 10-minute codes, stored only as a hash', async () => {
    const u = await registerUser(app.url);
    const { code, expiresAt } = await newCode(u.api);
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/);
    const minutes = (Date.parse(expiresAt) - Date.now()) / 60_000;
    expect(minutes).toBeGreaterThan(9.5);
    expect(minutes).toBeLessThanOrEqual(10);
    const rows = await sql<{ code_hash: string }>(
      app,
      'SELECT code_hash FROM link_codes WHERE user_id = $1',
      [u.user.id],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.code_hash).not.toContain(code.replace('-', ''));
    expect((await newCode(u.api)).code).not.toBe(code);
    const anon = await fetch(`${app.url}/api/links/codes`, { method: 'POST' });
    expect(anon.status).toBe(401);
    const doc = (await (await fetch(`${app.url}/api/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    for (const p of [
      '/api/links/codes',
      '/api/links',
      '/api/links/{id}',
      '/api/integrations/slack/events',
      '/api/integrations/telegram/webhook',
    ]) {
      expect(Object.keys(doc.paths)).toContain(p);
    }
  });

  it('links a guest identity with a valid code: its tasks move to the account, later tasks are the account’s', async () => {
    // As an unlinked guest, make a task.
    expect(await slack('generate A guest’s draft')).toMatch(/^⏳ Queued task/);
    const [guestTask] = await sql<{ id: string; user_id: string }>(
      app,
      `SELECT id, user_id FROM tasks WHERE description = 'A guest’s draft'`,
    );
    const [guest] = await sql<{ username: string; is_guest: boolean }>(
      app,
      'SELECT username, is_guest FROM users WHERE id = $1',
      [guestTask!.user_id],
    );
    expect(guest).toEqual({ username: 'slack-T1-U50', is_guest: true });

    const u = await registerUser(app.url, 'linker');
    const { code } = await newCode(u.api);
    // Typed by hand: lower case and without the dash is fine.
    const linked = await slack(`link ${code.toLowerCase().replace('-', '')}`);
    expect(linked).toBe(
      '🔗 Linked! This Slack account now works as linker: your tasks, budgets and history follow you across platforms. Your 1 earlier task moved with it.',
    );

    const mine = await u.api.get(`/api/tasks/${guestTask!.id}`);
    expect(mine.status).toBe(200);
    expect(mine.body.userId).toBe(u.user.id);
    expect(await slack('generate Now as a real account')).toMatch(/^⏳ Queued task/);
    const [later] = await sql<{ user_id: string }>(
      app,
      `SELECT user_id FROM tasks WHERE description = 'Now as a real account'`,
    );
    expect(later!.user_id).toBe(u.user.id);

    const links = await u.api.get('/api/links');
    expect(links.status).toBe(200);
    expect(links.body.items).toEqual([
      {
        id: expect.any(String),
        platform: 'slack',
        workspaceId: 'T1',
        platformUserId: 'U50',
        displayName: 'alice',
        linkedAt: expect.any(String),
      },
    ]);

    // The same code again: already used. Audit trail recorded.
    expect(await slack(`link ${code}`, 'U51')).toMatch(
      /^That code has already been used\. Get a new code at https:\/\/sy\.example\/links\./,
    );
    const audit = await sql<{ action: string; actor_id: string | null }>(
      app,
      `SELECT action, actor_id FROM audit_log WHERE action LIKE 'link.%' ORDER BY id`,
    );
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(['link.code_created', 'link.created', 'link.failed']),
    );
    expect(audit.find((a) => a.action === 'link.created')!.actor_id).toBe(u.user.id);
  });

  it('refuses an expired or wrong code, and a code already past its use', async () => {
    const u = await registerUser(app.url);
    const { code } = await newCode(u.api);
    await sql(app, `UPDATE link_codes SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [
      u.user.id,
    ]);
    expect(await slack(`link ${code}`, 'U60')).toMatch(/^That code has expired \(codes last 10 minutes\)/);
    expect(await slack('link ZZZZZ-ZZZZZ', 'U60')).toMatch(/^That isn’t a valid link code/);
    expect(await slack('link not-even-close', 'U60')).toMatch(/^That isn’t a valid link code/);
    const [identity] = await sql<{ linked_at: Date | null }>(
      app,
      `SELECT linked_at FROM chat_identities WHERE platform_user_id = 'U60'`,
    );
    expect(identity?.linked_at ?? null).toBeNull();
  });

  it('links a second platform to the same account; unlinking makes the chat a fresh guest again', async () => {
    const u = await registerUser(app.url, 'twoplatforms');
    const slackCode = await newCode(u.api);
    expect(await slack(`link ${slackCode.code}`, 'U70')).toMatch(/^🔗 Linked!/);
    const tgCode = await newCode(u.api);
    const update = telegramMessage(`/link ${tgCode.code}`, { userId: 4242 });
    const res = await fetch(`${app.url}/api/integrations/telegram/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': TELEGRAM_SECRET },
      body: JSON.stringify(update),
    });
    expect(res.status).toBe(200);
    const reply = await waitFor(
      async () => telegramCalls(tgStub, 'sendMessage').find((r) => r.json().chat_id === 4242),
      'the Telegram link reply',
    );
    expect(reply.json().text).toMatch(/^🔗 Linked! This Telegram account now works as twoplatforms/);

    const links = (await u.api.get('/api/links')).body.items as Array<{ id: string; platform: string }>;
    expect(links.map((l) => l.platform).sort()).toEqual(['slack', 'telegram']);

    // Someone else cannot remove it.
    const other = await registerUser(app.url);
    expect((await other.api.delete(`/api/links/${links[0]!.id}`)).status).toBe(404);

    const slackLink = links.find((l) => l.platform === 'slack')!;
    expect((await u.api.delete(`/api/links/${slackLink.id}`)).status).toBe(204);
    expect(((await u.api.get('/api/links')).body.items as unknown[]).length).toBe(1);
    expect(await slack('generate after unlinking', 'U70')).toMatch(/^⏳ Queued task/);
    const [t] = await sql<{ user_id: string; is_guest: boolean }>(
      app,
      `SELECT t.user_id, u.is_guest FROM tasks t JOIN users u ON u.id = t.user_id WHERE t.description = 'after unlinking'`,
    );
    expect(t!.is_guest).toBe(true);
    expect(t!.user_id).not.toBe(u.user.id);
    const removed = await sql(
      app,
      `SELECT 1 FROM audit_log WHERE action = 'link.removed' AND actor_id = $1`,
      [u.user.id],
    );
    expect(removed).toHaveLength(1);
  });

  it('with chat.requireLinkedAccount, refuses unlinked identities (no guest, no task) until they link', async () => {
    expect((await admin.api.post('/api/admin/settings', { 'chat.requireLinkedAccount': true })).status).toBe(
      200,
    );
    try {
      const before = await countTasks(app);
      const refused = await slack('generate should need a link', 'U80');
      expect(refused).toMatch(
        /^To use Switchyard here, link your account first: sign in at https:\/\/sy\.example\/links, get a code, then send \/sy link <code>\.$/,
      );
      expect(await countTasks(app)).toBe(before);
      expect(await sql(app, `SELECT 1 FROM chat_identities WHERE platform_user_id = 'U80'`)).toHaveLength(0);
      expect(await slack('help', 'U80')).toMatch(/^Switchyard commands:/);

      const u = await registerUser(app.url);
      expect(await slack(`link ${(await newCode(u.api)).code}`, 'U80')).toMatch(/^🔗 Linked!/);
      expect(await slack('generate now it works', 'U80')).toMatch(/^⏳ Queued task/);
      expect(await countTasks(app)).toBe(before + 1);
    } finally {
      await admin.api.post('/api/admin/settings', { 'chat.requireLinkedAccount': false });
    }
  });

  it('limits each identity to chat.rateLimitPerMinute commands, with a friendly reply', async () => {
    expect((await admin.api.post('/api/admin/settings', { 'chat.rateLimitPerMinute': 3 })).status).toBe(200);
    try {
      const replies = [];
      for (let i = 0; i < 4; i++) replies.push(await slack('tasks', 'U90'));
      expect(replies.slice(0, 3).every((r) => !r.includes('faster than'))).toBe(true);
      expect(replies[3]).toMatch(
        /^You’re sending commands faster than 3 a minute\. Please wait \d+ s and try again\.$/,
      );
      // Another identity is not affected.
      expect(await slack('tasks', 'U91')).not.toMatch(/faster than/);
      const counters = await sql<{ count: number }>(
        app,
        `SELECT count FROM rate_counters WHERE key = 'chat:slack:T1:U90'`,
      );
      expect(counters.reduce((n, c) => n + c.count, 0)).toBeGreaterThanOrEqual(4);
    } finally {
      await admin.api.post('/api/admin/settings', { 'chat.rateLimitPerMinute': 20 });
    }
  });
});
