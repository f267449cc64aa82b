import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SLACK_SECRET, slackHeaders, slackStubHandler, slashCommand } from '../chat/helpers.js';
import { registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { type StubServer, startStubServer } from '../helpers/stubServer.js';
import { waitFor } from '../helpers/wait.js';
import { type Api, expectError, joinTeam, linkIdentity, teamContent, teamFixture } from './helpers.js';

const dmsTo = (stub: StubServer, channel: string) =>
  stub.requests
    .filter((r) => r.path === '/api/chat.postMessage')
    .map((r) => Object.fromEntries(new URLSearchParams(r.body)) as Record<string, string>)
    .filter((b) => b.channel === channel);

/**
 * "Done means" of issue 16: two team members comment, mention, request and approve a review, a team
 * admin publishes; the mentioned person gets the chat DM on a stub Slack.
 */
describe('collaboration: mentions, notifications and the review workflow', () => {
  let app: TestApp;
  let stub: StubServer;
  let f: Awaited<ReturnType<typeof teamFixture>>;
  /** A second plain member: the reviewer. The first member writes; the team admin publishes. */
  let reviewer: Awaited<ReturnType<typeof registerUser>>;
  let contentId: string;

  beforeAll(async () => {
    stub = await startStubServer();
    stub.handle(slackStubHandler(() => stub));
    app = await startTestApp({
      env: {
        SLACK_SIGNING_SECRET: SLACK_SECRET,
        SLACK_BOT_TOKEN: 'xoxb-test-token-1234567890',
        SLACK_API_URL: `${stub.url}/api/`,
        PUBLIC_URL: 'https://sy.example',
      },
    });
    f = await teamFixture(app);
    reviewer = await registerUser(app.url);
    await joinTeam(f.owner.api, reviewer.api, f.team.id);
    await linkIdentity(app, reviewer.user.id, 'slack', 'UREVIEWER', 'T1');
    contentId = await teamContent(f.member.api, f.team.id);
  });
  afterAll(async () => {
    await app?.close();
    await stub?.close();
  });
  beforeEach(() => stub.reset());

  const review = (api: Api, body: Record<string, unknown>) =>
    api.post(`/api/content/${contentId}/review`, body);

  it('a mention notifies the person in the portal and by Slack DM; code spans and outsiders do not', async () => {
    const outsider = f.outsider.user.username;
    const r = await f.member.api.post(`/api/content/${contentId}/comments`, {
      body: `@${reviewer.user.username} can you check this? Not \`@${f.teamAdmin.user.username}\`, not @${outsider}`,
    });
    expect(r.status, r.text).toBe(201);
    const dm = await waitFor(async () => dmsTo(stub, 'UREVIEWER')[0], 'the Slack DM to the mentioned member');
    expect(dm.text).toContain(`${f.member.user.username} mentioned you`);
    expect(dm.text).toContain(`https://sy.example/content/${contentId}`);

    const n = await reviewer.api.get('/api/notifications');
    expect(n.status).toBe(200);
    expect(n.body.unread).toBe(1);
    expect(n.body.items[0]).toMatchObject({
      kind: 'mention',
      read: false,
      payload: { contentId, commentId: r.body.id, by: f.member.user.username },
    });
    // Neither the code span nor the other team's user was notified.
    expect((await f.teamAdmin.api.get('/api/notifications')).body.unread).toBe(0);
    expect((await f.outsider.api.get('/api/notifications')).body.unread).toBe(0);

    const read = await reviewer.api.post('/api/notifications/read', { ids: [n.body.items[0].id] });
    expect(read.body).toEqual({ marked: 1, unread: 0 });
    expect((await reviewer.api.get('/api/notifications?unread=true')).body.items).toEqual([]);
    // Someone else's ids are ignored.
    expect(
      (await f.member.api.post('/api/notifications/read', { ids: [n.body.items[0].id] })).body.marked,
    ).toBe(0);
  });

  it('draft → in_review → changes_requested → in_review → approved → published, by the right people', async () => {
    expect((await f.member.api.get(`/api/content/${contentId}`)).body.reviewState).toBe('draft');
    expectError(await review(reviewer.api, { action: 'approve' }), 403, 'forbidden');
    expectError(await review(f.member.api, { action: 'submit' }), 400, 'validation_failed');
    expectError(
      await review(f.member.api, { action: 'submit', reviewers: [f.outsider.user.username] }),
      400,
      'validation_failed',
    );
    expectError(
      await review(f.member.api, { action: 'submit', reviewers: [f.member.user.username] }),
      400,
      'validation_failed',
    );
    expectError(
      await review(reviewer.api, { action: 'submit', reviewers: [f.teamAdmin.user.username] }),
      403,
      'forbidden',
    );
    expectError(await review(f.teamAdmin.api, { action: 'approve' }), 409, 'conflict');

    const submitted = await review(f.member.api, {
      action: 'submit',
      reviewers: [reviewer.user.username],
      note: 'First pass',
    });
    expect(submitted.status, submitted.text).toBe(200);
    expect(submitted.body.reviewState).toBe('in_review');
    const dm = await waitFor(async () => dmsTo(stub, 'UREVIEWER')[0], 'the review request DM');
    expect(dm.text).toContain(`${f.member.user.username} asked you to review`);
    const reviewers = await f.member.api.get(`/api/content/${contentId}/reviewers`);
    expect(reviewers.body.items).toEqual([
      { userId: reviewer.user.id, username: reviewer.user.username, decision: 'pending' },
    ]);

    const changes = await review(reviewer.api, { action: 'request_changes', note: 'Shorter, please' });
    expect(changes.body.reviewState).toBe('changes_requested');
    const authorNotes = await f.member.api.get('/api/notifications');
    expect(authorNotes.body.items[0]).toMatchObject({
      kind: 'review_decision',
      payload: { action: 'request_changes', note: 'Shorter, please' },
    });

    expect((await f.member.api.put(`/api/content/${contentId}`, { contentData: 'Shorter.' })).status).toBe(
      200,
    );
    expect((await review(f.member.api, { action: 'submit' })).body.reviewState).toBe('in_review');
    expectError(await review(f.teamAdmin.api, { action: 'publish' }), 409, 'conflict');
    const approved = await review(reviewer.api, { action: 'approve' });
    expect(approved.body.reviewState).toBe('approved');

    expectError(await review(reviewer.api, { action: 'publish' }), 403, 'forbidden');
    expectError(await review(f.member.api, { action: 'publish' }), 403, 'forbidden');
    const published = await review(f.teamAdmin.api, { action: 'publish' });
    expect(published.status, published.text).toBe(200);
    expect(published.body).toMatchObject({ reviewState: 'published', status: 'published' });
    const pinned = published.body.version;
    expect(published.body.publishedVersion).toBe(pinned);

    // A new edit after approval returns the content to draft; the published version stays pinned.
    const edited = await f.member.api.put(`/api/content/${contentId}`, { contentData: 'Shorter still.' });
    expect(edited.body).toMatchObject({
      reviewState: 'draft',
      publishedVersion: pinned,
      version: pinned + 1,
    });
  });

  it('review authorisation: anonymous 401, other users and other teams 404, site admin may act', async () => {
    expect(
      (await f.anonymous.api.post(`/api/content/${contentId}/review`, { action: 'submit' })).status,
    ).toBe(401);
    const stranger = await registerUser(app.url);
    expectError(await review(stranger.api, { action: 'approve' }), 404, 'not_found');
    expectError(await review(f.outsider.api, { action: 'approve' }), 404, 'not_found');
    expectError(await review(f.member.api, { action: 'sign' }), 400, 'validation_failed');
    const submitted = await review(f.admin.api, { action: 'submit', reviewers: [f.teamAdmin.user.username] });
    expect(submitted.body.reviewState).toBe('in_review');
    expect((await review(f.admin.api, { action: 'approve' })).body.reviewState).toBe('approved');
  });

  it('the activity timeline lists versions, comments, review actions, exports and shares in time order', async () => {
    expect((await f.member.api.post(`/api/content/${contentId}/export`, { format: 'markdown' })).status).toBe(
      200,
    );
    expect((await f.member.api.post(`/api/content/${contentId}/share`, {})).status).toBe(201);
    const a = await reviewer.api.get(`/api/content/${contentId}/activity`);
    expect(a.status).toBe(200);
    const kinds = new Set(a.body.items.map((i: any) => i.kind));
    expect([...kinds].sort()).toEqual(['comment', 'export', 'review', 'share', 'version']);
    const times = a.body.items.map((i: any) => Date.parse(i.at));
    expect(times).toEqual([...times].sort((x, y) => x - y));
    expect(a.body.items[0]).toMatchObject({ kind: 'version', details: { version: 1, source: 'generation' } });
    const actions = a.body.items.filter((i: any) => i.kind === 'review').map((i: any) => i.details.action);
    expect(actions).toEqual(
      expect.arrayContaining(['submit', 'request_changes', 'approve', 'publish', 'reset_by_edit']),
    );
    expect(a.body.items.at(-1)).toMatchObject({ kind: 'share', actorUsername: f.member.user.username });
    expect((await f.outsider.api.get(`/api/content/${contentId}/activity`)).status).toBe(404);
    expect((await f.anonymous.api.get(`/api/content/${contentId}/activity`)).status).toBe(401);
  });

  it('`comment` and `approve` work from Slack for a linked reviewer', async () => {
    const id = await teamContent(f.member.api, f.team.id, 'Chat-reviewed brief');
    const submitted = await f.member.api.post(`/api/content/${id}/review`, {
      action: 'submit',
      reviewers: [reviewer.user.username],
    });
    expect(submitted.body.reviewState).toBe('in_review');
    const slash = async (text: string) => {
      const body = slashCommand(stub.url, text, { user: 'UREVIEWER', team: 'T1' });
      const res = await fetch(`${app.url}/api/integrations/slack/events`, {
        method: 'POST',
        body,
        headers: slackHeaders(body),
      });
      expect(res.status).toBe(200);
      return JSON.stringify(await res.json());
    };
    expect(await slash(`comment ${id} Nearly there, @${f.member.user.username}`)).toContain('Comment added');
    const comments = await f.member.api.get(`/api/content/${id}/comments`);
    expect(comments.body.items[0]).toMatchObject({
      authorId: reviewer.user.id,
      body: `Nearly there, @${f.member.user.username}`,
    });
    const notes = await f.member.api.get('/api/notifications');
    expect(notes.body.items[0]).toMatchObject({ kind: 'mention', payload: { contentId: id } });

    expect(await slash(`approve ${id}`)).toContain('Approved');
    expect((await f.member.api.get(`/api/content/${id}`)).body.reviewState).toBe('approved');
    expect(await slash(`approve ${id}`)).toContain('Cannot approve content that is approved');
    expect(await slash('approve 00000000-0000-4000-8000-000000000000')).toContain('can’t find that content');
  });
});
