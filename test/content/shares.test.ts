import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentCsp } from '../../src/core/content/htmlDocument.js';
import { client, loginAdmin, registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { withDb } from '../tasks/helpers.js';
import { activeContent, parseHtml } from './dom.js';
import { contentWithBody, createContent, expectError, UNKNOWN_ID } from './helpers.js';
import { ALL_HOSTILE } from './hostile.js';

/** Share links: creation, the public HTML page and JSON, expiry, revocation, version pinning. */
const PUBLIC_URL = 'https://share.sy.example';
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ roles: ['api', 'worker'], env: { PUBLIC_URL } });
});
afterAll(async () => {
  await app?.close();
});

const anon = () => client(app.url);
const tokenOf = (url: string) => url.slice(`${PUBLIC_URL}/s/`.length);
const HOUR = 3_600_000;

async function page(token: string) {
  const res = await fetch(`${app.url}/s/${token}`);
  return { status: res.status, headers: res.headers, html: await res.text() };
}

async function expireShare(shareId: string) {
  await withDb(app.databaseUrl, (db) =>
    db.query(`UPDATE content_shares SET expires_at = now() - interval '1 second' WHERE id = $1`, [shareId]),
  );
}

function expectStrictPageHeaders(headers: Headers) {
  expect(headers.get('content-type')).toBe('text/html; charset=utf-8');
  // The page's own policy replaces the site-wide one (no 'self' scripts, no 'unsafe-inline').
  expect(headers.get('content-security-policy')).toBe(documentCsp({ forHeader: true }));
  expect(headers.get('content-security-policy')).not.toContain('unsafe-inline');
  expect(headers.get('content-security-policy')).toContain("default-src 'none'");
  expect(headers.get('x-robots-tag')).toBe('noindex, nofollow');
  expect(headers.get('cache-control')).toBe('no-store');
  expect(headers.get('referrer-policy')).toBe('no-referrer');
  expect(headers.get('x-content-type-options')).toBe('nosniff');
}

describe('creating and listing', () => {
  it('creates a link with the default expiry; the token is shown once and stored hashed', async () => {
    const u = await registerUser(app.url);
    const { contentId } = await createContent(u.api);
    const before = Date.now();
    const r = await u.api.post(`/api/content/${contentId}/share`, {});
    expect(r.status).toBe(201);
    expect(r.body).toEqual({
      id: expect.any(String),
      token: expect.stringMatching(/^sy_sh_[A-Za-z0-9_-]{43}$/),
      url: `${PUBLIC_URL}/s/${r.body.token}`,
      expiresAt: expect.any(String),
      version: null,
    });
    const expires = new Date(r.body.expiresAt).getTime();
    expect(expires).toBeGreaterThanOrEqual(before + 72 * HOUR - 1000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 72 * HOUR + 1000);

    const stored = await withDb(
      app.databaseUrl,
      async (db) =>
        (await db.query('SELECT token_hash FROM content_shares WHERE id = $1', [r.body.id])).rows[0],
    );
    expect(stored.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored.token_hash).not.toContain(r.body.token);

    const custom = await u.api.post(`/api/content/${contentId}/share`, { expiresInHours: 720, version: 1 });
    expect(custom.status).toBe(201);
    expect(custom.body.version).toBe(1);
    expect(new Date(custom.body.expiresAt).getTime()).toBeGreaterThan(Date.now() + 719 * HOUR);

    const list = await u.api.get(`/api/content/${contentId}/shares`);
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ page: 1, limit: 20, total: 2 });
    expect(list.body.items.map((s: any) => s.id).sort()).toEqual([r.body.id, custom.body.id].sort());
    const byId = Object.fromEntries(list.body.items.map((s: any) => [s.id, s]));
    for (const [id, version] of [
      [r.body.id, null],
      [custom.body.id, 1],
    ]) {
      expect(byId[id]).toEqual({
        id,
        contentId,
        version,
        state: 'active',
        expiresAt: expect.any(String),
        revokedAt: null,
        createdAt: expect.any(String),
      });
    }
    expect(JSON.stringify(list.body)).not.toContain(r.body.token);
    expect(JSON.stringify(list.body)).not.toContain(custom.body.token);
    // The token is a secret: it is never logged, even after it has been used.
    expect((await page(r.body.token)).status).toBe(200);
    expect(app.logs.join('\n')).not.toContain(r.body.token.slice(6));
  });

  it('follows the admin setting for the default expiry', async () => {
    const u = await registerUser(app.url);
    const { contentId } = await createContent(u.api);
    const admin = await loginAdmin(app.url);
    const set = (hours: number) =>
      admin.api.post('/api/admin/settings', { 'shares.defaultExpiresInHours': hours });
    expect((await set(5)).status).toBe(200);
    try {
      const r = await u.api.post(`/api/content/${contentId}/share`, {});
      const hours = (new Date(r.body.expiresAt).getTime() - Date.now()) / HOUR;
      expect(hours).toBeGreaterThan(4.9);
      expect(hours).toBeLessThan(5.1);
    } finally {
      await set(72);
    }
  });

  it('refuses bad input', async () => {
    const u = await registerUser(app.url);
    const { contentId } = await createContent(u.api);
    for (const body of [
      { expiresInHours: 0 },
      { expiresInHours: -5 },
      { expiresInHours: 721 },
      { expiresInHours: 10000 },
      { expiresInHours: 1.5 },
      { expiresInHours: '3' },
      { version: 0 },
      { version: 'abc' },
      { version: 2 ** 40 },
      { token: 'mine' },
    ]) {
      expectError(await u.api.post(`/api/content/${contentId}/share`, body), 400, 'validation_failed');
    }
    expectError(await u.api.post(`/api/content/${contentId}/share`, { version: 7 }), 404, 'not_found');
    expectError(await u.api.post(`/api/content/${UNKNOWN_ID}/share`, {}), 404, 'not_found');
    expectError(await u.api.delete(`/api/content/${contentId}/shares/${UNKNOWN_ID}`), 404, 'not_found');
    expect((await u.api.get(`/api/content/${contentId}/shares`)).body.total).toBe(0);
  });
});

