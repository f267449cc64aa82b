import { PgBoss } from 'pg-boss';
import { isDatabaseUnavailable } from '../core/databaseErrors.js';
import { describeError, type Logger } from '../logger.js';

/**
 * pg-boss with the tuned settings from ARCHITECTURE.md. Its defaults poll slowly (about 20 jobs/s),
 * so every worker uses batches, bursts while batches come back full, settles jobs one by one, and
 * wakes on LISTEN/NOTIFY.
 */
export const QUEUES = {
  generate: 'generate',
  generateDead: 'generate-dead',
  deliverResult: 'deliver-result',
  deliverWebhook: 'deliver-webhook',
  resetBudgets: 'reset-budgets',
  cleanup: 'cleanup',
} as const;

/** The PostgreSQL schema pg-boss keeps its tables in. */
export const BOSS_SCHEMA = 'pgboss';

export const PRIORITY = { low: 0, normal: 10, high: 20, urgent: 30 } as const;

export const tunedWorkOptions = {
  batchSize: 8,
  burstWhenBatchFull: true,
  perJobResults: true as const,
  pollingIntervalSeconds: 1,
  notifyPollingIntervalSeconds: 10,
};

export function createBoss(
  url: string,
  logger: Logger,
  opts: { schema?: string; max?: number } = {},
): PgBoss {
  const boss = new PgBoss({
    connectionString: url,
    schema: opts.schema ?? BOSS_SCHEMA,
    max: opts.max ?? 10,
    useListenNotify: true,
    monitorIntervalSeconds: 5,
    superviseIntervalSeconds: 5,
  });
  // pg-boss emits plain objects ({...err, message, stack, queue}) as well as Errors. A lost database
  // connection is expected to heal (its pool and LISTEN client reconnect, workers keep polling): a
  // warning per failed poll, not an error.
  boss.on('error', (err: unknown) => {
    if (isDatabaseUnavailable(err)) {
      const { message, code, queue } = describeError(err);
      logger.warn('pg-boss: database unavailable; retrying', { err: { message, code, queue } });
    } else {
      logger.error('pg-boss error', { err: describeError(err) });
    }
  });
  return boss;
}
