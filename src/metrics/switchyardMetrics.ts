import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { ExecutorInstrumentation, ProviderAttempt } from '../core/routing/routedExecutor.js';
import type { TaskRunHooks } from '../core/tasks/taskRunner.js';
import type { TaskRecord } from '../core/tasks/types.js';

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/**
 * The process's Prometheus registry: Node's default metrics (event-loop lag, heap, CPU, GC) and
 * Switchyard's own task, provider and delivery series. Each process records what it runs (an API
 * process its HTTP requests, a worker its tasks); Prometheus sums the replicas.
 */
export class SwitchyardMetrics {
  readonly registry = new Registry();
  private readonly stage: Histogram<'stage' | 'priority'>;
  private readonly finished: Record<'completed' | 'failed', Counter<'task_type'>>;
  private readonly providerSeconds: Histogram<'provider' | 'outcome'>;
  private readonly providerErrors: Counter<'provider' | 'code'>;
  private readonly tokens: Counter<'provider' | 'direction'>;
  private readonly cost: Counter<'provider'>;
  private readonly ttft: Histogram<'provider'>;
  private readonly deliveryRetries: Counter<'channel'>;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.stage = new Histogram({
      name: 'switchyard_task_stage_duration_seconds',
      help: 'Task latency by stage: queued (created → started), running (started → ended), total (created → ended)',
      labelNames: ['stage', 'priority'] as const,
      buckets: SECONDS,
      registers,
    });
    const finished = (status: 'completed' | 'failed') =>
      new Counter({
        name: `switchyard_tasks_${status}_total`,
        help: `Tasks that ended ${status}, by task type`,
        labelNames: ['task_type'] as const,
        registers,
      });
    this.finished = { completed: finished('completed'), failed: finished('failed') };
    this.providerSeconds = new Histogram({
      name: 'switchyard_provider_request_duration_seconds',
      help: 'Provider call duration (request sent → answer complete) by provider and outcome',
      labelNames: ['provider', 'outcome'] as const,
      buckets: SECONDS,
      registers,
    });
    this.ttft = new Histogram({
      name: 'switchyard_provider_ttft_seconds',
      help: 'Provider time to first token (request sent → first streamed token; the whole answer when it came in one piece), succeeded calls',
      labelNames: ['provider'] as const,
      buckets: SECONDS,
      registers,
    });
    this.providerErrors = new Counter({
      name: 'switchyard_provider_errors_total',
      help: 'Failed provider calls by provider and error code (timeout, rate_limited, auth…)',
      labelNames: ['provider', 'code'] as const,
      registers,
    });
    this.tokens = new Counter({
      name: 'switchyard_provider_tokens_total',
      help: 'Tokens used by provider and direction (input, output)',
      labelNames: ['provider', 'direction'] as const,
      registers,
    });
    this.cost = new Counter({
      name: 'switchyard_provider_cost_usd_total',
      help: "Spend in USD by provider (tokens × the provider's cost per 1k tokens)",
      labelNames: ['provider'] as const,
      registers,
    });
    this.deliveryRetries = new Counter({
      name: 'switchyard_delivery_retries_total',
      help: 'Failed delivery attempts that will be retried, by channel (result, webhook)',
      labelNames: ['channel'] as const,
      registers,
    });
  }

  /** Hooks for the worker's TaskRunner; `scope` puts the task's ids on its log lines. */
  taskHooks(scope: TaskRunHooks['scope']): TaskRunHooks {
    return {
      scope,
      started: (task) => {
        if (task.startedAt)
          this.observeStage('queued', task, task.startedAt.getTime() - task.createdAt.getTime());
      },
      finished: (task, status) => {
        const now = Date.now();
        this.finished[status].inc({ task_type: task.taskType });
        if (task.startedAt) this.observeStage('running', task, now - task.startedAt.getTime());
        this.observeStage('total', task, now - task.createdAt.getTime());
      },
    };
  }

  /** Hooks for the routed executor, on top of any others (a benchmark's). */
  executorHooks(other?: ExecutorInstrumentation): ExecutorInstrumentation {
    return {
      ...other,
      onAttempt: (a) => {
        this.observeAttempt(a);
        other?.onAttempt?.(a);
      },
    };
  }

  deliveryRetry(channel: 'result' | 'webhook'): void {
    this.deliveryRetries.inc({ channel });
  }

  private observeStage(stage: string, task: TaskRecord, ms: number): void {
    this.stage.observe({ stage, priority: task.priority }, Math.max(0, ms) / 1000);
  }

  private observeAttempt(a: ProviderAttempt): void {
    this.providerSeconds.observe({ provider: a.provider, outcome: a.outcome }, a.latencyMs / 1000);
    if (a.ttftMs !== undefined) this.ttft.observe({ provider: a.provider }, a.ttftMs / 1000);
    if (a.outcome === 'failed')
      this.providerErrors.inc({ provider: a.provider, code: a.errorCode ?? 'unknown' });
    if (a.tokens) {
      this.tokens.inc({ provider: a.provider, direction: 'input' }, a.tokens.input);
      this.tokens.inc({ provider: a.provider, direction: 'output' }, a.tokens.output);
    }
    if (a.costUsd) this.cost.inc({ provider: a.provider }, a.costUsd);
  }
}
