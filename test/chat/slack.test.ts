import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { type StubServer, startStubServer } from '../helpers/stubServer.js';
import {
  blockAction,
  countTasks,
  nowSeconds,
  SLACK_SECRET,
  setMockConfig,
  slackHeaders,
  slackStubHandler,
  slackText,
  slashCommand,
  sql,
  waitFor,
} from './helpers.js';

describe('Slack (Bolt over HTTP, signed requests, Web API and response_url on a stub)', () => {
  let app: TestApp;
  let stub: StubServer;
  /** auth.test calls since the app started (stub.reset() clears the recorded requests, not this). */
  let authTests = 0;
  const events = () => `${app.url}/api/integrations/slack/events`;
  const post = (body: string, headers: Record<string, string>) =>
    fetch(events(), { method: 'POST', body, headers });
  const responseUrlPosts = (triggerId: string) =>
    stub.requests.filter((r) => r.path === `/response_url/${triggerId}`);

  beforeAll(async () => {
    stub = await startStubServer();
    const slack = slackStubHandler(() => stub);
    stub.handle((r, res) => {
      if (r.path === '/api/auth.test') authTests++;
      return slack(r, res);
    });
    app = await startTestApp({
      env: {
        SLACK_SIGNING_SECRET: SLACK_SECRET,
        SLACK_BOT_TOKEN: 'xoxb-test-token-1234567890',
        SLACK_API_URL: `${stub.url}/api/`,
        PUBLIC_URL: 'https://sy.example',
      },
    });
    // Answers come at once here, so results take the response_url path; a streamed answer is edited
    // live with the bot token instead (test/streaming/slackLive.test.ts).
    await setMockConfig(app.databaseUrl, { tokensPerSecond: 0 });
  });
  afterAll(async () => {
    await app?.close();
    await stub?.close();
  });
  beforeEach(() => stub.reset());

  it('acknowledges /generate at once, makes one task, and posts the result to response_url', async () => {
    const body = slashCommand(stub.url, 'Write a haiku about harbours', {
      command: '/generate',
      triggerId: 'trig-gen-1',
    });
    const res = await post(body, slackHeaders(body));
    expect(res.status).toBe(200);
    const ack = (await res.json()) as any;
    expect(ack.response_type).toBe('in_channel');
    expect(ack.text).toMatch(/^⏳ Queued task [0-9a-f]{8} \(article, normal priority\)/);
    expect(ack.blocks.at(-1).elements[0]).toMatchObject({ action_id: 'sy_cancel' });

    const [task] = await sql<{ id: string; source: string; user_id: string; description: string }>(
      app,
      `SELECT id, source, user_id, description FROM tasks WHERE source = 'slack'`,
    );
    expect(task).toMatchObject({ source: 'slack', description: 'Write a haiku about harbours' });
    // A per-identity guest user made it.
    const [guest] = await sql<{ username: string; is_guest: boolean; password_hash: string | null }>(
      app,
      'SELECT username, is_guest, password_hash FROM users WHERE id = $1',
      [task!.user_id],
    );
    expect(guest).toEqual({ username: 'slack-T1-U1', is_guest: true, password_hash: null });

    const result = await waitFor(
      async () => responseUrlPosts('trig-gen-1').find((r) => r.json().text?.startsWith('✅')),
      'the result at response_url',
    );
    const payload = result.json();
    expect(payload).toMatchObject({ response_type: 'in_channel', replace_original: true });
    const text = slackText(result);
    expect(text).toContain(`(task ${task!.id.slice(0, 8)})`);
    expect(text).toContain(`Full result: <https://sy.example/content/`);
    expect(payload.blocks.at(-1).elements.map((e: { action_id: string }) => e.action_id)).toEqual([
      'sy_regenerate',
      'sy_share',
    ]);
    // The uses of the response_url are counted on the task's origin (5 allowed).
    const [origin] = await sql<{ origin: { responseUrlUses: number } }>(
      app,
      'SELECT origin FROM tasks WHERE id = $1',
      [task!.id],
    );
    expect(origin!.origin.responseUrlUses).toBeGreaterThanOrEqual(1);
    expect(origin!.origin.responseUrlUses).toBeLessThanOrEqual(5);
  });

  it('answers /sy tasks, /sy status and help privately, and explains mistakes', async () => {
    const tasksBody = slashCommand(stub.url, 'tasks');
    const list = (await (await post(tasksBody, slackHeaders(tasksBody))).json()) as any;
    expect(list.response_type).toBe('ephemeral');
    expect(list.text).toMatch(/Your recent tasks:/);

    const [t] = await sql<{ id: string }>(
      app,
      `SELECT id FROM tasks WHERE source = 'slack' ORDER BY created_at LIMIT 1`,
    );
    const statusBody = slashCommand(stub.url, `status ${t!.id.slice(0, 8)}`);
    const status = (await (await post(statusBody, slackHeaders(statusBody))).json()) as any;
    expect(status.text).toMatch(new RegExp(`Task ${t!.id.slice(0, 8)} — (queued|running|completed)`));

    const badBody = slashCommand(stub.url, 'generate --priority asap now');
    const bad = (await (await post(badBody, slackHeaders(badBody))).json()) as any;
    expect(bad.response_type).toBe('ephemeral');
    expect(bad.text).toContain('"asap" is not a priority');
    expect(bad.text).toContain('Usage: /sy generate');

    const providersBody = slashCommand(stub.url, 'providers');
    const providers = (await (await post(providersBody, slackHeaders(providersBody))).json()) as any;
    expect(providers.text).toMatch(/^Active providers:\n• Mock \(mock\)/);
    const pinnedBody = slashCommand(stub.url, 'generate --provider mock pinned to the mock');
    expect(((await (await post(pinnedBody, slackHeaders(pinnedBody))).json()) as any).text).toMatch(
      /^⏳ Queued task/,
    );
    const [pinned] = await sql<{ provider_id: string | null }>(
      app,
      `SELECT provider_id FROM tasks WHERE description = 'pinned to the mock'`,
    );
    expect(pinned!.provider_id).not.toBeNull();
    const noSuchBody = slashCommand(stub.url, 'generate --provider Nope hello');
    expect(((await (await post(noSuchBody, slackHeaders(noSuchBody))).json()) as any).text).toBe(
      'I don’t know an active provider called “Nope”. Try one of: Mock.',
    );

    const unknownBody = slashCommand(stub.url, 'frobnicate');
    const unknown = (await (await post(unknownBody, slackHeaders(unknownBody))).json()) as any;
    expect(unknown.text).toContain('I don\'t know the command "frobnicate"');
    expect(unknown.text).toContain('/sy link <code>');
  });

  it('refuses a bad signature, a stale or future timestamp and a wrong secret with 401, making no task', async () => {
    const before = await countTasks(app);
    const body = slashCommand(stub.url, 'generate should never run');
    const good = slackHeaders(body);
    const badSig = await post(body, {
      ...good,
      'x-slack-signature': good['x-slack-signature'].replace(/.$/, (c) => (c === '0' ? '1' : '0')),
    });
    const stale = await post(body, slackHeaders(body, { ts: nowSeconds() - 301 }));
    const future = await post(body, slackHeaders(body, { ts: nowSeconds() + 360 }));
    const wrongSecret = await post(body, slackHeaders(body, { secret: 'not-the-secret' }));
    const missing = await post(body, { 'content-type': 'application/x-www-form-urlencoded' });
    expect([badSig.status, stale.status, future.status, wrongSecret.status, missing.status]).toEqual([
      401, 401, 401, 401, 401,
    ]);
    expect(await countTasks(app)).toBe(before);
    // (Results of earlier tests may still arrive; nothing for this command does.)
    const trigger = new URLSearchParams(body).get('trigger_id');
    expect(responseUrlPosts(trigger!)).toHaveLength(0);
  });

  it('makes one task from the same slash command delivered three times', async () => {
    const before = await countTasks(app, 'slack');
    const body = slashCommand(stub.url, 'generate once only please', { triggerId: 'trig-dup-1' });
    const replies: any[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await post(body, slackHeaders(body));
      expect(r.status).toBe(200);
      replies.push(await r.json());
    }
    expect(await countTasks(app, 'slack')).toBe(before + 1);
    const ids = replies.map((r) => /task ([0-9a-f]{8})/.exec(r.text)?.[1]);
    expect(new Set(ids).size).toBe(1);
  });

  it('regenerate, share and cancel buttons work through interactivity', async () => {
    const [done] = await sql<{ id: string; content_id: string }>(
      app,
      `SELECT id, content_id FROM tasks WHERE source = 'slack' AND status = 'completed' ORDER BY created_at LIMIT 1`,
    );
    expect(done).toBeDefined();

    // Regenerate: a new task whose result becomes the next version of the same content.
    const before = await countTasks(app, 'slack');
    const regen = blockAction(stub.url, 'regenerate', done!.id);
    const r1 = await post(regen, slackHeaders(regen));
    expect(r1.status).toBe(200);
    const triggerId = JSON.parse(new URLSearchParams(regen).get('payload')!).trigger_id;
    const reply = await waitFor(async () => responseUrlPosts(triggerId)[0], 'the regenerate reply');
    expect(reply.json()).toMatchObject({ response_type: 'in_channel', replace_original: false });
    expect(reply.json().text).toMatch(/^🔁 Regenerating task/);
    expect(await countTasks(app, 'slack')).toBe(before + 1);
    const [again] = await sql<{ id: string; regenerate_content_id: string }>(
      app,
      `SELECT id, regenerate_content_id FROM tasks WHERE source = 'slack' ORDER BY created_at DESC LIMIT 1`,
    );
    expect(again!.regenerate_content_id).toBe(done!.content_id);
    const result = await waitFor(
      async () => responseUrlPosts(triggerId).find((r) => r.json().text?.startsWith('✅')),
      'the regenerated result',
    );
    // A button's message is never replaced by the result: it is a new message.
    expect(result.json().replace_original).toBe(false);

    // Share: a private, read-only link from the content area (PUBLIC_URL/s/<token>) that really opens.
    const share = blockAction(stub.url, 'share', done!.id);
    await post(share, slackHeaders(share));
    const shareTrigger = JSON.parse(new URLSearchParams(share).get('payload')!).trigger_id;
    const shared = await waitFor(async () => responseUrlPosts(shareTrigger)[0], 'the share reply');
    expect(shared.json()).toMatchObject({ response_type: 'ephemeral' });
    const link = /https:\/\/sy\.example\/s\/(\S+)/.exec(shared.json().text)?.[1];
    expect(shared.json().text).toMatch(
      /^🔗 Read-only link \(valid until .+ UTC\): https:\/\/sy\.example\/s\//,
    );
    expect((await fetch(`${app.url}/api/shared/${link}`)).status).toBe(200);

    // Cancel on a finished task: a clear answer, nothing changes.
    const cancel = blockAction(stub.url, 'cancel', done!.id);
    await post(cancel, slackHeaders(cancel));
    const cancelTrigger = JSON.parse(new URLSearchParams(cancel).get('payload')!).trigger_id;
    const cancelled = await waitFor(async () => responseUrlPosts(cancelTrigger)[0], 'the cancel reply');
    expect(cancelled.json().text).toMatch(/already finished/);

    // Another user's click finds nothing to act on.
    const stranger = blockAction(stub.url, 'regenerate', done!.id, { user: 'U999' });
    await post(stranger, slackHeaders(stranger));
    const strangerTrigger = JSON.parse(new URLSearchParams(stranger).get('payload')!).trigger_id;
    const refused = await waitFor(async () => responseUrlPosts(strangerTrigger)[0], 'the refusal');
    expect(refused.json().text).toMatch(/can’t find that task among yours/);
  });

  it('splits a long result into ≤ 3000-character sections and falls back to chat.postMessage when response_url is used up', async () => {
    // A translation echoes its (long) source: a mock output longer than one section.
    const long = Array.from(
      { length: 25 },
      (_, i) => `Pgrph ${i}: ${'why shy lynx fly by dry gym crypts '.repeat(6).trim()}.`,
    ).join('\n\n');
    await setMockConfig(app.databaseUrl, { latencyMs: 1500 });
    try {
      const body = slashCommand(stub.url, `generate --type translation ${long}`, {
        triggerId: 'trig-long-1',
      });
      const res = await post(body, slackHeaders(body));
      expect(res.status).toBe(200);
      const [task] = await sql<{ id: string }>(
        app,
        `SELECT id FROM tasks WHERE description LIKE 'Pgrph 0:%'`,
      );
      // Spend the response_url's uses before the result arrives: the result must go through the bot token.
      await sql(app, `UPDATE tasks SET origin = origin || '{"responseUrlUses": 5}'::jsonb WHERE id = $1`, [
        task!.id,
      ]);
      const posts = await waitFor(async () => {
        const p = stub.requests.filter((r) => r.path === '/api/chat.postMessage');
        return p.length && slackText(p.at(-1)!).includes('Full result:') ? p : null;
      }, 'the result through chat.postMessage');
      expect(posts[0]!.headers.authorization).toBe('Bearer xoxb-test-token-1234567890');
      expect(new URLSearchParams(posts[0]!.body).get('channel')).toBe('C123');
      const sections = posts.flatMap((p) =>
        JSON.parse(new URLSearchParams(p.body).get('blocks')!).filter(
          (b: { type: string }) => b.type === 'section',
        ),
      );
      expect(sections.length).toBeGreaterThan(1);
      for (const sct of sections) expect(sct.text.text.length).toBeLessThanOrEqual(3000);
      expect(posts.map(slackText).join('\n')).toMatch(/Pgrph 1\d:/);
      expect(responseUrlPosts('trig-long-1').filter((r) => r.json().text?.startsWith('✅'))).toHaveLength(0);
    } finally {
      await setMockConfig(app.databaseUrl, { latencyMs: 0 });
    }
  });

  it('handles "@Switchyard generate …" mentions once per event_id, even when Slack retries', async () => {
    const before = await countTasks(app, 'slack');
    const event = JSON.stringify({
      type: 'event_callback',
      team_id: 'T1',
      api_app_id: 'A1',
      event_id: 'Ev-mention-1',
      event_time: nowSeconds(),
      authorizations: [{ team_id: 'T1', user_id: 'UBOT', is_bot: true }],
      event: {
        type: 'app_mention',
        user: 'U1',
        text: '<@UBOT> generate a tagline for the harbour',
        channel: 'C123',
        ts: '1700000100.000200',
        event_ts: '1700000100.000200',
      },
    });
    const first = await post(event, slackHeaders(event, { contentType: 'application/json' }));
    const retry = await post(event, {
      ...slackHeaders(event, { contentType: 'application/json' }),
      'x-slack-retry-num': '1',
      'x-slack-retry-reason': 'http_timeout',
    });
    expect([first.status, retry.status]).toEqual([200, 200]);
    const ack = await waitFor(
      async () =>
        stub.requests.find(
          (r) => r.path === '/api/chat.postMessage' && slackText(r).startsWith('⏳ Queued task'),
        ),
      'the threaded acknowledgement',
    );
    const form = new URLSearchParams(ack.body);
    expect(form.get('channel')).toBe('C123');
    expect(form.get('thread_ts')).toBe('1700000100.000200');
    // The result follows in the same thread (no response_url for events: the bot token is used):
    // posted there, or, when the answer streamed, replacing the live message posted there.
    const result = await waitFor(
      async () =>
        stub.requests.find(
          (r) =>
            (r.path === '/api/chat.postMessage' || r.path === '/api/chat.update') &&
            slackText(r).startsWith('✅'),
        ),
      'the threaded result',
    );
    const inThread =
      result.path === '/api/chat.postMessage'
        ? result
        : stub.requests.find((r) => r.path === '/api/chat.postMessage' && slackText(r).startsWith('⚙️'));
    expect(new URLSearchParams(inThread!.body).get('thread_ts')).toBe('1700000100.000200');
    expect(await countTasks(app, 'slack')).toBe(before + 1);
  });
  it('asks Slack who the bot is (auth.test) once at most, however many commands, buttons and mentions arrive', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const text = ['generate a note about auth caching', 'tasks', 'help'][i % 3]!;
      const body = slashCommand(stub.url, text, { triggerId: `trig-auth-${i}`, user: `UA${i}` });
      statuses.push((await post(body, slackHeaders(body))).status);
    }
    const [t] = await sql<{ id: string }>(app, `SELECT id FROM tasks WHERE source = 'slack' LIMIT 1`);
    const press = blockAction(stub.url, 'cancel', t!.id);
    statuses.push((await post(press, slackHeaders(press))).status);
    const event = JSON.stringify({
      type: 'event_callback',
      team_id: 'T1',
      api_app_id: 'A1',
      event_id: 'Ev-auth-1',
      event_time: nowSeconds(),
      authorizations: [{ team_id: 'T1', user_id: 'UBOT', is_bot: true }],
      event: {
        type: 'app_mention',
        user: 'UAM',
        text: '<@UBOT> tasks',
        channel: 'C123',
        ts: '1700000200.000300',
        event_ts: '1700000200.000300',
      },
    });
    statuses.push((await post(event, slackHeaders(event, { contentType: 'application/json' }))).status);
    expect(statuses).toEqual(Array(14).fill(200));
    // The mention is answered with the bot token (the authorisation still carries it).
    const answer = await waitFor(
      async () =>
        stub.requests.find(
          (r) => r.path === '/api/chat.postEphemeral' && slackText(r).startsWith('You have no tasks yet'),
        ),
      'the answer to the mention',
    );
    expect(answer.headers.authorization).toBe('Bearer xoxb-test-token-1234567890');
    expect(authTests).toBeLessThanOrEqual(1);
  });
});
