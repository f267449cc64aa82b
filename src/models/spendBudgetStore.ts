import { type SQL, sql } from 'drizzle-orm';
import type {
  BudgetRecord,
  BudgetScope,
  BudgetStore,
  CrossedBudget,
  IntakeScopes,
  LeaseGrant,
  OverBudget,
  ScopeOwner,
} from '../core/spend/ports.js';
import type { Db } from './db.js';
import { poolOf, queryPrepared, toQuery } from './preparedStatements.js';

/**
 * Spend budgets (team, user, chat workspace, API token, hook, provider account) in money and/or
 * tokens. Every change to spent/reserved amounts is one statement:
 * - reserve (at intake, in the intake transaction): locks the applicable budgets in id order, checks
 *   that every limited one has room for the estimate and reserves it on all of them — or on none;
 * - settle: closes the task's reservations (settled_at IS NULL guard: exactly once), gives the
 *   estimate back and charges the task's real cost.
 * A budget whose period has ended (resets_at ≤ now()) is rolled over by whichever of these
 * statements touches it first; reads show it rolled over too.
 */

const live = (col: string) => sql.raw(`CASE WHEN resets_at <= now() THEN 0 ELSE ${col} END`);
const nextReset = sql.raw(
  'CASE WHEN resets_at <= now() THEN budget_period_end(period, time_zone, now()) ELSE resets_at END',
);
const COLUMNS = sql`id, scope, scope_id, team_id, owner_user_id, name, limit_micros, limit_tokens, period,
  time_zone, action, alert_thresholds, alert_targets, ${live('spent_micros')} AS spent_micros,
  ${live('spent_tokens')} AS spent_tokens, reserved_micros, reserved_tokens, ${nextReset} AS resets_at,
  created_by, created_at, updated_at`;

type Row = Record<string, unknown>;
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

function fromRow(r: Row): BudgetRecord {
  return {
    id: String(r.id),
    scope: r.scope as BudgetScope,
    scopeId: String(r.scope_id),
    teamId: (r.team_id as string | null) ?? null,
    ownerUserId: (r.owner_user_id as string | null) ?? null,
    name: (r.name as string | null) ?? null,
    limitMicros: num(r.limit_micros),
    limitTokens: num(r.limit_tokens),
    period: r.period as BudgetRecord['period'],
    timeZone: String(r.time_zone),
    action: r.action as BudgetRecord['action'],
    alertThresholds: (r.alert_thresholds as number[]) ?? [],
    alertTargets: (r.alert_targets as BudgetRecord['alertTargets']) ?? {},
    spentMicros: Number(r.spent_micros),
    spentTokens: Number(r.spent_tokens),
    reservedMicros: Number(r.reserved_micros),
    reservedTokens: Number(r.reserved_tokens),
    resetsAt: r.resets_at ? new Date(r.resets_at as string) : null,
    createdBy: (r.created_by as string | null) ?? null,
    createdAt: new Date(r.created_at as string),
    updatedAt: new Date(r.updated_at as string),
  };
}

const OWNER_QUERIES: Record<BudgetScope, (id: string) => SQL> = {
  team: (id) => sql`SELECT id AS team_id, NULL::uuid AS user_id FROM teams WHERE id = ${id}::uuid`,
  user: (id) => sql`SELECT NULL::uuid AS team_id, id AS user_id FROM users WHERE id = ${id}::uuid`,
  chat_workspace: (id) =>
    sql`SELECT team_id, NULL::uuid AS user_id FROM chat_workspaces WHERE id = ${id}::uuid`,
  api_token: (id) =>
    sql`SELECT team_id, CASE WHEN team_id IS NULL THEN user_id END AS user_id FROM api_tokens WHERE id = ${id}::uuid`,
  hook: (id) =>
    sql`SELECT team_id, CASE WHEN team_id IS NULL THEN created_by END AS user_id FROM webhooks WHERE id = ${id}::uuid`,
  provider_account: (id) =>
    sql`SELECT team_id, NULL::uuid AS user_id FROM provider_accounts WHERE id = ${id}::uuid`,
};

