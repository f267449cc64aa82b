import type { TaskSource } from '../tasks/types.js';

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

/**
 * Reorders a tier's candidates so those whose recent p95 latency fits in the time left come first
 * (stable: by score within each group), and says so on the ones that may not finish in time.
 */
export function preferInTime<
  T extends { p95LatencyMs?: number | null; note: string; deadline?: { leftMs: number; fits: boolean } },
>(candidates: T[], leftMs: number | null | undefined, source: string): T[] {
  if (leftMs === null || leftMs === undefined) return candidates;
  for (const c of candidates) {
    const p95 = c.p95LatencyMs ?? null;
    const fits = p95 === null || p95 <= leftMs;
    c.deadline = { leftMs, fits };
    if (!fits)
      c.note = `${c.note}; p95 latency ${Math.round(p95! / 1000)} s exceeds the ${Math.round(leftMs / 1000)} s left of the ${source} time budget: tried after candidates that can finish in time`;
  }
  return [...candidates.filter((c) => c.deadline?.fits), ...candidates.filter((c) => !c.deadline?.fits)];
}
