import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  setMockConfig,
  sql,
  TELEGRAM_SECRET,
  TELEGRAM_TOKEN,
  telegramMessage,
  telegramStubHandler,
  waitFor,
} from '../chat/helpers.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { type RecordedRequest, type StubServer, sendJson, startStubServer } from '../helpers/stubServer.js';

/**
 * Telegram replies edited in place while the answer streams: grammY against a Bot API stub that
 * records every edit with the time it arrived.
 */
describe('Telegram: live edits while the answer streams', () => {
  let app: TestApp;
  let stub: StubServer;
  const base = telegramStubHandler();
  let edits: Array<{ at: number; text: string; status: number }> = [];
  /** Answer 429 (retry_after 2 s) to the edits whose number (1-based) is in this set. */
  let refuse = new Set<number>();

  const handler = (r: RecordedRequest, res: import('node:http').ServerResponse) => {
    if (r.path.endsWith('/editMessageText')) {
      const n = edits.length + 1;
      const status = refuse.has(n) ? 429 : 200;
      edits.push({ at: Date.now(), text: r.json().text, status });
      if (status === 429)
        return sendJson(res, 429, {
          ok: false,
          error_code: 429,
          description: 'Too Many Requests: retry after 2',
          parameters: { retry_after: 2 },
        });
    }
    return base(r, res);
  };

  const send = (text: string) =>
    fetch(`${app.url}/api/integrations/telegram/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': TELEGRAM_SECRET },
      body: JSON.stringify(telegramMessage(text)),
    });

  beforeAll(async () => {
    stub = await startStubServer(handler);
    app = await startTestApp({
      env: {
        TELEGRAM_BOT_TOKEN: TELEGRAM_TOKEN,
        TELEGRAM_WEBHOOK_SECRET: TELEGRAM_SECRET,
        TELEGRAM_API_ROOT: stub.url,
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
  });

  async function run(prompt: string) {
    expect((await send(`/generate ${prompt}`)).status).toBe(200);
    const final = await waitFor(
      async () => edits.find((e) => e.text.startsWith('✅') && e.status === 200),
      'the result edit',
      30_000,
    );
    const [row] = await sql<{ content_data: string }>(
      app,
      `SELECT c.content_data FROM tasks t JOIN content c ON c.id = t.content_id
        WHERE t.source = 'telegram' ORDER BY t.created_at DESC LIMIT 1`,
    );
    const live = edits.filter((e) => e.text.startsWith('⚙️') && e.text.includes('\n\n'));
    return { final, live, text: row!.content_data };
  }

  /** The answer part of a live edit: after the headline, without the cursor or the marker. */
  const shown = (t: string) =>
    t
      .slice(t.indexOf('\n\n') + 2)
      .replace(/ ▍$/, '')
      .replace(/\n\n\[incomplete\]$/, '');

  it('edits the reply as text arrives, at most once a second, and ends with the exact final text', async () => {
    await setMockConfig(app.databaseUrl, { tokensPerSecond: 30, failureMode: 'none' });
    const { final, live, text } = await run('Tides and harbours');
    expect(live.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < live.length; i++) expect(live[i]!.at - live[i - 1]!.at).toBeGreaterThanOrEqual(950);
    // Every live edit shows a beginning of the answer, growing.
    for (const e of live) expect(text.startsWith(shown(e.text))).toBe(true);
    expect(shown(live.at(-1)!.text).length).toBeGreaterThan(shown(live[0]!.text).length);
    // The last edit is the result, and it holds the whole answer exactly.
    expect(edits.at(-1)).toBe(final);
    expect(final.text).toContain(`\n\n${text}\n\nFull result: https://sy.example/content/`);
    expect(stub.requests.filter((r) => r.path.endsWith('/sendMessage'))).toHaveLength(1); // the ack only
  });

  it('honours a 429 Retry-After before the next edit', async () => {
    await setMockConfig(app.databaseUrl, { tokensPerSecond: 20, failureMode: 'none' });
    // Edit 1 is the "running" progress; the first live edit (2) is refused.
    refuse = new Set([2]);
    const { final, text } = await run('Lighthouses at dusk');
    const refused = edits.findIndex((e) => e.status === 429);
    expect(refused).toBeGreaterThan(0);
    const next = edits[refused + 1]!;
    expect(next.at - edits[refused]!.at).toBeGreaterThanOrEqual(1950);
    expect(final.text).toContain(text);
  });

  it('a cut stream shows [incomplete]; the retry replaces the text in the same message', async () => {
    await setMockConfig(app.databaseUrl, { tokensPerSecond: 25, failureMode: 'cut_stream', failTimes: 1 });
    const { final, live, text } = await run('Salt marsh birds');
    const marked = live.findIndex((e) => e.text.endsWith('[incomplete]'));
    expect(marked).toBeGreaterThanOrEqual(0);
    expect(text.startsWith(shown(live[marked]!.text))).toBe(true);
    expect(final.text).toContain(`\n\n${text}\n\n`);
    // One message throughout: the acknowledgement, edited; no second answer was posted.
    expect(stub.requests.filter((r) => r.path.endsWith('/sendMessage'))).toHaveLength(1);
    const ids = new Set(
      stub.requests.filter((r) => r.path.endsWith('/editMessageText')).map((r) => r.json().message_id),
    );
    expect(ids.size).toBe(1);
  });
});
