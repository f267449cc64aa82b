import { randomUUID } from 'node:crypto';
import { and, asc, count, desc, eq, getTableColumns, inArray, isNotNull, max, or, sql } from 'drizzle-orm';
import { fromDrizzle } from 'pg-boss';
import type { AssignmentRecord, SqlExecutor, StoredContent, TaskStore } from '../core/tasks/ports.js';
import type { TaskRecord } from '../core/tasks/types.js';
import type { Db, DbOrTx } from './db.js';
import { intakeStatement, runFoldedIntake } from './intakeStatement.js';
import { createGuestWorkMover } from './linkStore.js';
import { inTransaction, poolOf, queryPrepared } from './preparedStatements.js';
import { content, contentVersions, taskAssignments, tasks } from './schema.js';
import { oneSnapshot } from './snapshot.js';
import { completeGenerations, createGenerationCompleter } from './taskCompletion.js';

/** The NOTIFY channel a cancellation is announced on (see models/cancelListener.ts). */
export const TASK_CANCEL_CHANNEL = 'switchyard_task_cancel';

/**
 * Every column a TaskRecord needs: all but `routing` (the router's decision document, served on its
 * own by GET /api/tasks/:id/routing), which is not worth reading back on every task query.
 */
const { routing: _routing, ...taskColumns } = getTableColumns(tasks);

/** An attempt's columns but the answer it may hold for a re-run (`output`, as long as the text). */
const { output: _output, ...assignmentColumns } = getTableColumns(taskAssignments);

const RAW_COLUMNS = Object.values(taskColumns).map((c) => c.name);
/** The same columns for raw SQL (RETURNING), qualified with `alias` when given. */
export const rawColumns = (alias?: string) =>
  sql.raw(RAW_COLUMNS.map((c) => (alias ? `${alias}.${c}` : c)).join(', '));

const WORKER_LOST = 'The worker running this attempt stopped before it finished; the task was run again';

/** A tasks row as raw SQL returns it (snake_case). */
export interface RawTaskRow extends Record<string, unknown> {
  id: string;
  user_id: string;
  team_id: string | null;
  title: string;
  description: string;
  task_type: string;
  priority: TaskRecord['priority'];
  status: TaskRecord['status'];
  source: TaskRecord['source'];
  provider_id: string | null;
  options: TaskRecord['options'] | null;
  callback_url: string | null;
  webhook_id: string | null;
  origin: Record<string, unknown> | null;
  content_id: string | null;
  regenerate_content_id: string | null;
  error: string | null;
  attempts: number;
  job_id: string | null;
  created_at: Date | string;
  updated_at: Date | string;
  started_at: Date | string | null;
  completed_at: Date | string | null;
}

/** node-postgres parses timestamps; drizzle's raw `execute` hands them over as text. */
const toDate = (v: Date | string): Date => (v instanceof Date ? v : new Date(v));

/**
 * The same columns for drizzle's typed queries, keyed by their SQL names: `select(rawTaskSelection)`
 * and `returning(rawTaskSelection)` give rows in the raw shape, so `fromRaw` is the one task row mapper.
 */
const rawTaskSelection = Object.fromEntries(Object.values(taskColumns).map((c) => [c.name, c])) as Record<
  keyof RawTaskRow & string,
  (typeof taskColumns)[keyof typeof taskColumns]
>;

/** A row of a typed query on `rawTaskSelection` as a task (the selection has every RawTaskRow column). */
const selected = (r: Record<string, unknown>): TaskRecord => fromRaw(r as RawTaskRow);

/** The one tasks-row → TaskRecord mapper: raw SQL rows, and typed queries on `rawTaskSelection`. */
export function fromRaw(r: RawTaskRow): TaskRecord {
  return {
    id: r.id,
    userId: r.user_id,
    teamId: r.team_id,
    title: r.title,
    description: r.description,
    taskType: r.task_type,
    priority: r.priority,
    status: r.status,
    source: r.source,
    providerId: r.provider_id,
    options: r.options ?? {},
    callbackUrl: r.callback_url,
    webhookId: r.webhook_id,
    origin: r.origin ?? null,
    contentId: r.content_id,
    regenerateContentId: r.regenerate_content_id,
    error: r.error,
    attempts: r.attempts,
    jobId: r.job_id,
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
    startedAt: r.started_at === null ? null : toDate(r.started_at),
    completedAt: r.completed_at === null ? null : toDate(r.completed_at),
  };
}

