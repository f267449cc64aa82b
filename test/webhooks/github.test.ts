import { createHmac, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { type RecordedRequest, type StubServer, sendJson, startStubServer } from '../helpers/stubServer.js';
import { sql, waitFor } from './helpers.js';

// Real payloads, as published by GitHub's Octokit team (@octokit/webhooks-examples).
type Example = { name: string; examples: Array<Record<string, any>> };
const EXAMPLES = createRequire(import.meta.url)(
  '@octokit/webhooks-examples/api.github.com/index.json',
) as Example[];
function example(
  name: string,
  action?: string,
  pick: (p: Record<string, any>) => boolean = () => true,
): Record<string, any> {
  const found = EXAMPLES.find((e) => e.name === name)?.examples.find(
    (p) => (action === undefined || p.action === action) && pick(p),
  );
  if (!found) throw new Error(`no ${name}.${action} example`);
  // Each use is a new comment / issue / pull request: intake deduplicates on their (signed) ids.
  const copy = structuredClone(found);
  for (const k of ['comment', 'issue', 'pull_request']) if (copy[k]?.id) copy[k].id = nextId++;
  return copy;
}
let nextId = 9_000_000;

const SECRET = 'gh-webhook-secret-for-tests';
const TOKEN = 'ghp_testtoken0123456789';
const sign = (body: string, secret = SECRET) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

let app: TestApp;
let github: StubServer;
const comments: Array<{ path: string; body: string }> = [];

async function send(
  event: string,
  payload: unknown,
  opts: { id?: string; signature?: string | null; secret?: string } = {},
) {
  const body = JSON.stringify(payload);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-github-event': event,
    'x-github-delivery': opts.id ?? randomUUID(),
    'user-agent': 'GitHub-Hookshot/test',
  };
  const sig = opts.signature === undefined ? sign(body, opts.secret) : opts.signature;
  if (sig !== null) headers['x-hub-signature-256'] = sig;
  const res = await fetch(`${app.url}/api/webhooks/github`, { method: 'POST', headers, body });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
const taskCount = async () =>
  Number((await sql<{ n: string }>(app.databaseUrl, 'SELECT count(*) AS n FROM tasks'))[0]!.n);
const taskRow = async (id: string) =>
  (
    await sql<Record<string, any>>(
      app.databaseUrl,
      'SELECT t.*, u.is_guest FROM tasks t JOIN users u ON u.id = t.user_id WHERE t.id = $1',
      [id],
    )
  )[0]!;

beforeAll(async () => {
  // A stand-in for api.github.com: lists no earlier comments, accepts new ones.
  github = await startStubServer((req: RecordedRequest, res) => {
    const m = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/.exec(req.path);
    if (!m) return sendJson(res, 404, { message: 'Not Found' });
    if (req.method === 'GET') {
      return sendJson(
        res,
        200,
        comments.filter((c) => c.path === req.path).map((c, i) => ({ id: i + 1, body: c.body })),
      );
    }
    comments.push({ path: req.path, body: req.json().body });
    return sendJson(res, 201, { id: comments.length, body: req.json().body });
  });
  app = await startTestApp({
    env: { GITHUB_WEBHOOK_SECRET: SECRET, GITHUB_TOKEN: TOKEN, GITHUB_API_URL: github.url },
  });
});
afterAll(async () => {
  await app?.close();
  await github?.close();
});

async function commentFor(taskId: string) {
  const posts = await waitFor(async () => {
    const p = github.requests.filter((r) => r.method === 'POST' && r.body.includes(taskId));
    return p.length ? p : null;
  }, `the result comment for ${taskId}`);
  expect(posts).toHaveLength(1);
  return posts[0]!;
}

describe('GitHub: /generate triggers become tasks whose results are posted back as comments', () => {
  it.each([
    [
      'issue_comment',
      'created',
      (p: Record<string, any>) =>
        (p.comment.body = 'Thanks!\n/generate --type summary Summarize this issue for the changelog'),
    ],
    [
      'issues',
      'opened',
      (p: Record<string, any>) => (p.issue.body = '/generate Write release notes for the spelling fix'),
    ],
    [
      'pull_request',
      'opened',
      (p: Record<string, any>) =>
        (p.pull_request.body = 'Small change.\n\n/generate --priority high Describe this pull request'),
    ],
  ])('%s.%s', async (event, action, setBody) => {
    const payload = example(event, action, (p) => p.sender?.type === 'User');
    setBody(payload);
    const r = await send(event, payload);
    expect(r.status).toBe(202);
    expect(r.body).toEqual({ taskId: expect.any(String) });

    const task = await taskRow(r.body.taskId);
    const number = (payload.issue ?? payload.pull_request).number as number;
    expect(task).toMatchObject({ source: 'github', is_guest: true });
    expect(task.origin).toMatchObject({
      owner: 'Codertocat',
      repo: 'Hello-World',
      issueNumber: number,
      event: `${event}.${action}`,
    });
    if (event === 'issue_comment') expect(task.task_type).toBe('summary');
    if (event === 'pull_request') expect(task.priority).toBe('high');
    if (payload.installation) expect(task.origin.installation).toBe(payload.installation.id);

    const post = await commentFor(r.body.taskId);
    expect(post.path).toBe(`/repos/Codertocat/Hello-World/issues/${number}/comments`);
    expect(post.headers.authorization).toBe(`token ${TOKEN}`);
    const done = await taskRow(r.body.taskId);
    expect(done.status).toBe('completed');
    const [content] = await sql<{ content_data: string }>(
      app.databaseUrl,
      'SELECT content_data FROM content WHERE task_id = $1',
      [r.body.taskId],
    );
    expect(post.json().body).toContain(content!.content_data.slice(0, 200));
    expect(post.json().body).toContain(`<!-- switchyard:task=${r.body.taskId}:completed -->`);
  });

  it('attributes tasks to the Switchyard user linked to the sender, and one guest per unlinked identity', async () => {
    const user = await registerUser(app.url);
    await sql(
      app.databaseUrl,
      `INSERT INTO chat_identities (user_id, platform, platform_user_id, display_name, linked_at) VALUES ($1, 'github', '777001', 'linked-dev', now())`,
      [user.user.id],
    );
    const linked = example('issues', 'opened');
    linked.sender = { ...linked.sender, id: 777001, login: 'linked-dev' };
    linked.issue.body = '/generate Hello from a linked account';
    const a = await send('issues', linked);
    expect(a.status).toBe(202);
    expect(await taskRow(a.body.taskId)).toMatchObject({ user_id: user.user.id, is_guest: false });

    const stranger = example('issues', 'opened');
    stranger.sender = { ...stranger.sender, id: 777002, login: 'stranger' };
    stranger.issue.body = '/generate First';
    const b1 = await send('issues', stranger);
    stranger.issue.body = '/generate Second';
    stranger.issue.id = nextId++;
    const b2 = await send('issues', stranger);
    const t1 = await taskRow(b1.body.taskId);
    const t2 = await taskRow(b2.body.taskId);
    expect(t1.is_guest).toBe(true);
    expect(t2.user_id).toBe(t1.user_id);
    const [guest] = await sql<{ username: string; password_hash: string | null; email: string | null }>(
      app.databaseUrl,
      'SELECT * FROM users WHERE id = $1',
      [t1.user_id],
    );
    expect(guest).toMatchObject({ password_hash: null, email: null });
    expect(guest!.username).toMatch(/^github:stranger:/);
  });

  it('refuses a bad or missing signature with 401 and creates nothing', async () => {
    const before = await taskCount();
    const payload = example('issue_comment', 'created');
    payload.comment.body = '/generate should never run';
    const wrong = await send('issue_comment', payload, { secret: 'not-the-secret' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('invalid_signature');
    expect((await send('issue_comment', payload, { signature: null })).status).toBe(401);
    expect((await send('issue_comment', payload, { signature: 'sha256=deadbeef' })).status).toBe(401);
    expect(await taskCount()).toBe(before);
  });

  it('makes one task from the same X-GitHub-Delivery delivered twice', async () => {
    const before = await taskCount();
    const payload = example('issue_comment', 'created');
    payload.comment.body = '/generate Only once please';
    const id = randomUUID();
    const first = await send('issue_comment', payload, { id });
    const redelivery = await send('issue_comment', payload, { id });
    expect(first.status).toBe(202);
    expect(redelivery.status).toBe(200);
    expect(redelivery.body.taskId).toBe(first.body.taskId);
    expect(await taskCount()).toBe(before + 1);
  });

  it('acknowledges other events and triggerless bodies with 200 and creates nothing', async () => {
    const before = await taskCount();
    const star = await send('star', example('star', 'created'));
    expect(star.status).toBe(200);
    expect(star.body).toMatchObject({ ok: true, ignored: expect.stringContaining('star') });
    const edited = example('issues', 'edited');
    edited.issue.body = '/generate edits do not trigger';
    expect((await send('issues', edited)).status).toBe(200);
    expect((await send('ping', example('ping'))).status).toBe(200);
    const plain = example('issue_comment', 'created');
    plain.comment.body = 'Just a comment, no trigger.';
    const noTrigger = await send('issue_comment', plain);
    expect(noTrigger.status).toBe(200);
    expect(noTrigger.body.ignored).toMatch(/no \/generate trigger/);
    const bot = example('issue_comment', 'created');
    bot.comment.body = '/generate from a bot';
    bot.sender = { ...bot.sender, login: 'dependabot[bot]', type: 'Bot' };
    expect((await send('issue_comment', bot)).status).toBe(200);
    expect(await taskCount()).toBe(before);
  });

  it('answers 415 for a form-encoded delivery and 400 for broken JSON', async () => {
    const form = await fetch(`${app.url}/api/webhooks/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-github-event': 'issues',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': sign('payload=%7B%7D'),
      },
      body: 'payload=%7B%7D',
    });
    expect(form.status).toBe(415);
    const broken = '{"action": "opened", ';
    const r = await fetch(`${app.url}/api/webhooks/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'issues',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': sign(broken),
      },
      body: broken,
    });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('invalid_json');
  });
});
