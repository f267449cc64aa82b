import { type ProviderError, ProviderRejected, ProviderUnavailable } from '../errors.js';
import type { TaskRecord } from '../tasks/types.js';
import type { RoutePlan } from './types.js';

/** One provider tried (or passed over) in a run: an entry of the decision's chain. */
export interface ChainStep {
  providerId: string;
  name: string;
  accountId: string | null;
  accountName: string | null;
  assignmentId: string | null;
  model: string | null;
  outcome: 'succeeded' | 'failed' | 'aborted' | 'skipped' | 'running';
  probe?: boolean;
  errorCode?: string;
  error?: string;
  latencyMs?: number;
  tokens?: { input: number; output: number; total: number; reserved: number };
}

/** Why nothing can run the task: temporary (retried) or for good. */
export function noProviderError(task: TaskRecord, plan: RoutePlan): ProviderError {
  const temporary = plan.candidates.some(
    (c) =>
      c.reason === 'circuit_open' ||
      c.reason === 'probe_in_flight' ||
      (c.reason === 'no_budget' && c.budgetHeldByReservations),
  );
  // The error is the task's, shown to its owner: it names no account's remaining budget (admins read
  // the full notes in the routing record).
  const told = (c: (typeof plan.candidates)[number]) =>
    c.reason === 'no_budget' ? 'not enough token budget left on its accounts for this task' : c.note;
  const reasons = plan.candidates
    .filter((c) => c.reason !== 'no_competency' || c.pinned)
    .map((c) => `${c.name} (${told(c)})`)
    .slice(0, 8);
  const pinnedReason = plan.candidates.reduce(
    (text, c) => (c.note ? text.split(c.note).join(told(c)) : text),
    plan.pinned?.reason ?? '',
  );
  const pinned = plan.pinned && !plan.pinned.honoured ? ` The pinned provider: ${pinnedReason}.` : '';
  const detail = reasons.length ? ` Candidates: ${reasons.join('; ')}.` : '';
  if (temporary) {
    return new ProviderUnavailable(
      `No provider can take this "${task.taskType}" task right now (open circuits or budgets held by running tasks); it will be retried.${pinned}${detail}`,
      { reason: 'other', code: 'no_provider_now' },
    );
  }
  const none = plan.candidates.length === 0 ? ' No provider is configured.' : '';
  return new ProviderRejected(`No provider can run this "${task.taskType}" task.${none}${pinned}${detail}`, {
    code: 'no_provider',
  });
}

/** The JSON stored in tasks.routing and served at GET /api/tasks/:id/routing. */
export function decisionDocument(
  plan: RoutePlan,
  steps: ChainStep[],
  run: { runKey: string; attempt: number; outcome: string; error?: string; decidedAt: Date },
): Record<string, unknown> {
  return {
    version: 1,
    run: { key: run.runKey, attempt: run.attempt },
    decidedAt: run.decidedAt.toISOString(),
    outcome: run.outcome,
    ...(run.error ? { error: run.error } : {}),
    taskType: plan.taskType,
    priority: plan.priority,
    estimate: plan.estimate,
    weights: plan.weights,
    pinned: plan.pinned,
    tier: plan.tier,
    candidates: plan.candidates.map((c) => ({
      providerId: c.providerId,
      name: c.name,
      kind: c.kind,
      tier: c.tier,
      kept: c.kept,
      ...(c.reason ? { reason: c.reason } : {}),
      note: c.note,
      competency: c.competency,
      circuit: c.circuit,
      estimatedTokens: c.estimatedTokens,
      estimatedCostUsd: c.estimatedCostUsd,
      ...(c.terms ? { terms: c.terms, score: c.score } : {}),
      ...(c.rank ? { rank: c.rank } : {}),
      ...(c.pinned ? { pinned: true } : {}),
      ...(c.probe ? { probe: true } : {}),
      ...(c.deadline ? { deadline: { ...c.deadline, p95LatencyMs: c.p95LatencyMs ?? null } } : {}),
      accounts: c.accounts,
    })),
    chain: steps.map((step) => ({ ...step })),
  };
}
