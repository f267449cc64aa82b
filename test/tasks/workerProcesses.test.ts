import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { oneAtATime } from '../helpers/oneAtATime.js';
import { setMockConfig, waitFor, waitForStatus, withDb } from './helpers.js';
import { spawnWorker, type WorkerProcess } from './workerProcess.js';

/**
 * Workers as separate processes, the way production splits roles: the API runs here (roles: api),
 * workers are real child processes on the same database.
 */
let app: TestApp;
const workers: WorkerProcess[] = [];
oneAtATime();
beforeAll(async () => {
  app = await startTestApp({ roles: ['api'] });
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.kill('SIGTERM')));
  await setMockConfig(app.databaseUrl, { latencyMs: 0 });
});
afterAll(async () => {
  await app?.close();
});

async function runningOnProvider(api: Awaited<ReturnType<typeof registerUser>>['api'], id: string) {
  return waitFor(async () => {
    const r = await api.get(`/api/tasks/${id}`);
    return r.body.status === 'running' && r.body.assignments.some((a: any) => a.status === 'running')
      ? r.body
      : undefined;
  }, 'the task to be running on the provider');
}

describe('worker processes', () => {
  it('a worker killed with SIGKILL mid-task: another worker re-runs it after the lease expires — one content version, tokens counted once', async () => {
    await setMockConfig(app.databaseUrl, { latencyMs: 3000 });
    const u = await registerUser(app.url);
    const first = await spawnWorker(app.databaseUrl);
    workers.push(first);
    const t = (await u.api.post('/api/tasks', { description: 'survive a crash', taskType: 'article' })).body;
    await runningOnProvider(u.api, t.id);

    await first.kill('SIGKILL');
    expect(first.child.signalCode).toBe('SIGKILL');
    workers.push(await spawnWorker(app.databaseUrl));

    const done = await waitForStatus(u.api, t.id, ['completed', 'failed', 'cancelled'], 50_000);
    expect(done.status).toBe('completed');
    expect(done.attempts).toBe(2);
    expect(done.assignments.map((a: any) => [a.attemptCount, a.status, a.errorCode])).toEqual([
      [1, 'failed', 'worker_lost'],
      [2, 'succeeded', null],
    ]);

    const c = await u.api.get(`/api/content/${done.contentId}`);
    expect(c.status).toBe(200);
    expect(c.body.versions).toHaveLength(1);
    await withDb(app.databaseUrl, async (db) => {
      expect(
        (await db.query('SELECT count(*)::int AS n FROM content_versions WHERE task_id = $1', [t.id])).rows[0]
          .n,
      ).toBe(1);
      expect(
        (await db.query('SELECT count(*)::int AS n FROM content WHERE task_id = $1', [t.id])).rows[0].n,
      ).toBe(1);
      const tokens = await db.query(
        `SELECT a.token_used::int AS n FROM provider_accounts a JOIN ai_providers p ON p.id = a.provider_id WHERE p.kind = 'mock'`,
      );
      expect(tokens.rows[0].n).toBe(done.assignments[1].tokensUsed);
      expect(done.assignments[0].tokensUsed).toBe(0);
    });
  }, 90_000);

  it('SIGTERM mid-task shuts down gracefully: the running call is released and another worker re-runs it', async () => {
    await setMockConfig(app.databaseUrl, { latencyMs: 120_000 });
    const u = await registerUser(app.url);
    const first = await spawnWorker(app.databaseUrl);
    workers.push(first);
    const t = (await u.api.post('/api/tasks', { description: 'released at shutdown', taskType: 'summary' }))
      .body;
    await runningOnProvider(u.api, t.id);
    await first.kill('SIGTERM');
    expect(first.child.exitCode).toBe(0);
    const released = (await u.api.get(`/api/tasks/${t.id}`)).body;
    expect(released.status).toBe('queued');
    expect(released.assignments.map((a: any) => a.status)).toEqual(['aborted']);

    await setMockConfig(app.databaseUrl, { latencyMs: 0 });
    workers.push(await spawnWorker(app.databaseUrl));
    const done = await waitForStatus(u.api, t.id, ['completed', 'failed', 'cancelled'], 40_000);
    expect(done.status).toBe('completed');
    expect(done.assignments.map((a: any) => a.status)).toEqual(['aborted', 'succeeded']);
  }, 90_000);

  it('cancel reaches a running task in another process: the provider call is aborted', async () => {
    await setMockConfig(app.databaseUrl, { latencyMs: 120_000 });
    workers.push(await spawnWorker(app.databaseUrl));
    const u = await registerUser(app.url);
    const t = (
      await u.api.post('/api/tasks', { description: 'cancel me across processes', taskType: 'summary' })
    ).body;
    await runningOnProvider(u.api, t.id);
    expect((await u.api.post(`/api/tasks/${t.id}/cancel`)).body.status).toBe('cancelled');
    const after = await waitFor(async () => {
      const r = await u.api.get(`/api/tasks/${t.id}`);
      return r.body.assignments[0]?.status === 'aborted' ? r.body : undefined;
    }, 'the worker process to abort the call');
    expect(after).toMatchObject({ status: 'cancelled', contentId: null });
  }, 60_000);

  it('two worker processes drain 500 tasks: none lost, none run twice', async () => {
    const a = await spawnWorker(app.databaseUrl, { LOG_LEVEL: 'debug' });
    const b = await spawnWorker(app.databaseUrl, { LOG_LEVEL: 'debug' });
    workers.push(a, b);
    const u = await registerUser(app.url);
    const ids: string[] = [];
    for (let i = 0; i < 500; i += 25) {
      const batch = await Promise.all(
        Array.from({ length: 25 }, (_, j) =>
          u.api.post('/api/tasks', {
            description: `bulk ${i + j}`,
            taskType: 'social_post',
            priority: j % 2 ? 'low' : 'high',
          }),
        ),
      );
      for (const r of batch) {
        expect(r.status).toBe(201);
        ids.push(r.body.id);
      }
    }
    await waitFor(
      async () =>
        withDb(
          app.databaseUrl,
          async (db) =>
            (
              await db.query(
                `SELECT count(*)::int AS n FROM tasks WHERE user_id = $1 AND status = 'completed'`,
                [u.user.id],
              )
            ).rows[0].n === 500,
        ),
      'all 500 tasks to complete',
      60_000,
      200,
    );
    await withDb(app.databaseUrl, async (db) => {
      const mine = [ids];
      const s = await db.query(
        `SELECT count(*)::int AS tasks, count(*) FILTER (WHERE attempts = 1)::int AS once FROM tasks WHERE id = ANY($1::uuid[])`,
        mine,
      );
      expect(s.rows[0]).toEqual({ tasks: 500, once: 500 });
      const asg = await db.query(
        `SELECT count(*)::int AS n, count(DISTINCT task_id)::int AS tasks, count(*) FILTER (WHERE status = 'succeeded')::int AS ok FROM task_assignments WHERE task_id = ANY($1::uuid[])`,
        mine,
      );
      expect(asg.rows[0]).toEqual({ n: 500, tasks: 500, ok: 500 });
      const versions = await db.query(
        `SELECT count(*)::int AS n, count(DISTINCT task_id)::int AS tasks FROM content_versions WHERE task_id = ANY($1::uuid[])`,
        mine,
      );
      expect(versions.rows[0]).toEqual({ n: 500, tasks: 500 });
    });
    // Both processes took part, and between them completed each task exactly once.
    const completedBy = (w: WorkerProcess) => w.output().match(/Task completed/g)?.length ?? 0;
    expect(completedBy(a)).toBeGreaterThan(0);
    expect(completedBy(b)).toBeGreaterThan(0);
    expect(completedBy(a) + completedBy(b)).toBe(500);
  }, 120_000);
});
