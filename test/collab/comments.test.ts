import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeContent, parseHtml } from '../content/dom.js';
import { ALL_HOSTILE } from '../content/hostile.js';
import { registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { type Api, expectError, teamContent, teamFixture, UNKNOWN_ID } from './helpers.js';

type Who = 'anonymous' | 'member' | 'teamAdmin' | 'otherUser' | 'otherTeam' | 'siteAdmin';
const WHO: Who[] = ['anonymous', 'member', 'teamAdmin', 'otherUser', 'otherTeam', 'siteAdmin'];

describe('collaboration: comments', () => {
  let app: TestApp;
  let f: Awaited<ReturnType<typeof teamFixture>>;
  let apis: Record<Who, Api>;
  let contentId: string;

  beforeAll(async () => {
    app = await startTestApp();
    f = await teamFixture(app);
    const otherUser = await registerUser(app.url);
    apis = {
      anonymous: f.anonymous.api,
      member: f.member.api,
      teamAdmin: f.teamAdmin.api,
      otherUser: otherUser.api,
      otherTeam: f.outsider.api,
      siteAdmin: f.admin.api,
    };
    contentId = await teamContent(f.owner.api, f.team.id);
  });
  afterAll(async () => {
    await app?.close();
  });

  const comment = async (api: Api, body = 'A thought') => {
    const r = await api.post(`/api/content/${contentId}/comments`, { body });
    expect(r.status, r.text).toBe(201);
    return r.body;
  };

  it('threads comments on a version with a quote anchor and replies one level deep', async () => {
    const top = await f.member.api.post(`/api/content/${contentId}/comments`, {
      body: 'Is this **right**?',
      version: 1,
      quote: 'the first line',
    });
    expect(top.status, top.text).toBe(201);
    expect(top.body).toMatchObject({
      contentId,
      version: 1,
      authorId: f.member.user.id,
      body: 'Is this **right**?',
      quote: 'the first line',
      parentId: null,
      resolved: false,
    });
    expect(top.body.bodyHtml).toContain('<strong>right</strong>');
    const reply = await f.owner.api.post(`/api/content/${contentId}/comments`, {
      body: 'Yes',
      parentId: top.body.id,
    });
    const replyToReply = await f.teamAdmin.api.post(`/api/content/${contentId}/comments`, {
      body: 'Agreed',
      parentId: reply.body.id,
    });
    expect(replyToReply.body.parentId).toBe(top.body.id);
    const list = await f.member.api.get(`/api/content/${contentId}/comments`);
    expect(list.status).toBe(200);
    const thread = list.body.items.find((t: any) => t.id === top.body.id);
    expect(thread.replies.map((r: any) => r.body)).toEqual(['Yes', 'Agreed']);

    const resolved = await f.member.api.put(`/api/content/${contentId}/comments/${top.body.id}`, {
      resolved: true,
    });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ resolved: true, resolvedBy: f.member.user.id });
    const reopened = await f.member.api.put(`/api/content/${contentId}/comments/${top.body.id}`, {
      resolved: false,
    });
    expect(reopened.body).toMatchObject({ resolved: false, resolvedBy: null });
  });

  it('renders hostile markdown in a comment with the content sanitiser', async () => {
    const c = await comment(f.member.api, ALL_HOSTILE);
    expect(c.body).toBe(ALL_HOSTILE.trim());
    expect(activeContent(parseHtml(`<!doctype html><html><body>${c.bodyHtml}</body></html>`))).toEqual([]);
    expect(c.bodyHtml).not.toMatch(/<script|<iframe|<svg|<object/i);
  });

  it('refuses malformed input with 400 and unknown content or comments with 404', async () => {
    expectError(
      await f.member.api.post(`/api/content/${contentId}/comments`, { body: '' }),
      400,
      'validation_failed',
    );
    expectError(
      await f.member.api.post(`/api/content/${contentId}/comments`, { body: 'x', version: 0 }),
      400,
      'validation_failed',
    );
    expectError(
      await f.member.api.post(`/api/content/${contentId}/comments`, { body: 'x', extra: 1 }),
      400,
      'validation_failed',
    );
    expectError(
      await f.member.api.post(`/api/content/${contentId}/comments`, '{"body":'),
      400,
      'invalid_json',
    );
    expectError(
      await f.member.api.post(`/api/content/${contentId}/comments`, { body: 'x', version: 99 }),
      404,
      'not_found',
    );
    expectError(
      await f.member.api.post(`/api/content/${contentId}/comments`, { body: 'x', parentId: UNKNOWN_ID }),
      404,
      'not_found',
    );
    expectError(
      await f.member.api.post(`/api/content/${UNKNOWN_ID}/comments`, { body: 'x' }),
      404,
      'not_found',
    );
    expectError(
      await f.member.api.post('/api/content/not-a-uuid/comments', { body: 'x' }),
      400,
      'validation_failed',
    );
    expectError(
      await f.member.api.put(`/api/content/${contentId}/comments/${UNKNOWN_ID}`, { resolved: true }),
      404,
      'not_found',
    );
    const c = await comment(f.member.api);
    expectError(
      await f.member.api.put(`/api/content/${contentId}/comments/${c.id}`, {}),
      400,
      'validation_failed',
    );
    expectError(
      await f.member.api.put(`/api/content/${contentId}/comments/${c.id}`, { resolved: 'yes' }),
      400,
      'validation_failed',
    );
  });

  // The authorisation table: read and write by whoever may read the content; change by the author,
  // a team admin or a site admin; other users and other teams see nothing (404).
  const EXPECT: Record<Who, { list: number; create: number; changeOthers: number; deleteOthers: number }> = {
    anonymous: { list: 401, create: 401, changeOthers: 401, deleteOthers: 401 },
    member: { list: 200, create: 201, changeOthers: 403, deleteOthers: 403 },
    teamAdmin: { list: 200, create: 201, changeOthers: 200, deleteOthers: 204 },
    otherUser: { list: 404, create: 404, changeOthers: 404, deleteOthers: 404 },
    otherTeam: { list: 404, create: 404, changeOthers: 404, deleteOthers: 404 },
    siteAdmin: { list: 200, create: 201, changeOthers: 200, deleteOthers: 204 },
  };
  for (const who of WHO) {
    it(`authorisation: ${who}`, async () => {
      const api = apis[who];
      const e = EXPECT[who];
      expect((await api.get(`/api/content/${contentId}/comments`)).status).toBe(e.list);
      expect((await api.post(`/api/content/${contentId}/comments`, { body: `from ${who}` })).status).toBe(
        e.create,
      );
      // A comment by the owner (someone else for every actor here).
      const theirs = await comment(f.owner.api, 'owner comment');
      const put = await api.put(`/api/content/${contentId}/comments/${theirs.id}`, { body: 'changed' });
      expect(put.status, put.text).toBe(e.changeOthers);
      const del = await api.delete(`/api/content/${contentId}/comments/${theirs.id}`);
      expect(del.status, del.text).toBe(e.deleteOthers);
      if (e.create === 201) {
        // Everyone who may comment may change and delete their own comment.
        const own = await comment(api, 'mine');
        expect(
          (await api.put(`/api/content/${contentId}/comments/${own.id}`, { body: 'mine, edited' })).status,
        ).toBe(200);
        expect((await api.delete(`/api/content/${contentId}/comments/${own.id}`)).status).toBe(204);
      }
    });
  }

  it('deleting a thread deletes its replies', async () => {
    const top = await comment(f.member.api, 'top');
    await f.owner.api.post(`/api/content/${contentId}/comments`, { body: 'reply', parentId: top.id });
    expect((await f.member.api.delete(`/api/content/${contentId}/comments/${top.id}`)).status).toBe(204);
    const list = await f.member.api.get(`/api/content/${contentId}/comments`);
    expect(JSON.stringify(list.body)).not.toContain(top.id);
  });
});
