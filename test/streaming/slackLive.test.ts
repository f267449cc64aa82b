import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { liveMessage } from '../../src/integrations/slack/slackBlocks.js';
import {
  SLACK_SECRET,
  setMockConfig,
  slackHeaders,
  slackStubHandler,
  slackText,
  slashCommand,
  sql,
  waitFor,
} from '../chat/helpers.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { type RecordedRequest, type StubServer, sendJson, startStubServer } from '../helpers/stubServer.js';

/**
 * Slack replies edited in place while the answer streams: Bolt and @slack/web-api (bot token)
 * against a Web API stub that records every chat.postMessage and chat.update with the time it
 * arrived. The live message is posted once the answer has streamed for a second, edited at most
 * once a second, held for a 429's Retry-After, and replaced by the exact final result.
 */
describe('Slack: live edits (chat.update) while the answer streams', () => {
  let app: TestApp;
  let stub: StubServer;
  const base = slackStubHandler(() => stub);
  type Edit = { at: number; method: 'postMessage' | 'update'; ts: string; text: string; status: number };
  let edits: Edit[] = [];
  /** Answer 429 (Retry-After: 2) to the chat.update calls whose number (1-based) is in this set. */
  let refuse = new Set<number>();
  let updates = 0;
  let seq = 0;

  /** The message's text as a reader sees it: the sections, unescaped, links unwrapped. */
  const readable = (r: RecordedRequest) =>
    slackText(r)
      .replace(/<(https?:\/\/[^>|]+)>/g, '$1')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');

  const handler = (r: RecordedRequest, res: ServerResponse) => {
    const form = () => Object.fromEntries(new URLSearchParams(r.body));
    if (r.path === '/api/chat.postMessage') {
      const ts = `1700000000.${String(++seq).padStart(6, '0')}`;
      edits.push({ at: Date.now(), method: 'postMessage', ts, text: readable(r), status: 200 });
      return sendJson(res, 200, { ok: true, channel: form().channel, ts });
    }
    if (r.path === '/api/chat.update') {
      const n = ++updates;
      const status = refuse.has(n) ? 429 : 200;
      const f = form();
      edits.push({ at: Date.now(), method: 'update', ts: f.ts!, text: readable(r), status });
      if (status === 429)
        return sendJson(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': '2' });
      return sendJson(res, 200, { ok: true, channel: f.channel, ts: f.ts, text: f.text });
    }
    return base(r, res);
  };

  beforeAll(async () => {
    stub = await startStubServer(handler);
    app = await startTestApp({
      env: {
        SLACK_SIGNING_SECRET: SLACK_SECRET,
        SLACK_BOT_TOKEN: 'xoxb-test-token-1234567890',
        SLACK_API_URL: `${stub.url}/api/`,
        PUBLIC_URL: 'https://sy.example',
        MOCK_PROVIDER: 'on',
      },
    });
  });
  afterAll(async () => {
    await app?.close();
    await stub?.close();
  });
  beforeEach(() => {
    stub.reset();
    edits = [];
    refuse = new Set();
    updates = 0;
  });

  async function run(prompt: string, triggerId: string) {
    const body = slashCommand(stub.url, `generate ${prompt}`, { triggerId });
    const res = await fetch(`${app.url}/api/integrations/slack/events`, {
      method: 'POST',
      body,
      headers: slackHeaders(body),
    });
    expect(res.status).toBe(200);
    const final = await waitFor(
      async () => edits.find((e) => e.text.startsWith('✅') && e.status === 200),
      'the result edit',
      30_000,
    );
    const [row] = await sql<{ content_data: string }>(
      app,
      `SELECT c.content_data FROM tasks t JOIN content c ON c.id = t.content_id
        WHERE t.source = 'slack' ORDER BY t.created_at DESC LIMIT 1`,
    );
    const live = edits.filter((e) => e.text.startsWith('⚙️') && e.text.includes('\n\n'));
    const responseUrl = stub.requests
      .filter((r) => r.path === `/response_url/${triggerId}`)
      .map((r) => r.json());
    return { final, live, text: row!.content_data, responseUrl };
  }

  /** The answer part of a live edit: after the headline, without the cursor or the marker. */
  const shown = (t: string) =>
    t
      .slice(t.indexOf('\n\n') + 2)
      .replace(/ ▍$/, '')
      .replace(/\n\n\[incomplete\]$/, '');

  it('posts one message and edits it at most once a second; the last edit is the exact final text', async () => {
    await setMockConfig(app.databaseUrl, { tokensPerSecond: 30, failureMode: 'none' });
    const { final, live, text, responseUrl } = await run('Tides and harbours', 'live-1');
    // One message of our own, posted once the answer streamed, then edited in place.
    const posted = edits.filter((e) => e.method === 'postMessage');
    expect(posted).toHaveLength(1);
    expect(edits.every((e) => e.ts === posted[0]!.ts)).toBe(true);
    expect(live.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < live.length; i++) expect(live[i]!.at - live[i - 1]!.at).toBeGreaterThanOrEqual(950);
    // Every live edit shows a beginning of the answer, growing.
    for (const e of live) expect(text.startsWith(shown(e.text))).toBe(true);
    expect(shown(live.at(-1)!.text).length).toBeGreaterThan(shown(live[0]!.text).length);
    // The last edit is the result, and it holds the whole answer exactly.
    expect(edits.at(-1)).toBe(final);
    expect(final.method).toBe('update');
    expect(final.text).toContain(`\n\n${text}\n\nFull result: https://sy.example/content/`);
    // The command's acknowledgement was replaced by progress, then deleted once the live message was up.
    expect(responseUrl.at(-1)).toMatchObject({ delete_original: true });
    expect(responseUrl.filter((b) => b.replace_original === false)).toHaveLength(0);
  });

  it('two answers streaming in one channel share its pace: live edits there stay a second apart', async () => {
    await setMockConfig(app.databaseUrl, { tokensPerSecond: 30, failureMode: 'none' });
    const send = (prompt: string, triggerId: string) => {
      const body = slashCommand(stub.url, `generate ${prompt}`, { triggerId });
      return fetch(`${app.url}/api/integrations/slack/events`, {
        method: 'POST',
        body,
        headers: slackHeaders(body),
      });
    };
    const sent = await Promise.all([send('Tides and harbours', 'pair-1'), send('Canal locks', 'pair-2')]);
    expect(sent.map((r) => r.status)).toEqual([200, 200]);
    await waitFor(
      async () => edits.filter((e) => e.text.startsWith('✅')).length === 2 || null,
      'both results',
      40_000,
    );
    const live = edits.filter((e) => e.text.startsWith('⚙️') && e.text.includes('\n\n'));
    // Both messages were edited live, but never two edits in the channel within a second.
    expect(new Set(live.map((e) => e.ts)).size).toBe(2);
    for (let i = 1; i < live.length; i++) expect(live[i]!.at - live[i - 1]!.at).toBeGreaterThanOrEqual(950);
  });

  it('honours a 429 Retry-After before the next edit of that message', async () => {
    await setMockConfig(app.databaseUrl, { tokensPerSecond: 20, failureMode: 'none' });
    refuse = new Set([2]);
    const { final, text } = await run('Lighthouses at dusk', 'live-429');
    const refused = edits.findIndex((e) => e.status === 429);
    expect(refused).toBeGreaterThan(0);
    const next = edits[refused + 1]!;
    expect(next.at - edits[refused]!.at).toBeGreaterThanOrEqual(1950);
    expect(final.text).toContain(`\n\n${text}\n\n`);
  });

  it('a cut stream shows [incomplete]; the retry replaces the text in the same message', async () => {
    await setMockConfig(app.databaseUrl, { tokensPerSecond: 25, failureMode: 'cut_stream', failTimes: 1 });
    const { final, live, text } = await run('Salt marsh birds', 'live-cut');
    const marked = live.findIndex((e) => e.text.endsWith('[incomplete]'));
    expect(marked).toBeGreaterThanOrEqual(0);
    expect(text.startsWith(shown(live[marked]!.text))).toBe(true);
    expect(final.text).toContain(`\n\n${text}\n\n`);
    // One message throughout: posted once, every edit to it.
    const posted = edits.filter((e) => e.method === 'postMessage');
    expect(posted).toHaveLength(1);
    expect(new Set(edits.map((e) => e.ts))).toEqual(new Set([posted[0]!.ts]));
  });
});

describe('Slack live message rendering', () => {
  const view = {
    kind: 'running' as const,
    headline: '⚙️ Task abcd1234 is running…',
    portalUrl: 'https://sy.example/tasks/x',
    buttons: [{ action: 'cancel' as const, label: 'Cancel', taskId: 'x' }],
    final: false,
  };
  it('stays within one 3000-character section once escaped, keeping the [incomplete] marker or cursor at the end', () => {
    for (const tail of ['\n\n[incomplete]', ' ▍']) {
      const m = liveMessage(`${view.headline}\n\n${'a & b < c > d '.repeat(400)}${tail}`, view);
      const section = m.blocks[0] as { text: { text: string; verbatim: boolean } };
      expect(section.text.text.length).toBeLessThanOrEqual(3000);
      expect(section.text.text.endsWith(tail)).toBe(true);
      expect(section.text.text).not.toMatch(/<(?!https?:)/); // escaped: no <!channel> can slip through
      expect(section.text.verbatim).toBe(true);
      expect(m.blocks[1]).toMatchObject({ type: 'actions' });
      expect(m.text).toBe(view.headline);
    }
  });
});
