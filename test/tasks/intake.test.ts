import pg from 'pg';
import { notifyChannelSql } from 'pg-boss/dist/plans.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { InTransaction, NewTask } from '../../src/core/tasks/ports.js';
import { BOSS_SCHEMA, PRIORITY, QUEUES } from '../../src/jobs/boss.js';
import { createTaskJobs } from '../../src/jobs/taskJobs.js';
import { createSpendBudgetStore } from '../../src/models/spendBudgetStore.js';
import { createTaskStore } from '../../src/models/taskStore.js';
import { loginAdmin, registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { waitFor, withDb } from './helpers.js';

/**
 * Intake writes the task row and its pg-boss job together: both or neither. Usually in one
 * statement (claim, task, audit, budget reservation, job); in a transaction when a budget lacks room.
 */
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

const newTask = (userId: string, jobId: string): NewTask => ({
  id: crypto.randomUUID(),
  userId,
  teamId: null,
  title: 't',
  description: 'd',
  taskType: 'summary',
  priority: 'high',
  source: 'api',
  providerId: null,
  options: {},
  callbackUrl: null,
  webhookId: null,
  origin: null,
  regenerateContentId: null,
  jobId,
});

describe('atomic intake', () => {
  it('a failure after the job was written rolls back the task and the job together', async () => {
    const u = await registerUser(app.url);
    const store = createTaskStore(app.sy.db);
    const jobs = createTaskJobs(app.sy.boss);
    const before = await counts();
    const jobId = crypto.randomUUID();
    await expect(
      store.insertQueued(newTask(u.user.id, jobId), {
        inTx: async (task, tx) => {
          await jobs.enqueueGenerate({ jobId, taskId: task.id, priority: 'normal' }, tx);
          // the job is visible inside the transaction…
          const seen = await tx.executeSql(`SELECT 1 FROM pgboss.job WHERE id = $1`, [jobId]);
          expect(seen.rows).toHaveLength(1);
          throw new Error('crash before commit');
        },
      }),
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
      store.insertQueued(newTask(u.user.id, taken), {
        inTx: (task, tx) =>
          createTaskJobs(app.sy.boss).enqueueGenerate(
            { jobId: taken, taskId: task.id, priority: 'normal' },
            tx,
          ),
      }),
    ).rejects.toThrow();
    expect(await counts()).toEqual(before);
  });
});

/** The statements this process sends while `fn` runs. */
async function statementsDuring(fn: () => Promise<unknown>): Promise<string[]> {
  const texts: string[] = [];
  const original = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  const spy = vi.spyOn(pg.Client.prototype, 'query').mockImplementation(function (
    this: pg.Client,
    ...args: unknown[]
  ) {
    const q = args[0];
    texts.push(typeof q === 'string' ? q : ((q as { text?: string } | undefined)?.text ?? ''));
    return original.apply(this, args) as never;
  });
  try {
    await fn();
  } finally {
    spy.mockRestore();
  }
  return texts;
}

/** A site admin's budget on the user (total, in micro-dollars). */
async function userBudget(userId: string, limitMicros: number) {
  const admin = await loginAdmin(app.url);
  const r = await admin.api.post('/api/budgets', {
    scope: 'user',
    scopeId: userId,
    limitMicros,
    period: 'total',
  });
  expect(r.status).toBe(201);
  return r;
}

describe('folded intake', () => {
  it('writes the task, its reservation and its job in one statement, the job as pg-boss send writes it', async () => {
    const u = await registerUser(app.url);
    const budget = await userBudget(u.user.id, 10_000_000);
    // The workers' wake-up, as pg-boss's send gives it on a queue with `notify` on.
    const listener = new pg.Client({ connectionString: app.databaseUrl });
    await listener.connect();
    const channel = (await listener.query(`SELECT ${notifyChannelSql(BOSS_SCHEMA)} AS c`)).rows[0]
      .c as string;
    await listener.query(`LISTEN "${channel}"`);
    const woken: string[] = [];
    listener.on('notification', (n) => woken.push(n.payload ?? ''));
    let created: { status: number; body: { id: string } } | undefined;
    const texts = await statementsDuring(async () => {
      created = await u.api.post('/api/tasks', { description: 'one', taskType: 'summary', priority: 'high' });
    });
    expect(created?.status).toBe(201);
    await waitFor(async () => woken.includes(QUEUES.generate) || undefined, 'the generate queue to be woken');
    await listener.end();
    const writers = texts.filter((t) => /INSERT INTO tasks/.test(t));
    expect(writers).toHaveLength(1);
    expect(writers[0]).toMatch(/INSERT INTO budget_reservations/);
    expect(writers[0]).toMatch(/INSERT INTO pgboss\./);
    expect(texts.filter((t) => /^\s*BEGIN/i.test(t))).toEqual([]);

    const taskId = created?.body.id as string;
    const { folded, reserved } = await withDb(app.databaseUrl, async (db) => ({
      folded: (
        await db.query(`SELECT j.* FROM pgboss.job j JOIN tasks t ON t.job_id = j.id::text WHERE t.id = $1`, [
          taskId,
        ])
      ).rows[0],
      reserved: (await db.query('SELECT budget_id FROM budget_reservations WHERE task_id = $1', [taskId]))
        .rows,
    }));
    expect(reserved).toEqual([{ budget_id: budget.body.id }]);
    expect(folded.data).toEqual({ taskId });
    // pg-boss's own send, with the options intake gives it
    const sentId = await app.sy.boss.send(
      QUEUES.generate,
      { taskId: 'compare' },
      { priority: PRIORITY.high },
    );
    const sent = await withDb(
      app.databaseUrl,
      async (db) => (await db.query('SELECT * FROM pgboss.job WHERE id = $1', [sentId])).rows[0],
    );
    await app.sy.boss.cancel(QUEUES.generate, sentId as string);
    const volatile = [
      'id',
      'data',
      'created_on',
      'start_after',
      'keep_until',
      'state',
      'started_on',
      'completed_on',
      'retry_count',
      'heartbeat_on',
    ];
    const stable = (row: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(row).filter(([k]) => !volatile.includes(k)));
    expect(stable(folded)).toEqual(stable(sent));
    expect(Object.keys(folded).sort()).toEqual(Object.keys(sent).sort());
  });

  it('a job that cannot be written takes the task and the ledger claim with it', async () => {
    const u = await registerUser(app.url);
    const ok = await u.api.post('/api/tasks', { description: 'one', taskType: 'summary' });
    const taken = await withDb(
      app.databaseUrl,
      async (db) =>
        (await db.query('SELECT job_id FROM tasks WHERE id = $1', [ok.body.id])).rows[0].job_id as string,
    );
    const before = await counts();
    const t = newTask(u.user.id, taken);
    const jobs = createTaskJobs(app.sy.boss);
    const fold = {
      job: await jobs.prepareGenerate({ jobId: taken, taskId: t.id as string, priority: 'high' }),
    };
    const dedupe = { source: 'test', deliveryId: crypto.randomUUID() };
    await expect(
      createTaskStore(app.sy.db).insertQueued(t, {
        dedupe,
        fold,
        inTx: async () => {
          throw new Error('the transaction is for budgets without room');
        },
      }),
    ).rejects.toThrow('The generate job was not created');
    expect(await counts()).toEqual(before);
    const claims = await withDb(
      app.databaseUrl,
      async (db) =>
        (await db.query('SELECT 1 FROM inbound_deliveries WHERE delivery_id = $1', [dedupe.deliveryId])).rows,
    );
    expect(claims).toEqual([]);
  });

  it('two copies of one delivery, one folded and one in the fallback transaction, cannot deadlock', async () => {
    const u = await registerUser(app.url);
    const budget = await userBudget(u.user.id, 1_000_000);
    const store = createTaskStore(app.sy.db);
    const budgets = createSpendBudgetStore(app.sy.db);
    const jobs = createTaskJobs(app.sy.boss);
    const dedupe = { source: 'test', deliveryId: crypto.randomUUID() };
    const copy = async (micros: number, inTx: InTransaction) => {
      const t = newTask(u.user.id, crypto.randomUUID());
      const id = t.id as string;
      const scopes = {
        taskId: id,
        userId: u.user.id,
        teamId: null,
        webhookId: null,
        apiTokenId: null,
        chatWorkspace: null,
      };
      const job = await jobs.prepareGenerate({ jobId: t.jobId, taskId: id, priority: 'high' });
      return store.insertQueued(t, { dedupe, fold: { job, reserve: { scopes, micros, tokens: 1 } }, inTx });
    };
    let second: ReturnType<typeof copy> | undefined;
    // The first copy does not fit: its folded statement writes nothing and its transaction runs. While
    // that transaction holds its claim, a second copy that fits runs folded.
    const first = copy(2_000_000, async (task, tx) => {
      second = copy(1_000, async () => {
        throw new Error('the second copy fits: no transaction');
      });
      await new Promise((r) => setTimeout(r, 300));
      const scopes = {
        taskId: task.id,
        userId: u.user.id,
        teamId: null,
        webhookId: null,
        apiTokenId: null,
        chatWorkspace: null,
      };
      const over = await budgets.reserve(tx, scopes, 2_000_000, 1);
      expect(over.map((b) => b.id)).toEqual([budget.body.id]);
      throw new Error('over budget');
    });
    await expect(first).rejects.toThrow('over budget');
    const out = await second;
    expect(out?.duplicate).toBe(false);
    const rows = await withDb(app.databaseUrl, async (db) => ({
      claims: (
        await db.query('SELECT task_id FROM inbound_deliveries WHERE delivery_id = $1', [dedupe.deliveryId])
      ).rows,
      reserved: (
        await db.query('SELECT reserved_micros::int AS m FROM budgets WHERE id = $1', [budget.body.id])
      ).rows,
    }));
    expect(rows.claims).toEqual([{ task_id: out?.task?.id }]);
    expect(rows.reserved).toEqual([{ m: 1_000 }]);
  });
});
