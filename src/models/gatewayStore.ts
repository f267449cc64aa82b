import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { GatewayStore } from '../core/gateway/ports.js';
import type { RoutingStore, RoutingTarget } from '../core/routing/ports.js';
import type { Db } from './db.js';
import { DEAD_LEASE_SECONDS } from './gatewayLeaseSweep.js';
import { recordGatewayCalls } from './gatewayRecord.js';
import { poolOf, queryPrepared } from './preparedStatements.js';

/** A budget's spent amount and reset as of now (a passed resets_at starts the next period). */
const LIVE_SPENT = sql.raw('CASE WHEN resets_at <= now() THEN 0 ELSE spent_micros END');
const NEXT_RESET = sql.raw(
  'CASE WHEN resets_at <= now() THEN budget_period_end(period, time_zone, now()) ELSE resets_at END',
);

/** A lease covers this many calls of the size that asked for it, and at most 1/LEASE_SHARE of the room left. */
const LEASE_CALLS = 32;
const LEASE_SHARE = 20;
/** A lease unused this long goes back to the account. */
const LEASE_IDLE_MS = 1_000;
/** How often a process says it is alive for what it holds (gateway_leases.heartbeat_at). */
const HEARTBEAT_MS = 10_000;
/**
 * A lease serves from memory only this long after the database last confirmed its rows (its
 * reservation, or a heartbeat that found them): half the sweep's threshold, so a process paused long
 * enough to be swept never serves from a lease with nothing reserved behind it.
 */
export const CONFIRM_MS = (DEAD_LEASE_SECONDS * 1000) / 2;

interface AccountLease {
  available: number;
  micros: number;
  budgetIds: string[];
  usedAt: number;
  confirmedAt: number;
  /** When its latest lease statement returned: a heartbeat sent before that cannot void it. */
  grantedAt: number;
  /** The lease generation (process_id in gateway_leases and budget_leases) it is counted under. */
  processId: string;
}

/** What a lease of an older generation, or on budgets that changed, still has to give back. */
interface Orphan {
  processId: string;
  accountId: string;
  tokens: number;
  budgetIds: string[];
  micros: number;
}

/**
 * The gateway's storage (core/gateway/ports.ts) on PostgreSQL.
 *
 * - snapshot: the routing store's view, shared for `snapshotTtlMs` by every call of this process
 *   (one read at a time). Budgets in it may be that old: the reservation re-checks them.
 * - reserve: budget leases. One UPDATE, guarded by `used + reserved + n <= limit` (as
 *   budgetStore.ts), reserves a lease of n tokens on the account for this process: enough for
 *   LEASE_CALLS calls of this size, at most 1/LEASE_SHARE of the room left, at least this call. The
 *   following calls take their reservation out of the lease in memory (JavaScript runs one call at a
 *   time, so that is atomic too), with no round trip. The database's token_reserved always covers
 *   every call in flight, so no process can pass the limit; what a lease holds beyond them goes back
 *   after LEASE_IDLE_MS without use, and on shutdown. What the process holds (lease and calls in
 *   flight) is also counted in gateway_leases under its process id, with a heartbeat every
 *   HEARTBEAT_MS, so that a process killed without shutting down does not hold budget for ever: the
 *   worker's budget job gives a dead process's holdings back (releaseDeadGatewayLeases). The account's
 *   own money budgets (provider_account scope) are leased by the same statement (locked after the
 *   account row, as budgetStore.ts's reserveAndStart), counted per budget in budget_leases under this
 *   process's id (swept by the budget job's releaseDeadLeases): an account whose block/approve budget
 *   has no room for the call is refused, and the call tries the next one. Each call carries the
 *   budgets its money was reserved on, so a budget added or removed mid-lease gets back exactly what
 *   it got. gateway_leases.micros is only read by the sweep (rows of older releases).
 *   A lease serves from memory only within `confirmMs` of the database confirming its rows (its
 *   statement, or a heartbeat finding them); a budget change (revokeLeases) voids every lease.
 *   "This process's id" is a lease generation: a new one begins when the sweep may have taken the
 *   current one's rows, and every reservation carries the generation it was reserved under
 *   (AccountHold.leaseId), which record, dropped and the give-backs use.
 * - record: one statement per batch (models/gatewayRecord.ts): the tasks, their settled attempts,
 *   the reservations given back and the usage charged; a batch written twice changes nothing.
 */
