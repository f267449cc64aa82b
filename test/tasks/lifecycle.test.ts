import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loginAdmin, registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { setMockConfig, TERMINAL, waitFor, waitForStatus, withDb } from './helpers.js';

/** Running tasks: cancel, 409 on update, retries, dead-letter queue, priority order, stats. */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterEach(async () => {
  await setMockConfig(app.databaseUrl, { latencyMs: 0, failureMode: 'none', failTimes: 0 });
});
afterAll(async () => {
  await app?.close();
});

async function startRunning(
  api: Awaited<ReturnType<typeof registerUser>>['api'],
  body: Record<string, unknown> = { description: 'slow one', taskType: 'article' },
) {
  const t = (await api.post('/api/tasks', body)).body;
  await waitFor(async () => {
    const r = await api.get(`/api/tasks/${t.id}`);
    return r.body.status === 'running' && r.body.assignments.some((a: any) => a.status === 'running');
  }, 'the task to be running on the provider');
  return t;
}

describe('running tasks', () => {
  it('cancel while running aborts the provider call: task cancelled, attempt aborted, nothing stored or charged', async () => {
    // Long enough that the call only ends early if the abort works.
    await setMockConfig(app.databaseUrl, { latencyMs: 120_000 });
    const u = await registerUser(app.url);
    const t = await startRunning(u.api);
    const c = await u.api.post(`/api/tasks/${t.id}/cancel`);
    expect(c.status).toBe(200);
    expect(c.body.status).toBe('cancelled');

    const after = await waitFor(async () => {
      const r = await u.api.get(`/api/tasks/${t.id}`);
      return r.body.assignments[0]?.status === 'aborted' ? r.body : undefined;
    }, 'the provider call to be aborted');
    expect(after).toMatchObject({ status: 'cancelled', contentId: null });
    expect(after.assignments).toHaveLength(1);
    expect(after.assignments[0]).toMatchObject({ status: 'aborted', tokensUsed: 0 });
    await withDb(app.databaseUrl, async (db) => {
      expect(
        (await db.query('SELECT count(*)::int AS n FROM content WHERE task_id = $1', [t.id])).rows[0].n,
      ).toBe(0);
      const job = await db.query('SELECT job_id FROM tasks WHERE id = $1', [t.id]);
      expect((await app.sy.boss.getJobById('generate', job.rows[0].job_id))?.state).toBe('cancelled');
    });
    expect((await u.api.post(`/api/tasks/${t.id}/cancel`)).status).toBe(409);
  });

  it('update after the task started → 409; delete while running cancels it', async () => {
    await setMockConfig(app.databaseUrl, { latencyMs: 120_000 });
    const u = await registerUser(app.url);
    const t = await startRunning(u.api);
    const put = await u.api.put(`/api/tasks/${t.id}`, { title: 'too late' });
    expect(put.status).toBe(409);
    expect(put.body.error.code).toBe('conflict');
    expect((await u.api.delete(`/api/tasks/${t.id}`)).status).toBe(204);
    expect((await u.api.get(`/api/tasks/${t.id}`)).status).toBe(404);
  });

  it('a transient failure is retried with backoff and then succeeds', async () => {
    await setMockConfig(app.databaseUrl, { failureMode: 'server_error', failTimes: 2 });
    const u = await registerUser(app.url);
    const t = (await u.api.post('/api/tasks', { description: 'flaky', taskType: 'summary' })).body;
    const done = await waitForStatus(u.api, t.id, TERMINAL, 40_000);
    expect(done.status).toBe('completed');
    expect(done.attempts).toBe(3);
    expect(done.assignments.map((a: any) => [a.attemptCount, a.status])).toEqual([
      [1, 'failed'],
      [2, 'failed'],
      [3, 'succeeded'],
    ]);
    expect(done.assignments[0].errorMessage).toContain('server error');
    const c = await u.api.get(`/api/content/${done.contentId}`);
    expect(c.body.versions).toHaveLength(1);
  }, 60_000);

  it('failure injection: bounded retries, then failed with a readable error and the job in the dead-letter queue', async () => {
    await setMockConfig(app.databaseUrl, { failureMode: 'server_error' });
    const u = await registerUser(app.url);
    const t = (await u.api.post('/api/tasks', { description: 'doomed', taskType: 'summary' })).body;
    const done = await waitForStatus(u.api, t.id, TERMINAL, 50_000);
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(/^Gave up after 4 attempts: mock: server error/);
    expect(done.contentId).toBeNull();
    expect(done.assignments.map((a: any) => a.status)).toEqual(['failed', 'failed', 'failed', 'failed']);
    const dead = await waitFor(async () => {
      const jobs = await app.sy.boss.findJobs<{ taskId: string }>('generate-dead', {
        data: { taskId: t.id },
      });
      return jobs.length ? jobs : undefined;
    }, 'the dead-letter job');
    expect(dead).toHaveLength(1);
    expect(dead[0]!.sourceName).toBe('generate');
    // the dead-letter reconciler leaves a task that already failed as it was
    expect((await u.api.get(`/api/tasks/${t.id}`)).body.error).toBe(done.error);
  }, 70_000);

  it('a refusal fails fast (no retries) and goes to the dead-letter queue', async () => {
    await setMockConfig(app.databaseUrl, { failureMode: 'refusal' });
    const u = await registerUser(app.url);
    const t = (await u.api.post('/api/tasks', { description: 'refused', taskType: 'summary' })).body;
    const done = await waitForStatus(u.api, t.id, TERMINAL);
    expect(done).toMatchObject({ status: 'failed', attempts: 1 });
    expect(done.error).toContain('refused');
    expect(done.assignments).toHaveLength(1);
    await waitFor(
      async () => (await app.sy.boss.findJobs('generate-dead', { data: { taskId: t.id } })).length === 1,
      'the dead-letter job',
    );
  });
});

