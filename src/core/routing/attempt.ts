import type { ProviderError } from '../errors.js';
import type { GenerateResult } from '../providers/connector.js';
import type { ExecutionContext, ExecutionOutcome } from '../tasks/executor.js';
import type { TaskRecord } from '../tasks/types.js';
import type { circuitSettingsFor } from './circuit.js';
import type { ChainStep } from './decision.js';
import type { DecisionRecord, RoutingTarget, TargetAccount } from './ports.js';
import type { ProviderAttempt } from './routedExecutor.js';
import type { CandidateEvaluation, RoutePlan } from './types.js';

/** The route for one run, and what each call of it sends. */
export interface Route {
  plan: RoutePlan;
  byId: Map<string, RoutingTarget>;
  system?: string;
  maxTokens: number;
}

export interface AttemptOptions {
  system?: string;
  maxTokens: number;
  steps: ChainStep[];
  record: (outcome: string) => DecisionRecord;
}

export type AttemptResult =
  | { kind: 'skipped' }
  | { kind: 'failed'; error: ProviderError }
  | { kind: 'ok'; outcome: ExecutionOutcome };

/** One candidate's attempt, as its steps share it. */
export interface Attempt {
  task: TaskRecord;
  ctx: ExecutionContext;
  target: RoutingTarget;
  cand: CandidateEvaluation;
  o: AttemptOptions;
  model: string | null;
  /** Where this attempt's step is in `o.steps`: each phase replaces it with a new object. */
  index: number;
  circuit: ReturnType<typeof circuitSettingsFor>;
}

/** The account that holds the reservation, and the attempt's id. */
export interface Reservation {
  account: TargetAccount;
  assignmentId: string;
}

/** performance.now() when the request went out and when its first token came back. */
export interface CallTiming {
  requestAt?: number;
  firstTokenAt?: number;
}

export type Usage = ExecutionOutcome['usage'];

export function newStep(target: RoutingTarget, model: string | null): ChainStep {
  return {
    providerId: target.id,
    name: target.name,
    accountId: null,
    accountName: null,
    assignmentId: null,
    model,
    outcome: 'skipped',
  };
}

export function usageOf(result: GenerateResult) {
  return {
    input: result.usage.inputTokens,
    output: result.usage.outputTokens,
    total: result.usage.totalTokens,
    ...(result.usage.estimated ? { estimated: true } : {}),
  };
}

/** The answer with its provenance: provider, account, chain, usage, routing score. */
export function successOutcome(
  { target, cand, o }: Attempt,
  account: TargetAccount,
  assignmentId: string,
  result: GenerateResult,
  usage: Usage,
): ExecutionOutcome {
  return {
    text: result.text,
    model: result.model,
    providerId: target.id,
    providerName: target.name,
    accountId: account.id,
    assignmentId,
    usage,
    latencyMs: result.latencyMs,
    fallbackChain: o.steps.filter((s) => s.outcome !== 'skipped').map((s) => s.name),
    ...(result.attachments?.length ? { attachments: result.attachments } : {}),
    providerMeta: {
      ...(result.providerMeta ?? {}),
      ...(result.providerRequestId ? { requestId: result.providerRequestId } : {}),
      ...(result.finishReason ? { finishReason: result.finishReason } : {}),
      accountName: account.name,
      tokensReserved: cand.estimatedTokens,
      routing: { score: cand.score ?? null, tier: cand.tier, rank: cand.rank ?? null },
    },
  };
}

/** A succeeded call as the instrumentation sees it (metrics: latency, time to first token, tokens, cost). */
/**
 * A call's time to first token in whole ms. The connector rounds its latency to whole ms; the first
 * token cannot come after the answer; without a first token (one-piece answer) it is the latency.
 */
export function timeToFirstToken(latencyMs: number, timing: CallTiming): number {
  return timing.requestAt !== undefined && timing.firstTokenAt !== undefined
    ? Math.min(latencyMs, Math.round(Math.max(0, timing.firstTokenAt - timing.requestAt)))
    : latencyMs;
}

export function succeededAttempt(
  target: RoutingTarget,
  result: GenerateResult,
  usage: Usage,
  timing: CallTiming,
): ProviderAttempt {
  return {
    provider: target.name,
    outcome: 'succeeded',
    latencyMs: result.latencyMs,
    ttftMs: timeToFirstToken(result.latencyMs, timing),
    tokens: { input: usage.input, output: usage.output },
    costUsd: (usage.input * target.costPer1kInput + usage.output * target.costPer1kOutput) / 1000,
  };
}
