import type { TaskSource } from '../tasks/types.js';
import type { CandidateDeadline } from './types.js';

/**
 * How long each source waits for an answer: Slack's response_url lasts 30 minutes, a Discord
 * interaction token 15, a portal user watching the page wants it soon; an API client, a webhook or
 * a Telegram chat has no deadline (null).
 */
export const SOURCE_TIME_BUDGET_MS: Partial<Record<TaskSource, number>> = {
  slack: 30 * 60_000,
  discord: 15 * 60_000,
  portal: 2 * 60_000,
};

/** The time left in the task's budget at `now` (ms, at least 0), or null when its source has none. */
export function timeLeftMs(task: { source: TaskSource; createdAt: Date }, now: Date): number | null {
  const budget = SOURCE_TIME_BUDGET_MS[task.source];
  if (budget === undefined) return null;
  return Math.max(0, budget - (now.getTime() - task.createdAt.getTime()));
}

/** What a candidate's recent attempts say about how long it takes (RoutingStats, per provider). */
export interface LatencyEstimate {
  p95LatencyMs?: number | null;
  p95TtftMs?: number | null;
  tokensPerSecond?: number | null;
}

export interface FinishPrediction {
  ms: number | null;
  basis: CandidateDeadline['basis'];
  /** The prediction in words, for the decision's note. */
  text: string;
}

const secs = (ms: number) => (ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`);

/**
 * When a call would finish: p95 time to first token + `outputTokens` ÷ the provider's (slow-end)
 * output rate. Without both, its p95 total latency; without samples, null (assumed to fit).
 * `outputTokens` is the request's output cap, so the prediction errs late.
 */
export function predictFinish(c: LatencyEstimate, outputTokens: number): FinishPrediction {
  const ttft = c.p95TtftMs ?? null;
  const rate = c.tokensPerSecond ?? null;
  if (ttft !== null && rate !== null && rate > 0) {
    const tokens = Math.max(0, Math.floor(outputTokens));
    const ms = Math.round(ttft + (tokens / rate) * 1000);
    return {
      ms,
      basis: 'ttft_and_rate',
      text: `predicted finish ${secs(ms)} (p95 time to first token ${secs(ttft)} + ${tokens} output tokens at ${rate} tokens/s)`,
    };
  }
  const p95 = c.p95LatencyMs ?? null;
  if (p95 !== null) return { ms: p95, basis: 'p95_latency', text: `p95 latency ${Math.round(p95 / 1000)} s` };
  return { ms: null, basis: 'no_samples', text: 'no latency samples yet' };
}

/**
 * Reorders a tier's candidates so those predicted to finish (predictFinish) within the time left
 * come first (stable: by score within each group), and says on each what was predicted: a
 * candidate without samples is assumed to fit.
 */
export function preferInTime<T extends LatencyEstimate & { note: string; deadline?: CandidateDeadline }>(
  candidates: T[],
  leftMs: number | null | undefined,
  source: string,
  outputTokens = 0,
): T[] {
  if (leftMs === null || leftMs === undefined) return candidates;
  const left = `the ${Math.round(leftMs / 1000)} s left of the ${source} time budget`;
  for (const c of candidates) {
    const p = predictFinish(c, outputTokens);
    const fits = p.ms === null || p.ms <= leftMs;
    c.deadline = { leftMs, fits, predictedMs: p.ms, basis: p.basis };
    c.note =
      p.ms === null
        ? `${c.note}; ${p.text}: assumed to finish within ${left}`
        : fits
          ? `${c.note}; ${p.text} fits in ${left}`
          : `${c.note}; ${p.text} exceeds ${left}: tried after candidates that can finish in time`;
  }
  return [...candidates.filter((c) => c.deadline?.fits), ...candidates.filter((c) => !c.deadline?.fits)];
}
