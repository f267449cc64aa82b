import { TaskRunner } from '../core/tasks/taskRunner.js';
import { startTaskWorkers } from '../jobs/taskWorkers.js';
import { withLogContext } from '../logger.js';
import { startMetricsServer } from '../metrics/metricsServer.js';
import { CancelListener } from '../models/cancelListener.js';
import type { StreamBus } from '../models/streamBus.js';
import type { Database } from './database.js';
import type { Features } from './features.js';
import type { Core } from './services.js';
import type { Stoppers } from './stoppers.js';

/**
 * The worker role: the cancel listener, the task runner on the routed executor, and the jobs for
 * signed callbacks, budget resets and scheduled reports.
 */
export async function startWorker(
  core: Core,
  features: Features,
  infra: Pick<Database, 'databaseUrl' | 'pool'> & { live: StreamBus },
  stoppers: Stoppers,
): Promise<void> {
  const { env, logger, boss, metrics, taskStore, deliverers, spend } = core;
  const cancels = new CancelListener({ databaseUrl: infra.databaseUrl, pool: infra.pool, logger });
  await cancels.start();
  stoppers.push(() => cancels.stop());
  const shutdown = new AbortController();
  const runner = new TaskRunner({
    store: taskStore,
    jobs: core.taskJobs,
    executor: features.providers.createExecutor(),
    cancels,
    deliverers,
    log: logger.child({ scope: 'tasks' }),
    shutdown: shutdown.signal,
    hooks: metrics.taskHooks((ids, fn) => withLogContext(ids, fn)),
    settleSpend: (taskId) => spend.budgets.settleTask(taskId),
    live: infra.live,
  });
  const taskWorkers = await startTaskWorkers({
    boss,
    runner,
    store: taskStore,
    deliverers,
    logger,
    shutdown,
    concurrency: env.WORKER_CONCURRENCY,
    onDeliveryRetry: () => metrics.deliveryRetry('result'),
  });
  stoppers.push(() => taskWorkers.stop());
  const callbackWorker = await features.webhooks.startWorker(() => metrics.deliveryRetry('webhook'));
  stoppers.push(() => callbackWorker.stop());
  const budgetJobs = await features.providers.startWorker();
  stoppers.push(() => budgetJobs.stop());
  const reportJobs = await features.reportSchedules.startWorker();
  stoppers.push(() => reportJobs.stop());
  const approvalJobs = await spend.startWorker();
  stoppers.push(() => approvalJobs.stop());
}

/** /metrics on METRICS_PORT, for a process without the API (which serves /metrics itself). */
export async function startMetricsOnly(
  { env, metrics }: Core,
  port: number,
  stoppers: Stoppers,
): Promise<number> {
  const server = await startMetricsServer({
    registry: metrics.registry,
    port,
    host: env.HOST,
    token: env.METRICS_TOKEN,
  });
  stoppers.push(() => server.stop());
  return server.port;
}

/** The bots role: what the integrations run by themselves (Telegram long polling), each stopped in reverse. */
export async function startBots(features: Features, stoppers: Stoppers): Promise<void> {
  for (const i of features.integrations) {
    if (!i.start) continue;
    await i.start();
    if (i.stop) stoppers.push(async () => i.stop?.());
  }
}
