import { type SQL, sql } from 'drizzle-orm';
import type pg from 'pg';
import type { FoldedJob, IntakeAudit, IntakeFold, NewTask } from '../core/tasks/ports.js';
import type { TaskRecord } from '../core/tasks/types.js';
import { queryPrepared } from './preparedStatements.js';
import { lockBudgets, REFUSING_UNAPPROVED, takeBudgets } from './spendBudgetStore.js';

/**
 * The statements of task intake (models/taskStore.ts `insertQueued`).
 *
 * `intakeStatement` is the ledger claim (when deduping), the task (only if the claim held) and its
 * audit entry in one statement; the job and the budget reservation follow in the same transaction.
 * Given the reservation, it locks those budgets first, as the folded statement does: two copies of
 * one delivery, one folded and one in the transaction, then take their locks in the same order
 * (budgets, then the ledger row) and cannot deadlock.
 *
 * `foldedIntakeStatement` is the same plus the budget reservation and the pg-boss job, so intake is
 * ONE round trip without BEGIN/COMMIT (issue 18). Its CTEs run in this order, each gated on the last:
 * the applicable budgets are locked (`b`) and checked (`over`); only when every one has room is the
 * delivery claimed (`claim`) and the task written (`t`); only when the task was written are the
 * budgets reserved (`upd`, `ins`), the job inserted (`job`) and the workers woken (`woke`). It always
 * answers one row: the task's columns (null when nothing was written) and `over_budgets`, how many
 * budgets lacked room. A task without its job aborts the whole statement (a division by zero).
 */

export interface IntakeParts {
  id: string;
  task: NewTask;
  dedupe?: { source: string; deliveryId: string; windowSeconds?: number };
  audit?: IntakeAudit;
  /** The tasks columns as RETURNING lists them, qualified with the alias when given. */
  columns: (alias?: string) => SQL;
}

