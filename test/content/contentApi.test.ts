import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, loginAdmin, registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { waitForStatus, withDb } from '../tasks/helpers.js';
import { contentWithBody, createContent, expectError, UNKNOWN_ID } from './helpers.js';

/**
 * The Content API end to end: content is made by real tasks (worker role + mock provider), then
 * listed, read, edited, restored, regenerated, diffed and deleted over HTTP.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ roles: ['api', 'worker'] });
});
afterAll(async () => {
  await app?.close();
});

describe('reading', () => {
  it('a generated item has version 1 with the generation’s provenance', async () => {
    const u = await registerUser(app.url);
    const { contentId, taskId, content } = await createContent(u.api, 'Write about tide pools at dawn');
    expect(content).toMatchObject({
      id: contentId,
      taskId,
      userId: u.user.id,
      version: 1,
      status: 'draft',
      contentType: expect.any(String),
      contentData: expect.any(String),
    });
    expect(content.versions).toEqual([
      { version: 1, createdAt: expect.any(String), createdBy: u.user.id, source: 'generation' },
    ]);
    expect(content.metadata).toMatchObject({
      provider: 'Mock',
      model: expect.any(String),
      tokens: expect.objectContaining({ total: expect.any(Number) }),
      latencyMs: expect.any(Number),
      fallbackChain: ['Mock'],
      prompt: 'Write about tide pools at dawn',
    });

    const v1 = await u.api.get(`/api/content/${contentId}/versions/1`);
    expect(v1.status).toBe(200);
    expect(v1.body).toMatchObject({
      contentId,
      version: 1,
      title: content.title,
      contentData: content.contentData,
      source: 'generation',
      createdBy: u.user.id,
      taskId,
      metadata: expect.objectContaining({ provider: 'Mock', prompt: 'Write about tide pools at dawn' }),
    });
  });

  it('lists the caller’s content with search, filters and pagination', async () => {
    const u = await registerUser(app.url);
    const other = await registerUser(app.url);
    const a = await contentWithBody(u.api, 'Kelp forests sway 100% of the time', 'Kelp notes');
    const b = await contentWithBody(u.api, 'Anemones close when touched', 'Anemone notes');
    const c = await createContent(u.api, 'Starfish facts');
    await contentWithBody(other.api, 'Kelp forests of someone else', 'Kelp too');

    const all = await u.api.get('/api/content');
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ page: 1, limit: 20, total: 3 });
    expect(all.body.items.map((i: any) => i.id).sort()).toEqual(
      [a.contentId, b.contentId, c.contentId].sort(),
    );
    for (const item of all.body.items) expect(item.userId).toBe(u.user.id);

    // q matches the body or the title, case-insensitively, and only the caller's items.
    const kelp = await u.api.get('/api/content?q=KELP');
    expect(kelp.body.items.map((i: any) => i.id)).toEqual([a.contentId]);
    const byTitle = await u.api.get('/api/content?q=anemone%20notes');
    expect(byTitle.body.items.map((i: any) => i.id)).toEqual([b.contentId]);
    // Wildcards in q are literal characters.
    const pct = await u.api.get(`/api/content?q=${encodeURIComponent('100%')}`);
    expect(pct.body.items.map((i: any) => i.id)).toEqual([a.contentId]);
    const underscore = await u.api.get('/api/content?q=_');
    expect(underscore.body.total).toBe(0);

    const byTask = await u.api.get(`/api/content?taskId=${c.taskId}`);
    expect(byTask.body.items.map((i: any) => i.id)).toEqual([c.contentId]);

    await u.api.put(`/api/content/${b.contentId}`, { status: 'published' });
    const published = await u.api.get('/api/content?status=published');
    expect(published.body.items.map((i: any) => i.id)).toEqual([b.contentId]);

    const p1 = await u.api.get('/api/content?limit=2&page=1');
    const p2 = await u.api.get('/api/content?limit=2&page=2');
    expect(p1.body).toMatchObject({ page: 1, limit: 2, total: 3 });
    expect(p1.body.items).toHaveLength(2);
    expect(p2.body.items).toHaveLength(1);
    const seen = new Set([...p1.body.items, ...p2.body.items].map((i: any) => i.id));
    expect(seen.size).toBe(3);
  });

  it('admins may list and read anyone’s content but not change it; users may not list others’', async () => {
    const u = await registerUser(app.url);
    const admin = await loginAdmin(app.url);
    const { contentId } = await createContent(u.api, 'Admin can read this');

    expectError(await u.api.get('/api/content?all=true'), 403, 'forbidden');
    expectError(await u.api.get(`/api/content?userId=${admin.user.id}`), 403, 'forbidden');

    const listed = await admin.api.get(`/api/content?userId=${u.user.id}`);
    expect(listed.body.items.map((i: any) => i.id)).toEqual([contentId]);
    const everyone = await admin.api.get('/api/content?all=true&limit=100');
    expect(everyone.body.items.map((i: any) => i.id)).toContain(contentId);
    // Without all/userId an admin sees only their own.
    const own = await admin.api.get('/api/content');
    expect(own.body.items.map((i: any) => i.id)).not.toContain(contentId);

    expect((await admin.api.get(`/api/content/${contentId}`)).status).toBe(200);
    expect((await admin.api.get(`/api/content/${contentId}/versions/1`)).status).toBe(200);
    expect((await admin.api.get(`/api/content/${contentId}/diff?from=1&to=1`)).status).toBe(200);
    expect((await admin.api.post(`/api/content/${contentId}/export`, { format: 'txt' })).status).toBe(200);
    expect((await admin.api.get(`/api/content/${contentId}/shares`)).status).toBe(200);

    expectError(await admin.api.put(`/api/content/${contentId}`, { contentData: 'x' }), 403, 'forbidden');
    expectError(await admin.api.post(`/api/content/${contentId}/restore`, { version: 1 }), 403, 'forbidden');
    expectError(await admin.api.post(`/api/content/${contentId}/regenerate`, {}), 403, 'forbidden');
    expectError(await admin.api.post(`/api/content/${contentId}/share`, {}), 403, 'forbidden');
    expectError(await admin.api.delete(`/api/content/${contentId}`), 403, 'forbidden');
    expect((await u.api.get(`/api/content/${contentId}`)).body.version).toBe(1);
  });
});

describe('editing', () => {
  it('a changed body or title makes a new version by the user; a status change alone does not', async () => {
    const u = await registerUser(app.url);
    const { contentId, content } = await createContent(u.api);

    const edited = await u.api.put(`/api/content/${contentId}`, {
      contentData: '# Edited\n\nNew body',
      baseVersion: 1,
    });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({
      id: contentId,
      version: 2,
      contentData: '# Edited\n\nNew body',
      title: content.title,
    });
    expect(edited.body.metadata).toMatchObject({
      editedBy: { id: u.user.id, username: u.user.username },
      baseVersion: 1,
      changed: ['contentData'],
      generation: expect.objectContaining({ provider: 'Mock' }),
    });

    const status = await u.api.put(`/api/content/${contentId}`, { status: 'published' });
    expect(status.body).toMatchObject({ version: 2, status: 'published' });

    const same = await u.api.put(`/api/content/${contentId}`, { contentData: '# Edited\n\nNew body' });
    expect(same.body.version).toBe(2);

    const retitled = await u.api.put(`/api/content/${contentId}`, { title: '  Renamed  ' });
    expect(retitled.body).toMatchObject({
      version: 3,
      title: 'Renamed',
      contentData: '# Edited\n\nNew body',
    });

    const c = await u.api.get(`/api/content/${contentId}`);
    expect(c.body.versions.map((v: any) => [v.version, v.source, v.createdBy])).toEqual([
      [1, 'generation', u.user.id],
      [2, 'edit', u.user.id],
      [3, 'edit', u.user.id],
    ]);
    const v1 = await u.api.get(`/api/content/${contentId}/versions/1`);
    expect(v1.body.contentData).toBe(content.contentData);
    const v3 = await u.api.get(`/api/content/${contentId}/versions/3`);
    expect(v3.body).toMatchObject({ title: 'Renamed', source: 'edit', metadata: { changed: ['title'] } });
  });

  it('a stale baseVersion answers 409 and changes nothing', async () => {
    const u = await registerUser(app.url);
    const { contentId } = await createContent(u.api);
    expect(
      (await u.api.put(`/api/content/${contentId}`, { contentData: 'one', baseVersion: 1 })).status,
    ).toBe(200);
    const stale = await u.api.put(`/api/content/${contentId}`, { contentData: 'two', baseVersion: 1 });
    expectError(stale, 409, 'conflict');
    expect(stale.body.error.details).toEqual({ currentVersion: 2, baseVersion: 1 });
    const staleStatus = await u.api.put(`/api/content/${contentId}`, { status: 'archived', baseVersion: 1 });
    expectError(staleStatus, 409, 'conflict');
    const c = await u.api.get(`/api/content/${contentId}`);
    expect(c.body).toMatchObject({ version: 2, contentData: 'one', status: 'draft' });
  });

  it('two concurrent edits with the same baseVersion: exactly one wins, the other gets 409', async () => {
    const u = await registerUser(app.url);
    for (let round = 0; round < 5; round++) {
      const { contentId } = await createContent(u.api, `Concurrency round ${round}`);
      const [a, b] = await Promise.all([
        u.api.put(`/api/content/${contentId}`, { contentData: `A${round}`, baseVersion: 1 }),
        u.api.put(`/api/content/${contentId}`, { contentData: `B${round}`, baseVersion: 1 }),
      ]);
      expect([a.status, b.status].sort()).toEqual([200, 409]);
      const winner = a.status === 200 ? a : b;
      expect(winner.body.version).toBe(2);
      const c = await u.api.get(`/api/content/${contentId}`);
      expect(c.body.version).toBe(2);
      expect(c.body.contentData).toBe(winner.body.contentData);
      expect(c.body.versions.map((v: any) => v.version)).toEqual([1, 2]);
    }
  });

  it('many concurrent edits without baseVersion all land as distinct consecutive versions', async () => {
    const u = await registerUser(app.url);
    const { contentId } = await createContent(u.api);
    const bodies = Array.from({ length: 12 }, (_, i) => `parallel body ${i}`);
    const results = await Promise.all(
      bodies.map((contentData) => u.api.put(`/api/content/${contentId}`, { contentData })),
    );
    expect(results.map((r) => r.status)).toEqual(bodies.map(() => 200));
    expect(results.map((r) => r.body.version).sort((x, y) => x - y)).toEqual(bodies.map((_, i) => i + 2));
    const c = await u.api.get(`/api/content/${contentId}`);
    expect(c.body.version).toBe(13);
    expect(c.body.versions.map((v: any) => v.version)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
    const stored = await withDb(app.databaseUrl, async (db) =>
      (
        await db.query('SELECT content_data FROM content_versions WHERE content_id = $1 AND version > 1', [
          contentId,
        ])
      ).rows.map((r) => r.content_data as string),
    );
    expect(stored.sort()).toEqual([...bodies].sort());
  });

  it('restore appends a new version with the old body and title', async () => {
    const u = await registerUser(app.url);
    const { contentId, content } = await createContent(u.api);
    await u.api.put(`/api/content/${contentId}`, { contentData: 'second', title: 'Second title' });
    await u.api.put(`/api/content/${contentId}`, { contentData: 'third' });

    const restored = await u.api.post(`/api/content/${contentId}/restore`, { version: 1 });
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({
      version: 4,
      contentData: content.contentData,
      title: content.title,
    });
    expect(restored.body.metadata).toMatchObject({
      restoredBy: { id: u.user.id },
      restoredFrom: 1,
      baseVersion: 3,
      generation: expect.objectContaining({ provider: 'Mock' }),
    });
    const c = await u.api.get(`/api/content/${contentId}`);
    expect(c.body.versions.map((v: any) => v.source)).toEqual(['generation', 'edit', 'edit', 'restore']);

    expectError(await u.api.post(`/api/content/${contentId}/restore`, { version: 9 }), 404, 'not_found');
    expectError(
      await u.api.post(`/api/content/${contentId}/restore`, { version: 2, baseVersion: 3 }),
      409,
      'conflict',
    );
    const again = await u.api.post(`/api/content/${contentId}/restore`, { version: 2, baseVersion: 4 });
    expect(again.body).toMatchObject({ version: 5, contentData: 'second', title: 'Second title' });
  });

  it('regenerate queues a task whose result becomes the next version, with its own provenance', async () => {
    const u = await registerUser(app.url);
    const { contentId, content } = await createContent(u.api, 'Regenerate me, please');
    await u.api.put(`/api/content/${contentId}`, { contentData: 'my edit' });

    const r = await u.api.post(`/api/content/${contentId}/regenerate`, {});
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      status: 'queued',
      userId: u.user.id,
      description: 'Regenerate me, please',
      taskType: 'article',
      regenerateContentId: contentId,
    });
    const done = await waitForStatus(u.api, r.body.id, ['completed', 'failed']);
    expect(done).toMatchObject({ status: 'completed', contentId });

    const c = await u.api.get(`/api/content/${contentId}`);
    expect(c.body.version).toBe(3);
    expect(c.body.contentData).toBe(content.contentData); // the mock is deterministic per prompt
    expect(c.body.versions.map((v: any) => [v.version, v.source])).toEqual([
      [1, 'generation'],
      [2, 'edit'],
      [3, 'regeneration'],
    ]);
    const v3 = await u.api.get(`/api/content/${contentId}/versions/3`);
    expect(v3.body).toMatchObject({
      source: 'regeneration',
      taskId: r.body.id,
      metadata: expect.objectContaining({
        provider: 'Mock',
        taskId: r.body.id,
        prompt: 'Regenerate me, please',
        fallbackChain: ['Mock'],
      }),
    });
    // Edits after a regeneration keep numbering from it.
    const after = await u.api.put(`/api/content/${contentId}`, { contentData: 'after', baseVersion: 3 });
    expect(after.body.version).toBe(4);

    expectError(
      await u.api.post(`/api/content/${contentId}/regenerate`, { providerId: UNKNOWN_ID }),
      400,
      'validation_failed',
    );
  });

  it('delete removes the item with its versions', async () => {
    const u = await registerUser(app.url);
    const { contentId } = await createContent(u.api);
    const r = await u.api.delete(`/api/content/${contentId}`);
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    expectError(await u.api.get(`/api/content/${contentId}`), 404, 'not_found');
    expectError(await u.api.delete(`/api/content/${contentId}`), 404, 'not_found');
    const left = await withDb(app.databaseUrl, async (db) =>
      Number(
        (await db.query('SELECT count(*) FROM content_versions WHERE content_id = $1', [contentId])).rows[0]
          .count,
      ),
    );
    expect(left).toBe(0);
  });

  it('changes are audited', async () => {
    const u = await registerUser(app.url);
    const { contentId } = await createContent(u.api);
    await u.api.put(`/api/content/${contentId}`, { contentData: 'audited' });
    await u.api.post(`/api/content/${contentId}/restore`, { version: 1 });
    await u.api.delete(`/api/content/${contentId}`);
    const actions = await withDb(
      app.databaseUrl,
      async (db) =>
        (
          await db.query('SELECT action, actor_id FROM audit_log WHERE target_id = $1 ORDER BY id', [
            contentId,
          ])
        ).rows,
    );
    expect(actions).toEqual([
      { action: 'content.update', actor_id: u.user.id },
      { action: 'content.restore', actor_id: u.user.id },
      { action: 'content.delete', actor_id: u.user.id },
    ]);
  });
});

describe('diff', () => {
  it('returns a unified diff with counts; from/to default to the last change', async () => {
    const u = await registerUser(app.url);
    const { contentId } = await contentWithBody(u.api, 'line one\nline two\nline three\n');
    await u.api.put(`/api/content/${contentId}`, {
      contentData: 'line one\nline 2\nline three\nline four\n',
    });

    const d = await u.api.get(`/api/content/${contentId}/diff?from=2&to=3`);
    expect(d.status).toBe(200);
    expect(d.body).toMatchObject({ from: 2, to: 3, additions: 2, deletions: 1, identical: false });
    expect(d.body.diff).toContain('--- ');
    expect(d.body.diff).toContain('version 2');
    expect(d.body.diff).toContain('version 3');
    expect(d.body.diff).toContain('-line two');
    expect(d.body.diff).toContain('+line 2');
    expect(d.body.diff).toContain('+line four');

    const dflt = await u.api.get(`/api/content/${contentId}/diff`);
    expect(dflt.body).toMatchObject({ from: 2, to: 3, additions: 2, deletions: 1 });
    const back = await u.api.get(`/api/content/${contentId}/diff?from=3&to=2`);
    expect(back.body).toMatchObject({ additions: 1, deletions: 2 });
    const same = await u.api.get(`/api/content/${contentId}/diff?from=3&to=3`);
    expect(same.body).toMatchObject({ additions: 0, deletions: 0, identical: true });

    expectError(await u.api.get(`/api/content/${contentId}/diff?from=1&to=9`), 404, 'not_found');
    for (const q of ['from=0', 'from=-1', 'to=abc', 'from=1.5', 'to=99999999999', 'from=']) {
      expectError(await u.api.get(`/api/content/${contentId}/diff?${q}`), 400, 'validation_failed');
    }
  });
});

describe('another user’s content is 404 everywhere', () => {
  it('on every content route', async () => {
    const owner = await registerUser(app.url);
    const stranger = await registerUser(app.url);
    const { contentId } = await createContent(owner.api);
    const share = await owner.api.post(`/api/content/${contentId}/share`, {});
    expect(share.status).toBe(201);
    const s = stranger.api;
    const base = `/api/content/${contentId}`;
    for (const r of [
      await s.get(base),
      await s.get(`${base}/versions/1`),
      await s.get(`${base}/diff?from=1&to=1`),
      await s.put(base, { contentData: 'mine now' }),
      await s.post(`${base}/restore`, { version: 1 }),
      await s.post(`${base}/regenerate`, {}),
      await s.post(`${base}/export`, { format: 'markdown' }),
      await s.post(`${base}/export`, { format: 'pdf', version: 1 }),
      await s.post(`${base}/share`, {}),
      await s.get(`${base}/shares`),
      await s.delete(`${base}/shares/${share.body.id}`),
      await s.delete(base),
    ]) {
      expectError(r, 404, 'not_found');
    }
    expect((await s.get(`/api/content?taskId=${(await owner.api.get(base)).body.taskId}`)).body.total).toBe(
      0,
    );
    // Nothing changed.
    const c = await owner.api.get(base);
    expect(c.body.version).toBe(1);
    expect((await owner.api.get(`${base}/shares`)).body.items[0].state).toBe('active');
  });

  it('unknown ids are 404 and anonymous callers 401', async () => {
    const u = await registerUser(app.url);
    expectError(await u.api.get(`/api/content/${UNKNOWN_ID}`), 404, 'not_found');
    expectError(await u.api.post(`/api/content/${UNKNOWN_ID}/export`, { format: 'txt' }), 404, 'not_found');
    expectError(await client(app.url).get('/api/content'), 401, 'unauthorized');
    expectError(await client(app.url).get(`/api/content/${UNKNOWN_ID}`), 401, 'unauthorized');
  });
});

describe('bad input', () => {
  it('is refused with 400 on every route', async () => {
    const u = await registerUser(app.url);
    const { contentId } = await createContent(u.api);
    const base = `/api/content/${contentId}`;

    // Non-UUID ids.
    for (const r of [
      await u.api.get('/api/content/not-a-uuid'),
      await u.api.get('/api/content/123/versions/1'),
      await u.api.put('/api/content/abc', { title: 'x' }),
      await u.api.delete('/api/content/abc'),
      await u.api.post('/api/content/abc/restore', { version: 1 }),
      await u.api.post('/api/content/abc/regenerate', {}),
      await u.api.post('/api/content/abc/export', { format: 'txt' }),
      await u.api.post('/api/content/abc/share', {}),
      await u.api.get('/api/content/abc/shares'),
      await u.api.get('/api/content/abc/diff'),
      await u.api.delete(`${base}/shares/not-a-uuid`),
      await u.api.get('/api/content?taskId=nope'),
      await u.api.get('/api/content?status=deleted'),
      await u.api.get('/api/content?limit=101'),
      await u.api.get('/api/content?page=0'),
    ]) {
      expectError(r, 400, 'validation_failed');
    }

    // Version numbers in the path.
    for (const v of ['0', '-1', 'abc', '1.5', '99999999999', '1e400']) {
      expectError(await u.api.get(`${base}/versions/${v}`), 400, 'validation_failed');
    }
    expectError(await u.api.get(`${base}/versions/2147483647`), 404, 'not_found');

    // Malformed JSON and missing content type.
    for (const p of [base, `${base}/restore`, `${base}/export`, `${base}/share`, `${base}/regenerate`]) {
      const method = p === base ? 'PUT' : 'POST';
      expectError(await u.api.call(method, p, '{"title": '), 400, 'invalid_json');
      expectError(
        await u.api.call(method, p, 'title=x', { 'content-type': 'text/plain' }),
        415,
        'unsupported_media_type',
      );
    }

    // Wrong types, unknown fields, out-of-range values.
    for (const body of [
      {},
      { title: 42 },
      { title: '' },
      { title: '   ' },
      { title: 'x'.repeat(201) },
      { contentData: ['a'] },
      { contentData: null },
      { status: 'deleted' },
      { baseVersion: 0 },
      { baseVersion: '1' },
      { baseVersion: 1.5 },
      { contentData: 'x', owner: 'me' },
    ]) {
      expectError(await u.api.put(base, body), 400, 'validation_failed');
    }
    for (const body of [
      {},
      { version: 0 },
      { version: -1 },
      { version: 'abc' },
      { version: 2 ** 40 },
      { version: 1, x: 1 },
    ]) {
      expectError(await u.api.post(`${base}/restore`, body), 400, 'validation_failed');
    }
    for (const body of [{ providerId: 'nope' }, { providerId: 5 }, { source: 'slack' }, { prompt: 'x' }]) {
      expectError(await u.api.post(`${base}/regenerate`, body), 400, 'validation_failed');
    }
    expect((await u.api.get(base)).body.version).toBe(1);
  });
});

describe('OpenAPI', () => {
  it('describes every content route', async () => {
    const doc = (await client(app.url).get('/api/openapi.json')).body;
    const expected: Array<[string, string]> = [
      ['/api/content', 'get'],
      ['/api/content/{id}', 'get'],
      ['/api/content/{id}', 'put'],
      ['/api/content/{id}', 'delete'],
      ['/api/content/{id}/versions/{version}', 'get'],
      ['/api/content/{id}/diff', 'get'],
      ['/api/content/{id}/restore', 'post'],
      ['/api/content/{id}/regenerate', 'post'],
      ['/api/content/{id}/export', 'post'],
      ['/api/content/{id}/share', 'post'],
      ['/api/content/{id}/shares', 'get'],
      ['/api/content/{id}/shares/{shareId}', 'delete'],
      ['/api/shared/{token}', 'get'],
      ['/s/{token}', 'get'],
    ];
    for (const [path, method] of expected)
      expect(doc.paths?.[path]?.[method], `${method} ${path}`).toBeDefined();
  });
});
