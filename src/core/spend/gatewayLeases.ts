import type { BudgetStore, LeasedCall, LeaseScopes, OverBudget } from './ports.js';

/** A lease covers this many calls of the size that asked for it… */
export const LEASE_CALLS = 32;
/** …and at most 1/LEASE_SHARE of the smallest room left on the caller's limited budgets. */
export const LEASE_SHARE = 4;
/** A lease unused this long goes back to its budgets. */
export const LEASE_IDLE_MS = 2_000;
/** How often a process says it is alive for what it holds (budget_leases.heartbeat_at). */
export const LEASE_HEARTBEAT_MS = 10_000;
/** A process silent this long is dead: the budget job gives its holdings back. */
export const DEAD_BUDGET_LEASE_SECONDS = 60;
/**
 * A lease serves from memory only this long after the database last confirmed its rows (its
 * reservation, or a heartbeat that found them): half the sweep's threshold, so a process paused
 * long enough to be swept (SIGSTOP, a long GC, a VM pause) never serves from a lease with nothing
 * reserved behind it.
 */
export const LEASE_CONFIRM_MS = (DEAD_BUDGET_LEASE_SECONDS * 1000) / 2;

/** What a call took from a lease: settle it (once) with its real cost. */
export interface LeaseHold {
  budgetIds: string[];
  micros: number;
  tokens: number;
}

export type LeaseTake =
  | { kind: 'none' }
  | { kind: 'over'; over: OverBudget }
  | { kind: 'held'; hold: LeaseHold };

interface Lease {
  budgetIds: string[];
  micros: number;
  tokens: number;
  usedAt: number;
  /** The earliest period end of its budgets (epoch ms): a lease never serves the next period. */
  until: number;
  /** When the database last showed its rows (`now()` before the statement that did). */
  confirmedAt: number;
}

/**
 * Per-process money leases on the caller's spend budgets (issue 17), as the gateway's token leases
 * on provider accounts (models/gatewayStore.ts):
 *
 * - a call the caller's lease cannot cover asks the store for a chunk (ONE statement, all or
 *   nothing on every applicable budget, only from room that exists; at least this call, else the
 *   call is refused with the budget without room);
 * - the following calls take their estimate out of the lease in memory (JavaScript runs one call at
 *   a time, so this is atomic too), with no round trip;
 * - after the response each call is settled once, in batches (`settle`): the lease's reserved
 *   amount shrinks by the estimate, spent grows by the real cost;
 * - what a lease holds beyond its calls goes back after LEASE_IDLE_MS without use, at a period's end,
 *   on `release()` and on `close()`; a process that dies without closing is swept by the budget job
 *   once its heartbeat (LEASE_HEARTBEAT_MS) is DEAD_BUDGET_LEASE_SECONDS old;
 * - a lease serves from memory only within LEASE_CONFIRM_MS of the database confirming its rows (its
 *   lease statement, or a heartbeat that found them): a process paused past the sweep leases afresh
 *   instead of serving from a lease with nothing reserved behind it;
 * - a budget added, changed or removed in any process (`revoke()`, on the cache bus's 'budgets')
 *   voids every lease: the next call leases against the budgets as they are.
 */
export class GatewayBudgetLeases {
  private readonly leases = new Map<string, Lease>();
  /** Leases replaced by a newer one (its budgets changed) whose leftover could not go back yet. */
  private readonly replaced = new Set<Lease>();
  /** Calls whose settlement failed: settled again by the idle timer and on close(). */
  private unsettled: LeasedCall[] = [];
  private readonly idleTimer: NodeJS.Timeout;
  private readonly heartbeatTimer: NodeJS.Timeout;
  private leased = false;
  /** When the leases were last revoked: a confirmation sent before that confirms nothing. */
  private revokedAt = Number.NEGATIVE_INFINITY;
  private readonly calls: number;
  private readonly share: number;
  private readonly idleMs: number;
  private readonly confirmMs: number;
  private readonly now: () => number;

  constructor(
    private readonly deps: {
      processId: string;
      store: Pick<BudgetStore, 'lease' | 'releaseLease' | 'heartbeatLeases' | 'dropEmptyLeases'>;
      /** Settles leased calls and sends the alerts they trigger (BudgetService.settleLeased). */
      settle: (processId: string, calls: LeasedCall[]) => Promise<void>;
      calls?: number;
      share?: number;
      idleMs?: number;
      heartbeatMs?: number;
      /** How long a confirmation lets a lease serve (LEASE_CONFIRM_MS). */
      confirmMs?: number;
      /** The clock (epoch ms): tests inject one. */
      now?: () => number;
    },
  ) {
    this.now = deps.now ?? Date.now;
    this.confirmMs = deps.confirmMs ?? LEASE_CONFIRM_MS;
    this.calls = deps.calls ?? LEASE_CALLS;
    this.share = deps.share ?? LEASE_SHARE;
    this.idleMs = deps.idleMs ?? LEASE_IDLE_MS;
    this.idleTimer = setInterval(
      () => {
        void this.settleAgain().catch(() => {});
        void this.release(this.idleMs);
      },
      Math.min(this.idleMs, 1_000),
    );
    this.idleTimer.unref();
    this.heartbeatTimer = setInterval(
      () => void this.heartbeat().catch(() => {}),
      deps.heartbeatMs ?? LEASE_HEARTBEAT_MS,
    );
    this.heartbeatTimer.unref();
  }

