import { createHmac, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, loginAdmin, registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { type StubServer, sendJson, startStubServer } from '../helpers/stubServer.js';
import { deliver, sql, waitFor } from './helpers.js';

const GH_SECRET = 'gh-secret-for-suspension-tests';
const PUBLIC_URL = 'https://sy.example.com';
let app: TestApp;
let github: StubServer;
let admin: Awaited<ReturnType<typeof loginAdmin>>;

const taskCount = async () =>
  Number((await sql<{ n: string }>(app.databaseUrl, 'SELECT count(*) AS n FROM tasks'))[0]!.n);
const setUser = async (id: string, change: { role?: 'admin' | 'user'; status?: 'active' | 'suspended' }) => {
  const r = await admin.api.put(`/api/admin/users/${id}`, change);
  expect(r.status, r.text).toBe(200);
};

beforeAll(async () => {
  // A stand-in for api.github.com that accepts comments.
  github = await startStubServer((req, res) => {
    if (req.method === 'POST' && /\/issues\/\d+\/comments$/.test(req.path))
      return sendJson(res, 201, { id: 1, body: req.json().body });
    return sendJson(res, 200, []);
  });
  app = await startTestApp({
    roles: ['api'],
    env: {
      GITHUB_WEBHOOK_SECRET: GH_SECRET,
      GITHUB_TOKEN: 'ghp_suspension_tests',
      GITHUB_API_URL: github.url,
      PUBLIC_URL,
    },
  });
  admin = await loginAdmin(app.url);
});
afterAll(async () => {
  await app?.close();
  await github?.close();
});

describe('inbound hooks act on their creator’s authority', () => {
  it('a suspended creator’s hook, or a demoted creator’s, refuses deliveries (403) and creates nothing', async () => {
    // A second admin creates the hook.
    const owner = await registerUser(app.url);
    await setUser(owner.user.id, { role: 'admin' });
    const ownerApi = client(
      app.url,
      (
        await client(app.url).post('/api/auth/login', {
          username: owner.user.username,
          password: owner.password,
        })
      ).body.accessToken,
    );
    const created = await ownerApi.post('/api/webhooks', {
      name: 'Owner hook',
      taskType: 'summary',
      promptTemplate: 'Summarize: {{text}}',
    });
    expect(created.status, created.text).toBe(201);
    const hook = created.body as { id: string; secret: string };
    const url = `${app.url}/api/webhooks/in/${hook.id}`;
    const send = (text: string) => deliver(url, JSON.stringify({ text }), { secret: hook.secret });

    expect((await send('while all is well')).status).toBe(202);
    const before = await taskCount();

    await setUser(owner.user.id, { status: 'suspended' });
    const suspended = await send('while suspended');
    expect(suspended.status).toBe(403);
    expect(suspended.body.error.code).toBe('forbidden');
    expect(suspended.body.error.message).toMatch(/suspended/);

    await setUser(owner.user.id, { status: 'active', role: 'user' });
    const demoted = await send('after demotion');
    expect(demoted.status).toBe(403);
    expect(demoted.body.error.message).toMatch(/no longer an administrator/);
    expect(await taskCount()).toBe(before);

    // Restored: the hook works again.
    await setUser(owner.user.id, { role: 'admin' });
    expect((await send('restored')).status).toBe(202);
    expect(await taskCount()).toBe(before + 1);
  });

  it('a bad signature still answers 401 first: nothing about the owner leaks to a stranger', async () => {
    const owner = await registerUser(app.url);
    await setUser(owner.user.id, { role: 'admin' });
    const login = await client(app.url).post('/api/auth/login', {
      username: owner.user.username,
      password: owner.password,
    });
    const hook = (
      await client(app.url, login.body.accessToken).post('/api/webhooks', {
        name: 'x',
        taskType: 'summary',
        promptTemplate: '{{text}}',
      })
    ).body as { id: string };
    await setUser(owner.user.id, { status: 'suspended' });
    const r = await deliver(`${app.url}/api/webhooks/in/${hook.id}`, JSON.stringify({ text: 'x' }), {
      secret: 'not-the-secret',
    });
    expect(r.status).toBe(401);
  });
});

type Example = { name: string; examples: Array<Record<string, any>> };
const EXAMPLES = createRequire(import.meta.url)(
  '@octokit/webhooks-examples/api.github.com/index.json',
) as Example[];
let commentId = 77_000_000;
function comment(sender: { id: number; login: string }, text: string) {
  const p = structuredClone(
    EXAMPLES.find((e) => e.name === 'issue_comment')!.examples.find((x) => x.action === 'created')!,
  );
  p.comment.id = ++commentId;
  p.comment.body = text;
  p.sender = { ...p.sender, ...sender, type: 'User' };
  return JSON.stringify(p);
}
async function sendGithub(body: string) {
  const res = await fetch(`${app.url}/api/webhooks/github`, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'issue_comment',
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': `sha256=${createHmac('sha256', GH_SECRET).update(body).digest('hex')}`,
    },
  });
  return { status: res.status, body: (await res.json()) as any };
}
async function linkGithub(userId: string, githubId: number, login: string) {
  await sql(
    app.databaseUrl,
    `INSERT INTO chat_identities (user_id, platform, platform_user_id, display_name, linked_at)
     VALUES ($1, 'github', $2, $3, now())`,
    [userId, String(githubId), login],
  );
}
const commentsMentioning = (text: string) =>
  github.requests.filter((r) => r.method === 'POST' && r.body.includes(text));
