import type { Db as BossDb, PgBoss } from 'pg-boss';
import type { SqlExecutor, TaskJobs } from '../core/tasks/ports.js';
import { PRIORITY, QUEUES } from './boss.js';

/** The `generate` job's payload: the task row is the source of truth, so only its id. */
export interface GenerateJobData {
  taskId: string;
}

/** TaskJobs on pg-boss. With `tx`, the job is written inside the caller's transaction. */
export function createTaskJobs(boss: PgBoss): TaskJobs {
  const on = (tx?: SqlExecutor) => (tx ? { db: tx as BossDb } : {});
  return {
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
