import type pg from 'pg';
import type { GatewayCallRecord } from '../core/gateway/ports.js';

/** The batch's task rows, as the statement reads them (jsonb_to_recordset). */
const taskRows = (calls: GatewayCallRecord[]) =>
  calls.map((c) => ({
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

/** Their attempt rows; `defaultLeaseId`: the generation of an attempt that carries none. */
const attemptRows = (calls: GatewayCallRecord[], defaultLeaseId: string) =>
  calls.flatMap((c) =>
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
      lease_id: a.leaseId ?? defaultLeaseId,
      latency_ms: a.latencyMs,
      error_code: a.errorCode,
      error_message: a.errorMessage,
      cost_micros: a.costMicros ?? 0,
      created_at: c.createdAt.toISOString(),
    })),
  );

/**
 * Records a batch of finished gateway calls (models/gatewayStore.ts `record`): one statement inserts
 * the tasks (source `gateway`, ON CONFLICT DO NOTHING on their ids) and their settled attempts and —
 * for the tasks inserted by this statement only — gives the reservations back (tokens, and
 * micro-dollars on the budgets each attempt reserved them on, never more than the lease rows of the
 * attempt's generation hold) and charges the usage to the accounts and their own budgets.
 * A batch written twice changes nothing the second time. `defaultLeaseId`: the generation of an
 * attempt that carries none.
 */
export async function recordGatewayCalls(
  pool: Pick<pg.Pool, 'query'>,
  calls: GatewayCallRecord[],
  defaultLeaseId: string,
): Promise<void> {
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
    [noNul(JSON.stringify(taskRows(calls))), noNul(JSON.stringify(attemptRows(calls, defaultLeaseId)))],
  );
}

/**
 * jsonb refuses \u0000 and lone UTF-16 surrogates (JSON.stringify writes those, and only those, as
 * \udXXX escapes): a client's text or a provider's error message must not poison a batch.
 */
const noNul = (json: string) =>
  json
    .replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1')
    .replace(/(?<!\\)((?:\\\\)*)\\ud[89a-f][0-9a-f]{2}/gi, '$1\\ufffd');