export function createGatewayStore(
  db: Db,
  routing: RoutingStore,
  opts: {
    snapshotTtlMs?: number;
    /** How often the process says it is alive for what it holds (tests shorten it). */
    heartbeatMs?: number;
    /**
     * How long a lease confirmed by the database (its reservation, or a heartbeat that found its
     * rows) may serve calls from memory; after that the next call leases afresh. Well below
     * DEAD_LEASE_SECONDS: a process paused past it (SIGSTOP, a long GC, a VM pause) may have been
     * swept, and must not serve from a lease with nothing reserved behind it.
     */
    confirmMs?: number;
    /** The clock (ms, monotonic): tests inject one. */
    now?: () => number;
  } = {},
): GatewayStore & { heartbeat(): Promise<void>; revokeLeases(): void } {
  const pool = poolOf(db);
  const ttl = opts.snapshotTtlMs ?? 250;
  const now = opts.now ?? (() => performance.now());
  const confirmMs = opts.confirmMs ?? CONFIRM_MS;
  /**
   * Per account: the tokens this process holds beyond its calls in flight and, when the account has
   * money budgets, the micro-dollars it holds beyond them on each of `budgetIds` (the budgets the
   * lease was reserved on: a budget added since binds from the next lease, one removed is not
   * given anything back). `confirmedAt`: when the database last showed the lease's rows there.
   */
  const leases = new Map<string, AccountLease>();
  /** What could not go back yet (its lease replaced): retried by the idle release. */
  const orphans: Orphan[] = [];
  /**
   * Lease generations: the rows are counted under `gen`. When the sweep may have taken them (no
   * heartbeat of `gen` for confirmMs while it may have rows, or a heartbeat found a row missing),
   * new leases go under a new id; what the older generation holds (leftovers, calls in flight) is
   * given back and recorded under its own id, never more than its rows hold, so it can never take
   * the money or tokens a newer lease reserved on a re-created row.
   */
  const firstId = randomUUID();
  let gen = firstId;
  let genUsed = false;
  let genBeatAt = now();
  let leasedAny = false;
  /** Every generation that may still hold something: beaten, given back, dropped on close. */
  const gens = new Set([gen]);
  /** Attempts reserved and not yet recorded (or dropped), per generation. */
  const inFlight = new Map<string, number>();
  const track = (pid: string, n: number) => inFlight.set(pid, Math.max(0, (inFlight.get(pid) ?? 0) + n));
  const newGeneration = (at: number) => {
    gen = randomUUID();
    gens.add(gen);
    genUsed = false;
    genBeatAt = at;
  };
  const checkGeneration = (at: number) => {
    if (at - genBeatAt < confirmMs) return;
    if (genUsed) newGeneration(at);
    else genBeatAt = at;
  };
  /** When the leases were last revoked: a confirmation sent before that confirms nothing. */
  let revokedAt = Number.NEGATIVE_INFINITY;
  const giveBackTokens = async (processId: string, accountId: string, n: number) => {
    if (n <= 0) return;
    await queryPrepared(
      pool,
      sql`
      WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true) AS v), acct AS (
        SELECT id FROM provider_accounts WHERE id = ${accountId} FOR UPDATE
      ), lh AS (
        -- The account row is locked before the lease row, as by reserve and record (the other order
        -- deadlocks with them). Never more than the lease row holds (FOR UPDATE: its latest value):
        -- a process the sweep took for dead (paused, then resumed) gives back nothing twice.
        SELECT account_id, least(tokens, ${n}::bigint) AS t
        FROM gateway_leases WHERE process_id = ${processId}::uuid AND account_id IN (SELECT id FROM acct)
        FOR UPDATE
      ), held AS (
        UPDATE gateway_leases g SET tokens = greatest(0, g.tokens - lh.t), heartbeat_at = now()
        FROM lh WHERE g.process_id = ${processId}::uuid AND g.account_id = lh.account_id
      )
      UPDATE provider_accounts p SET token_reserved = greatest(0, p.token_reserved - lh.t), updated_at = now()
      FROM lh, relaxed WHERE p.id = lh.account_id`,
    );
  };
  /** Money back to exactly the budgets it was reserved on, never more than the generation's row holds. */
  const giveBackMicros = async (processId: string, budgetIds: string[], m: number) => {
    if (m <= 0 || !budgetIds.length) return;
    await queryPrepared(
      pool,
      sql`
      WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true) AS v), lk AS (
        SELECT id FROM budgets WHERE id = ANY(${`{${budgetIds.join(',')}}`}::uuid[]) ORDER BY id FOR UPDATE
      ), old AS (
        -- After the budgets, as the budget job's sweep (releaseDeadLeases) locks them.
        SELECT budget_id, least(micros, ${m}::bigint) AS m
        FROM budget_leases WHERE process_id = ${processId}::uuid AND budget_id IN (SELECT id FROM lk)
        FOR UPDATE
      ), held AS (
        UPDATE budget_leases l SET micros = greatest(0, l.micros - old.m), heartbeat_at = now()
        FROM old WHERE l.process_id = ${processId}::uuid AND l.budget_id = old.budget_id
      )
      UPDATE budgets u SET reserved_micros = greatest(0, u.reserved_micros - old.m), updated_at = now()
      FROM old, relaxed WHERE u.id = old.budget_id`,
    );
  };
  /** Gives back a lease's unused part (kept in it when the database refuses, for the next round). */
  const giveBack = async (accountId: string, l: AccountLease) => {
    const n = l.available;
    const m = l.micros;
    l.available = 0;
    l.micros = 0;
    try {
      await giveBackTokens(l.processId, accountId, n);
    } catch (e) {
      l.available += n;
      l.micros += m;
      throw e;
    }
    try {
      await giveBackMicros(l.processId, l.budgetIds, m);
    } catch (e) {
      l.micros += m;
      throw e;
    }
  };
  /** Gives back the unused part of the leases (all, or those idle for `idleMs`). */
  const giveBackOrphan = async (o: Orphan) => {
    try {
      await giveBackTokens(o.processId, o.accountId, o.tokens);
      o.tokens = 0;
      await giveBackMicros(o.processId, o.budgetIds, o.micros);
    } catch {
      orphans.push(o);
    }
  };
  const releaseLeases = async (idleMs = 0) => {
    const at = now();
    for (const o of orphans.splice(0)) await giveBackOrphan(o);
    for (const [id, l] of leases) {
      const old = l.processId !== gen;
      if (!old && ((l.available <= 0 && l.micros <= 0) || at - l.usedAt < idleMs)) continue;
      await giveBack(id, l).catch(() => {});
      if (old && l.available <= 0 && l.micros <= 0 && leases.get(id) === l) leases.delete(id);
    }
    // An older generation holding nothing any more: its rows are dropped, it is forgotten.
    for (const pid of [...gens]) {
      if (pid === gen || (inFlight.get(pid) ?? 0) > 0) continue;
      if (orphans.some((o) => o.processId === pid)) continue;
      if ([...leases.values()].some((l) => l.processId === pid)) continue;
      await dropEmpty(pid)
        .then(() => {
          gens.delete(pid);
          inFlight.delete(pid);
        })
        .catch(() => {});
    }
  };
  const dropEmpty = (processId: string) =>
    queryPrepared(
      pool,
      sql`WITH g AS (
          DELETE FROM gateway_leases WHERE process_id = ${processId}::uuid AND tokens = 0 AND micros = 0
        )
        DELETE FROM budget_leases WHERE process_id = ${processId}::uuid AND micros = 0 AND tokens = 0`,
    );
  const heartbeat = async () => {
    const sentAt = now();
    if (!leasedAny) {
      genBeatAt = sentAt;
      return;
    }
    checkGeneration(sentAt);
    const current = gen;
    // Which rows are still there, for every generation that may hold something: a lease whose rows
    // the sweep took (this process was paused past DEAD_LEASE_SECONDS) no longer serves; the next
    // call gives back what is left (under its generation) and leases afresh (under a new one).
    const r = await queryPrepared<{ p: string; k: string; id: string }>(
      pool,
      sql`
      WITH g AS (
        UPDATE gateway_leases SET heartbeat_at = now() WHERE process_id = ANY(${`{${[...gens].join(',')}}`}::uuid[])
        RETURNING process_id, account_id
      ), b AS (
        UPDATE budget_leases SET heartbeat_at = now() WHERE process_id = ANY(${`{${[...gens].join(',')}}`}::uuid[])
        RETURNING process_id, budget_id
      )
      SELECT process_id::text AS p, 'a' AS k, account_id::text AS id FROM g
      UNION ALL SELECT process_id::text, 'b', budget_id::text FROM b`,
    );
    if (current === gen) genBeatAt = Math.max(genBeatAt, sentAt);
    const rows = new Set(r.map((x) => `${x.p}|${x.k}|${x.id}`));
    if (sentAt <= revokedAt) return;
    let missing = false;
    for (const [id, l] of leases) {
      // A lease whose statement returned after this heartbeat was sent may have committed its rows
      // after the heartbeat's snapshot: left alone.
      if (l.confirmedAt > sentAt || l.grantedAt >= sentAt) continue;
      const p = l.processId;
      if (rows.has(`${p}|a|${id}`) && l.budgetIds.every((b) => rows.has(`${p}|b|${b}`)))
        l.confirmedAt = sentAt;
      else {
        l.confirmedAt = Number.NEGATIVE_INFINITY;
        if (p === gen) missing = true;
      }
    }
    if (missing) newGeneration(now());
  };
  const idle = setInterval(() => void releaseLeases(LEASE_IDLE_MS), LEASE_IDLE_MS);
  idle.unref();
  const beat = setInterval(() => void heartbeat().catch(() => {}), opts.heartbeatMs ?? HEARTBEAT_MS);
  beat.unref();
  let cached: { at: number; value: Promise<RoutingTarget[]> } | null = null;
  return {
    snapshot() {
      const now = performance.now();
      if (!cached || now - cached.at > ttl) {
        const value = routing.snapshot();
        const entry = { at: now, value };
        cached = entry;
        value.catch(() => {
          if (cached === entry) cached = null;
        });
      }
      return cached.value;
    },

    async reserve(accountId, tokens, micros = 0) {
      const at = now();
      checkGeneration(at);
      const l = leases.get(accountId);
      if (l && l.processId === gen && at - l.confirmedAt < confirmMs) {
        if (l.available >= tokens && (!l.budgetIds.length || l.micros >= micros)) {
          // The hot path: out of this process's lease, no round trip.
          l.available -= tokens;
          l.usedAt = at;
          track(l.processId, 1);
          if (!l.budgetIds.length) return { micros: 0, budgetIds: [], leaseId: l.processId };
          l.micros -= micros;
          return { micros, budgetIds: l.budgetIds, leaseId: l.processId };
        }
      } else if (l) {
        // Not confirmed for too long, or of an older generation: what is left goes back first,
        // under its own generation (never more than its rows hold, so nothing twice if the sweep
        // took them), then the statement below leases afresh under the current one.
        leases.delete(accountId);
        await giveBack(accountId, l).catch(() =>
          orphans.push({
            processId: l.processId,
            accountId,
            tokens: l.available,
            budgetIds: l.budgetIds,
            micros: l.micros,
          }),
        );
      }
      const processId = gen;
      genUsed = true;
      leasedAny = true;
      const [row] = await queryPrepared<{ n: string; m: string }>(
        pool,
        sql`
        WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true) AS v), acct AS (
          SELECT id, token_limit - token_used - token_reserved AS room
          FROM provider_accounts WHERE id = ${accountId} AND status = 'active'
          FOR UPDATE
        ), pb AS (
          -- The account's money budgets, locked after the account (as the router's reserveAndStart).
          SELECT id, action, limit_micros, reserved_micros,
                 ${LIVE_SPENT} AS spent_m, ${NEXT_RESET} AS next_reset
          FROM budgets
          WHERE scope = 'provider_account' AND scope_id = ${accountId}::uuid AND EXISTS (SELECT 1 FROM acct)
          ORDER BY id
          FOR UPDATE
        ), pb_over AS (
          SELECT 1 FROM pb
          WHERE action <> 'notify' AND limit_micros IS NOT NULL AND spent_m + reserved_micros + ${micros}::bigint > limit_micros
        ), k AS (
          -- How many calls of this size the lease covers: at most LEASE_CALLS, at most 1/LEASE_SHARE
          -- of the room left on the account and on its money budgets, at least this call.
          SELECT acct.id, greatest(1, least(${LEASE_CALLS}::bigint,
                   acct.room / ${LEASE_SHARE}::bigint / nullif(${tokens}::bigint, 0),
                   (SELECT min(limit_micros - spent_m - reserved_micros) FROM pb
                    WHERE action <> 'notify' AND limit_micros IS NOT NULL) / ${LEASE_SHARE}::bigint / nullif(${micros}::bigint, 0))) AS n,
                 EXISTS (SELECT 1 FROM pb) AS budgeted
          FROM acct
        ), granted AS (
          UPDATE provider_accounts AS p
          SET token_reserved = p.token_reserved + k.n * ${tokens}::bigint, updated_at = now()
          FROM k, relaxed
          WHERE p.id = k.id AND p.token_used + p.token_reserved + k.n * ${tokens}::bigint <= p.token_limit
            AND NOT EXISTS (SELECT 1 FROM pb_over)
          RETURNING p.id, k.n, CASE WHEN k.budgeted THEN k.n * ${micros}::bigint ELSE 0 END AS m, k.budgeted
        ), pb_reserved AS (
          UPDATE budgets u
          SET reserved_micros = u.reserved_micros + granted.m, spent_micros = pb.spent_m,
              resets_at = pb.next_reset, updated_at = now()
          FROM pb, granted
          WHERE u.id = pb.id
        ), pb_held AS (
          -- The money held per budget (budget_leases, under this process's id): given back to exactly
          -- the budgets that got it, by this process or by the budget job's sweep if it dies.
          INSERT INTO budget_leases (process_id, budget_id, micros)
          SELECT ${processId}::uuid, pb.id, granted.m FROM pb, granted
          ON CONFLICT (process_id, budget_id)
          DO UPDATE SET micros = budget_leases.micros + excluded.micros, heartbeat_at = now()
        ), held AS (
          INSERT INTO gateway_leases (process_id, account_id, tokens)
          SELECT ${processId}::uuid, id, n * ${tokens}::bigint FROM granted
          ON CONFLICT (process_id, account_id)
          DO UPDATE SET tokens = gateway_leases.tokens + excluded.tokens, heartbeat_at = now()
        )
        SELECT (n * ${tokens}::bigint)::text AS n, m::text AS m,
               coalesce((SELECT array_agg(id::text ORDER BY id) FROM pb), '{}') AS budget_ids
        FROM granted`,
      );
      if (!row) return null;
      const budgetIds = (row as { budget_ids?: string[] }).budget_ids ?? [];
      const confirmedAt = at;
      const fresh = (): AccountLease => ({
        available: 0,
        micros: 0,
        budgetIds,
        usedAt: 0,
        confirmedAt: Number.NEGATIVE_INFINITY,
        grantedAt: 0,
        processId,
      });
      let cur = leases.get(accountId) ?? fresh();
      if (cur.processId !== processId) {
        // A lease of an older generation (a concurrent call's): it goes back under its own id.
        const o = cur;
        if (o.available > 0 || o.micros > 0)
          void giveBackOrphan({
            processId: o.processId,
            accountId,
            tokens: o.available,
            budgetIds: o.budgetIds,
            micros: o.micros,
          });
        cur = fresh();
      }
      if (cur.budgetIds.join() !== budgetIds.join()) {
        // A money budget came or went on the account: what the lease held on the old ones goes back
        // to them (in the background), the new chunk serves.
        const o = { processId, accountId, tokens: 0, budgetIds: cur.budgetIds, micros: cur.micros };
        cur.micros = 0;
        if (o.micros > 0) void giveBackOrphan(o);
        cur.budgetIds = budgetIds;
      }
      cur.available += Number(row.n) - tokens;
      cur.micros += Number(row.m) - (budgetIds.length ? micros : 0);
      cur.usedAt = now();
      cur.grantedAt = cur.usedAt;
      if (confirmedAt > revokedAt) cur.confirmedAt = Math.max(cur.confirmedAt, confirmedAt);
      leases.set(accountId, cur);
      track(processId, 1);
      return budgetIds.length
        ? { micros, budgetIds, leaseId: processId }
        : { micros: 0, budgetIds: [], leaseId: processId };
    },

    async dropped(calls) {
      // Every attempt leaves its generation's in-flight count first: a give-back that fails below
      // must not pin the generation (heartbeaten, and its rows held, for as long as the process lives).
      for (const c of calls) for (const a of c.attempts) track(a.leaseId ?? firstId, -1);
      for (const c of calls)
        for (const a of c.attempts) {
          const pid = a.leaseId ?? firstId;
          const l = leases.get(a.accountId);
          const same = l && l.processId === pid ? l : undefined;
          const ids = a.microsBudgetIds ?? [];
          const m = a.microsReserved ?? 0;
          // Still reserved under its generation's rows: back into the lease of that generation,
          // which goes back as any unused lease does (idle, shutdown), never more than its rows
          // hold; else straight back under its generation (never into a newer one's lease).
          if (same) same.available += a.tokensReserved;
          else await giveBackTokens(pid, a.accountId, a.tokensReserved);
          if (m <= 0) continue;
          if (same && same.budgetIds.join() === ids.join()) same.micros += m;
          else await giveBackMicros(pid, ids, m);
        }
    },

    heartbeat,

    revokeLeases() {
      // A budget was added, removed or changed: no lease serves any more (the next call gives back
      // what is left and leases afresh, against the budgets as they are); the rest goes back now.
      revokedAt = now();
      for (const l of leases.values()) l.confirmedAt = Number.NEGATIVE_INFINITY;
      void releaseLeases().catch(() => {});
    },

    releaseLeases,

    async close() {
      clearInterval(idle);
      clearInterval(beat);
      await releaseLeases();
      // Everything recorded and given back: what is left counted here is nobody's.
      for (const pid of gens) await dropEmpty(pid).catch(() => {});
    },

    async record(calls) {
      if (!calls.length) return;
      await recordGatewayCalls(pool, calls, firstId);
      for (const c of calls) for (const a of c.attempts) track(a.leaseId ?? firstId, -1);
    },
  };
}
