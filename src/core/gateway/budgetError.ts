import { AppError } from '../errors.js';
import type { OverBudget } from '../spend/ports.js';
import { formatUsd } from '../spend/pricing.js';

/**
 * A gateway call refused by a budget, as OpenAI clients expect "out of credit": 429 with type
 * `insufficient_quota` (what OpenAI answers when an account's quota is spent), code
 * `budget_exceeded`, Retry-After = seconds until the budget resets (none for a `total` budget), and
 * `x-should-retry: false` so the official SDKs do not retry it (the gateway route sets that header).
 * An `approve` budget cannot wait for an approval on a synchronous call: it refuses like `block`.
 */
export function budgetError(b: OverBudget, estimateMicros: number, now = Date.now()): AppError {
  const label = b.name ? `"${b.name}"` : `the ${b.scope.replace('_', ' ')} budget`;
  const limit = b.limitMicros !== null ? formatUsd(b.limitMicros) : `${b.limitTokens} tokens`;
  const when = b.resetsAt ? `it resets at ${b.resetsAt.toISOString()}` : 'it does not reset';
  return new AppError(
    'rate_limited',
    `This call (estimated ${formatUsd(estimateMicros)}) would exceed ${label} (${limit}); ${when}`,
    {
      ...(b.resetsAt ? { retryAfter: Math.max(1, Math.ceil((b.resetsAt.getTime() - now) / 1000)) } : {}),
      details: {
        openai: { type: 'insufficient_quota', code: 'budget_exceeded' },
        budgetId: b.id,
        scope: b.scope,
        action: b.action,
        resetsAt: b.resetsAt?.toISOString() ?? null,
        estimatedCostMicros: estimateMicros,
      },
    },
  );
}

/** Whether an error is a budget refusal (the route adds `x-should-retry: false`). */
export function isBudgetError(e: unknown): boolean {
  return (
    e instanceof AppError &&
    (e.details as { openai?: { code?: string } } | undefined)?.openai?.code === 'budget_exceeded'
  );
}
