import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_VERSION_CHARS } from '../../src/core/content/limits.js';
import { ShareBodyCache } from '../../src/core/content/shareBodyCache.js';
import { client, loginAdmin, registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { sql } from '../helpers/sql.js';
import { bigMarkdown } from './bigContent.js';
import { parseHtml } from './dom.js';
import { contentWithBody } from './helpers.js';

/**
 * The public share page: rendered once per (content id, version) and then served from the cache;
 * a suspended owner's links answer exactly like an unknown link (checked before the cache), and
 * serve again once the owner is reinstated.
 */
const PUBLIC_URL = 'https://share.sy.example';
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ roles: ['api', 'worker'], env: { PUBLIC_URL } });
});
afterAll(async () => {
  await app?.close();
});

const tokenOf = (url: string) => url.slice(`${PUBLIC_URL}/s/`.length);
const pool = () => app.sy.renderPool.stats();
const cache = () => app.sy.content.shareBodies;

async function page(token: string) {
  const res = await fetch(`${app.url}/s/${token}`);
  return { status: res.status, headers: res.headers, html: await res.text() };
}

async function share(api: ReturnType<typeof client>, contentId: string, body: object = {}) {
  const r = await api.post(`/api/content/${contentId}/share`, body);
  expect(r.status, r.text).toBe(201);
  return tokenOf(r.body.url);
}

describe('share page cache', () => {
  it('renders a large page once on the pool; later hits, from any link to that version, use the cache', async () => {
    const u = await registerUser(app.url);
    const body = bigMarkdown(200_000);
    const { contentId } = await contentWithBody(u.api, body, 'Cached notes');
    const first = await share(u.api, contentId);
    const second = await share(u.api, contentId, { expiresInHours: 5 });

    const before = pool().completed;
    const hitsBefore = cache().hits;
    const a = await page(first);
    expect(a.status).toBe(200);
    expect(pool().completed).toBe(before + 1);

    const b = await page(first);
    const c = await page(second);
    expect([b.status, c.status]).toEqual([200, 200]);
    expect(pool().completed).toBe(before + 1);
    expect(cache().hits).toBe(hitsBefore + 2);

    // Same article; each page still shows its own link's expiry.
    const article = (html: string) => html.slice(html.indexOf('<article>'), html.indexOf('</article>'));
    expect(article(b.html)).toBe(article(a.html));
    expect(article(c.html)).toBe(article(a.html));
    expect(article(a.html)).toContain('<h2 dir="auto">Section 1</h2>');
    expect(b.html).toBe(a.html);
    expect(parseHtml(c.html).querySelector('footer')?.textContent).not.toBe(
      parseHtml(a.html).querySelector('footer')?.textContent,
    );
  });

  it('a new version renders anew; the old version stays cached for links pinned to it', async () => {
    const u = await registerUser(app.url);
    const { contentId, content } = await contentWithBody(u.api, bigMarkdown(50_000), 'Versions');
    const pinned = await share(u.api, contentId, { version: content.version });
    const current = await share(u.api, contentId);
    expect((await page(current)).status).toBe(200);

    const edit = await u.api.put(`/api/content/${contentId}`, { contentData: bigMarkdown(50_000, 2) });
    expect(edit.status).toBe(200);
    const before = pool().completed;
    const now = await page(current);
    expect(now.html).toContain('(edit 2)');
    expect(now.html).toContain(`Version ${edit.body.version}`);
    expect(pool().completed).toBe(before + 1);

    const old = await page(pinned);
    expect(old.html).not.toContain('(edit 2)');
    expect(pool().completed).toBe(before + 1);
  });

  it('a shared version over the size limit answers an HTML 422 page naming the limit', async () => {
    const u = await registerUser(app.url);
    const { contentId, content } = await contentWithBody(u.api, 'short', 'Huge');
    await sql(app, `UPDATE content SET content_data = repeat('z', $2) WHERE id = $1`, [
      contentId,
      MAX_VERSION_CHARS + 1,
    ]);
    const token = await share(u.api, contentId);
    const p = await page(token);
    expect(p.status).toBe(422);
    expect(p.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(parseHtml(p.html).querySelector('article')?.textContent).toContain(
      `Version ${content.version} is 1,000,001 characters; the share page handles at most 1,000,000 characters per version`,
    );
  });
});

describe('suspended owners', () => {
  it('their links answer like an unknown link, even when cached, and serve again when reinstated', async () => {
    const admin = await loginAdmin(app.url);
    const u = await registerUser(app.url);
    const { contentId } = await contentWithBody(u.api, bigMarkdown(20_000), 'Owner notes');
    const token = await share(u.api, contentId);
    const served = await page(token);
    expect(served.status).toBe(200);
    expect(served.html).toContain('Owner notes');
    const unknown = await page(`sy_sh_${'A'.repeat(43)}`);
    expect(unknown.status).toBe(404);

    const s = await admin.api.put(`/api/admin/users/${u.user.id}`, { status: 'suspended' });
    expect(s.status, s.text).toBe(200);
    const hitsBefore = cache().hits;
    const hidden = await page(token);
    expect(hidden.status).toBe(404);
    expect(hidden.html).toBe(unknown.html);
    expect(hidden.html).not.toContain('Owner notes');
    expect(Object.fromEntries(hidden.headers)).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
    });
    // The JSON view of the link is gone too.
    const json = await client(app.url).get(`/api/shared/${token}`);
    expect(json.status).toBe(404);
    expect(json.body.error.code).toBe('not_found');
    // Checked before the cache: the cached page was not used.
    expect(cache().hits).toBe(hitsBefore);

    const r = await admin.api.put(`/api/admin/users/${u.user.id}`, { status: 'active' });
    expect(r.status, r.text).toBe(200);
    const back = await page(token);
    expect(back.status).toBe(200);
    expect(back.html).toBe(served.html);
    expect(cache().hits).toBe(hitsBefore + 1);
  });
});

describe('ShareBodyCache', () => {
  const body = (n: number) => ({ bodyHtml: 'x'.repeat(n), omitTitleHeading: false });

  it('evicts the least recently used entry past its entry limit', () => {
    const c = new ShareBodyCache({ maxEntries: 2, maxChars: 1_000 });
    c.set('a', 1, body(1));
    c.set('b', 1, body(1));
    expect(c.get('a', 1)).toBeDefined(); // a is now the most recent
    c.set('c', 1, body(1));
    expect(c.get('b', 1)).toBeUndefined();
    expect(c.get('a', 1)).toBeDefined();
    expect(c.get('c', 1)).toBeDefined();
    expect(c.size).toBe(2);
  });

  it('keeps the cached characters under its limit and skips an entry larger than the limit', () => {
    const c = new ShareBodyCache({ maxEntries: 10, maxChars: 100 });
    c.set('a', 1, body(60));
    c.set('a', 2, body(30));
    c.set('b', 1, body(50)); // 140 > 100: a@1 goes
    expect(c.get('a', 1)).toBeUndefined();
    expect(c.get('a', 2)).toBeDefined();
    expect(c.get('b', 1)).toBeDefined();
    c.set('huge', 1, body(101));
    expect(c.get('huge', 1)).toBeUndefined();
    expect(c.size).toBe(2);
  });
});
