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
 *   account row, as budgetStore.ts's reserveAndStart), counted in gateway_leases.micros: an account
 *   whose block/approve budget has no room for the call is refused, and the call tries the next one.
 * - record: one statement per batch: inserts the tasks (source `gateway`, ON CONFLICT DO NOTHING on
 *   their ids), their settled attempts, and — for the tasks inserted by this statement only — gives
 *   the reservations back (tokens, and micro-dollars on the account's budgets) and charges the usage.
 *   A batch written twice changes nothing the second time.
 */
export function createGatewayStore(
  db: Db,
  routing: RoutingStore,
  opts: { snapshotTtlMs?: number } = {},
): GatewayStore {
  const pool = poolOf(db);
  const ttl = opts.snapshotTtlMs ?? 250;
  /**
   * Per account: the tokens (and, when the account has money budgets, micro-dollars on them) this
   * process holds beyond its calls in flight.
   */
  const leases = new Map<string, { available: number; micros: number; budgeted: boolean; usedAt: number }>();
  const processId = randomUUID();
  /** Gives back the unused part of the leases (all, or those idle for `idleMs`). */
  const releaseLeases = async (idleMs = 0) => {
    const now = performance.now();
    for (const [id, l] of leases) {
      if ((l.available <= 0 && l.micros <= 0) || now - l.usedAt < idleMs) continue;
      const n = l.available;
      const m = l.micros;
      l.available = 0;
      l.micros = 0;
      await queryPrepared(
        pool,
        sql`
        WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true) AS v), acct AS (
          SELECT id FROM provider_accounts WHERE id = ${id} FOR UPDATE
        ), lh AS (
          -- The account row is locked before the lease row, as by reserve and record (the other order
          -- deadlocks with them). Never more than the lease row holds (FOR UPDATE: its latest value):
          -- a process the sweep took for dead (paused, then resumed) gives back nothing twice.
          SELECT account_id, least(tokens, ${n}::bigint) AS t, least(micros, ${m}::bigint) AS m
          FROM gateway_leases WHERE process_id = ${processId}::uuid AND account_id IN (SELECT id FROM acct)
          FOR UPDATE
        ), held AS (
          UPDATE gateway_leases g SET tokens = greatest(0, g.tokens - lh.t), micros = greatest(0, g.micros - lh.m),
                 heartbeat_at = now()
          FROM lh WHERE g.process_id = ${processId}::uuid AND g.account_id = lh.account_id
        ), freed AS (
          UPDATE provider_accounts p SET token_reserved = greatest(0, p.token_reserved - lh.t), updated_at = now()
          FROM lh, relaxed WHERE p.id = lh.account_id
          RETURNING p.id
        )
        -- The account's money budgets, locked after the account row.
        UPDATE budgets SET reserved_micros = greatest(0, budgets.reserved_micros - lh.m), updated_at = now()
        FROM lh
        WHERE budgets.scope = 'provider_account' AND budgets.scope_id = lh.account_id AND lh.m > 0`,
      ).catch(() => {
        l.available += n;
        l.micros += m;
      });
    }
  };
  const idle = setInterval(() => void releaseLeases(LEASE_IDLE_MS), LEASE_IDLE_MS);
  idle.unref();
  const heartbeat = setInterval(() => {
    if (leases.size === 0) return;
    void queryPrepared(
      pool,
      sql`UPDATE gateway_leases SET heartbeat_at = now() WHERE process_id = ${processId}::uuid`,
    ).catch(() => {});
  }, HEARTBEAT_MS);
  heartbeat.unref();
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
      const l = leases.get(accountId);
      if (l && l.available >= tokens && (!l.budgeted || l.micros >= micros)) {
        // The hot path: out of this process's lease, no round trip.
        l.available -= tokens;
        l.usedAt = performance.now();
        if (!l.budgeted) return 0;
        l.micros -= micros;
        return micros;
      }
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
        ), held AS (
          INSERT INTO gateway_leases (process_id, account_id, tokens, micros)
          SELECT ${processId}::uuid, id, n * ${tokens}::bigint, m FROM granted
          ON CONFLICT (process_id, account_id)
          DO UPDATE SET tokens = gateway_leases.tokens + excluded.tokens,
                        micros = gateway_leases.micros + excluded.micros, heartbeat_at = now()
        )
        SELECT (n * ${tokens}::bigint)::text AS n, m::text AS m, budgeted FROM granted`,
      );
      if (!row) return null;
      const budgeted = (row as { budgeted?: boolean }).budgeted === true;
      const cur = leases.get(accountId) ?? { available: 0, micros: 0, budgeted, usedAt: 0 };
      // A money budget came or went on the account: the lease follows what this statement found.
      cur.budgeted = budgeted;
      cur.available += Number(row.n) - tokens;
      cur.micros += Number(row.m) - (budgeted ? micros : 0);
      cur.usedAt = performance.now();
      leases.set(accountId, cur);
      return budgeted ? micros : 0;
    },

    releaseLeases,

    async close() {
      clearInterval(idle);
      clearInterval(heartbeat);
      await releaseLeases();
      // Everything recorded and given back: what is left counted here is nobody's.
      await queryPrepared(
        pool,
        sql`DELETE FROM gateway_leases WHERE process_id = ${processId}::uuid AND tokens = 0 AND micros = 0`,
      ).catch(() => {});
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
            tokens_input integer, tokens_output integer, tokens_reserved integer, micros_reserved bigint, latency_ms integer,
            error_code text, error_message text, cost_micros bigint, created_at timestamptz)
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
          SELECT account_id, sum(tokens_reserved)::bigint AS reserved, sum(micros_reserved)::bigint AS reserved_m,
                 sum(tokens_input + tokens_output)::bigint AS used, sum(cost_micros)::bigint AS micros
          FROM a GROUP BY account_id
        ), acct AS (
          -- The accounts first, in id order (two batches on the same accounts lock them in one order)…
          SELECT id FROM provider_accounts WHERE id IN (SELECT account_id FROM s) ORDER BY id FOR UPDATE
        ), lh AS (
          -- …then this process's lease rows on them (FOR UPDATE: their latest values).
          SELECT account_id, tokens, micros FROM gateway_leases
          WHERE process_id = $3::uuid AND account_id IN (SELECT id FROM acct)
          FOR UPDATE
        ), d AS (
          -- Never more than the lease row holds: a process the sweep took for dead (paused, then
          -- resumed) gives back nothing twice; the account gives back what the lease row gives back.
          SELECT s.account_id, s.used, s.micros, least(s.reserved, coalesce(lh.tokens, 0)) AS t,
                 least(s.reserved_m, coalesce(lh.micros, 0)) AS m
          FROM s JOIN acct ON acct.id = s.account_id LEFT JOIN lh ON lh.account_id = s.account_id
        ), charged AS (
          UPDATE provider_accounts AS p
          SET token_reserved = greatest(0, p.token_reserved - d.t),
              token_used = p.token_used + d.used,
              spent_micros = p.spent_micros + d.micros,
              updated_at = now()
          FROM d
          WHERE p.id = d.account_id
          RETURNING p.id
        ), account_budgets AS (
          -- The accounts' own budgets (provider_account scope) are charged as a worker's settle charges
          -- them; reads charged, so the account row is locked before its budgets.
          UPDATE budgets SET
            reserved_micros = greatest(0, budgets.reserved_micros - d.m),
            spent_micros = (CASE WHEN resets_at <= now() THEN 0 ELSE spent_micros END) + d.micros,
            spent_tokens = (CASE WHEN resets_at <= now() THEN 0 ELSE spent_tokens END) + d.used,
            resets_at = CASE WHEN resets_at <= now() THEN budget_period_end(period, time_zone, now()) ELSE resets_at END,
            updated_at = now()
          FROM d JOIN charged ON charged.id = d.account_id
          WHERE budgets.scope = 'provider_account' AND budgets.scope_id = d.account_id
        ), held AS (
          UPDATE gateway_leases AS g
          SET tokens = greatest(0, g.tokens - d.t), micros = greatest(0, g.micros - d.m), heartbeat_at = now()
          -- The account row is locked (acct) before the lease row (lh), as by reserve.
          FROM d JOIN charged ON charged.id = d.account_id
          WHERE g.process_id = $3::uuid AND g.account_id = d.account_id
        )
        SELECT count(*)::int AS n FROM inserted`,
        [noNul(JSON.stringify(tasks)), noNul(JSON.stringify(attempts)), processId],
      );
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
