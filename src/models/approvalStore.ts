import { type SQL, sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import type { ApprovalRecord, ApprovalStore, HeldBy } from '../core/spend/ports.js';
import type { TaskRecord } from '../core/tasks/types.js';
import type { Db } from './db.js';
import { executorOf, fromRaw, type RawTaskRow, rawColumns } from './taskStore.js';

/**
 * Tasks held by `approve` budgets (task_approvals). Every decision is guarded by the task's status
 * (`awaiting_approval`) in the statement that changes it, so two approvals, an approval and a
 * rejection, or a decision and the expiry job can never both win.
 */
const dialect = new PgDialect();

type Row = Record<string, unknown>;
const date = (v: unknown) => (v instanceof Date ? v : new Date(String(v)));

function fromRow(r: Row): ApprovalRecord {
  return {
    taskId: String(r.task_id),
    budgets: (r.budgets as HeldBy[]) ?? [],
    estimatedMicros: Number(r.estimated_micros),
    estimatedTokens: Number(r.estimated_tokens),
    apiTokenId: (r.api_token_id as string | null) ?? null,
    expiresAt: date(r.expires_at),
    decision: (r.decision as ApprovalRecord['decision']) ?? null,
    decidedBy: (r.decided_by as string | null) ?? null,
    decidedAt: r.decided_at ? date(r.decided_at) : null,
    createdAt: date(r.created_at),
  };
}

const APPROVAL_COLUMNS = sql.raw(
  'task_id, budgets, estimated_micros, estimated_tokens, api_token_id, expires_at, decision, decided_by, decided_at, created_at',
);

export function createApprovalStore(db: Db): ApprovalStore {
  const rows = async (q: SQL) => (await db.execute<Row>(q)).rows;

  return {
    async hold(tx, taskId, a) {
      const q = sql`
        WITH t AS (
          UPDATE tasks SET status = 'awaiting_approval', estimated_cost_micros = ${a.estimatedMicros}::bigint,
            updated_at = now()
          WHERE id = ${taskId}::uuid AND status = 'queued'
          RETURNING id
        ), ledger AS (
          UPDATE inbound_deliveries SET response = jsonb_set(response, '{task,status}', '"awaiting_approval"')
          WHERE task_id = ${taskId}::uuid AND response ? 'task'
        )
        INSERT INTO task_approvals (task_id, budgets, estimated_micros, estimated_tokens, api_token_id, expires_at)
        SELECT t.id, ${JSON.stringify(a.budgets)}::jsonb, ${a.estimatedMicros}::bigint, ${a.estimatedTokens}::bigint,
          ${a.apiTokenId}::uuid, now() + make_interval(mins => ${a.ttlMinutes}::int)
        FROM t
        RETURNING ${APPROVAL_COLUMNS}`;
      const { sql: text, params } = dialect.sqlToQuery(q);
      const [r] = (await tx.executeSql(text, params)).rows as Row[];
      if (!r) throw new Error('The task to hold for approval was not queued');
      return fromRow(r);
    },

    async get(taskId) {
      const [r] = await rows(
        sql`SELECT ${APPROVAL_COLUMNS} FROM task_approvals WHERE task_id = ${taskId}::uuid`,
      );
      return r ? fromRow(r) : null;
    },

    async decide(taskId, d, inTx) {
      return db.transaction(async (tx) => {
        const set =
          d.decision === 'approved'
            ? sql`status = 'queued', updated_at = now()`
            : sql`status = 'cancelled', error = ${d.error ?? 'approval_rejected'}, completed_at = now(), updated_at = now()`;
        const changed = (
          await tx.execute<RawTaskRow>(sql`
            UPDATE tasks SET ${set}
            WHERE id = ${taskId}::uuid AND status = 'awaiting_approval'${
              // Past its expiry a task can no longer be approved, even before the expiry job ends it.
              d.decision === 'approved'
                ? sql` AND EXISTS (SELECT 1 FROM task_approvals a WHERE a.task_id = tasks.id AND a.expires_at > now())`
                : sql``
            }
            RETURNING ${rawColumns()}`)
        ).rows;
        const row = changed[0];
        if (!row) {
          const seen = await tx.execute(sql`SELECT 1 FROM tasks WHERE id = ${taskId}::uuid`);
          return seen.rows.length ? ('not_waiting' as const) : null;
        }
        const [a] = (
          await tx.execute<Row>(sql`
            UPDATE task_approvals SET decision = ${d.decision}, decided_by = ${d.by}::uuid, decided_at = now()
            WHERE task_id = ${taskId}::uuid
            RETURNING ${APPROVAL_COLUMNS}`)
        ).rows;
        if (!a) throw new Error('A task awaiting approval has no approval row');
        const task = fromRaw(row);
        const approval = fromRow(a);
        await inTx(task, approval, executorOf(tx));
        return { task, approval };
      });
    },

    async expireDue(limit, error, inTx) {
      const ids = await rows(sql`
        SELECT a.task_id FROM task_approvals a JOIN tasks t ON t.id = a.task_id
        WHERE a.decision IS NULL AND a.expires_at <= now() AND t.status = 'awaiting_approval'
        ORDER BY a.expires_at LIMIT ${limit}`);
      const out: TaskRecord[] = [];
      for (const { task_id } of ids) {
        const task = await db.transaction(async (tx) => {
          const [row] = (
            await tx.execute<RawTaskRow>(sql`
              UPDATE tasks SET status = 'failed', error = ${error}, completed_at = now(), updated_at = now()
              WHERE id = ${String(task_id)}::uuid AND status = 'awaiting_approval'
              RETURNING ${rawColumns()}`)
          ).rows;
          if (!row) return null;
          await tx.execute(sql`
            UPDATE task_approvals SET decision = 'expired', decided_at = now() WHERE task_id = ${String(task_id)}::uuid`);
          const t = fromRaw(row);
          await inTx(t, executorOf(tx));
          return t;
        });
        if (task) out.push(task);
      }
      return out;
    },

    async approvers(task) {
      if (!task.teamId) return [task.userId];
      const admins = await rows(
        sql`SELECT user_id FROM team_members WHERE team_id = ${task.teamId}::uuid AND role IN ('owner', 'admin') ORDER BY user_id`,
      );
      const ids = new Set(admins.map((r) => String(r.user_id)));
      ids.add(task.userId);
      return [...ids];
    },
  };
}
