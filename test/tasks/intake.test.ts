import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTaskJobs } from '../../src/jobs/taskJobs.js';
import { createTaskStore } from '../../src/models/taskStore.js';
import { registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { withDb } from './helpers.js';

/** Intake writes the task row and its pg-boss job in one transaction: both or neither. */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ roles: ['api'] });
});
afterAll(async () => {
  await app?.close();
});

const counts = () =>
  withDb(app.databaseUrl, async (db) => ({
    tasks: (await db.query('SELECT count(*)::int AS n FROM tasks')).rows[0].n as number,
    jobs: (await db.query(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'generate'`)).rows[0]
      .n as number,
  }));

describe('atomic intake', () => {
  it('a failure after the job was written rolls back the task and the job together', async () => {
    const u = await registerUser(app.url);
    const store = createTaskStore(app.sy.db);
    const jobs = createTaskJobs(app.sy.boss);
    const before = await counts();
    const jobId = crypto.randomUUID();
    await expect(
      store.insertQueued(
        {
          userId: u.user.id,
          teamId: null,
          title: 't',
          description: 'd',
          taskType: 'summary',
          priority: 'normal',
          source: 'api',
          providerId: null,
          options: {},
          callbackUrl: null,
          webhookId: null,
          origin: null,
          regenerateContentId: null,
          jobId,
        },
        {
          inTx: async (task, tx) => {
            await jobs.enqueueGenerate({ jobId, taskId: task.id, priority: 'normal' }, tx);
            // the job is visible inside the transaction…
            const seen = await tx.executeSql(`SELECT 1 FROM pgboss.job WHERE id = $1`, [jobId]);
            expect(seen.rows).toHaveLength(1);
            throw new Error('crash before commit');
          },
        },
      ),
    ).rejects.toThrow('crash before commit');
    // …and gone with the task after the rollback
    expect(await counts()).toEqual(before);
    expect(await app.sy.boss.getJobById('generate', jobId)).toBeNull();
  });

  it('a refused enqueue leaves no task behind', async () => {
    const u = await registerUser(app.url);
    const store = createTaskStore(app.sy.db);
    const ok = await u.api.post('/api/tasks', { description: 'one', taskType: 'summary' });
    expect(ok.status).toBe(201);
    const before = await counts();
    // Reusing an existing job id makes pg-boss refuse the insert: the task must not survive it.
    const taken = await withDb(
      app.databaseUrl,
      async (db) =>
        (await db.query('SELECT job_id FROM tasks WHERE id = $1', [ok.body.id])).rows[0].job_id as string,
    );
    await expect(
      store.insertQueued(
        {
          userId: u.user.id,
          teamId: null,
          title: 't',
          description: 'd',
          taskType: 'summary',
          priority: 'normal',
          source: 'api',
          providerId: null,
          options: {},
          callbackUrl: null,
          webhookId: null,
          origin: null,
          regenerateContentId: null,
          jobId: taken,
        },
        {
          inTx: (task, tx) =>
            createTaskJobs(app.sy.boss).enqueueGenerate(
              { jobId: taken, taskId: task.id, priority: 'normal' },
              tx,
            ),
        },
      ),
    ).rejects.toThrow();
    expect(await counts()).toEqual(before);
  });
});
