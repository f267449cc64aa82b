import type { PgBoss } from 'pg-boss';
import { type Clock, systemClock } from '../core/clock.js';
import type { Logger } from '../logger.js';
import type { BudgetStore } from '../models/budgetStore.js';
import { QUEUES } from './boss.js';

/** Every five minutes (UTC): budgets reset within five minutes of their calendar boundary. */
export const RESET_BUDGETS_CRON = '*/5 * * * *';

/**
 * The `reset-budgets` job, scheduled with pg-boss cron (one job per occurrence whatever the number
 * of worker processes) and run once at start-up:
 * - accounts past their reset date get token_used = 0 and their next calendar boundary;
 * - reservations nobody will settle (attempts marked lost, attempts of tasks that ended, attempts
 *   older than their provider's timeout + `staleGraceSeconds`) are released, so a killed worker's
 *   reservation does not hold budget for ever;
 * - what gateway processes that died without shutting down still held (their heartbeat is stale)
 *   goes back to the accounts (`releaseDeadGatewayLeases`, models/gatewayLeaseSweep.ts).
 */
export async function startBudgetJobs(deps: {
  boss: PgBoss;
  budgets: BudgetStore;
  logger: Logger;
  now?: Clock;
  /** Grace after a provider's timeout before an unsettled attempt counts as orphaned (default: 15 min, the generate lease). */
  staleGraceSeconds?: number;
  /** Gives back dead gateway processes' holdings; returns the tokens released. */
  releaseDeadLeases?: () => Promise<number>;
  /** Settles the spend budgets of ended tasks whose settle was missed (a worker died after completing). */
  settleEndedBudgets?: () => Promise<number>;
}): Promise<{
  runNow(): Promise<{ reset: number; scheduled: number; released: number; leaseTokens: number }>;
  stop(): Promise<void>;
}> {
  const { boss, budgets } = deps;
  const log = deps.logger.child({ scope: 'budgets' });
  const now = deps.now ?? systemClock;
  const grace = deps.staleGraceSeconds ?? 15 * 60;

  const runNow = async () => {
    const { reset, scheduled } = await budgets.resetDue(now());
    const released = await budgets.releaseStale(grace);
    const leaseTokens = (await deps.releaseDeadLeases?.()) ?? 0;
    await deps.settleEndedBudgets?.();
    if (reset || scheduled || released || leaseTokens)
      log.info('Budgets maintained', {
        reset,
        scheduled,
        releasedReservations: released,
        releasedGatewayLeaseTokens: leaseTokens,
      });
    return { reset, scheduled, released, leaseTokens };
  };

  await boss.work(QUEUES.resetBudgets, { batchSize: 1, pollingIntervalSeconds: 5 }, async () => {
    await runNow();
  });
  await boss.schedule(QUEUES.resetBudgets, RESET_BUDGETS_CRON, null, { tz: 'UTC' });
  try {
    await runNow();
  } catch (e) {
    log.error('Start-up budget check failed; the scheduled job will retry', {
      err: e instanceof Error ? e.message : String(e),
    });
  }

  return {
    runNow,
    async stop() {
      await boss.offWork(QUEUES.resetBudgets, { wait: true } as never);
    },
  };
}
