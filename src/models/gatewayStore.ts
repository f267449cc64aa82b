import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type pg from 'pg';
import type { GatewayStore } from '../core/gateway/ports.js';
import type { RoutingStore, RoutingTarget } from '../core/routing/ports.js';
import type { Db } from './db.js';
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
/** A process silent this long is dead: the budget job gives its holdings back (releaseDeadGatewayLeases). */
export const DEAD_LEASE_SECONDS = 60;
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
 * - record: one statement per batch: inserts the tasks (source `gateway`, ON CONFLICT DO NOTHING on
 *   their ids), their settled attempts, and — for the tasks inserted by this statement only — gives
 *   the reservations back (tokens, and micro-dollars on the budgets each attempt reserved them on)
 *   and charges the usage.
 *   A batch written twice changes nothing the second time.
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
      const tasks = calls.map((c) => ({
        id: c.taskId,
        user_id: c.userId,
        team_id: c.teamId,
        title: c.title,
        description: c.description,
        task_type: c.taskType,
        status: c.status,
        error: c.error,
        provider_id: c.providerId,
        options: {
          maxTokens: c.maxTokens,
          ...(c.model ? { model: c.model } : {}),
          ...(c.temperature !== undefined ? { temperature: c.temperature } : {}),
        },
        routing: c.routing,
        cost_micros: c.attempts.reduce((n, a) => n + (a.costMicros ?? 0), 0),
        estimated_cost_micros: c.estimatedMicros ?? null,
        created_at: c.createdAt.toISOString(),
        completed_at: c.completedAt.toISOString(),
      }));
      const attempts = calls.flatMap((c) =>
        c.attempts.map((a) => ({
          id: a.id,
          task_id: c.taskId,
          provider_id: a.providerId,
          provider_name: a.providerName,
          account_id: a.accountId,
          status: a.status,
          model: a.model,
          tokens_input: a.tokensInput,
          tokens_output: a.tokensOutput,
          tokens_reserved: a.tokensReserved,
          micros_reserved: a.microsReserved ?? 0,
          micros_budget_ids: a.microsBudgetIds ?? [],
          lease_id: a.leaseId ?? firstId,
          latency_ms: a.latencyMs,
          error_code: a.errorCode,
          error_message: a.errorMessage,
          cost_micros: a.costMicros ?? 0,
          created_at: c.createdAt.toISOString(),
        })),
      );
      await pool.query(
        `
        WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true) AS v),
        t AS (
          SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(
            id uuid, user_id uuid, team_id uuid, title text, description text, task_type text, status text, error text,
            provider_id uuid, options jsonb, routing jsonb, cost_micros bigint, estimated_cost_micros bigint,
            created_at timestamptz, completed_at timestamptz)
        ), inserted AS (
          -- Written here, once (a second write of the batch finds the row and changes nothing). A row
          -- written running by an older release's budget reservation is completed here.
          INSERT INTO tasks (id, user_id, team_id, title, description, task_type, priority, status, source, provider_id,
                             options, error, attempts, routing, cost_micros, estimated_cost_micros, created_at, updated_at,
                             started_at, completed_at)
          SELECT t.id, t.user_id, (SELECT tm.id FROM teams tm WHERE tm.id = t.team_id), t.title, t.description, t.task_type, 'normal', t.status, 'gateway',
                 (SELECT p.id FROM ai_providers p WHERE p.id = t.provider_id), t.options, t.error, 1, t.routing, t.cost_micros,
                 t.estimated_cost_micros, t.created_at, t.completed_at, t.created_at, t.completed_at
          FROM t, relaxed
          WHERE EXISTS (SELECT 1 FROM users u WHERE u.id = t.user_id)
          ON CONFLICT (id) DO UPDATE SET
            status = excluded.status, provider_id = excluded.provider_id, options = excluded.options,
            error = excluded.error, routing = excluded.routing, cost_micros = excluded.cost_micros,
            created_at = excluded.created_at, updated_at = excluded.updated_at,
            started_at = excluded.started_at, completed_at = excluded.completed_at
          WHERE tasks.source = 'gateway' AND tasks.status = 'running'
          RETURNING id
        ), a AS (
          SELECT x.* FROM jsonb_to_recordset($2::jsonb) AS x(
            id uuid, task_id uuid, provider_id uuid, provider_name text, account_id uuid, status text, model text,
            tokens_input integer, tokens_output integer, tokens_reserved integer, micros_reserved bigint, micros_budget_ids uuid[],
            lease_id uuid, latency_ms integer, error_code text, error_message text, cost_micros bigint, created_at timestamptz)
          JOIN inserted i ON i.id = x.task_id
        ), started AS (
          INSERT INTO task_assignments (id, task_id, provider_id, provider_name, account_id, status, attempt_count,
                                        model, tokens_reserved, micros_reserved, tokens_input, tokens_output, tokens_used, latency_ms,
                                        error_code, error_message, cost_micros, settled_at, created_at, updated_at)
          SELECT a.id, a.task_id, (SELECT p.id FROM ai_providers p WHERE p.id = a.provider_id), a.provider_name,
                 (SELECT pa.id FROM provider_accounts pa WHERE pa.id = a.account_id), a.status, 1, a.model,
                 a.tokens_reserved, a.micros_reserved, a.tokens_input, a.tokens_output, a.tokens_input + a.tokens_output, a.latency_ms,
                 a.error_code, a.error_message, a.cost_micros, now(), a.created_at, now()
          FROM a
        ), s AS (
          -- Per account and lease generation (each attempt's reservation is counted under the
          -- generation it was reserved under: given back from exactly those rows).
          SELECT account_id, lease_id, sum(tokens_reserved)::bigint AS reserved,
                 sum(tokens_input + tokens_output)::bigint AS used, sum(cost_micros)::bigint AS micros
          FROM a GROUP BY account_id, lease_id
        ), acct AS (
          -- The accounts first, in id order (two batches on the same accounts lock them in one order)…
          SELECT id FROM provider_accounts WHERE id IN (SELECT account_id FROM s) ORDER BY id FOR UPDATE
        ), lh AS (
          -- …then this process's lease rows on them (FOR UPDATE: their latest values).
          SELECT process_id, account_id, tokens FROM gateway_leases
          WHERE process_id IN (SELECT lease_id FROM s) AND account_id IN (SELECT id FROM acct)
          FOR UPDATE
        ), d AS (
          -- Never more than the lease row holds: a process the sweep took for dead (paused, then
          -- resumed) gives back nothing twice; the account gives back what the lease row gives back.
          SELECT s.account_id, s.lease_id, s.used, s.micros, least(s.reserved, coalesce(lh.tokens, 0)) AS t
          FROM s JOIN acct ON acct.id = s.account_id
          LEFT JOIN lh ON lh.account_id = s.account_id AND lh.process_id = s.lease_id
        ), da AS (
          SELECT account_id, sum(used)::bigint AS used, sum(micros)::bigint AS micros, sum(t)::bigint AS t
          FROM d GROUP BY account_id
        ), bs AS (
          -- The money reserved per budget and generation: each attempt's on exactly the budgets it was reserved on.
          SELECT bid, a.lease_id, sum(a.micros_reserved)::bigint AS m
          FROM a, unnest(a.micros_budget_ids) AS bid WHERE a.micros_reserved > 0 GROUP BY bid, a.lease_id
        ), blk AS (
          -- The accounts' budgets, locked after the accounts and in id order, then this process's
          -- rows on them (as reserve locks them, and the budget job's sweep: budgets, then rows).
          SELECT id FROM budgets
          WHERE scope = 'provider_account' AND scope_id IN (SELECT id FROM acct)
          ORDER BY id FOR UPDATE
        ), blh AS (
          SELECT process_id, budget_id, micros FROM budget_leases
          WHERE process_id IN (SELECT lease_id FROM a) AND budget_id IN (SELECT id FROM blk)
          FOR UPDATE
        ), bd AS (
          -- Never more than the row holds (as for the tokens).
          SELECT bs.bid, bs.lease_id, least(bs.m, blh.micros) AS m
          FROM bs JOIN blh ON blh.budget_id = bs.bid AND blh.process_id = bs.lease_id
        ), charged AS (
          UPDATE provider_accounts AS p
          SET token_reserved = greatest(0, p.token_reserved - da.t),
              token_used = p.token_used + da.used,
              spent_micros = p.spent_micros + da.micros,
              updated_at = now()
          FROM da
          WHERE p.id = da.account_id
          RETURNING p.id
        ), account_budgets AS (
          -- The accounts' own budgets (provider_account scope) are charged as a worker's settle charges
          -- them; reads charged and bd, so the account row and the budget rows are locked first.
          UPDATE budgets SET
            reserved_micros = greatest(0, budgets.reserved_micros
                                          - coalesce((SELECT sum(bd.m) FROM bd WHERE bd.bid = budgets.id), 0)),
            spent_micros = (CASE WHEN resets_at <= now() THEN 0 ELSE spent_micros END) + da.micros,
            spent_tokens = (CASE WHEN resets_at <= now() THEN 0 ELSE spent_tokens END) + da.used,
            resets_at = CASE WHEN resets_at <= now() THEN budget_period_end(period, time_zone, now()) ELSE resets_at END,
            updated_at = now()
          FROM da JOIN charged ON charged.id = da.account_id
          WHERE budgets.scope = 'provider_account' AND budgets.scope_id = da.account_id
            AND (SELECT count(*) FROM bd) >= 0
        ), budget_held AS (
          UPDATE budget_leases AS l SET micros = greatest(0, l.micros - bd.m), heartbeat_at = now()
          FROM bd WHERE l.process_id = bd.lease_id AND l.budget_id = bd.bid
        ), held AS (
          UPDATE gateway_leases AS g
          SET tokens = greatest(0, g.tokens - d.t), heartbeat_at = now()
          -- The account row is locked (acct) before the lease row (lh), as by reserve.
          FROM d JOIN charged ON charged.id = d.account_id
          WHERE g.process_id = d.lease_id AND g.account_id = d.account_id
        )
        SELECT count(*)::int AS n FROM inserted`,
        [noNul(JSON.stringify(tasks)), noNul(JSON.stringify(attempts))],
      );
      for (const c of calls) for (const a of c.attempts) track(a.leaseId ?? firstId, -1);
    },
  };
}

