import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { readSse, type SseEvent, textOf } from '../helpers/sse.js';
import { setMockConfig, waitForStatus } from '../tasks/helpers.js';
import { teamFixture } from '../teams/helpers.js';

/**
 * GET /api/tasks/:id/events (API.md § Streaming) against the real worker, PostgreSQL NOTIFY bus and
 * the mock provider streaming at a set pace.
 */
let app: TestApp;
let f: Awaited<ReturnType<typeof teamFixture>>;
beforeAll(async () => {
  app = await startTestApp({ env: { MOCK_PROVIDER: 'on' } });
  f = await teamFixture(app);
});
afterAll(async () => {
  await app?.close();
});

const events = (id: string, token?: string, o: Parameters<typeof readSse>[1] = {}) =>
  readSse(`${app.url}/api/tasks/${id}/events`, { token, ...o });

async function submit(api: typeof f.owner.api, extra: Record<string, unknown> = {}) {
  const r = await api.post('/api/tasks', {
    description: 'Write an article about tidal power in small harbours',
    taskType: 'article',
    ...extra,
  });
  expect(r.status, r.text).toBe(201);
  return r.body.id as string;
}

async function contentOf(api: typeof f.owner.api, taskId: string) {
  const t = await waitForStatus(api, taskId, ['completed'], 30_000);
  const c = await api.get(`/api/content/${t.contentId}`);
  return { contentId: t.contentId as string, text: c.body.contentData as string };
}

const named = (es: SseEvent[], name: string) => es.filter((e) => e.event === name);

