import type { PgBoss } from 'pg-boss';
import type { Logger } from '../logger.js';

export const EXPIRE_APPROVALS_QUEUE = 'expire-approvals';
/** Every minute (UTC): a held task ends within about a minute of its approval expiring. */
export const EXPIRE_APPROVALS_CRON = '* * * * *';

/**
 * The `expire-approvals` job: pg-boss cron (one job per occurrence whatever the number of worker
 * processes), also run once at start-up. Each expired task is ended exactly once by its store's
 * status guard, so overlapping runs are harmless.
 */
export async function startApprovalJobs(deps: {
  boss: PgBoss;
  expire: () => Promise<number>;
  logger: Logger;
}) {
  const log = deps.logger.child({ scope: 'approvals' });
  const run = async () => {
    const ended = await deps.expire();
    if (ended) log.info('Expired tasks awaiting approval', { ended });
    return ended;
  };
  if (!(await deps.boss.getQueue(EXPIRE_APPROVALS_QUEUE)))
    await deps.boss.createQueue(EXPIRE_APPROVALS_QUEUE);
  await deps.boss.work(EXPIRE_APPROVALS_QUEUE, { batchSize: 1, pollingIntervalSeconds: 5 }, async () => {
    await run();
  });
  await deps.boss.schedule(EXPIRE_APPROVALS_QUEUE, EXPIRE_APPROVALS_CRON, null, { tz: 'UTC' });
  await run().catch((e) =>
    log.error('Start-up approval expiry failed; the scheduled job will retry', {
      err: e instanceof Error ? e.message : String(e),
    }),
  );
  return {
    runNow: run,
    async stop() {
      await deps.boss.offWork(EXPIRE_APPROVALS_QUEUE, { wait: true } as never);
    },
  };
}
