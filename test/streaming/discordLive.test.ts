import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DISCORD_APP_ID, discordCommand, discordKeys, setMockConfig, sql, waitFor } from '../chat/helpers.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { type RecordedRequest, type StubServer, sendJson, startStubServer } from '../helpers/stubServer.js';

/**
 * Discord replies (@original of the interaction) edited in place while the answer streams:
 * @discordjs/rest against a stub that records every edit with the time it arrived, and answers a
 * live edit with 429 + Retry-After when told to.
 */
describe('Discord: live edits of @original while the answer streams', () => {
  let app: TestApp;
  let stub: StubServer;
  const keys = discordKeys();
  type Edit = { at: number; content: string; status: number };
  let edits: Edit[] = [];
  /** Answer 429 (Retry-After: 2) to the first live edit. */
  let refuseFirstLive = false;

  const isLive = (content: string) => content.startsWith('⚙️') && content.includes('\n\n');

  const handler = (r: RecordedRequest, res: ServerResponse) => {
    const path = decodeURIComponent(r.path);
    if (/^\/api\/v10\/webhooks\/\d+\/[^/]+\/messages\/@original$/.test(path) && r.method === 'PATCH') {
      const content = r.json().content as string;
      const refuse = refuseFirstLive && isLive(content) && !edits.some((e) => isLive(e.content));
      edits.push({ at: Date.now(), content, status: refuse ? 429 : 200 });
      if (refuse)
        return sendJson(
          res,
          429,
          { message: 'You are being rate limited.', retry_after: 2, global: false },
          { 'retry-after': '2' },
        );
      return sendJson(res, 200, { id: 'M1', channel_id: 'CH1', content });
    }
    if (/^\/api\/v10\/webhooks\/\d+\/[^/]+$/.test(path) && r.method === 'POST')
      return sendJson(res, 200, { id: `${Date.now()}`, channel_id: 'CH1', content: r.json().content });
  };

  beforeAll(async () => {
    stub = await startStubServer(handler);
    app = await startTestApp({
      env: {
        DISCORD_PUBLIC_KEY: keys.publicKeyHex,
        DISCORD_APPLICATION_ID: DISCORD_APP_ID,
        DISCORD_API_URL: `${stub.url}/api`,
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
    refuseFirstLive = false;
  });

  async function run(prompt: string) {
    const body = JSON.stringify(discordCommand('generate', { prompt }));
    const res = await fetch(`${app.url}/api/integrations/discord/interactions`, {
      method: 'POST',
      body,
      headers: keys.headers(body),
    });
    expect(res.status).toBe(200);
    const final = await waitFor(
      async () => edits.find((e) => e.content.startsWith('✅') && e.status === 200),
      'the result edit',
      30_000,
    );
    const [row] = await sql<{ content_data: string }>(
      app,
      `SELECT c.content_data FROM tasks t JOIN content c ON c.id = t.content_id
        WHERE t.source = 'discord' ORDER BY t.created_at DESC LIMIT 1`,
    );
    return { final, live: edits.filter((e) => isLive(e.content)), text: row!.content_data };
  }

  const shown = (t: string) =>
    t
      .slice(t.indexOf('\n\n') + 2)
      .replace(/ ▍$/, '')
      .replace(/\n\n\[incomplete\]$/, '');

  it('edits @original as text arrives, at most once a second, and ends with the exact final text', async () => {
    await setMockConfig(app.databaseUrl, { tokensPerSecond: 30, failureMode: 'none' });
    const { final, live, text } = await run('Tides and harbours');
    expect(live.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < live.length; i++) expect(live[i]!.at - live[i - 1]!.at).toBeGreaterThanOrEqual(950);
    for (const e of live) expect(text.startsWith(shown(e.content))).toBe(true);
    expect(edits.at(-1)).toBe(final);
    expect(final.content).toContain(`\n\n${text}\n\nFull result: https://sy.example/content/`);
  });

  it('waits at least the Retry-After of a 429 before the next edit, and still ends with the exact text', async () => {
    await setMockConfig(app.databaseUrl, { tokensPerSecond: 20, failureMode: 'none' });
    refuseFirstLive = true;
    const { final, text } = await run('Lighthouses at dusk');
    const refused = edits.findIndex((e) => e.status === 429);
    expect(refused).toBeGreaterThan(0);
    // The refused edit was not re-sent by the client: the next edit carries newer text, 2 s later or more.
    const next = edits[refused + 1]!;
    expect(next.at - edits[refused]!.at).toBeGreaterThanOrEqual(2000);
    expect(next.content).not.toBe(edits[refused]!.content);
    expect(final.content).toContain(`\n\n${text}\n\nFull result: https://sy.example/content/`);
  });

  it('a cut stream shows [incomplete]; the retry replaces it in the same message', async () => {
    await setMockConfig(app.databaseUrl, { tokensPerSecond: 25, failureMode: 'cut_stream', failTimes: 1 });
    const { final, live, text } = await run('Salt marsh birds');
    const marked = live.findIndex((e) => e.content.endsWith('[incomplete]'));
    expect(marked).toBeGreaterThanOrEqual(0);
    expect(text.startsWith(shown(live[marked]!.content))).toBe(true);
    expect(final.content).toContain(`\n\n${text}\n\n`);
    expect(stub.requests.filter((r) => r.method === 'POST')).toHaveLength(0);
  });
});