describe('the public page and JSON', () => {
  it('serves the current version read-only with strict headers', async () => {
    const u = await registerUser(app.url);
    const { contentId } = await contentWithBody(u.api, 'Tide pools **shine** at dawn.', 'Tide pools');
    const share = await u.api.post(`/api/content/${contentId}/share`, {});
    const token = tokenOf(share.body.url);
    expect(token).toBe(share.body.token);

    const p = await page(token);
    expect(p.status).toBe(200);
    expectStrictPageHeaders(p.headers);
    const doc = parseHtml(p.html);
    expect(doc.title).toBe('Tide pools');
    expect(doc.querySelector('article strong')?.textContent).toBe('shine');
    expect(doc.querySelector('.doc-meta')?.textContent).toBe('Version 2');
    expect(activeContent(doc)).toEqual([]);

    const json = await anon().get(`/api/shared/${token}`);
    expect(json.status).toBe(200);
    expect(json.body).toEqual({
      title: 'Tide pools',
      contentType: expect.any(String),
      contentData: 'Tide pools **shine** at dawn.',
      version: 2,
      expiresAt: share.body.expiresAt,
    });
    expect(json.headers.get('cache-control')).toBe('no-store');
  });

  it('neutralizes hostile content on the page and leaves it inert in the JSON', async () => {
    const u = await registerUser(app.url);
    const hostileTitle = '</title><script>alert(1)</script>';
    const { contentId } = await contentWithBody(u.api, ALL_HOSTILE, hostileTitle);
    const share = await u.api.post(`/api/content/${contentId}/share`, {});
    const p = await page(share.body.token);
    expect(p.status).toBe(200);
    expectStrictPageHeaders(p.headers);
    const doc = parseHtml(p.html);
    expect(activeContent(doc)).toEqual([]);
    expect(doc.title).toBe(hostileTitle);
    expect(p.html).not.toMatch(/<script|<iframe|<svg|<object|<embed|<form/i);

    const json = await anon().get(`/api/shared/${share.body.token}`);
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    expect(json.body.contentData).toBe(ALL_HOSTILE);
  });

  it('a pinned version stays after later edits; an unpinned link follows the current version', async () => {
    const u = await registerUser(app.url);
    const { contentId } = await contentWithBody(u.api, 'Pinned body v2');
    const pinned = await u.api.post(`/api/content/${contentId}/share`, { version: 2 });
    const live = await u.api.post(`/api/content/${contentId}/share`, {});
    await u.api.put(`/api/content/${contentId}`, { contentData: 'Newer body v3', title: 'Newer' });

    const pj = await anon().get(`/api/shared/${pinned.body.token}`);
    expect(pj.body).toMatchObject({ version: 2, contentData: 'Pinned body v2' });
    expect(parseHtml((await page(pinned.body.token)).html).querySelector('article')?.textContent).toContain(
      'Pinned body v2',
    );
    const lj = await anon().get(`/api/shared/${live.body.token}`);
    expect(lj.body).toMatchObject({ version: 3, contentData: 'Newer body v3', title: 'Newer' });
    const lp = parseHtml((await page(live.body.token)).html);
    expect(lp.querySelector('article')?.textContent).toContain('Newer body v3');

    // The first version can be pinned too.
    const v1 = await u.api.post(`/api/content/${contentId}/share`, { version: 1 });
    const v1j = await anon().get(`/api/shared/${v1.body.token}`);
    expect(v1j.body.version).toBe(1);
    expect(v1j.body.contentData).not.toBe('Pinned body v2');
  });

  it('unknown, malformed, expired and revoked links are 404 (HTML for /s/, JSON for /api/shared)', async () => {
    const u = await registerUser(app.url);
    const { contentId } = await createContent(u.api);
    const expiring = await u.api.post(`/api/content/${contentId}/share`, { expiresInHours: 1 });
    const revoked = await u.api.post(`/api/content/${contentId}/share`, {});
    const kept = await u.api.post(`/api/content/${contentId}/share`, {});
    expect((await page(expiring.body.token)).status).toBe(200);
    expect((await page(revoked.body.token)).status).toBe(200);

    await expireShare(expiring.body.id);
    const del = await u.api.delete(`/api/content/${contentId}/shares/${revoked.body.id}`);
    expect(del.status).toBe(204);
    // Revoking again is harmless.
    expect((await u.api.delete(`/api/content/${contentId}/shares/${revoked.body.id}`)).status).toBe(204);

    const unknownToken = `sy_sh_${'A'.repeat(43)}`;
    for (const token of [
      expiring.body.token,
      revoked.body.token,
      unknownToken,
      'x',
      '%3Cscript%3E',
      'a'.repeat(500),
    ]) {
      const p = await page(token);
      expect(p.status, token).toBe(404);
      expectStrictPageHeaders(p.headers);
      expect(activeContent(parseHtml(p.html))).toEqual([]);
      expect(p.html).toContain('Link not available');
      expectError(await anon().get(`/api/shared/${token}`), 404, 'not_found');
    }
    // Anything else under /s/ is the HTML 404 as well, never the portal or the JSON 404.
    for (const path of ['/s/', `/s/${kept.body.token}/extra`]) {
      const res = await fetch(app.url + path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    }
    expect((await page(kept.body.token)).status).toBe(200);

    const states = Object.fromEntries(
      (await u.api.get(`/api/content/${contentId}/shares`)).body.items.map((s: any) => [s.id, s.state]),
    );
    expect(states).toEqual({
      [expiring.body.id]: 'expired',
      [revoked.body.id]: 'revoked',
      [kept.body.id]: 'active',
    });
    const revokedRow = (await u.api.get(`/api/content/${contentId}/shares`)).body.items.find(
      (s: any) => s.id === revoked.body.id,
    );
    expect(revokedRow.revokedAt).toEqual(expect.any(String));
  });

  it('deleting the content ends its links', async () => {
    const u = await registerUser(app.url);
    const { contentId } = await createContent(u.api);
    const share = await u.api.post(`/api/content/${contentId}/share`, {});
    expect((await page(share.body.token)).status).toBe(200);
    await u.api.delete(`/api/content/${contentId}`);
    expect((await page(share.body.token)).status).toBe(404);
    expectError(await anon().get(`/api/shared/${share.body.token}`), 404, 'not_found');
  });

  it('another user can neither create, list nor revoke links of content that is not theirs', async () => {
    const owner = await registerUser(app.url);
    const other = await registerUser(app.url);
    const { contentId } = await createContent(owner.api);
    const share = await owner.api.post(`/api/content/${contentId}/share`, {});
    expectError(await other.api.post(`/api/content/${contentId}/share`, {}), 404, 'not_found');
    expectError(await other.api.get(`/api/content/${contentId}/shares`), 404, 'not_found');
    expectError(
      await other.api.delete(`/api/content/${contentId}/shares/${share.body.id}`),
      404,
      'not_found',
    );
    // A share id only revokes through its own content.
    const { contentId: otherContent } = await createContent(other.api);
    expectError(
      await other.api.delete(`/api/content/${otherContent}/shares/${share.body.id}`),
      404,
      'not_found',
    );
    expect((await page(share.body.token)).status).toBe(200);
  });

  it('creating and revoking links is audited', async () => {
    const u = await registerUser(app.url);
    const { contentId } = await createContent(u.api);
    const share = await u.api.post(`/api/content/${contentId}/share`, { version: 1, expiresInHours: 2 });
    await u.api.delete(`/api/content/${contentId}/shares/${share.body.id}`);
    const rows = await withDb(
      app.databaseUrl,
      async (db) =>
        (
          await db.query(
            `SELECT action, actor_id, target_type, details FROM audit_log WHERE target_id = $1 ORDER BY id`,
            [contentId],
          )
        ).rows,
    );
    expect(rows).toEqual([
      {
        action: 'content.share.create',
        actor_id: u.user.id,
        target_type: 'content',
        details: { shareId: share.body.id, version: 1, expiresAt: share.body.expiresAt },
      },
      {
        action: 'content.share.revoke',
        actor_id: u.user.id,
        target_type: 'content',
        details: { shareId: share.body.id },
      },
    ]);
    expect(JSON.stringify(rows)).not.toContain(share.body.token);
  });
});
