import { type SQL, sql } from 'drizzle-orm';
import type pg from 'pg';
import { sharedCalls } from '../core/coalescer.js';
import type { DecisionRecord, SettleAttempt } from '../core/routing/ports.js';
import { queryPrepared } from './preparedStatements.js';
import { nextRouting } from './routingStore.js';

/** An attempt to settle; with its decision (stored on its task whether or not the attempt is settled now). */
export type Settlement = { id: string; r: SettleAttempt; record?: DecisionRecord };
/** A success's settlement, which always comes with its decision. */
type Item = Settlement & { record: DecisionRecord };
export type LedgerSql = { liveSpent: SQL; liveTokens: SQL; nextReset: SQL };

/**
 * Settles, in one statement, every attempt that ended with its decision while the previous such
 * statement was on its way: a worker's batch of tasks settles in one or two round trips, and each
 * provider account row (which every worker's reservations and settlements lock in turn) is locked
 * once per statement, not once per attempt. Per attempt, exactly what settling it alone does
 * (models/budgetStore.ts `settle`): the attempt is closed once (settled_at IS NULL), its account and
 * the account's budgets get its reservation back and its usage and cost charged (summed per account
 * here), and its task gets the decision and the cost. Lock order: the attempts and their tasks
 * (the settling and recording updates), then the accounts in id order, then their budgets in id order
 * (`release` takes accounts and budgets the same way). A batch holds one attempt per task (another
 * goes alone). Should a statement fail (a deadlock the database broke, one attempt's value refused),
 * each of its attempts is settled again on its own, so one attempt's fault stays its own
 * (core/coalescer.ts sharedCalls).
 * One statement is on its way at a time: an attempt waiting on a busy row holds the next batch back
 * (latency, never a deadlock: nothing that holds those rows waits on this queue).
 */
export function createAttemptSettler(
  pool: pg.Pool,
  sqls: LedgerSql,
): { settle(item: Item): Promise<boolean> } {
  // One attempt per task in a statement (a task's row is updated once per statement).
  const settle = sharedCalls(
    (items: Item[]) => settleAttempts(pool, items, sqls),
    (item) => item.record.taskId,
  );
  return { settle: async (item) => (await settle(item)).has(item.id) };
}

/**
 * THE settling statement, for one attempt or many (models/budgetStore.ts `settle` sends one alone):
 * the ids of the attempts it settled now (an attempt settled before is left as it is).
 */
export async function settleAttempts(
  pool: pg.Pool,
  items: Settlement[],
  sqls: LedgerSql,
): Promise<Set<string>> {
  const input = JSON.stringify(
    items.map(({ id, r, record }) => ({
      id,
      task_id: record?.taskId ?? null,
      status: r.status,
      model: r.model ?? null,
      tokens_input: r.tokensInput ?? 0,
      tokens_output: r.tokensOutput ?? 0,
      tokens_used: r.tokensUsed ?? 0,
      latency_ms: r.latencyMs ?? null,
      ttft_ms: r.ttftMs ?? null,
      error_code: r.errorCode ?? null,
      error_message: r.errorMessage ? r.errorMessage.slice(0, 2000) : null,
      output: r.output ?? null,
      cost_micros: r.costMicros ?? 0,
      run_key: record?.runKey ?? null,
      decision: record?.decision ?? null,
    })),
  );
  const rows = await queryPrepared<{ id: string }>(pool, settleStatement(input, sqls));
  return new Set(rows.map((x) => x.id));
}

function settleStatement(input: string, { liveSpent, liveTokens, nextReset }: LedgerSql): SQL {
  return sql`
  WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true) AS v), input AS (
    SELECT * FROM jsonb_to_recordset(${input}::jsonb) AS x(
      id uuid, task_id uuid, status text, model text, tokens_input integer, tokens_output integer,
      tokens_used integer, latency_ms integer, ttft_ms integer, error_code text, error_message text,
      output jsonb, cost_micros bigint, run_key text, decision jsonb)
  ), settled AS (
    UPDATE task_assignments AS a SET
      status = i.status, model = coalesce(i.model, a.model), tokens_input = i.tokens_input,
      tokens_output = i.tokens_output, tokens_used = i.tokens_used, latency_ms = i.latency_ms,
      ttft_ms = i.ttft_ms, error_code = i.error_code, error_message = i.error_message,
      output = i.output, cost_micros = i.cost_micros, settled_at = now(), updated_at = now()
    FROM relaxed, input AS i
    WHERE a.id = i.id AND a.settled_at IS NULL
    RETURNING a.id, a.task_id, a.account_id, a.tokens_reserved, a.tokens_used, a.cost_micros, a.micros_reserved
  ), per_account AS (
    SELECT account_id, sum(tokens_reserved)::bigint AS tokens_reserved, sum(tokens_used)::bigint AS tokens_used,
           sum(cost_micros)::bigint AS cost_micros, sum(micros_reserved)::bigint AS micros_reserved
    FROM settled GROUP BY account_id
  ), locked AS (
    SELECT id FROM provider_accounts WHERE id IN (SELECT account_id FROM per_account) ORDER BY id FOR UPDATE
  ), charged AS (
    UPDATE provider_accounts AS p
    SET token_reserved = greatest(0, p.token_reserved - s.tokens_reserved),
        token_used = p.token_used + s.tokens_used,
        spent_micros = p.spent_micros + s.cost_micros,
        updated_at = now()
    FROM per_account AS s
    WHERE p.id = s.account_id AND p.id IN (SELECT id FROM locked)
    RETURNING p.id
  ), budgets_locked AS (
    -- After the accounts (charged is read first), in id order: as reserveAndStart and settle lock them.
    SELECT b.id FROM budgets b
    WHERE b.scope = 'provider_account' AND b.scope_id IN (SELECT id FROM charged)
    ORDER BY b.id FOR UPDATE
  ), account_budgets AS (
    UPDATE budgets SET
      reserved_micros = greatest(0, budgets.reserved_micros - s.micros_reserved),
      spent_micros = ${liveSpent} + s.cost_micros,
      spent_tokens = ${liveTokens} + s.tokens_used,
      resets_at = ${nextReset},
      updated_at = now()
    FROM per_account AS s
    WHERE budgets.id IN (SELECT id FROM budgets_locked) AND budgets.scope_id = s.account_id
  ), recorded AS (
    -- A task gets its attempt's decision (when one comes with it), settled now or not, and its cost
    -- when the attempt was settled now.
    UPDATE tasks SET
      routing = CASE WHEN i.decision IS NULL THEN tasks.routing
                     ELSE ${nextRouting(sql.raw('i.decision'), sql.raw('i.run_key'))} END,
      cost_micros = tasks.cost_micros + coalesce(s.cost_micros, 0)
    FROM relaxed, input AS i LEFT JOIN settled AS s ON s.id = i.id
    WHERE tasks.id = coalesce(i.task_id, s.task_id) AND (i.decision IS NOT NULL OR s.cost_micros > 0)
  )
  SELECT id FROM settled`;
}