/** The route-independent budgets that apply to a task (team, user, hook, API token, chat workspace). */
function applying(s: Omit<IntakeScopes, 'taskId'>): SQL {
  return sql`((scope = 'team' AND scope_id = ${s.teamId}::uuid)
             OR (scope = 'user' AND scope_id = ${s.userId}::uuid)
             OR (scope = 'hook' AND scope_id = ${s.webhookId}::uuid)
             OR (scope = 'api_token' AND scope_id = ${s.apiTokenId}::uuid)
             OR (scope = 'chat_workspace' AND scope_id IN (
                   SELECT id FROM chat_workspaces
                   WHERE platform = ${s.chatWorkspace?.platform ?? null}::text AND external_id = ${s.chatWorkspace?.externalId ?? null}::text)))`;
}

/**
 * The budgets that refuse what was not approved (a task at intake, a gateway call): `block` refuses
 * it, `approve` holds a task for approval; `notify` never refuses.
 */
export const REFUSING_UNAPPROVED = sql`action <> 'notify'`;

/**
 * A reservation's first half: the applicable budgets locked in id order (`b`, rolled over when their
 * period has ended) and those of them without room for the estimate (`over`; `refusing` says which
 * actions count). CTEs for a WITH clause; `takeBudgets` is the second half.
 */
export function lockBudgets(
  s: Omit<IntakeScopes, 'taskId'>,
  micros: number,
  tokens: number,
  refusing: SQL,
): SQL {
  return sql`b AS (
          SELECT id, scope, name, action, limit_micros, limit_tokens, reserved_micros, reserved_tokens,
                 ${live('spent_micros')} AS spent_m, ${live('spent_tokens')} AS spent_t, ${nextReset} AS next_reset
          FROM budgets
          WHERE ${applying(s)}
          ORDER BY id
          FOR UPDATE
        ), over AS (
          SELECT * FROM b
          WHERE ${refusing} AND (
            (limit_micros IS NOT NULL AND spent_m + reserved_micros + ${micros}::bigint > limit_micros)
            OR (limit_tokens IS NOT NULL AND spent_t + reserved_tokens + ${tokens}::bigint > limit_tokens))
        )`;
}

/**
 * A reservation's second half, when `gate` holds: the estimate added to every budget `lockBudgets`
 * locked (`upd`) and one reservation row per budget for the task (`ins`). `from` names `b` and any
 * CTE the update must wait for.
 */
export function takeBudgets(
  taskId: string,
  micros: number,
  tokens: number,
  gate: SQL,
  from: SQL = sql`b`,
): SQL {
  return sql`upd AS (
          UPDATE budgets u SET
            reserved_micros = u.reserved_micros + ${micros}::bigint,
            reserved_tokens = u.reserved_tokens + ${tokens}::bigint,
            spent_micros = b.spent_m, spent_tokens = b.spent_t, resets_at = b.next_reset, updated_at = now()
          FROM ${from}
          WHERE u.id = b.id AND ${gate}
          RETURNING u.id
        ), ins AS (
          INSERT INTO budget_reservations (budget_id, task_id, reserved_micros, reserved_tokens)
          SELECT id, ${taskId}::uuid, ${micros}::bigint, ${tokens}::bigint FROM upd
        )`;
}

const uuids = (ids: string[]) => `{${ids.join(',')}}`;

