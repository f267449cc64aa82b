import mammoth from 'mammoth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_VERSION_CHARS } from '../../src/core/content/limits.js';
import { registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { sql } from '../helpers/sql.js';
import { waitFor } from '../helpers/wait.js';
import { bigMarkdown } from './bigContent.js';
import { contentWithBody, expectError } from './helpers.js';

/**
 * Review item 3, "one user can stall the API": diff and export rendering run on the render pool's
 * worker threads (not the event loop), small jobs stay inline, sizes are capped with 413/422, and a
 * full queue answers 503 with Retry-After.
 */
let app: TestApp;
let u: Awaited<ReturnType<typeof registerUser>>;
let big: { contentId: string; v1: number };
const V1 = bigMarkdown(400_000);
// Every 10th line edited.
const V2 = V1.split('\n')
  .map((line, i) => (i % 10 === 9 ? `${line} (edit 1)` : line))
  .join('\n');

beforeAll(async () => {
  app = await startTestApp({ roles: ['api', 'worker'] });
  u = await registerUser(app.url);
  const c = await contentWithBody(u.api, V1, 'Big notes');
  big = { contentId: c.contentId, v1: c.content.version };
  const r = await u.api.put(`/api/content/${big.contentId}`, { contentData: V2 });
  expect(r.status, r.text).toBe(200);
});
afterAll(async () => {
  await app?.close();
});

const stats = () => app.sy.renderPool.stats();

async function exportFile(contentId: string, body: unknown, token = u.accessToken) {
  const res = await fetch(`${app.url}/api/content/${contentId}/export`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  let json: any;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {}
  return { status: res.status, headers: res.headers, bytes, body: json };
}

describe('work off the event loop', () => {
  it('a large diff runs on a worker thread, and /healthz answers while it is in progress', async () => {
    const { version } = (await u.api.get(`/api/content/${big.contentId}`)).body;
    const before = stats().completed;
    const order: string[] = [];
    const diff = u.api.get(`/api/content/${big.contentId}/diff`).then((r) => {
      order.push('diff');
      return r;
    });
    // The diff has reached the pool: the event loop is free, so a health check gets through first.
    await waitFor(async () => stats().inFlight > 0, 'the diff to reach the render pool', 25_000, 1);
    const health = await fetch(`${app.url}/healthz`);
    order.push('healthz');
    expect(health.status).toBe(200);
    const d = await diff;
    expect(order).toEqual(['healthz', 'diff']);

    expect(d.status, d.text).toBe(200);
    expect(d.body).toMatchObject({ from: version - 1, to: version, identical: false });
    const edited = V2.split('\n').filter((l) => l.includes('(edit 1)')).length;
    expect(edited).toBeGreaterThan(500);
    expect(d.body.additions).toBe(edited);
    expect(d.body.deletions).toBe(edited);
    expect(stats().completed).toBe(before + 1);
  });

  it('PDF and DOCX exports are rendered by the pool and open correctly', async () => {
    const before = stats().completed;
    const pdf = await exportFile(big.contentId, { format: 'pdf' });
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(pdf.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');

    const docx = await exportFile(big.contentId, { format: 'docx', version: big.v1 });
    expect(docx.status).toBe(200);
    const { value: text } = await mammoth.extractRawText({ buffer: docx.bytes });
    expect(text).toContain('Big notes');
    expect(text).toContain('Section 1');
    expect(stats().completed).toBe(before + 2);
  });

  it('a large HTML export is rendered by the pool; a small one and a small diff stay inline', async () => {
    const pooled = stats().completed;
    const html = await exportFile(big.contentId, { format: 'html' });
    expect(html.status).toBe(200);
    expect(html.bytes.toString('utf8')).toContain('<h2 dir="auto">Section 1</h2>');
    expect(stats().completed).toBe(pooled + 1);

    const small = await contentWithBody(u.api, '# Small\n\nA short note.\n', 'Small');
    await u.api.put(`/api/content/${small.contentId}`, { contentData: '# Small\n\nA shorter note.\n' });
    const before = stats();
    const d = await u.api.get(`/api/content/${small.contentId}/diff`);
    expect(d.status, d.text).toBe(200);
    expect(d.body.diff).toContain('+A shorter note.');
    const h = await exportFile(small.contentId, { format: 'html' });
    expect(h.status).toBe(200);
    const after = stats();
    expect(after.inline).toBe(before.inline + 2);
    expect(after.completed).toBe(before.completed);
  });
});

describe('size limits', () => {
  it(`an edit longer than ${MAX_VERSION_CHARS} characters answers 413 naming the limit`, async () => {
    const r = await u.api.put(`/api/content/${big.contentId}`, {
      contentData: 'x'.repeat(MAX_VERSION_CHARS + 1),
    });
    expectError(r, 413, 'payload_too_large');
    expect(r.body.error.message).toBe(
      'contentData is 1,000,001 characters; a content version may hold at most 1,000,000 characters',
    );
    expect(r.body.error.details).toEqual({ field: 'contentData', length: 1_000_001, limit: 1_000_000 });
    // Exactly at the limit is fine.
    const ok = await u.api.put(`/api/content/${big.contentId}`, {
      contentData: 'y'.repeat(MAX_VERSION_CHARS),
    });
    expect(ok.status, ok.text).toBe(200);
  });

  it('a stored version over the limit (e.g. a long generation) answers 422 for diff and export', async () => {
    const c = await contentWithBody(u.api, 'short body', 'Huge');
    // Generated text is written by the worker, not through PUT: make version 1 longer than the limit.
    await sql(
      app,
      `UPDATE content_versions SET content_data = repeat('z', $2) WHERE content_id = $1 AND version = 1`,
      [c.contentId, MAX_VERSION_CHARS + 5],
    );
    const before = stats();
    const d = await u.api.get(`/api/content/${c.contentId}/diff?from=1&to=2`);
    expectError(d, 422, 'content_too_large');
    expect(d.body.error.message).toBe(
      'Version 1 is 1,000,005 characters; a diff handles at most 1,000,000 characters per version',
    );
    const e = await exportFile(c.contentId, { format: 'pdf', version: 1 });
    expectError(e, 422, 'content_too_large');
    expect(e.body.error.message).toBe(
      'Version 1 is 1,000,005 characters; export handles at most 1,000,000 characters per version',
    );
    // Refused before any rendering.
    expect(stats().completed).toBe(before.completed);
    expect(stats().inline).toBe(before.inline);
  });
});

describe('sharing the render pool', () => {
  it('one user gets 429 with Retry-After past their share of the pool; others are still served', async () => {
    const { maxPerRequester } = app.sy.renderPool;
    const c = await contentWithBody(u.api, bigMarkdown(150_000), 'Mine');
    const n = maxPerRequester + 2;
    const results = await Promise.all(
      Array.from({ length: n }, () => exportFile(c.contentId, { format: 'docx' })),
    );
    const limited = results.filter((r) => r.status === 429);
    expect(results.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(1);
    expect(limited.length).toBeGreaterThanOrEqual(n - maxPerRequester);
    for (const r of limited) {
      expectError(r, 429, 'rate_limited');
      expect(r.body.error.message).toContain(`${maxPerRequester} large diffs, exports or pages rendering`);
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    // Nothing is left counted against the user.
    expect((await exportFile(c.contentId, { format: 'docx' })).status).toBe(200);
  });

  it('a full queue answers 503 unavailable with Retry-After instead of queueing without end', async () => {
    const { maxThreads, maxQueue, maxPerRequester } = app.sy.renderPool;
    const n = maxThreads + maxQueue + 4;
    // Enough users that no one is over their own share: the queue is what fills up.
    const owners = await Promise.all(
      Array.from({ length: Math.ceil(n / maxPerRequester) }, async () => {
        const owner = await registerUser(app.url);
        const c = await contentWithBody(owner.api, bigMarkdown(150_000), 'Queue');
        return { token: owner.accessToken, contentId: c.contentId };
      }),
    );
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) => {
        const o = owners[i % owners.length]!;
        return exportFile(o.contentId, { format: 'docx' }, o.token);
      }),
    );
    const busy = results.filter((r) => r.status === 503);
    const ok = results.filter((r) => r.status === 200);
    expect(busy.length + ok.length).toBe(n);
    expect(busy.length).toBeGreaterThanOrEqual(1);
    expect(ok.length).toBeGreaterThanOrEqual(maxThreads);
    for (const r of busy) {
      expectError(r, 503, 'unavailable');
      expect(r.body.error.message).toContain('busy rendering');
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    for (const r of ok) expect(r.bytes.subarray(0, 2).toString('latin1')).toBe('PK');
    // The server keeps working afterwards.
    expect((await exportFile(owners[0]!.contentId, { format: 'docx' }, owners[0]!.token)).status).toBe(200);
  });
});