/** An ISO-8601 UTC timestamp with milliseconds, as JSON.stringify writes a Date. */
const isoNow = sql`to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

export function intakeStatement(p: IntakeParts, lockFirst?: IntakeFold['reserve']): SQL {
  if (!lockFirst) return sql`WITH ${intakeCtes(p, sql`true`)} SELECT * FROM t`;
  const { scopes, micros, tokens } = lockFirst;
  // `b` runs (and locks) only when referenced: the gate does, before anything is written.
  return sql`WITH ${lockBudgets(scopes, micros, tokens, REFUSING_UNAPPROVED)},
    ${intakeCtes(p, sql`(SELECT count(*) FROM b) >= 0`)} SELECT * FROM t`;
}

/**
 * Runs the folded statement: the task's row when it was written; otherwise `overBudgets`, how many
 * budgets lacked room (0: the delivery was a duplicate).
 */
export async function runFoldedIntake<R extends pg.QueryResultRow>(
  pool: pg.Pool,
  p: IntakeParts,
  fold: IntakeFold,
): Promise<{ row: R | null; overBudgets: number }> {
  try {
    const [r] = await queryPrepared<R & { id: string | null; over_budgets: number }>(
      pool,
      foldedIntakeStatement(p, fold),
    );
    return { row: r?.id ? r : null, overBudgets: r?.over_budgets ?? 0 };
  } catch (e) {
    // The guard: pg-boss did not write the job (its id taken), so the statement wrote nothing.
    if ((e as { code?: string }).code === '22012') throw new Error('The generate job was not created');
    throw e;
  }
}

export function foldedIntakeStatement(p: IntakeParts, fold: IntakeFold): SQL {
  const r = fold.reserve;
  const budgets = r ? sql`${lockBudgets(r.scopes, r.micros, r.tokens, REFUSING_UNAPPROVED)}, ` : sql``;
  const gate = r ? sql`NOT EXISTS (SELECT 1 FROM over)` : sql`true`;
  const reserve = r ? sql`, ${takeBudgets(p.id, r.micros, r.tokens, sql`EXISTS (SELECT 1 FROM t)`)}` : sql``;
  const woke = fold.job.wake ? sql`, woke AS (SELECT ${sql.raw(fold.job.wake)} FROM job LIMIT 1)` : sql``;
  return sql`
    WITH ${budgets}${intakeCtes(p, gate, r?.micros)}${reserve}, job AS (${jobInsert(fold.job)})${woke}
    SELECT ${p.columns('t')},
           ${r ? sql`(SELECT count(*) FROM over)` : sql`0`}::int AS over_budgets,
           1 / CASE WHEN (SELECT count(*) FROM job) = (SELECT count(*) FROM t) THEN 1 ELSE 0 END AS job_guard
           ${fold.job.wake ? sql`, (SELECT count(*) FROM woke) AS woken` : sql``}
    FROM (SELECT 1) AS one LEFT JOIN t ON true`;
}

/** pg-boss's job insert, writing its one job only when the task was written. */
function jobInsert(job: FoldedJob): SQL {
  const [before, after] = job.insert.split('$1') as [string, string];
  const payload = sql`(CASE WHEN EXISTS (SELECT 1 FROM t) THEN ${job.payload}::text ELSE '[]' END)`;
  return sql`${sql.raw(before)}${payload}${sql.raw(after)}`;
}

/** `claim` (when deduping), `t` and `audited`, written only when `gate` holds. */
function intakeCtes(p: IntakeParts, gate: SQL, estimatedMicros?: number): SQL {
  const { id, task: t } = p;
  const values = [
    sql`${id}::uuid`,
    sql`${t.userId}::uuid`,
    sql`${t.teamId}::uuid`,
    sql`${t.title}::text`,
    sql`${t.description}::text`,
    sql`${t.taskType}::text`,
    sql`${t.priority}::text`,
    sql`'queued'`,
    sql`${t.source}::text`,
    sql`${t.providerId}::uuid`,
    sql`${JSON.stringify(t.options)}::jsonb`,
    sql`${t.callbackUrl}::text`,
    sql`${t.webhookId}::uuid`,
    sql`${t.origin === null ? null : JSON.stringify(t.origin)}::jsonb`,
    sql`${t.regenerateContentId}::uuid`,
    sql`${t.jobId}::text`,
  ];
  let columns =
    'id, user_id, team_id, title, description, task_type, priority, status, source, provider_id, options, callback_url, webhook_id, origin, regenerate_content_id, job_id';
  if (estimatedMicros !== undefined) {
    values.push(sql`${estimatedMicros}::bigint`);
    columns += ', estimated_cost_micros';
  }
  const row = sql.join(values, sql`, `);
  const claim = p.dedupe ? claimCte(p, gate) : undefined;
  const audited = p.audit
    ? sql`, audited AS (
          INSERT INTO audit_log (actor_id, action, target_type, target_id, ip, details)
          SELECT ${p.audit.actorId}::uuid, ${p.audit.action}::text, 'task', t.id::text, ${p.audit.ip}::text,
                 ${p.audit.details ? JSON.stringify(p.audit.details) : null}::jsonb
          FROM t
        )`
    : sql``;
  return sql`${claim ? sql`${claim}, ` : sql``}t AS (
          INSERT INTO tasks (${sql.raw(columns)})
          ${claim ? sql`SELECT ${row} FROM claim` : sql`SELECT ${row} WHERE ${gate}`}
          RETURNING ${p.columns()}
        )${audited}`;
}

/** The dedupe ledger's claim: a key seen within its window conflicts; an older one is taken over. */
function claimCte(p: IntakeParts, gate: SQL): SQL {
  const { id, task: t } = p;
  const dedupe = p.dedupe as NonNullable<IntakeParts['dedupe']>;
  // The response a repeat of this delivery replays: the task exactly as this insert returns it
  // (created_at and updated_at are the statement's now()).
  const queued: Omit<TaskRecord, 'createdAt' | 'updatedAt'> = {
    id,
    userId: t.userId,
    teamId: t.teamId,
    title: t.title,
    description: t.description,
    taskType: t.taskType,
    priority: t.priority,
    status: 'queued',
    source: t.source,
    providerId: t.providerId,
    options: t.options,
    callbackUrl: t.callbackUrl,
    webhookId: t.webhookId,
    origin: t.origin,
    contentId: null,
    regenerateContentId: t.regenerateContentId,
    error: null,
    attempts: 0,
    jobId: t.jobId,
    startedAt: null,
    completedAt: null,
  };
  const window = dedupe.windowSeconds;
  return sql`claim AS (
          INSERT INTO inbound_deliveries (source, delivery_id, task_id, response)
          SELECT ${dedupe.source}, ${dedupe.deliveryId}, ${id}::uuid, jsonb_build_object('task',
            ${JSON.stringify(queued)}::jsonb || jsonb_build_object('createdAt', ${isoNow}, 'updatedAt', ${isoNow}))
          WHERE ${gate}
          ON CONFLICT (source, delivery_id) DO ${
            window
              ? sql`UPDATE SET received_at = now(), task_id = excluded.task_id, response = excluded.response
                    WHERE inbound_deliveries.received_at < now() - make_interval(secs => ${window}::double precision)`
              : sql`NOTHING`
          }
          RETURNING id
        )`;
}