const DATE_FIELDS = ['createdAt', 'updatedAt', 'startedAt', 'completedAt'] as const;

/** The TaskRecord kept as JSON in the idempotency ledger (the response a repeat replays). */
function reviveTask(j: Record<string, unknown>): TaskRecord {
  const out = { ...j } as Record<string, unknown>;
  for (const f of DATE_FIELDS) out[f] = typeof out[f] === 'string' ? new Date(out[f] as string) : null;
  return out as unknown as TaskRecord;
}

/** pg-boss writes its job through this, inside our transaction. */
export const executorOf = (tx: DbOrTx): SqlExecutor => fromDrizzle(tx as never, sql);

export function createTaskStore(db: Db): TaskStore {
  const pool = poolOf(db);
  const mover = createGuestWorkMover(db);
  const taskColumns = { columns: rawColumns('tasks'), fromRaw };
  const generations = createGenerationCompleter(pool, taskColumns);
  const getIn = async (q: DbOrTx, id: string) => {
    const [r] = await q.select(rawTaskSelection).from(tasks).where(eq(tasks.id, id));
    return r ? selected(r) : null;
  };
  const exists = async (q: DbOrTx, id: string) =>
    (await q.select({ id: tasks.id }).from(tasks).where(eq(tasks.id, id))).length > 0;
  const contentOf = async (q: DbOrTx, contentId: string | null): Promise<StoredContent | null> => {
    if (!contentId) return null;
    const [c] = await q
      .select({
        id: content.id,
        title: content.title,
        contentData: content.contentData,
        version: content.version,
      })
      .from(content)
      .where(eq(content.id, contentId));
    return c ?? null;
  };

  return {
    async insertQueued(t, { dedupe, audit, inTx, fold }) {
      if (fold && !t.id) throw new Error('A folded intake needs the task id its job names');
      const parts = { id: t.id ?? randomUUID(), task: t, dedupe, audit, columns: rawColumns };
      const duplicateOf = async (q: Pick<typeof pool, 'query'>) => {
        const d = dedupe as NonNullable<typeof dedupe>;
        const [seen] = await queryPrepared<RawTaskRow & { response: Record<string, unknown> | null }>(
          q,
          sql`
            SELECT d.response, ${rawColumns('t')}
            FROM inbound_deliveries d LEFT JOIN tasks t ON t.id = d.task_id
            WHERE d.source = ${d.source} AND d.delivery_id = ${d.deliveryId}`,
        );
        const snap = seen?.response?.task;
        const original =
          snap && typeof snap === 'object' ? reviveTask(snap as Record<string, unknown>) : null;
        return { duplicate: true as const, task: seen?.id ? fromRaw(seen) : null, original };
      };
      if (fold) {
        const { row, overBudgets } = await runFoldedIntake<RawTaskRow>(pool, parts, fold);
        if (row) return { duplicate: false as const, task: fromRaw(row) };
        if (!overBudgets) {
          if (!dedupe) throw new Error('The task was not inserted');
          return duplicateOf(pool);
        }
        // A budget lacks room: nothing was written; the transaction below refuses or holds the task.
      }
      return inTransaction(pool, async (client, exec) => {
        const [row] = await queryPrepared<RawTaskRow>(client, intakeStatement(parts, fold?.reserve));
        if (!row) {
          if (!dedupe) throw new Error('The task was not inserted');
          return duplicateOf(client);
        }
        const task = fromRaw(row);
        await inTx(task, exec);
        return { duplicate: false as const, task };
      });
    },

    get: (id) => getIn(db, id),

    async list(q) {
      const where = and(
        q.userId ? eq(tasks.userId, q.userId) : undefined,
        q.teamId ? eq(tasks.teamId, q.teamId) : undefined,
        q.visibleTo
          ? or(
              eq(tasks.userId, q.visibleTo.userId),
              q.visibleTo.teamIds.length ? inArray(tasks.teamId, q.visibleTo.teamIds) : undefined,
            )
          : undefined,
        q.status ? eq(tasks.status, q.status) : undefined,
        q.taskType ? eq(tasks.taskType, q.taskType) : undefined,
        q.source ? eq(tasks.source, q.source) : undefined,
      );
      const [rows, [total]] = await oneSnapshot(db, async (tx) => [
        await tx
          .select(rawTaskSelection)
          .from(tasks)
          .where(where)
          .orderBy(desc(tasks.createdAt), desc(tasks.id))
          .limit(q.limit)
          .offset((q.page - 1) * q.limit),
        await tx.select({ n: count() }).from(tasks).where(where),
      ]);
      return { items: rows.map(selected), total: total?.n ?? 0 };
    },

    async recent(userId, limit) {
      const rows = await db
        .select(rawTaskSelection)
        .from(tasks)
        .where(eq(tasks.userId, userId))
        .orderBy(desc(tasks.createdAt), desc(tasks.id))
        .limit(limit);
      return rows.map(selected);
    },

    async assignments(taskId) {
      const rows = await db
        .select(assignmentColumns)
        .from(taskAssignments)
        .where(eq(taskAssignments.taskId, taskId))
        .orderBy(asc(taskAssignments.createdAt), asc(taskAssignments.id));
      return rows.map(
        (r): AssignmentRecord => ({
          id: r.id,
          taskId: r.taskId,
          providerId: r.providerId,
          providerName: r.providerName,
          accountId: r.accountId,
          status: r.status,
          attemptCount: r.attemptCount,
          errorCode: r.errorCode,
          errorMessage: r.errorMessage,
          model: r.model,
          tokensInput: r.tokensInput,
          tokensOutput: r.tokensOutput,
          tokensUsed: r.tokensUsed,
          latencyMs: r.latencyMs,
          settledAt: r.settledAt,
          createdAt: r.createdAt,
          updatedAt: r.updatedAt,
        }),
      );
    },

    async updateQueued(id, patch, inTx) {
      return db.transaction(async (tx) => {
        const [row] = await tx
          .update(tasks)
          .set({ ...patch, updatedAt: sql`now()` })
          .where(and(eq(tasks.id, id), eq(tasks.status, 'queued')))
          .returning(rawTaskSelection);
        if (!row) return (await exists(tx, id)) ? ('not_queued' as const) : null;
        const task = selected(row);
        await inTx?.(task, executorOf(tx));
        return task;
      });
    },

    async cancel(id, inTx) {
      return db.transaction(async (tx) => {
        const [row] = await tx
          .update(tasks)
          .set({ status: 'cancelled', completedAt: sql`now()`, updatedAt: sql`now()` })
          .where(and(eq(tasks.id, id), inArray(tasks.status, ['awaiting_approval', 'queued', 'running'])))
          .returning(rawTaskSelection);
        if (!row) return (await exists(tx, id)) ? ('finished' as const) : null;
        // Delivered at commit to every worker process listening (models/cancelListener.ts).
        await tx.execute(sql`SELECT pg_notify(${TASK_CANCEL_CHANNEL}, ${id})`);
        const task = selected(row);
        await inTx?.(task, executorOf(tx));
        return task;
      });
    },

    async delete(id) {
      const rows = await db.delete(tasks).where(eq(tasks.id, id)).returning({ id: tasks.id });
      return rows.length > 0;
    },

    reassignUser: (fromUserId, toUserId) => mover.reassignUser(fromUserId, toUserId),

    async markRunning(runs) {
      const out = new Map<string, { task: TaskRecord; firstStart: boolean }>();
      if (!runs.length) return out;
      // A run before this one that never finished its attempt (attempts > 1): its worker is gone.
      const rows = await queryPrepared<RawTaskRow>(
        pool,
        sql`
        WITH claimed AS (
          SELECT * FROM unnest(${sql.param(runs.map((x) => x.taskId))}::uuid[], ${sql.param(runs.map((x) => x.jobId))}::text[]) AS c(task_id, job_id)
        ), started AS (
          UPDATE tasks SET status = 'running', started_at = coalesce(tasks.started_at, now()),
            attempts = tasks.attempts + 1, job_id = claimed.job_id, updated_at = now()
          FROM claimed
          WHERE tasks.id = claimed.task_id AND tasks.status IN ('queued', 'running')
          RETURNING ${rawColumns('tasks')}
        ), lost AS (
          UPDATE task_assignments AS a
          SET status = 'failed', error_code = 'worker_lost', error_message = ${WORKER_LOST}, updated_at = now()
          FROM started
          WHERE a.task_id = started.id AND started.attempts > 1 AND a.status = 'running'
        )
        SELECT * FROM started`,
      );
      for (const row of rows) {
        const task = fromRaw(row);
        out.set(task.id, { task, firstStart: task.attempts === 1 });
      }
      return out;
    },

    async requeue(id) {
      await db
        .update(tasks)
        .set({ status: 'queued', updatedAt: sql`now()` })
        .where(and(eq(tasks.id, id), eq(tasks.status, 'running')));
    },

    async complete(id, result, inTx) {
      // Plain generation (the common case): lock, store content v1 and its version row, mark the
      // task completed and drop the answer its attempt kept for a re-run (the content holds it now),
      // in ONE statement (taskCompletion.ts). The row lock makes it exactly-once: a second run waits
      // on it, then finds the task no longer running and stores nothing. Tasks finishing together
      // share that statement, unless deliveries go in the same transaction.
      const generated = inTx
        ? await inTransaction(pool, async (client, exec) => {
            const out = (await completeGenerations(client, [{ id, result }], taskColumns)).get(id) ?? null;
            if (out) await inTx(out.task, exec);
            return out;
          })
        : await generations.complete(id, result);
      if (generated) return generated;

      // A regeneration (or a task that is no longer running): the next version of existing content.
      return db.transaction(async (tx) => {
        const [lockedRow] = await tx
          .select(rawTaskSelection)
          .from(tasks)
          .where(eq(tasks.id, id))
          .for('update');
        const locked = lockedRow ? selected(lockedRow) : undefined;
        if (locked?.status !== 'running' || !locked.regenerateContentId) return null;
        const [base] = await tx
          .select({ id: content.id, title: content.title })
          .from(content)
          .where(eq(content.id, locked.regenerateContentId!))
          .for('update');
        let stored: StoredContent;
        if (base) {
          const [last] = await tx
            .select({ v: max(contentVersions.version) })
            .from(contentVersions)
            .where(eq(contentVersions.contentId, base.id));
          const version = (last?.v ?? 0) + 1;
          await tx.insert(contentVersions).values({
            contentId: base.id,
            version,
            title: base.title,
            contentData: result.text,
            source: 'regeneration',
            createdBy: locked.userId,
            taskId: locked.id,
            metadata: result.metadata,
          });
          await tx
            .update(content)
            .set({ contentData: result.text, version, metadata: result.metadata, updatedAt: sql`now()` })
            .where(eq(content.id, base.id));
          stored = { id: base.id, title: base.title, contentData: result.text, version };
        } else {
          // The content to regenerate was deleted meanwhile: keep the result as new content.
          const [c] = await tx
            .insert(content)
            .values({
              taskId: locked.id,
              userId: locked.userId,
              teamId: locked.teamId,
              title: result.title,
              contentType: 'markdown',
              contentData: result.text,
              version: 1,
              metadata: result.metadata,
            })
            .returning({ id: content.id });
          await tx.insert(contentVersions).values({
            contentId: c!.id,
            version: 1,
            title: result.title,
            contentData: result.text,
            source: 'generation',
            createdBy: locked.userId,
            taskId: locked.id,
            metadata: result.metadata,
          });
          stored = { id: c!.id, title: result.title, contentData: result.text, version: 1 };
        }
        await tx
          .update(taskAssignments)
          .set({ output: null })
          .where(and(eq(taskAssignments.taskId, id), isNotNull(taskAssignments.output)));
        const [row] = await tx
          .update(tasks)
          .set({
            status: 'completed',
            contentId: stored.id,
            error: null,
            completedAt: sql`now()`,
            updatedAt: sql`now()`,
          })
          .where(eq(tasks.id, id))
          .returning(rawTaskSelection);
        const task = selected(row!);
        await inTx?.(task, executorOf(tx));
        return { task, content: stored };
      });
    },

    async fail(id, error, inTx) {
      return db.transaction(async (tx) => {
        const [row] = await tx
          .update(tasks)
          .set({
            status: 'failed',
            error: error.slice(0, 2000),
            completedAt: sql`now()`,
            updatedAt: sql`now()`,
          })
          .where(and(eq(tasks.id, id), inArray(tasks.status, ['queued', 'running'])))
          .returning(rawTaskSelection);
        if (!row) return null;
        const task = selected(row);
        await inTx?.(task, executorOf(tx));
        return task;
      });
    },

    contentOf: (task) => contentOf(db, task.contentId),
  };
}
