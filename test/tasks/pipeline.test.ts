import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskEvent } from '../../src/core/tasks/types.js';
import { registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { waitFor, waitForStatus, withDb } from './helpers.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

const TYPES = ['article', 'summary', 'code', 'translation', 'social_post', 'research'];

describe('the pipeline end to end with the mock provider', () => {
  it('lists the task types from config', async () => {
    const u = await registerUser(app.url);
    const r = await u.api.get('/api/task-types');
    expect(r.status).toBe(200);
    expect(r.body.items.map((t: { id: string }) => t.id)).toEqual(expect.arrayContaining(TYPES));
    for (const t of r.body.items)
      expect(t).toEqual(
        expect.objectContaining({
          id: expect.any(String),
          name: expect.any(String),
          description: expect.any(String),
        }),
      );
  });

  it.each(TYPES)(
    'runs a %s task queued → running → completed, and its content is readable',
    async (taskType) => {
      const u = await registerUser(app.url);
      const created = await u.api.post('/api/tasks', {
        description: `Write about tide pools for ${taskType}`,
        taskType,
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        status: 'queued',
        taskType,
        priority: 'normal',
        source: 'api',
        userId: u.user.id,
        contentId: null,
        error: null,
      });
      expect(created.body.title).toBe(`Write about tide pools for ${taskType}`);

      const done = await waitForStatus(u.api, created.body.id, ['completed', 'failed']);
      expect(done.status).toBe('completed');
      expect(done.startedAt).not.toBeNull();
      expect(done.completedAt).not.toBeNull();
      expect(new Date(done.startedAt).getTime()).toBeLessThanOrEqual(new Date(done.completedAt).getTime());
      expect(done.assignments).toHaveLength(1);
      expect(done.assignments[0]).toMatchObject({
        providerName: 'Mock',
        status: 'succeeded',
        attemptCount: 1,
        errorMessage: null,
      });
      expect(done.assignments[0].tokensUsed).toBeGreaterThan(0);

      const c = await u.api.get(`/api/content/${done.contentId}`);
      expect(c.status).toBe(200);
      expect(c.body).toMatchObject({
        id: done.contentId,
        taskId: done.id,
        userId: u.user.id,
        version: 1,
        status: 'draft',
      });
      expect(c.body.contentData.length).toBeGreaterThan(0);
      expect(c.body.versions).toEqual([
        expect.objectContaining({ version: 1, source: 'generation', createdBy: u.user.id }),
      ]);
      expect(c.body.metadata).toMatchObject({
        provider: 'Mock',
        model: 'mock-1',
        fallbackChain: ['Mock'],
        prompt: `Write about tide pools for ${taskType}`,
        tokens: { total: done.assignments[0].tokensUsed },
      });
      expect(c.body.metadata.latencyMs).toEqual(expect.any(Number));

      const status = await u.api.get(`/api/tasks/${done.id}/status`);
      expect(status.body).toMatchObject({ id: done.id, status: 'completed', attempts: 1 });
    },
  );

  it('counts tokens on the mock account exactly as the assignments report them', async () => {
    const u = await registerUser(app.url);
    const r = await u.api.post('/api/tasks', { description: 'Short note', taskType: 'summary' });
    const done = await waitForStatus(u.api, r.body.id, ['completed']);
    await withDb(app.databaseUrl, async (db) => {
      const used = await db.query(`SELECT sum(tokens_used)::int AS n FROM task_assignments`);
      const acct = await db.query(
        `SELECT a.token_used::int AS n FROM provider_accounts a JOIN ai_providers p ON p.id = a.provider_id WHERE p.kind = 'mock'`,
      );
      expect(acct.rows[0].n).toBe(used.rows[0].n);
      const settled = await db.query(
        `SELECT count(*)::int AS n FROM task_assignments WHERE task_id = $1 AND settled_at IS NOT NULL`,
        [done.id],
      );
      expect(settled.rows[0].n).toBe(1);
    });
  });
});

describe('after the task', () => {
  it('a regeneration appends the next version to the same content', async () => {
    const u = await registerUser(app.url);
    const first = (
      await u.api.post('/api/tasks', { description: 'Tide pools, take one', taskType: 'article' })
    ).body;
    const done = await waitForStatus(u.api, first.id, ['completed']);
    const again = await app.sy.tasks.submit({
      userId: u.user.id,
      description: 'Tide pools, take two',
      taskType: 'article',
      source: 'api',
      regenerateContentId: done.contentId,
    });
    const redone = await waitForStatus(u.api, again.task.id, ['completed', 'failed']);
    expect(redone).toMatchObject({ status: 'completed', contentId: done.contentId });
    const c = await u.api.get(`/api/content/${done.contentId}`);
    expect(c.body.version).toBe(2);
    expect(c.body.versions.map((v: any) => [v.version, v.source])).toEqual([
      [1, 'generation'],
      [2, 'regeneration'],
    ]);
    expect(c.body.metadata.prompt).toBe('Tide pools, take two');
  });

  it('hands running and completed events to the deliverer of the task’s source, and enqueues the callback', async () => {
    const events: TaskEvent[] = [];
    app.sy.deliverers.register({ source: 'telegram', deliver: async (e) => void events.push(e) });
    const u = await registerUser(app.url);
    const { task } = await app.sy.tasks.submit({
      userId: u.user.id,
      description: 'From a chat',
      taskType: 'summary',
      source: 'telegram',
      callbackUrl: 'http://127.0.0.1:9/callback',
    });
    await waitForStatus(u.api, task.id, ['completed']);
    // Both events are handed over, each once; they are separate jobs, so they may arrive in either order
    // (deliverers rank events and never let a late `running` overwrite `completed`).
    await waitFor(async () => events.length >= 2 || undefined, 'the running and completed events');
    expect(events.map((e) => e.kind).sort()).toEqual(['completed', 'running']);
    expect(events.find((e) => e.kind === 'running')).toMatchObject({
      providerName: 'Mock',
      task: { id: task.id },
    });
    expect(events.find((e) => e.kind === 'completed')!.content).toMatchObject({
      version: 1,
      contentData: expect.any(String),
    });
    const callbacks = await app.sy.boss.findJobs<{ taskId: string; event: string }>('deliver-webhook', {
      data: { taskId: task.id },
    });
    expect(callbacks.map((j) => j.data.event)).toContain('task.completed');

    // a task from a source without a deliverer gets no deliver-result jobs
    const plain = (await u.api.post('/api/tasks', { description: 'From the API', taskType: 'summary' })).body;
    await waitForStatus(u.api, plain.id, ['completed']);
    expect(await app.sy.boss.findJobs('deliver-result', { data: { taskId: plain.id } })).toEqual([]);
  });
});
