import { createHmac, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signPayload } from '../../src/core/webhooks/signature.js';
import { loginAdmin, startTestApp, type TestApp } from '../helpers/app.js';
import { deliver, sql } from './helpers.js';

const GH_SECRET = 'gh-secret-for-replay-tests';
let app: TestApp;
let hook: { id: string; url: string; secret: string };

const taskCount = async () =>
  Number((await sql<{ n: string }>(app.databaseUrl, 'SELECT count(*) AS n FROM tasks'))[0]!.n);

beforeAll(async () => {
  // No worker: these tests are about intake; the tasks stay queued.
  app = await startTestApp({ roles: ['api'], env: { GITHUB_WEBHOOK_SECRET: GH_SECRET } });
  const admin = await loginAdmin(app.url);
  const r = await admin.api.post('/api/webhooks', {
    name: 'Replays',
    taskType: 'summary',
    promptTemplate: 'Summarize: {{text}}',
  });
  expect(r.status).toBe(201);
  hook = r.body;
});
afterAll(async () => {
  await app?.close();
});

describe('inbound hooks: a captured delivery cannot be replayed under a new Idempotency-Key', () => {
  it('the same signed body and signature with another key (or none) makes no second task', async () => {
    const before = await taskCount();
    const body = JSON.stringify({ text: 'Quarterly numbers' });
    const signature = signPayload(hook.secret, body);
    const first = await deliver(hook.url, body, { signature, headers: { 'idempotency-key': 'key-1' } });
    expect(first.status).toBe(202);
    for (const key of ['key-2', 'key-3', undefined]) {
      const replay = await deliver(hook.url, body, {
        signature,
        headers: key ? { 'idempotency-key': key } : {},
      });
      expect(replay.status, String(key)).toBe(200);
      expect(replay.body).toEqual({ taskId: first.body.taskId, duplicate: true });
    }
    expect(await taskCount()).toBe(before + 1);
  });

  it('a sender’s own retry (same key, signed afresh) still gets its first task back', async () => {
    const before = await taskCount();
    const body = JSON.stringify({ text: 'Retry me' });
    const first = await deliver(hook.url, body, {
      secret: hook.secret,
      headers: { 'idempotency-key': 'retry-1' },
    });
    const retry = await deliver(hook.url, body, {
      secret: hook.secret,
      nowMs: Date.now() + 2000,
      headers: { 'idempotency-key': 'retry-1' },
    });
    expect(first.status).toBe(202);
    expect(retry.status).toBe(200);
    expect(retry.body.taskId).toBe(first.body.taskId);
    expect(await taskCount()).toBe(before + 1);
  });

  it('concurrent deliveries sharing one key make one task (the others get it back or 409)', async () => {
    const before = await taskCount();
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        deliver(hook.url, JSON.stringify({ text: `Concurrent ${i}` }), {
          secret: hook.secret,
          headers: { 'idempotency-key': 'race-1' },
        }),
      ),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    expect(statuses.every((s) => s === 202 || s === 200 || s === 409)).toBe(true);
    const made = answers.find((a) => a.status === 202)!.body.taskId;
    for (const a of answers.filter((x) => x.status === 200)) expect(a.body.taskId).toBe(made);
    for (const a of answers.filter((x) => x.status === 409)) expect(a.body.error.code).toBe('conflict');
    expect(await taskCount()).toBe(before + 1);
  });

  it('a failed delivery does not burn its key: the corrected retry goes through', async () => {
    const bad = await deliver(hook.url, JSON.stringify({ other: 'no text field' }), {
      secret: hook.secret,
      headers: { 'idempotency-key': 'fix-1' },
    });
    expect(bad.status).toBe(400);
    const good = await deliver(hook.url, JSON.stringify({ text: 'now with text' }), {
      secret: hook.secret,
      headers: { 'idempotency-key': 'fix-1' },
    });
    expect(good.status).toBe(202);
  });
});

// A real issue_comment payload, as published by GitHub's Octokit team.
type Example = { name: string; examples: Array<Record<string, any>> };
const EXAMPLES = createRequire(import.meta.url)(
  '@octokit/webhooks-examples/api.github.com/index.json',
) as Example[];
const commentPayload = (commentId: number, text: string) => {
  const p = structuredClone(
    EXAMPLES.find((e) => e.name === 'issue_comment')!.examples.find((x) => x.action === 'created')!,
  );
  p.comment.id = commentId;
  p.comment.body = text;
  p.sender = { ...p.sender, id: 4242, login: 'replay-tester', type: 'User' };
  return p;
};

async function sendGithub(body: string, deliveryId: string) {
  const res = await fetch(`${app.url}/api/webhooks/github`, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'issue_comment',
      'x-github-delivery': deliveryId,
      'x-hub-signature-256': `sha256=${createHmac('sha256', GH_SECRET).update(body).digest('hex')}`,
    },
  });
  return { status: res.status, body: (await res.json()) as any };
}

describe('GitHub: dedupe on what the signature covers, not only on X-GitHub-Delivery', () => {
  it('the same signed payload under a new X-GitHub-Delivery makes no second task', async () => {
    const before = await taskCount();
    const body = JSON.stringify(commentPayload(55_000_001, '/generate A summary, once'));
    const first = await sendGithub(body, randomUUID());
    expect(first.status).toBe(202);
    for (let i = 0; i < 3; i++) {
      const replay = await sendGithub(body, randomUUID());
      expect(replay.status).toBe(200);
      expect(replay.body).toEqual({ taskId: first.body.taskId, duplicate: true });
    }
    expect(await taskCount()).toBe(before + 1);
  });

  it('a new comment is a new task, and GitHub’s own redelivery (same X-GitHub-Delivery) is still one', async () => {
    const before = await taskCount();
    const id = randomUUID();
    const a = await sendGithub(JSON.stringify(commentPayload(55_000_002, '/generate First')), id);
    const again = await sendGithub(JSON.stringify(commentPayload(55_000_002, '/generate First')), id);
    const b = await sendGithub(JSON.stringify(commentPayload(55_000_003, '/generate Second')), randomUUID());
    expect([a.status, again.status, b.status]).toEqual([202, 200, 202]);
    expect(again.body.taskId).toBe(a.body.taskId);
    expect(b.body.taskId).not.toBe(a.body.taskId);
    expect(await taskCount()).toBe(before + 2);
  });
});