describe('the dead-letter queue', () => {
  it('a job that reached it while its task still looked alive (worker died on the last attempt) marks the task failed', async () => {
    const u = await registerUser(app.url);
    const taskId = await withDb(app.databaseUrl, async (db) => {
      const r = await db.query(
        `INSERT INTO tasks (user_id, title, description, task_type, status, started_at, attempts, job_id)
         VALUES ($1, 'orphan', 'orphan', 'summary', 'running', now(), 4, gen_random_uuid()) RETURNING id`,
        [u.user.id],
      );
      return r.rows[0].id as string;
    });
    await app.sy.boss.send('generate-dead', { taskId });
    const done = await waitForStatus(u.api, taskId, TERMINAL);
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(/^Gave up after \d+ attempts?: /);
  });
});

describe('priority', () => {
  it('drains a backlog urgent-first: 5 urgent queued after 50 low start before the low ones', async () => {
    const api = await startTestApp({ roles: ['api'] });
    let worker: TestApp | undefined;
    try {
      const u = await registerUser(api.url);
      const low: string[] = [];
      const urgent: string[] = [];
      for (let i = 0; i < 50; i++)
        low.push(
          (
            await u.api.post('/api/tasks', {
              description: `low ${i}`,
              taskType: 'social_post',
              priority: 'low',
            })
          ).body.id,
        );
      for (let i = 0; i < 5; i++)
        urgent.push(
          (
            await u.api.post('/api/tasks', {
              description: `urgent ${i}`,
              taskType: 'social_post',
              priority: 'urgent',
            })
          ).body.id,
        );

      worker = await startTestApp({
        databaseUrl: api.databaseUrl,
        roles: ['worker'],
        env: { WORKER_CONCURRENCY: '4' },
      });
      await waitFor(
        async () => (await u.api.get('/api/tasks?status=completed')).body.total === 55,
        'the backlog to drain',
        40_000,
      );

      const order = await withDb(api.databaseUrl, async (db) =>
        (await db.query('SELECT id FROM tasks ORDER BY started_at, id')).rows.map((r) => r.id as string),
      );
      const rank = (id: string) => order.indexOf(id);
      const lastUrgent = Math.max(...urgent.map(rank));
      // At most one worker's worth of tasks (4 in flight, one batch of up to 4 per fetch) can start beside them.
      expect(lastUrgent).toBeLessThan(5 + 4);
      expect(low.filter((id) => rank(id) > lastUrgent).length).toBeGreaterThanOrEqual(46);
    } finally {
      await worker?.close();
      await api.close();
    }
  }, 60_000);
});

describe('admin stats', () => {
  it('counts users, tasks by status/type/source, provider results, queue depth and tasks per day', async () => {
    const u = await registerUser(app.url);
    const done = (await u.api.post('/api/tasks', { description: 'for stats', taskType: 'research' })).body;
    await waitForStatus(u.api, done.id, ['completed']);
    const admin = await loginAdmin(app.url);
    const r = await admin.api.get('/api/admin/stats');
    expect(r.status).toBe(200);
    const s = r.body;
    expect(s.users.total).toBeGreaterThanOrEqual(2);
    const count = await withDb(
      app.databaseUrl,
      async (db) => (await db.query('SELECT count(*)::int AS n FROM tasks')).rows[0].n,
    );
    expect(s.tasks.total).toBe(count);
    expect(s.tasks.byStatus.completed).toBeGreaterThanOrEqual(1);
    expect(s.tasks.byType.research).toBeGreaterThanOrEqual(1);
    expect(s.tasks.bySource.api).toBe(count);
    const mock = s.providers.find((p: any) => p.name === 'Mock');
    expect(mock).toMatchObject({
      tasksCompleted: expect.any(Number),
      tokensUsed: expect.any(Number),
      errorRate: expect.any(Number),
    });
    expect(mock.tasksCompleted).toBeGreaterThanOrEqual(1);
    expect(mock.tokensUsed).toBeGreaterThan(0);
    expect(mock.p50LatencyMs).toEqual(expect.any(Number));
    expect(s.queue).toEqual({
      queued: expect.any(Number),
      running: expect.any(Number),
      failed: expect.any(Number),
    });
    const today = new Date().toISOString().slice(0, 10);
    const day = s.tasksOverTime.find((d: any) => d.date === today);
    expect(day.total).toBe(count);
    expect(day.completed).toBeGreaterThanOrEqual(1);

    const future = await admin.api.get(
      `/api/admin/stats?since=${new Date(Date.now() + 86_400_000).toISOString()}`,
    );
    expect(future.body.tasks).toEqual({ total: 0, byStatus: {}, byType: {}, bySource: {} });
    expect(future.body.tasksOverTime).toEqual([]);
  });
});
