/**
 * Budget bar maths for a provider account: how much of the token limit is used, reserved by
 * in-flight tasks, and still free. Segments always add up to at most 100 %.
 */

export interface BudgetInput {
  tokenLimit?: number;
  tokenUsed?: number;
  /** Not in the contract's `account`; when absent it is inferred from `tokensRemaining`. */
  tokenReserved?: number | null;
  tokensRemaining?: number | null;
}

export type BudgetLevel = 'ok' | 'warn' | 'critical';

export interface Budget {
  limit: number;
  used: number;
  reserved: number;
  remaining: number;
  usedPct: number;
  reservedPct: number;
  remainingPct: number;
  /** used + reserved exceed the limit (possible after a limit is lowered). */
  overCommitted: boolean;
  level: BudgetLevel;
}

const nonNegative = (n: unknown): number => (typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : 0);
const round1 = (n: number) => Math.round(n * 10) / 10;

export function budget(input: BudgetInput): Budget {
  const limit = nonNegative(input.tokenLimit);
  const used = nonNegative(input.tokenUsed);
  let reserved = nonNegative(input.tokenReserved);
  if (input.tokenReserved === undefined || input.tokenReserved === null) {
    // remaining = limit - used - reserved  ⇒  reserved = limit - used - remaining
    if (typeof input.tokensRemaining === 'number' && Number.isFinite(input.tokensRemaining)) {
      reserved = Math.max(0, limit - used - Math.max(0, input.tokensRemaining));
    }
  }
  const remaining = Math.max(0, limit - used - reserved);
  const overCommitted = used + reserved > limit;

  let usedPct = 0;
  let reservedPct = 0;
  if (limit > 0) {
    usedPct = Math.min(100, round1((used / limit) * 100));
    reservedPct = Math.min(round1(100 - usedPct), round1((reserved / limit) * 100));
  } else if (used + reserved > 0) {
    usedPct = 100;
  }
  const remainingPct = Math.max(0, round1(100 - usedPct - reservedPct));
  const committed = usedPct + reservedPct;
  const level: BudgetLevel = committed >= 90 || limit === 0 ? 'critical' : committed >= 75 ? 'warn' : 'ok';
  return { limit, used, reserved, remaining, usedPct, reservedPct, remainingPct, overCommitted, level };
}
