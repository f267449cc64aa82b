import type { PgBoss } from 'pg-boss';
import { QUEUES } from './boss.js';

/** Creates (or updates) every queue with its retry, lease and dead-letter policy. Safe to call on every boot. */
export async function createQueues(boss: PgBoss): Promise<void> {
  const ensure = async (name: string, options: Parameters<PgBoss['createQueue']>[1]) => {
    const existing = await boss.getQueue(name);
    if (existing) await boss.updateQueue(name, options as never);
    else await boss.createQueue(name, options);
  };
  await ensure(QUEUES.generateDead, { retentionSeconds: 14 * 86_400 } as never);
  await ensure(QUEUES.generate, {
    notify: true,
    retryLimit: 3,
    retryDelay: 1,
    retryBackoff: true,
    retryDelayMax: 30,
    expireInSeconds: 15 * 60,
    heartbeatSeconds: 10,
    deadLetter: QUEUES.generateDead,
  } as never);
  await ensure(QUEUES.deliverResult, {
    notify: true,
    retryLimit: 5,
    retryDelay: 2,
    retryBackoff: true,
    retryDelayMax: 300,
  } as never);
  await ensure(QUEUES.deliverWebhook, {
    notify: true,
    retryLimit: 6,
    retryDelay: 30,
    retryBackoff: true,
    retryDelayMax: 1800,
  } as never);
  await ensure(QUEUES.resetBudgets, { retryLimit: 2 } as never);
  await ensure(QUEUES.cleanup, { retryLimit: 1 } as never);
}
