import { sql } from 'drizzle-orm';
import { nextReset, type ResetPeriod } from '../core/budgets/resetSchedule.js';
import type { AttemptOutput, BudgetLedger } from '../core/routing/ports.js';
import { createAttemptSettler, settleAttempts } from './attemptSettlement.js';
import type { Db } from './db.js';
import { poolOf, queryPrepared } from './preparedStatements.js';
import { decisionUpdate } from './routingStore.js';

/** A budget's spent amounts and reset as of now (a passed resets_at starts the next period). */
const LIVE_SPENT = sql.raw('CASE WHEN resets_at <= now() THEN 0 ELSE spent_micros END');
const LIVE_TOKENS = sql.raw('CASE WHEN resets_at <= now() THEN 0 ELSE spent_tokens END');
const NEXT_RESET = sql.raw(
  'CASE WHEN resets_at <= now() THEN budget_period_end(period, time_zone, now()) ELSE resets_at END',
);

/**
 * Token budgets on provider_accounts, kept consistent by single statements:
 *
 * - reserve: `token_reserved += est` only WHERE `token_used + token_reserved + est <= token_limit`,
 *   in the same statement that opens the attempt row — a concurrent worker's UPDATE waits for the row
 *   lock and re-checks the condition, so the limit can never be passed by reservations;
 * - settle: the attempt row is closed (settled_at) and the account updated in one statement
 *   (`token_reserved -= reserved`, `token_used += actual`), guarded by `settled_at IS NULL` so a
 *   re-run or a second call never counts twice;
 * - release: the same settle with no usage;
 * - money: the attempt's costMicros (priced from its real usage by the executor) is stored on the
 *   attempt and added to the account's spent_micros and the task's cost_micros in the same statement;
 * - a succeeded settle also stores the call's answer on the attempt (`output`), in the same statement:
 *   a re-run of a task whose worker died before completing it reads it back (settledOutput) and
 *   completes with it instead of calling a provider again. A worker's death cannot lose it; a
 *   database crash can (synchronous_commit off, below) — then the settlement is lost with it, the
 *   attempt is released as lost, and the re-run calls a provider again, charged once.
 *
 * Every worker reserves and settles on the same few account rows, and a row's lock is held until
 * commit: reserve and settle commit without waiting for the WAL flush (synchronous_commit off for
 * that statement only), so the lock is not held across a disk flush. Changes stay atomic and
 * ordered; only a database crash can lose the last fraction of a second of them, and the completion
 * that follows (a synchronous commit) flushes them first. A lost reservation or settlement is what a
 * lost worker already leaves behind, and releaseStale cleans it up.
 */
export interface BudgetStore extends BudgetLedger {
  /**
   * Releases reservations nobody will settle: attempts not running any more (marked lost by a re-run),
   * attempts of tasks that have ended, and attempts older than their provider's timeout plus
   * `graceSeconds` (the worker died and the task was never re-run).
   */
  releaseStale(graceSeconds: number): Promise<number>;
  /**
   * Resets every account whose reset date has come (token_used = 0, next reset = the next calendar
   * boundary after `now`), and gives accounts with a period but no date their next boundary.
   */
  resetDue(now: Date): Promise<{ reset: number; scheduled: number }>;
}