export function createSpendBudgetStore(db: Db): BudgetStore {
  const rows = async (q: SQL) => (await db.execute<Row>(q)).rows;
  const pool = poolOf(db);

  async function recordCrossings(budgets: BudgetRecord[]): Promise<CrossedBudget[]> {
    const out: CrossedBudget[] = [];
    for (const b of budgets) {
      const pct = Math.max(
        b.limitMicros ? (b.spentMicros * 100) / b.limitMicros : 0,
        b.limitTokens ? (b.spentTokens * 100) / b.limitTokens : 0,
      );
      const reached = b.alertThresholds.filter((t) => pct >= t);
      if (!reached.length) continue;
      const periodKey = b.resetsAt ? b.resetsAt.toISOString() : 'total';
      const inserted = await rows(sql`
        INSERT INTO budget_alerts (budget_id, period_key, threshold)
        SELECT ${b.id}::uuid, ${periodKey}, t FROM unnest(${`{${reached.join(',')}}`}::int[]) AS t
        ON CONFLICT DO NOTHING
        RETURNING threshold`);
      if (inserted.length)
        out.push({ budget: b, thresholds: inserted.map((r) => Number(r.threshold)).sort((x, y) => x - y) });
    }
    return out;
  }

  return {
    async owner(scope, scopeId) {
      const [r] = await rows(OWNER_QUERIES[scope](scopeId));
      return r
        ? ({ teamId: (r.team_id as string) ?? null, userId: (r.user_id as string) ?? null } as ScopeOwner)
        : null;
    },

    async create(b, by) {
      const [r] = await rows(sql`
        INSERT INTO budgets (scope, scope_id, team_id, owner_user_id, name, limit_micros, limit_tokens, period,
          time_zone, action, alert_thresholds, alert_targets, resets_at, created_by)
        VALUES (${b.scope}, ${b.scopeId}::uuid, ${b.teamId}::uuid, ${b.userId}::uuid, ${b.name}, ${b.limitMicros}::bigint,
          ${b.limitTokens}::bigint, ${b.period}, ${b.timeZone}, ${b.action}, ${JSON.stringify(b.alertThresholds)}::jsonb,
          ${JSON.stringify(b.alertTargets)}::jsonb, budget_period_end(${b.period}, ${b.timeZone}, now()), ${by}::uuid)
        RETURNING ${COLUMNS}`);
      return fromRow(r as Row);
    },

    async get(id) {
      const [r] = await rows(sql`SELECT ${COLUMNS} FROM budgets WHERE id = ${id}::uuid`);
      return r ? fromRow(r) : null;
    },

    async list(q) {
      const where = q.all
        ? sql`true`
        : sql`(owner_user_id = ${q.userId}::uuid OR (scope = 'user' AND scope_id = ${q.userId}::uuid)
               OR team_id = ANY(${`{${q.teamIds.join(',')}}`}::uuid[]))`;
      return (await rows(sql`SELECT ${COLUMNS} FROM budgets WHERE ${where} ORDER BY created_at, id`)).map(
        fromRow,
      );
    },

    async update(id, p) {
      const set: SQL[] = [sql`updated_at = now()`];
      if (p.name !== undefined) set.push(sql`name = ${p.name}`);
      if (p.limitMicros !== undefined) set.push(sql`limit_micros = ${p.limitMicros}::bigint`);
      if (p.limitTokens !== undefined) set.push(sql`limit_tokens = ${p.limitTokens}::bigint`);
      if (p.action !== undefined) set.push(sql`action = ${p.action}`);
      if (p.alertThresholds !== undefined)
        set.push(sql`alert_thresholds = ${JSON.stringify(p.alertThresholds)}::jsonb`);
      if (p.alertTargets !== undefined)
        set.push(sql`alert_targets = ${JSON.stringify(p.alertTargets)}::jsonb`);
      if (p.period !== undefined || p.timeZone !== undefined) {
        // A new period or zone starts a fresh period from now.
        const period = p.period === undefined ? sql`period` : sql`${p.period}`;
        const tz = p.timeZone === undefined ? sql`time_zone` : sql`${p.timeZone}`;
        set.push(sql`period = ${period}, time_zone = ${tz}, spent_micros = 0, spent_tokens = 0,
          resets_at = budget_period_end(${period}, ${tz}, now())`);
      }
      const [r] = await rows(
        sql`UPDATE budgets SET ${sql.join(set, sql`, `)} WHERE id = ${id}::uuid RETURNING ${COLUMNS}`,
      );
      return r ? fromRow(r) : null;
    },

    async delete(id) {
      return (await rows(sql`DELETE FROM budgets WHERE id = ${id}::uuid RETURNING id`)).length > 0;
    },

    async applicable(s) {
      return (await rows(sql`SELECT ${COLUMNS} FROM budgets WHERE ${applying(s)} ORDER BY scope, id`)).map(
        fromRow,
      );
    },

    async reserve(tx, s, micros, tokens, opts) {
      // An approved task is held back only by `block` budgets; at intake `approve` budgets count too.
      const refusing = opts?.approved ? sql`action = 'block'` : REFUSING_UNAPPROVED;
      const pending = opts?.pending;
      const q = sql`
        WITH ${
          // A gateway call's reservation stands alone (no intake transaction): it commits without
          // waiting for the WAL flush, so the budget rows' locks are not held across a disk flush
          // (as the gateway's account leases); only a database crash can lose it, with its call's task row.
          pending ? sql`relaxed AS (SELECT set_config('synchronous_commit', 'off', true) AS v), ` : sql``
        }${lockBudgets(s, micros, tokens, refusing)}, ${takeBudgets(s.taskId, micros, tokens, sql`NOT EXISTS (SELECT 1 FROM over)`, pending ? sql`b, relaxed` : sql`b`)}, estimated AS (
          UPDATE tasks SET estimated_cost_micros = ${micros}::bigint
          WHERE id = ${s.taskId}::uuid AND NOT EXISTS (SELECT 1 FROM over)
        )${
          // A gateway call has no task row yet: written here when a budget was reserved (the
          // reservations point at it; the foreign key is checked at the end of the statement).
          pending
            ? sql`, pending AS (
          INSERT INTO tasks (id, user_id, team_id, title, description, task_type, status, source, options,
                             estimated_cost_micros, attempts, started_at)
          SELECT ${s.taskId}::uuid, ${s.userId}::uuid, (SELECT tm.id FROM teams tm WHERE tm.id = ${s.teamId}::uuid),
                 ${pending.title}, ${pending.description}, ${pending.taskType}, 'running', 'gateway', '{}'::jsonb,
                 ${micros}::bigint, 1, now()
          WHERE EXISTS (SELECT 1 FROM upd)
          ON CONFLICT (id) DO NOTHING
        )`
            : sql``
        }
        SELECT id, scope, name, action, limit_micros, limit_tokens, next_reset FROM over ORDER BY id`;
      const { sql: text, params } = toQuery(q);
      const out = (await tx.executeSql(text, params)).rows as Row[];
      return out.map(
        (r): OverBudget => ({
          id: String(r.id),
          scope: r.scope as BudgetScope,
          name: (r.name as string | null) ?? null,
          action: r.action as OverBudget['action'],
          limitMicros: num(r.limit_micros),
          limitTokens: num(r.limit_tokens),
          resetsAt: r.next_reset ? new Date(r.next_reset as string) : null,
        }),
      );
    },

    async settle(taskId) {
      return this.settleMany([taskId]);
    },

    async settleMany(taskIds) {
      if (!taskIds.length) return [];
      // Commits without waiting for the WAL flush, so the budget rows' locks are not held across a
      // disk flush (every reservation of the same budget waits for them). A settlement lost with a
      // database crash leaves its reservations unsettled, and the budget job's settleEnded sweep settles them.
      const settled = await rows(sql`
        WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true) AS v), lk AS (
          -- The budgets to settle, locked in id order as reserve locks them (no lock-order deadlock).
          SELECT id FROM budgets WHERE id IN (
            SELECT budget_id FROM budget_reservations
            WHERE task_id = ANY(${`{${taskIds.join(',')}}`}::uuid[]) AND settled_at IS NULL)
          ORDER BY id FOR UPDATE
        ), t AS (
          SELECT id, cost_micros,
                 (SELECT coalesce(sum(tokens_used), 0) FROM task_assignments WHERE task_id = tasks.id) AS tokens
          FROM tasks, relaxed WHERE id = ANY(${`{${taskIds.join(',')}}`}::uuid[])
            -- only once every attempt has settled its cost (a cancelled task's running attempt may still be out)
            AND NOT EXISTS (SELECT 1 FROM task_assignments a WHERE a.task_id = tasks.id AND a.settled_at IS NULL)
        ), r AS (
          UPDATE budget_reservations br
          SET settled_at = now(), actual_micros = t.cost_micros, actual_tokens = t.tokens
          FROM t
          -- (the uncorrelated count runs once, first: every lock is taken before any budget is updated)
          WHERE br.task_id = t.id AND br.settled_at IS NULL AND (SELECT count(*) FROM lk) >= 0
          RETURNING br.budget_id, br.reserved_micros, br.reserved_tokens, br.actual_micros, br.actual_tokens
        ), s AS (
          -- Several tasks of a batch may settle on the same budget: one update per budget.
          SELECT budget_id, sum(reserved_micros)::bigint AS reserved_micros, sum(reserved_tokens)::bigint AS reserved_tokens,
                 sum(actual_micros)::bigint AS actual_micros, sum(actual_tokens)::bigint AS actual_tokens
          FROM r GROUP BY budget_id
        ), u AS (
          UPDATE budgets SET
            reserved_micros = greatest(0, budgets.reserved_micros - s.reserved_micros),
            reserved_tokens = greatest(0, budgets.reserved_tokens - s.reserved_tokens),
            spent_micros = ${live('spent_micros')} + s.actual_micros,
            spent_tokens = ${live('spent_tokens')} + s.actual_tokens,
            resets_at = ${nextReset},
            updated_at = now()
          FROM s
          WHERE budgets.id = s.budget_id
          RETURNING budgets.*
        )
        SELECT ${COLUMNS} FROM u`);
      return recordCrossings(settled.map(fromRow));
    },

    async settleEnded() {
      // A gateway call's task is written running by its reservation and completed by the recorder of
      // the process serving it; one still running after an hour lost that process: it ends here, failed.
      await rows(sql`
        UPDATE tasks SET status = 'failed', completed_at = now(), updated_at = now(),
          error = 'The gateway process serving this call stopped before recording it'
        WHERE source = 'gateway' AND status = 'running' AND created_at < now() - interval '1 hour'
          AND EXISTS (SELECT 1 FROM budget_reservations br WHERE br.task_id = tasks.id AND br.settled_at IS NULL)`);
      const ended = await rows(sql`
        SELECT DISTINCT br.task_id FROM budget_reservations br JOIN tasks t ON t.id = br.task_id
        WHERE br.settled_at IS NULL AND t.status IN ('completed', 'failed', 'cancelled')
        LIMIT 500`);
      const out: CrossedBudget[] = [];
      for (const r of ended) out.push(...(await this.settle(String(r.task_id))));
      // Provider-account budgets are charged by the router's and the gateway's own statements, which
      // do not alert: their thresholds are checked here, on every run of the budget job (5 minutes).
      const accounts = await rows(
        sql`SELECT ${COLUMNS} FROM budgets WHERE scope = 'provider_account' AND jsonb_array_length(alert_thresholds) > 0`,
      );
      out.push(...(await recordCrossings(accounts.map(fromRow))));
      return out;
    },

    async alertRecipients(b) {
      const ids = new Set<string>();
      if (b.teamId) {
        const admins = await rows(
          sql`SELECT user_id FROM team_members WHERE team_id = ${b.teamId}::uuid AND role IN ('owner', 'admin')`,
        );
        for (const r of admins) ids.add(String(r.user_id));
      }
      if (b.ownerUserId) ids.add(b.ownerUserId);
      if (b.scope === 'user') ids.add(b.scopeId);
      if (b.createdBy) ids.add(b.createdBy);
      return [...ids];
    },

    async lease(processId, s, micros, tokens, size) {
      const scopes = { ...s, webhookId: null, chatWorkspace: null };
      const out = await queryPrepared<Row>(
        pool,
        sql`
        WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true) AS v),
        ${lockBudgets(scopes, micros, tokens, REFUSING_UNAPPROVED)}, room AS (
          SELECT min(limit_micros - spent_m - reserved_micros) FILTER (WHERE action <> 'notify' AND limit_micros IS NOT NULL) AS m,
                 min(limit_tokens - spent_t - reserved_tokens) FILTER (WHERE action <> 'notify' AND limit_tokens IS NOT NULL) AS t
          FROM b
        ), k AS (
          -- How many calls the chunk covers: at most size.calls, at most 1/size.share of the smallest
          -- room left (LEAST ignores the NULLs of unlimited budgets and free calls), at least this call.
          SELECT greatest(1, least(${size.calls}::bigint,
                                   room.m / ${size.share}::bigint / nullif(${micros}::bigint, 0),
                                   room.t / ${size.share}::bigint / nullif(${tokens}::bigint, 0))) AS n
          FROM room
        ), upd AS (
          UPDATE budgets u SET
            reserved_micros = u.reserved_micros + k.n * ${micros}::bigint,
            reserved_tokens = u.reserved_tokens + k.n * ${tokens}::bigint,
            spent_micros = b.spent_m, spent_tokens = b.spent_t, resets_at = b.next_reset, updated_at = now()
          FROM b, k, relaxed
          WHERE u.id = b.id AND NOT EXISTS (SELECT 1 FROM over)
          RETURNING u.id
        ), held AS (
          INSERT INTO budget_leases (process_id, budget_id, micros, tokens)
          SELECT ${processId}::uuid, upd.id, k.n * ${micros}::bigint, k.n * ${tokens}::bigint FROM upd, k
          ON CONFLICT (process_id, budget_id) DO UPDATE SET
            micros = budget_leases.micros + excluded.micros, tokens = budget_leases.tokens + excluded.tokens,
            heartbeat_at = now()
        )
        SELECT b.id, b.scope, b.name, b.action, b.limit_micros, b.limit_tokens, b.next_reset,
               b.id IN (SELECT id FROM over) AS over, k.n::text AS n
        FROM b, k ORDER BY b.id`,
      );
      if (!out.length) return { kind: 'none' };
      const over = out.find((r) => r.over === true);
      if (over)
        return {
          kind: 'over',
          over: {
            id: String(over.id),
            scope: over.scope as BudgetScope,
            name: (over.name as string | null) ?? null,
            action: over.action as OverBudget['action'],
            limitMicros: num(over.limit_micros),
            limitTokens: num(over.limit_tokens),
            resetsAt: over.next_reset ? new Date(over.next_reset as string) : null,
          },
        };
      const n = Number(out[0]!.n);
      const ends = out
        .map((r) => (r.next_reset ? new Date(r.next_reset as string).getTime() : Number.POSITIVE_INFINITY))
        .reduce((a, b) => Math.min(a, b), Number.POSITIVE_INFINITY);
      return {
        kind: 'granted',
        budgetIds: out.map((r) => String(r.id)),
        micros: n * micros,
        tokens: n * tokens,
        until: Number.isFinite(ends) ? new Date(ends) : null,
      } satisfies LeaseGrant;
    },

    async releaseLease(processId, budgetIds, micros, tokens) {
      if (!budgetIds.length || (micros <= 0 && tokens <= 0)) return;
      await queryPrepared(
        pool,
        sql`
        WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true) AS v), lk AS (
          SELECT id FROM budgets WHERE id = ANY(${uuids(budgetIds)}::uuid[]) ORDER BY id FOR UPDATE
        ), old AS (
          -- Never more than the lease row holds: a process the sweep took for dead gives back nothing twice.
          -- FOR UPDATE, after the budgets: the row's latest values (a sweep's delete is seen, not missed).
          SELECT budget_id, least(micros, ${micros}::bigint) AS m, least(tokens, ${tokens}::bigint) AS t
          FROM budget_leases
          WHERE process_id = ${processId}::uuid AND budget_id IN (SELECT id FROM lk)
          FOR UPDATE
        ), g AS (
          UPDATE budget_leases l SET micros = greatest(0, l.micros - old.m), tokens = greatest(0, l.tokens - old.t),
                 heartbeat_at = now()
          FROM old WHERE l.process_id = ${processId}::uuid AND l.budget_id = old.budget_id
        )
        UPDATE budgets u SET reserved_micros = greatest(0, u.reserved_micros - old.m),
               reserved_tokens = greatest(0, u.reserved_tokens - old.t), updated_at = now()
        FROM old, relaxed WHERE u.id = old.budget_id`,
      );
    },

    async settleLeased(processId, calls) {
      if (!calls.length) return [];
      const json = JSON.stringify(
        calls.map((c) => ({
          task_id: c.taskId,
          budget_ids: c.budgetIds,
          micros: c.reservedMicros,
          tokens: c.reservedTokens,
          cost: c.costMicros,
          used: c.usedTokens,
        })),
      );
      const settled = await queryPrepared<Row>(
        pool,
        sql`
        WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true) AS v), c AS (
          SELECT x.task_id, x.micros, x.tokens, x.cost, x.used, bid
          FROM jsonb_to_recordset(${json}::jsonb) AS x(task_id uuid, budget_ids uuid[], micros bigint, tokens bigint, cost bigint, used bigint),
               unnest(x.budget_ids) AS bid
        ), lk AS (
          -- Locked in id order, as lease and reserve lock them (no lock-order deadlock).
          SELECT id FROM budgets WHERE id IN (SELECT bid FROM c) ORDER BY id FOR UPDATE
        ), r AS (
          -- One settled reservation per call and budget: a call settled already inserts nothing.
          INSERT INTO budget_reservations (budget_id, task_id, reserved_micros, reserved_tokens, actual_micros,
                                           actual_tokens, settled_at)
          SELECT c.bid, c.task_id, c.micros, c.tokens, c.cost, c.used, now()
          FROM c, relaxed
          WHERE (SELECT count(*) FROM lk) >= 0 AND c.bid IN (SELECT id FROM lk)
            AND EXISTS (SELECT 1 FROM tasks t WHERE t.id = c.task_id)
          ON CONFLICT (budget_id, task_id) DO NOTHING
          RETURNING budget_id, reserved_micros, reserved_tokens, actual_micros, actual_tokens
        ), s AS (
          SELECT budget_id, sum(reserved_micros)::bigint AS reserved_micros, sum(reserved_tokens)::bigint AS reserved_tokens,
                 sum(actual_micros)::bigint AS actual_micros, sum(actual_tokens)::bigint AS actual_tokens
          FROM (
            SELECT * FROM r
            UNION ALL
            -- A call whose task could not be recorded (its user is gone, or the recorder dropped it):
            -- its estimate goes back and its cost (it ran at the provider) is charged.
            SELECT c.bid, c.micros, c.tokens, c.cost, c.used FROM c
            WHERE c.bid IN (SELECT id FROM lk) AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.id = c.task_id)
          ) x GROUP BY budget_id
        ), lh AS (
          -- This process's lease rows, locked after their budgets (FOR UPDATE reads their latest values).
          SELECT l.budget_id, l.micros, l.tokens FROM budget_leases l
          WHERE l.process_id = ${processId}::uuid AND l.budget_id IN (SELECT budget_id FROM s)
          FOR UPDATE
        ), d AS (
          -- Never more than the lease row holds: the budget gives back exactly what the row gives back,
          -- so a process the sweep took for dead (paused, then resumed) gives back nothing twice.
          SELECT s.budget_id, least(s.reserved_micros, coalesce(lh.micros, 0)) AS m,
                 least(s.reserved_tokens, coalesce(lh.tokens, 0)) AS t, s.actual_micros, s.actual_tokens
          FROM s LEFT JOIN lh ON lh.budget_id = s.budget_id
        ), held AS (
          UPDATE budget_leases l SET micros = greatest(0, l.micros - d.m),
                 tokens = greatest(0, l.tokens - d.t), heartbeat_at = now()
          FROM d WHERE l.process_id = ${processId}::uuid AND l.budget_id = d.budget_id
        ), u AS (
          UPDATE budgets SET
            reserved_micros = greatest(0, budgets.reserved_micros - d.m),
            reserved_tokens = greatest(0, budgets.reserved_tokens - d.t),
            spent_micros = ${live('spent_micros')} + d.actual_micros,
            spent_tokens = ${live('spent_tokens')} + d.actual_tokens,
            resets_at = ${nextReset},
            updated_at = now()
          FROM d
          WHERE budgets.id = d.budget_id
          RETURNING budgets.*
        )
        SELECT ${COLUMNS} FROM u`,
      );
      return recordCrossings(settled.map(fromRow));
    },

    async heartbeatLeases(processId) {
      const r = await queryPrepared<Row>(
        pool,
        sql`UPDATE budget_leases SET heartbeat_at = now() WHERE process_id = ${processId}::uuid RETURNING budget_id`,
      );
      return r.map((x) => String(x.budget_id));
    },

    async dropEmptyLeases(processId) {
      await queryPrepared(
        pool,
        sql`DELETE FROM budget_leases WHERE process_id = ${processId}::uuid AND micros = 0 AND tokens = 0`,
      );
    },

    async releaseDeadLeases(staleSeconds) {
      const [r] = await rows(sql`
        WITH stale AS (
          SELECT DISTINCT budget_id FROM budget_leases
          WHERE heartbeat_at < now() - make_interval(secs => ${staleSeconds}::double precision)
        ), lk AS (
          -- The budgets first, in id order, then their lease rows: as lease, releaseLease and
          -- settleLeased lock them (the other order deadlocks with a live process leasing the same
          -- budgets, or with a paused process that resumes and settles).
          SELECT id FROM budgets WHERE id IN (SELECT budget_id FROM stale) ORDER BY id FOR UPDATE
        ), gone AS (
          -- A row whose heartbeat came back meanwhile is re-checked and kept.
          DELETE FROM budget_leases
          WHERE heartbeat_at < now() - make_interval(secs => ${staleSeconds}::double precision)
            AND (SELECT count(*) FROM lk) >= 0 AND budget_id IN (SELECT id FROM lk)
          RETURNING budget_id, micros, tokens
        ), s AS (
          SELECT budget_id, sum(micros)::bigint AS m, sum(tokens)::bigint AS t FROM gone GROUP BY budget_id
        ), freed AS (
          UPDATE budgets u SET reserved_micros = greatest(0, u.reserved_micros - s.m),
                 reserved_tokens = greatest(0, u.reserved_tokens - s.t), updated_at = now()
          FROM s WHERE u.id = s.budget_id
        )
        SELECT coalesce(sum(m), 0)::text AS n FROM s`);
      return Number(r?.n ?? 0);
    },

    async spentSince(budgetId, since) {
      const [r] = await rows(sql`
        SELECT coalesce(sum(actual_micros), 0) AS n FROM budget_reservations
        WHERE budget_id = ${budgetId}::uuid AND settled_at >= ${since.toISOString()}::timestamptz`);
      return Number(r?.n ?? 0);
    },
  };
}
