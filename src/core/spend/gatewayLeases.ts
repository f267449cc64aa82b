import { randomUUID } from 'node:crypto';
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
  /** The lease generation (process id in budget_leases) it was reserved under: settled under it. */
  processId: string;
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
  /** The earliest period end of its budgets (wall clock, epoch ms): a lease never serves the next period. */
  until: number;
  /** When the database last showed its rows (monotonic `now()` before the statement that did). */
  confirmedAt: number;
  /** When its latest lease statement returned (monotonic): a heartbeat sent before that cannot void it. */
  grantedAt: number;
  /** The generation (process id in budget_leases) its rows are counted under. */
  processId: string;
  /** Its generation's count of calls in flight (shared by the generation's leases). */
  calls: { n: number };
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
 * - lease generations: the rows are counted under a generation id (budget_leases.process_id), one
 *   row per (generation, budget) shared by every caller's lease on that budget. When the sweep may
 *   have taken the current generation's rows (no heartbeat of it for LEASE_CONFIRM_MS, or a heartbeat
 *   found a row missing), new leases go under a NEW id: the old generation's leftovers and calls are
 *   given back and settled under the old id (never more than its rows hold, which the sweep deleted:
 *   nothing twice), and can never take money a newer lease reserved on a re-created row;
 * - a budget added, changed or removed in any process (`revoke()`, on the cache bus's 'budgets')
 *   voids every lease: the next call leases against the budgets as they are.
 *
 * Confirmation is timed on a monotonic clock (`now`, performance.now); a lease's period end on the
 * wall clock (`wall`, Date.now).
 */
export class GatewayBudgetLeases {
  private readonly leases = new Map<string, Lease>();
  /** Leases replaced by a newer one (its budgets changed) whose leftover could not go back yet. */
  private readonly replaced = new Set<Lease>();
  /** Calls whose settlement failed: settled again by the idle timer and on close(). */
  private unsettled: LeasedCall[] = [];
  private readonly idleTimer: NodeJS.Timeout;
  private readonly heartbeatTimer: NodeJS.Timeout;
  /** The current generation: new leases are counted under this id. */
  private gen: string;
  /** A lease statement was sent under the current generation (it may have rows). */
  private genUsed = false;
  /** When a heartbeat of the current generation was last sent (and succeeded), or it began. */
  private genBeatAt: number;
  /** Every generation that may still hold something (rows to beat, give back, drop on close). */
  private readonly gens = new Set<string>();
  /** Calls taken and not yet settled, per generation. */
  private readonly inFlight = new Map<string, { n: number }>();
  private leased = false;
  /** When the leases were last revoked: a confirmation sent before that confirms nothing. */
  private revokedAt = Number.NEGATIVE_INFINITY;
  private readonly calls: number;
  private readonly share: number;
  private readonly idleMs: number;
  private readonly confirmMs: number;
  private readonly now: () => number;
  private readonly wall: () => number;

  constructor(
    private readonly deps: {
      /** The first generation's id (later ones are random). */
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
      /** The monotonic clock (ms) confirmation is timed on: tests inject one. */
      now?: () => number;
      /** The wall clock (epoch ms) period ends are compared with. */
      wall?: () => number;
      /** New generation ids (tests). */
      newId?: () => string;
    },
  ) {
    this.now = deps.now ?? (() => performance.now());
    this.wall = deps.wall ?? Date.now;
    this.gen = deps.processId;
    this.gens.add(this.gen);
    this.genBeatAt = this.now();
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

  /** The generation new leases are counted under (tests, logs). */
  get generation(): string {
    return this.gen;
  }

  /**
   * The current generation may have been swept (no heartbeat of it for confirmMs, while it may have
   * rows): later leases go under a new one. Old leases stop serving (their generation differs).
   */
  private checkGeneration(now: number): void {
    if (now - this.genBeatAt < this.confirmMs) return;
    if (this.genUsed) this.newGeneration(now);
    else this.genBeatAt = now; // no rows under it: nothing the sweep could have taken
  }

  private newGeneration(now: number): void {
    this.gen = this.deps.newId?.() ?? randomUUID();
    this.gens.add(this.gen);
    this.genUsed = false;
    this.genBeatAt = now;
  }

  /** Takes `micros`/`tokens` for one call from the caller's lease, reserving a new chunk if it must. */
  async take(s: LeaseScopes, micros: number, tokens: number): Promise<LeaseTake> {
    const key = `${s.userId}|${s.teamId ?? ''}|${s.apiTokenId ?? ''}`;
    const now = this.now();
    this.checkGeneration(now);
    const l = this.leases.get(key);
    if (l && (l.processId !== this.gen || now - l.confirmedAt >= this.confirmMs)) {
      // Not confirmed for too long (this process may have been paused and swept), or of an older
      // generation: the lease no longer serves. What it holds goes back first, under its own
      // generation (never more than its rows hold, so nothing twice if the sweep took them), then
      // a new lease is reserved below.
      this.leases.delete(key);
      this.replaced.add(l);
      await this.giveBack(l);
      if (l.micros === 0 && l.tokens === 0) this.replaced.delete(l);
    } else if (
      l &&
      l.micros >= micros &&
      l.tokens >= tokens &&
      (l.until === Number.POSITIVE_INFINITY || this.wall() < l.until)
    ) {
      // The hot path: out of this process's lease, no round trip.
      l.micros -= micros;
      l.tokens -= tokens;
      l.usedAt = now;
      l.calls.n++;
      return { kind: 'held', hold: { budgetIds: l.budgetIds, micros, tokens, processId: l.processId } };
    }
    this.leased = true;
    this.genUsed = true;
    const gen = this.gen;
    const g = await this.deps.store.lease(gen, s, micros, tokens, {
      calls: this.calls,
      share: this.share,
    });
    if (g.kind !== 'granted') return g;
    const until = g.until ? g.until.getTime() : Number.POSITIVE_INFINITY;
    const at = this.now();
    const cur = this.leases.get(key);
    if (
      cur &&
      cur.processId === gen &&
      this.wall() < cur.until &&
      cur.budgetIds.join() === g.budgetIds.join()
    ) {
      cur.micros += g.micros - micros;
      cur.tokens += g.tokens - tokens;
      cur.usedAt = at;
      cur.grantedAt = at;
      cur.until = Math.min(cur.until, until);
      if (now > this.revokedAt) cur.confirmedAt = Math.max(cur.confirmedAt, now);
    } else {
      // A budget came or went, a period ended, or a new generation began: the old lease goes back
      // (under its generation), the new one serves.
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
        grantedAt: at,
        processId: gen,
        calls: this.counter(gen),
      });
    }
    this.counter(gen).n++;
    return { kind: 'held', hold: { budgetIds: g.budgetIds, micros, tokens, processId: gen } };
  }

  /** The count of calls in flight of a generation. */
  private counter(id: string): { n: number } {
    let c = this.inFlight.get(id);
    if (!c) {
      c = { n: 0 };
      this.inFlight.set(id, c);
    }
    return c;
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
   * Says this process is alive for its lease rows (every generation that may hold something) and
   * confirms the leases whose rows are all there. A lease with a row missing (the sweep took it)
   * serves no more, and later leases go under a new generation; so do they when the current
   * generation went unbeaten for confirmMs (this process was paused, or the database was out).
   * A lease whose statement returned after this heartbeat was sent is left alone: its rows may
   * have been committed after the heartbeat's snapshot.
   */
  async heartbeat(): Promise<void> {
    const sentAt = this.now();
    if (!this.leased) {
      this.genBeatAt = sentAt;
      return;
    }
    this.checkGeneration(sentAt);
    const gen = this.gen;
    const held = new Map<string, Set<string>>();
    for (const id of [...this.gens]) {
      held.set(id, new Set(await this.deps.store.heartbeatLeases(id)));
    }
    if (gen === this.gen) this.genBeatAt = Math.max(this.genBeatAt, sentAt);
    if (sentAt <= this.revokedAt) return;
    let missing = false;
    for (const l of this.leases.values()) {
      if (l.confirmedAt > sentAt || l.grantedAt >= sentAt) continue;
      const rows = held.get(l.processId);
      if (rows && l.budgetIds.every((id) => rows.has(id))) l.confirmedAt = sentAt;
      else {
        l.confirmedAt = Number.NEGATIVE_INFINITY;
        if (l.processId === this.gen) missing = true;
      }
    }
    if (missing) this.newGeneration(this.now());
  }

  /**
   * Settles calls served from leases (once each; idempotent by task id), each under the generation
   * it was reserved under. Calls whose settlement fails are kept and retried by the idle timer and
   * on close(), apart from later batches (else their estimate would stay reserved, and their cost
   * uncharged, for as long as this process lives).
   */
  async settle(calls: LeasedCall[]): Promise<void> {
    if (!calls.length) return;
    const byGen = new Map<string, LeasedCall[]>();
    for (const c of calls) {
      const id = c.processId ?? this.deps.processId;
      byGen.set(id, [...(byGen.get(id) ?? []), c]);
    }
    let failed: unknown = null;
    for (const [id, group] of byGen) {
      try {
        await this.deps.settle(id, group);
        const c = this.counter(id);
        c.n = Math.max(0, c.n - group.length);
      } catch (e) {
        this.unsettled.push(...group);
        failed ??= e;
      }
    }
    if (failed) throw failed;
  }

  /**
   * Settles, once and without retrying, calls the recorder dropped (no task row is ever written, so
   * nothing marks them settled: a retry after a statement that committed but whose answer was lost
   * would give their estimate back twice). A failure leaves the estimate counted on its generation's
   * rows: given back by the sweep once this process stops.
   */
  async settleOnce(calls: LeasedCall[]): Promise<void> {
    const byGen = new Map<string, LeasedCall[]>();
    for (const c of calls) {
      const id = c.processId ?? this.deps.processId;
      byGen.set(id, [...(byGen.get(id) ?? []), c]);
    }
    for (const [id, group] of byGen) {
      const c = this.counter(id);
      c.n = Math.max(0, c.n - group.length);
      await this.deps.settle(id, group);
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
    const wall = this.wall();
    for (const l of this.replaced) {
      if (l.micros > 0 || l.tokens > 0) await this.giveBack(l);
      if (l.micros === 0 && l.tokens === 0) this.replaced.delete(l);
    }
    for (const [key, l] of this.leases) {
      if (now - l.usedAt < idleMs && wall < l.until && l.processId === this.gen) continue;
      if (l.micros > 0 || l.tokens > 0) await this.giveBack(l);
      if (l.micros === 0 && l.tokens === 0 && this.leases.get(key) === l) this.leases.delete(key);
    }
    await this.forgetOldGenerations();
  }

  /** An old generation holding nothing any more (no lease, no call in flight): its rows are dropped. */
  private async forgetOldGenerations(): Promise<void> {
    for (const id of [...this.gens]) {
      if (id === this.gen || (this.inFlight.get(id)?.n ?? 0) > 0) continue;
      if (this.unsettled.some((c) => (c.processId ?? this.deps.processId) === id)) continue;
      const holds = (l: Lease) => l.processId === id && (l.micros > 0 || l.tokens > 0);
      if ([...this.leases.values()].some(holds) || [...this.replaced].some(holds)) continue;
      try {
        await this.deps.store.dropEmptyLeases(id);
        this.gens.delete(id);
        this.inFlight.delete(id);
      } catch {
        // Dropped on a later round.
      }
    }
  }

  /** Shutdown (after the recorder's last batch): every lease back, the emptied rows forgotten. */
  async close(): Promise<void> {
    clearInterval(this.idleTimer);
    clearInterval(this.heartbeatTimer);
    await this.settleAgain().catch(() => {});
    await this.release();
    if (this.leased) for (const id of this.gens) await this.deps.store.dropEmptyLeases(id).catch(() => {});
  }

  private async giveBack(l: Lease): Promise<void> {
    const m = l.micros;
    const t = l.tokens;
    if (m <= 0 && t <= 0) return;
    l.micros = 0;
    l.tokens = 0;
    try {
      await this.deps.store.releaseLease(l.processId, l.budgetIds, m, t);
    } catch {
      // Kept: the next idle round (or the sweep, if this process dies) gives it back.
      l.micros += m;
      l.tokens += t;
    }
  }
}
