import type { Db as BossDb, PgBoss } from 'pg-boss';
import { insertJobs, notifyChannelSql } from 'pg-boss/dist/plans.js';
import type { FoldedJob, SqlExecutor, TaskJobs } from '../core/tasks/ports.js';
import { BOSS_SCHEMA, PRIORITY, QUEUES } from './boss.js';

/** The `generate` job's payload: the task row is the source of truth, so only its id. */
export interface GenerateJobData {
  taskId: string;
}

/**
 * pg-boss's own insert for a queue (what `send` runs), to be written inside another statement:
 * the folded intake (models/intakeStatement.ts). `wake` is the NOTIFY `send` adds on a queue with
 * `notify` on (createBoss always listens). Read once: Switchyard creates its queues at start and
 * never changes them. The SQL comes from pg-boss's plans module, not its public API: the version is
 * pinned, and test/tasks/intake.test.ts checks that the row equals the one `send` writes.
 */
async function foldableInsert(boss: PgBoss, name: string, schema: string) {
  const queue = await boss.getQueue(name);
  if (!queue) throw new Error(`The ${name} queue does not exist`);
  const insert = insertJobs(schema, { table: queue.table, name, returnId: true });
  if (insert.split('$1').length !== 2) throw new Error(`pg-boss's job insert no longer takes one parameter`);
  const wake = queue.notify ? `pg_notify(${notifyChannelSql(schema)}, '${name}')` : null;
  return { insert, wake };
}

/** TaskJobs on pg-boss. With `tx`, the job is written inside the caller's transaction. */
export function createTaskJobs(boss: PgBoss, schema = BOSS_SCHEMA): TaskJobs {
  const on = (tx?: SqlExecutor) => (tx ? { db: tx as BossDb } : {});
  let generate: Promise<{ insert: string; wake: string | null }> | undefined;
  return {
    async prepareGenerate({ jobId, taskId, priority }): Promise<FoldedJob> {
      generate ??= foldableInsert(boss, QUEUES.generate, schema).catch((e: unknown) => {
        generate = undefined;
        throw e;
      });
      const { insert, wake } = await generate;
      // The row `send` writes for { id, priority }: absent keys are null, and pg-boss fills the queue's settings.
      const data: GenerateJobData = { taskId };
      const payload = JSON.stringify([{ id: jobId, data, priority: PRIORITY[priority], singletonOffset: 0 }]);
      return { insert, payload, wake };
    },
    async enqueueGenerate({ jobId, taskId, priority }, tx) {
      const id = await boss.send(QUEUES.generate, { taskId } satisfies GenerateJobData, {
        id: jobId,
        priority: PRIORITY[priority],
        ...on(tx),
      });
      if (!id) throw new Error('The generate job was not created');
    },
    async reprioritize(jobId, priority, tx) {
      await boss.update(QUEUES.generate, undefined, { id: jobId, priority: PRIORITY[priority], ...on(tx) });
    },
    async cancelGenerate(jobId, tx) {
      await boss.cancel(QUEUES.generate, jobId, on(tx));
    },
    async enqueueDeliverResult(job, tx) {
      await boss.send(QUEUES.deliverResult, job, on(tx));
    },
    async enqueueDeliverWebhook(job, tx) {
      await boss.send(QUEUES.deliverWebhook, job, on(tx));
    },
  };
}
