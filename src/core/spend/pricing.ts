/**
 * Money is integer micro-dollars (µ$). A price of X USD per million tokens is exactly X µ$ per token,
 * so a call's cost is Σ tokens × price-per-MTok, rounded up to the next whole micro-dollar (a budget
 * never under-counts a call).
 */
export interface Price {
  inputPerMTokUsd: number;
  outputPerMTokUsd: number;
  /** Cached (prompt-cache read) input, where the provider bills it differently; else input's price. */
  cachedInputPerMTokUsd?: number | null;
}

export interface CallUsage {
  inputTokens: number;
  outputTokens: number;
  /** Of inputTokens, how many were read from the provider's prompt cache. */
  cachedInputTokens?: number;
}

const nonNegative = (n: number | undefined) => (Number.isFinite(n) && (n as number) > 0 ? (n as number) : 0);

/** The cost of one call in integer micro-dollars. Pure. */
export function costMicros(price: Price, usage: CallUsage): number {
  const input = nonNegative(usage.inputTokens);
  const cached = Math.min(input, nonNegative(usage.cachedInputTokens));
  const output = nonNegative(usage.outputTokens);
  const cachedPrice = price.cachedInputPerMTokUsd ?? price.inputPerMTokUsd;
  const exact =
    (input - cached) * price.inputPerMTokUsd + cached * cachedPrice + output * price.outputPerMTokUsd;
  // Float noise (0.1 × 3 = 0.30000000000000004) must not round a whole amount up.
  return Math.max(0, Math.ceil(Math.round(exact * 1e6) / 1e6));
}

/** Micro-dollars → dollars with 6 decimals, for messages. */
export function formatUsd(micros: number): string {
  return `$${(micros / 1e6).toFixed(micros % 10_000 === 0 ? 2 : 6)}`;
}