const guestsFor = async (githubId: number) =>
  Number(
    (
      await sql<{ n: string }>(
        app.databaseUrl,
        `SELECT count(*) AS n FROM chat_identities WHERE platform = 'github' AND platform_user_id = $1`,
        [String(githubId)],
      )
    )[0]!.n,
  );

describe('GitHub intake follows the same rules as chat', () => {
  it('a GitHub user linked to a suspended account gets no task (and no public comment saying why)', async () => {
    const u = await registerUser(app.url);
    await linkGithub(u.user.id, 880001, 'suspended-dev');
    await setUser(u.user.id, { status: 'suspended' });
    const before = await taskCount();
    const r = await sendGithub(comment({ id: 880001, login: 'suspended-dev' }, '/generate Anything'));
    expect(r.status).toBe(200);
    expect(r.body.ignored).toMatch(/suspended/);
    expect(await taskCount()).toBe(before);
    expect(commentsMentioning('@suspended-dev')).toHaveLength(0);
  });

  it('with chat.requireLinkedAccount on, an unlinked sender gets no task and one comment saying to link', async () => {
    const set = await admin.api.post('/api/admin/settings', { 'chat.requireLinkedAccount': true });
    expect(set.status, set.text).toBe(200);
    try {
      const before = await taskCount();
      const body = comment({ id: 880002, login: 'stranger-dev' }, '/generate Please');
      const r = await sendGithub(body);
      expect(r.status).toBe(200);
      expect(await taskCount()).toBe(before);
      expect(await guestsFor(880002)).toBe(0);
      const posted = await waitFor(async () => {
        const c = commentsMentioning('@stranger-dev');
        return c.length ? c : null;
      }, 'the link-your-account comment');
      expect(posted[0]!.json().body).toContain(`${PUBLIC_URL}/links`);
      // GitHub redelivering it (or a replay) does not post it again.
      expect((await sendGithub(body)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 300));
      expect(commentsMentioning('@stranger-dev')).toHaveLength(1);

      // A linked, active account still gets its task.
      const u = await registerUser(app.url);
      await linkGithub(u.user.id, 880003, 'linked-dev');
      const ok = await sendGithub(comment({ id: 880003, login: 'linked-dev' }, '/generate Go'));
      expect(ok.status).toBe(202);
      expect(await taskCount()).toBe(before + 1);
    } finally {
      await admin.api.post('/api/admin/settings', { 'chat.requireLinkedAccount': false });
    }
  });

  it('with the setting off, an unlinked sender still gets a task as a guest', async () => {
    const r = await sendGithub(comment({ id: 880004, login: 'guest-dev' }, '/generate As a guest'));
    expect(r.status).toBe(202);
    expect(await guestsFor(880004)).toBe(1);
  });
});
