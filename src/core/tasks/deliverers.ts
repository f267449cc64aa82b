import type { DeliverResultJob, SqlExecutor, TaskJobs, TaskStore } from './ports.js';
import type { ResultDeliverer, TaskEventKind, TaskRecord, TaskSource } from './types.js';

/**
 * The result deliverers by task source (Slack, Discord, Telegram, GitHub…), filled by the
 * composition root. A source without one (api, portal) gets no deliver-result jobs at all.
 */
export class ResultDelivererRegistry {
  private readonly bySource = new Map<TaskSource, ResultDeliverer>();

  /** Registers (or replaces) the deliverer for its source. */
  register(deliverer: ResultDeliverer): this {
    this.bySource.set(deliverer.source, deliverer);
    return this;
  }

  get(source: TaskSource): ResultDeliverer | undefined {
    return this.bySource.get(source);
  }

  has(source: TaskSource): boolean {
    return this.bySource.has(source);
  }
}

/** Whether a task's terminal state enqueues anything (so the caller can skip a transaction when not). */
export function hasTerminalJobs(
  deliverers: ResultDelivererRegistry,
  task: TaskRecord,
  _kind: 'completed' | 'failed' | 'cancelled',
): boolean {
  return deliverers.has(task.source) || Boolean(task.callbackUrl || task.webhookId);
}

/**
 * Enqueues what follows a task's terminal state, inside the transaction that set it: a deliver-result
 * job when its source has a deliverer, and a deliver-webhook job (task.completed / task.failed /
 * task.cancelled) when it has a callback URL or came from an inbound hook.
 */
export async function enqueueTerminalJobs(
  deps: { jobs: TaskJobs; deliverers: ResultDelivererRegistry },
  task: TaskRecord,
  kind: Extract<TaskEventKind, 'completed' | 'failed' | 'cancelled'>,
  tx?: SqlExecutor,
): Promise<void> {
  if (deps.deliverers.has(task.source)) await deps.jobs.enqueueDeliverResult({ taskId: task.id, kind }, tx);
  if (task.callbackUrl || task.webhookId) {
    await deps.jobs.enqueueDeliverWebhook({ taskId: task.id, event: `task.${kind}` }, tx);
  }
}

/** Runs one deliver-result job: loads the task (and its content) and hands the event to its source's deliverer. */
export async function deliverResult(
  deps: { store: TaskStore; deliverers: ResultDelivererRegistry },
  job: DeliverResultJob,
): Promise<void> {
  const task = await deps.store.get(job.taskId);
  if (!task) return;
  const deliverer = deps.deliverers.get(task.source);
  if (!deliverer) return;
  const content = job.kind === 'completed' ? await deps.store.contentOf(task) : null;
  await deliverer.deliver({
    kind: job.kind,
    task,
    ...(job.providerName ? { providerName: job.providerName } : {}),
    ...(content ? { content } : {}),
  });
}