  /** Takes `micros`/`tokens` for one call from the caller's lease, reserving a new chunk if it must. */
  async take(s: LeaseScopes, micros: number, tokens: number): Promise<LeaseTake> {
    const key = `${s.userId}|${s.teamId ?? ''}|${s.apiTokenId ?? ''}`;
    const l = this.leases.get(key);
    const now = this.now();
    if (l && now - l.confirmedAt >= this.confirmMs) {
      // Not confirmed for too long (this process may have been paused and swept): the lease no
      // longer serves. What it holds goes back first (never more than its rows hold, so nothing
      // twice if the sweep took them), then a new lease is reserved below.
      this.leases.delete(key);
      this.replaced.add(l);
      await this.giveBack(l);
      if (l.micros === 0 && l.tokens === 0) this.replaced.delete(l);
    } else if (l && l.micros >= micros && l.tokens >= tokens && now < l.until) {
      // The hot path: out of this process's lease, no round trip.
      l.micros -= micros;
      l.tokens -= tokens;
      l.usedAt = now;
      return { kind: 'held', hold: { budgetIds: l.budgetIds, micros, tokens } };
    }
    this.leased = true;
    const g = await this.deps.store.lease(this.deps.processId, s, micros, tokens, {
      calls: this.calls,
      share: this.share,
    });
    if (g.kind !== 'granted') return g;
    const until = g.until ? g.until.getTime() : Number.POSITIVE_INFINITY;
    const at = this.now();
    const cur = this.leases.get(key);
    if (cur && at < cur.until && cur.budgetIds.join() === g.budgetIds.join()) {
      cur.micros += g.micros - micros;
      cur.tokens += g.tokens - tokens;
      cur.usedAt = at;
      cur.until = Math.min(cur.until, until);
      if (now > this.revokedAt) cur.confirmedAt = Math.max(cur.confirmedAt, now);
    } else {
      // A budget came or went, or a period ended: the old lease goes back, the new one serves.
      if (cur) {
        // Kept until its leftover is back (giveBack restores it when the statement fails).
        this.replaced.add(cur);
        void this.giveBack(cur);
      }
      this.leases.set(key, {
        budgetIds: g.budgetIds,
        micros: g.micros - micros,
        tokens: g.tokens - tokens,
        usedAt: at,
        until,
        // A lease reserved by a statement sent before a revocation serves no call after it.
        confirmedAt: now > this.revokedAt ? now : Number.NEGATIVE_INFINITY,
      });
    }
    return { kind: 'held', hold: { budgetIds: g.budgetIds, micros, tokens } };
  }

  /**
   * A budget was added, removed or changed (heard from any process): no lease serves any more, and
   * what they hold goes back now; the next call of each caller leases against the budgets as they
   * are (and is refused if a lowered limit has no room for it).
   */
  revoke(): void {
    this.revokedAt = this.now();
    for (const l of this.leases.values()) l.confirmedAt = Number.NEGATIVE_INFINITY;
    void this.release().catch(() => {});
  }

  /**
   * Says this process is alive for its lease rows and confirms the leases whose rows are all there;
   * a lease with a row missing (the sweep took it) serves no more: the next call leases afresh.
   */
  async heartbeat(): Promise<void> {
    if (!this.leased) return;
    const sentAt = this.now();
    const held = new Set(await this.deps.store.heartbeatLeases(this.deps.processId));
    if (sentAt <= this.revokedAt) return;
    for (const l of this.leases.values()) {
      if (l.confirmedAt > sentAt) continue;
      l.confirmedAt = l.budgetIds.every((id) => held.has(id)) ? sentAt : Number.NEGATIVE_INFINITY;
    }
  }

  /**
   * Settles calls served from leases (once each; idempotent by task id). Calls whose settlement
   * fails are kept and retried by the idle timer and on close(), apart from later batches (else
   * their estimate would stay reserved, and their cost uncharged, for as long as this process lives).
   */
  async settle(calls: LeasedCall[]): Promise<void> {
    if (!calls.length) return;
    try {
      await this.deps.settle(this.deps.processId, calls);
    } catch (e) {
      this.unsettled.push(...calls);
      throw e;
    }
  }

  /** Settles again the calls whose settlement failed (one attempt at a time). */
  private async settleAgain(): Promise<void> {
    if (!this.unsettled.length) return;
    const calls = this.unsettled.splice(0);
    await this.settle(calls);
  }

  /** Gives back what the leases hold beyond the calls in flight (`idleMs`: only leases idle that long). */
  async release(idleMs = 0): Promise<void> {
    const now = this.now();
    for (const l of this.replaced) {
      if (l.micros > 0 || l.tokens > 0) await this.giveBack(l);
      if (l.micros === 0 && l.tokens === 0) this.replaced.delete(l);
    }
    for (const [key, l] of this.leases) {
      if (now - l.usedAt < idleMs && now < l.until) continue;
      if (l.micros > 0 || l.tokens > 0) await this.giveBack(l);
      if (l.micros === 0 && l.tokens === 0 && this.leases.get(key) === l) this.leases.delete(key);
    }
  }

  /** Shutdown (after the recorder's last batch): every lease back, the emptied rows forgotten. */
  async close(): Promise<void> {
    clearInterval(this.idleTimer);
    clearInterval(this.heartbeatTimer);
    await this.settleAgain().catch(() => {});
    await this.release();
    if (this.leased) await this.deps.store.dropEmptyLeases(this.deps.processId).catch(() => {});
  }

  private async giveBack(l: Lease): Promise<void> {
    const m = l.micros;
    const t = l.tokens;
    if (m <= 0 && t <= 0) return;
    l.micros = 0;
    l.tokens = 0;
    try {
      await this.deps.store.releaseLease(this.deps.processId, l.budgetIds, m, t);
    } catch {
      // Kept: the next idle round (or the sweep, if this process dies) gives it back.
      l.micros += m;
      l.tokens += t;
    }
  }
}