export function createBudgetStore(db: Db): BudgetStore {
  const pool = poolOf(db);
  // THE settling statement (attemptSettlement.ts); successes finishing together share one.
  const ledgerSql = { liveSpent: LIVE_SPENT, liveTokens: LIVE_TOKENS, nextReset: NEXT_RESET };
  const settler = createAttemptSettler(pool, ledgerSql);
  return {
    async reserveAndStart(a, record) {
      const micros = a.micros ?? 0;
      const [row] = await queryPrepared<{ id: string }>(
        pool,
        sql`
        WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true) AS v), acct AS (
          SELECT id FROM provider_accounts WHERE id = ${a.accountId} FOR UPDATE
        ), pb AS (
          -- The account's money budgets, locked after the account (settle takes them in the same order).
          SELECT id, action, limit_micros, reserved_micros,
                 ${LIVE_SPENT} AS spent_m, ${NEXT_RESET} AS next_reset
          FROM budgets
          WHERE scope = 'provider_account' AND scope_id = ${a.accountId}::uuid AND EXISTS (SELECT 1 FROM acct)
          ORDER BY id
          FOR UPDATE
        ), pb_over AS (
          SELECT 1 FROM pb
          WHERE action <> 'notify' AND limit_micros IS NOT NULL AND spent_m + reserved_micros + ${micros}::bigint > limit_micros
        ), reserved AS (
          UPDATE provider_accounts
          SET token_reserved = token_reserved + ${a.tokens}::bigint, updated_at = now()
          FROM relaxed
          WHERE id = ${a.accountId} AND status = 'active'
            AND token_used + token_reserved + ${a.tokens}::bigint <= token_limit
            AND NOT EXISTS (SELECT 1 FROM pb_over)
          RETURNING id
        ), pb_reserved AS (
          UPDATE budgets u
          SET reserved_micros = u.reserved_micros + ${micros}::bigint, spent_micros = pb.spent_m,
              resets_at = pb.next_reset, updated_at = now()
          FROM pb, reserved
          WHERE u.id = pb.id
        ), started AS (
          INSERT INTO task_assignments (id, task_id, provider_id, provider_name, account_id, status, attempt_count, model, tokens_reserved, micros_reserved)
          SELECT coalesce(${a.id ?? null}::uuid, gen_random_uuid()), ${a.taskId}, ${a.providerId}, ${a.providerName}, reserved.id,
                 'running', ${a.attempt}, ${a.model}::text, ${a.tokens}, ${micros}::bigint
          FROM reserved
          RETURNING id
        )${record ? sql`, recorded AS (${decisionUpdate(record, sql`started`)})` : sql``}
        SELECT id FROM started`,
      );
      return row?.id ?? null;
    },

    settle: async (id, r, record) =>
      record
        ? settler.settle({ id, r, record })
        : (await settleAttempts(pool, [{ id, r }], ledgerSql)).has(id),

    async releaseUnsettled(taskId) {
      return release(db, sql`a.task_id = ${taskId}`);
    },

    async settledOutput(taskId) {
      const [row] = await queryPrepared<{ id: string; output: Record<string, unknown> }>(
        pool,
        sql`
        SELECT id, output FROM task_assignments
        WHERE task_id = ${taskId} AND status = 'succeeded' AND settled_at IS NOT NULL AND output IS NOT NULL
        ORDER BY settled_at DESC, id
        LIMIT 1`,
      );
      if (!row || typeof row.output.text !== 'string') return null;
      return { ...(row.output as unknown as AttemptOutput), assignmentId: row.id };
    },

    async releaseStale(graceSeconds) {
      return release(
        db,
        sql`(a.status <> 'running'
             OR EXISTS (SELECT 1 FROM tasks t WHERE t.id = a.task_id AND t.status IN ('completed', 'failed', 'cancelled', 'queued'))
             OR a.updated_at < now() - make_interval(secs => coalesce((SELECT p.timeout_ms FROM ai_providers p WHERE p.id = a.provider_id), 0) / 1000.0 + ${graceSeconds}::double precision))`,
      );
    },

    async resetDue(now) {
      return db.transaction(async (tx) => {
        const due = await tx.execute<{
          id: string;
          reset_period: ResetPeriod;
          reset_date: Date | string | null;
        }>(sql`
          SELECT id, reset_period, reset_date FROM provider_accounts
          WHERE reset_period <> 'none' AND (reset_date IS NULL OR reset_date <= ${now.toISOString()}::timestamptz)
          ORDER BY id
          FOR UPDATE SKIP LOCKED`);
        let reset = 0;
        let scheduled = 0;
        for (const row of due.rows) {
          const next = nextReset(row.reset_period, now);
          if (!next) continue;
          if (row.reset_date === null) {
            await tx.execute(
              sql`UPDATE provider_accounts SET reset_date = ${next.toISOString()}::timestamptz, updated_at = now() WHERE id = ${row.id}`,
            );
            scheduled++;
          } else {
            await tx.execute(sql`
              UPDATE provider_accounts
              SET token_used = 0, last_reset_at = ${now.toISOString()}::timestamptz, reset_date = ${next.toISOString()}::timestamptz, updated_at = now()
              WHERE id = ${row.id}`);
            reset++;
          }
        }
        return { reset, scheduled };
      });
    },
  };
}

/**
 * Closes unsettled attempts matching `where` (alias `a`) without charging them, and gives their
 * reservations back, in one statement. A worker that was only slow and settles later finds its
 * attempt already settled and changes nothing (its real usage, if any, is then not charged: the
 * trade-off for never counting twice).
 */
async function release(db: Db, where: ReturnType<typeof sql>): Promise<number> {
  const r = await db.execute<{ n: number }>(sql`
    WITH released AS (
      UPDATE task_assignments AS a SET
        status = CASE WHEN a.status = 'running' THEN 'failed' ELSE a.status END,
        error_code = coalesce(a.error_code, 'worker_lost'),
        error_message = coalesce(a.error_message, 'The worker running this attempt stopped before it finished; its reservation was released'),
        settled_at = now(),
        updated_at = now()
      WHERE a.settled_at IS NULL AND ${where}
      RETURNING a.account_id, a.tokens_reserved, a.micros_reserved
    ), per_account AS (
      SELECT account_id, sum(tokens_reserved) AS tokens, sum(micros_reserved) AS micros, count(*) AS n
      FROM released WHERE account_id IS NOT NULL GROUP BY account_id
    ), locked AS (
      -- Several accounts: locked in id order, as the batched settlement locks them (no deadlock).
      SELECT id FROM provider_accounts WHERE id IN (SELECT account_id FROM per_account) ORDER BY id FOR UPDATE
    ), freed AS (
      UPDATE provider_accounts AS p
      SET token_reserved = greatest(0, p.token_reserved - per_account.tokens), updated_at = now()
      FROM per_account
      WHERE p.id = per_account.account_id AND p.id IN (SELECT id FROM locked)
      RETURNING p.id
    ), budgets_locked AS (
      SELECT b.id FROM budgets b
      WHERE b.scope = 'provider_account' AND b.scope_id IN (SELECT id FROM freed)
      ORDER BY b.id FOR UPDATE
    ), freed_budgets AS (
      UPDATE budgets SET reserved_micros = greatest(0, budgets.reserved_micros - per_account.micros), updated_at = now()
      FROM per_account
      WHERE budgets.id IN (SELECT id FROM budgets_locked) AND budgets.scope_id = per_account.account_id
        AND per_account.micros > 0
    )
    SELECT count(*)::int AS n FROM released`);
  return Number(r.rows[0]?.n ?? 0);
}