/**
 * jsonb refuses \u0000 and lone UTF-16 surrogates (JSON.stringify writes those, and only those, as
 * \udXXX escapes): a client's text or a provider's error message must not poison a batch.
 */
const noNul = (json: string) =>
  json
    .replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1')
    .replace(/(?<!\\)((?:\\\\)*)\\ud[89a-f][0-9a-f]{2}/gi, '$1\\ufffd');

/**
 * Gives back what gateway processes that stopped beating for `staleSeconds` still hold (their lease
 * and the reservations of calls they never recorded): one statement, run by the worker's budget job.
 * Returns the tokens released.
 */
export async function releaseDeadGatewayLeases(
  q: Pick<pg.Pool, 'query'>,
  staleSeconds = DEAD_LEASE_SECONDS,
): Promise<number> {
  const r = await q.query<{ n: string | null }>(
    `
    WITH stale AS (
      SELECT DISTINCT account_id FROM gateway_leases WHERE heartbeat_at < now() - make_interval(secs => $1)
    ), acct AS (
      -- The accounts first, in id order, then the lease rows: as reserve, record and releaseLeases
      -- lock them (the other order deadlocks with a batch on the same accounts, or with a paused
      -- process that resumes).
      SELECT id FROM provider_accounts WHERE id IN (SELECT account_id FROM stale) ORDER BY id FOR UPDATE
    ), gone AS (
      -- A row whose heartbeat came back meanwhile is re-checked and kept.
      DELETE FROM gateway_leases
      WHERE heartbeat_at < now() - make_interval(secs => $1)
        AND (SELECT count(*) FROM acct) >= 0 AND account_id IN (SELECT id FROM acct)
      RETURNING account_id, tokens, micros
    ), s AS (SELECT account_id, sum(tokens)::bigint AS t, sum(micros)::bigint AS m FROM gone GROUP BY account_id),
    freed AS (
      UPDATE provider_accounts AS p SET token_reserved = greatest(0, p.token_reserved - s.t), updated_at = now()
      FROM s WHERE p.id = s.account_id
      RETURNING p.id
    ), freed_budgets AS (
      -- The money the dead process held on the accounts' own budgets (provider_account scope).
      UPDATE budgets SET reserved_micros = greatest(0, budgets.reserved_micros - s.m), updated_at = now()
      FROM s JOIN freed ON freed.id = s.account_id
      WHERE budgets.scope = 'provider_account' AND budgets.scope_id = s.account_id AND s.m > 0
    )
    SELECT sum(t)::text AS n FROM s`,
    [staleSeconds],
  );
  return Number(r.rows[0]?.n ?? 0);
}