describe('authorisation', () => {
  let taskId: string;
  let final: { contentId: string; text: string };
  beforeAll(async () => {
    await setMockConfig(app.databaseUrl, { tokensPerSecond: 0, failureMode: 'none' });
    taskId = await submit(f.owner.api, { teamId: f.team.id });
    final = await contentOf(f.owner.api, taskId);
  });

  it('anonymous → 401 (error shape)', async () => {
    const r = await events(taskId);
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBeTypeOf('string');
  });

  it.each(['outsider', 'otherUser'] as const)('%s (no access: another team / no team) → 404', async (who) => {
    const token = who === 'outsider' ? f.outsider.accessToken : (await registerUser(app.url)).accessToken;
    const r = await events(taskId, token);
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('not_found');
  });

  it.each(['owner', 'member', 'teamAdmin', 'admin'] as const)(
    '%s → the whole text and done at once, then the stream ends',
    async (who) => {
      const r = await events(taskId, f[who].accessToken);
      expect(r.status).toBe(200);
      expect(r.contentType).toMatch(/^text\/event-stream/);
      expect(r.events.map((e) => e.event)).toEqual(['status', 'delta', 'done']);
      expect(r.events[0]!.data).toEqual({ status: 'completed' });
      expect(r.events[1]!.data.text).toBe(final.text);
      expect(r.events[2]!.data).toEqual({ contentId: final.contentId });
    },
  );

  it('an unknown task → 404; a malformed id → 400; a malformed Last-Event-ID → 400', async () => {
    expect((await events('00000000-0000-4000-8000-000000000000', f.owner.accessToken)).status).toBe(404);
    expect((await events('not-a-uuid', f.owner.accessToken)).status).toBe(400);
    const bad = await events(taskId, f.owner.accessToken, { headers: { 'last-event-id': 'x' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
  });
});

describe('live output', () => {
  it('streams the answer as it is generated; the deltas joined are exactly the stored text', async () => {
    await setMockConfig(app.databaseUrl, { tokensPerSecond: 300, failureMode: 'none' });
    const taskId = await submit(f.owner.api);
    const r = await events(taskId, f.owner.accessToken);
    const final = await contentOf(f.owner.api, taskId);
    const deltas = named(r.events, 'delta');
    expect(deltas.length).toBeGreaterThan(3);
    expect(textOf(r.events)).toBe(final.text);
    expect(named(r.events, 'attempt')).toHaveLength(1);
    expect(r.events.at(-1)).toMatchObject({ event: 'done', data: { contentId: final.contentId } });
    // Deltas carry resumable ids: <attempt>:<offset>, the offset being the text's length so far.
    let len = 0;
    for (const d of deltas) {
      len += d.data.text.length;
      expect(d.id).toMatch(new RegExp(`^\\d+\\.\\d+:${len}$`));
    }
  });

  it('a late subscriber first gets everything so far as one delta, then the live ones; Last-Event-ID resumes', async () => {
    await setMockConfig(app.databaseUrl, { tokensPerSecond: 200, failureMode: 'none' });
    const taskId = await submit(f.owner.api, { teamId: f.team.id });
    let late: Promise<Awaited<ReturnType<typeof readSse>>> | undefined;
    let shownBefore = 0;
    const first = events(taskId, f.owner.accessToken, {
      onEvent: (_e, all) => {
        if (!late && named(all, 'delta').length === 4) {
          shownBefore = textOf(all).length;
          late = events(taskId, f.member.accessToken);
        }
      },
    });
    const a = await first;
    const b = await late!;
    expect(b.status).toBe(200);
    const final = await contentOf(f.owner.api, taskId);
    expect(textOf(a.events)).toBe(final.text);
    expect(textOf(b.events), JSON.stringify(b.events.map((e) => [e.event, e.id, e.data]))).toBe(final.text);
    const bDeltas = named(b.events, 'delta');
    expect(bDeltas[0]!.data.text.length).toBeGreaterThanOrEqual(shownBefore);
    expect(bDeltas.length).toBeGreaterThan(1);

    // Resume after the 3rd delta: only the rest comes, then done.
    const third = named(a.events, 'delta')[2]!;
    const resumed = await events(taskId, f.owner.accessToken, { headers: { 'last-event-id': third.id! } });
    const seen = named(a.events, 'delta')
      .slice(0, 3)
      .map((d) => d.data.text)
      .join('');
    expect(named(resumed.events, 'attempt')).toHaveLength(0);
    expect(seen + textOf(resumed.events)).toBe(final.text);
    expect(resumed.events.at(-1)!.event).toBe('done');
  });

  it('a cut stream is followed by a new attempt that replaces the text, never appended to it', async () => {
    await setMockConfig(app.databaseUrl, { tokensPerSecond: 400, failureMode: 'cut_stream', failTimes: 1 });
    const taskId = await submit(f.owner.api);
    const r = await events(taskId, f.owner.accessToken, { timeoutMs: 30_000 });
    const final = await contentOf(f.owner.api, taskId);
    const kinds = r.events.map((e) => e.event);
    const attempts = named(r.events, 'attempt');
    expect(attempts.length).toBe(2);
    // Text was shown before the cut, and the second attempt starts from nothing.
    const firstAttemptText = r.events
      .slice(kinds.indexOf('attempt'), kinds.lastIndexOf('attempt'))
      .filter((e) => e.event === 'delta')
      .map((e) => e.data.text)
      .join('');
    expect(firstAttemptText.length).toBeGreaterThan(0);
    expect(final.text.startsWith(firstAttemptText)).toBe(true);
    expect(r.events.some((e) => e.event === 'status' && e.data.status === 'queued')).toBe(true);
    expect(textOf(r.events)).toBe(final.text);
    expect(kinds.at(-1)).toBe('done');
  });

  it('a failed task ends with status failed and an error event', async () => {
    await setMockConfig(app.databaseUrl, { tokensPerSecond: 0, failureMode: 'refusal', failTimes: 0 });
    const taskId = await submit(f.owner.api);
    const r = await events(taskId, f.owner.accessToken, { timeoutMs: 30_000 });
    expect(r.events.at(-2)).toMatchObject({ event: 'status', data: { status: 'failed' } });
    expect(r.events.at(-1)).toMatchObject({ event: 'error', data: { code: 'task_failed' } });
  });
});
