import { and, asc, count, desc, eq, inArray, max, sql } from 'drizzle-orm';
import { fromDrizzle } from 'pg-boss';
import type { AssignmentRecord, SqlExecutor, StoredContent, TaskStore } from '../core/tasks/ports.js';
import type { TaskRecord } from '../core/tasks/types.js';
import type { Db, DbOrTx } from './db.js';
import { content, contentVersions, inboundDeliveries, taskAssignments, tasks } from './schema.js';

/** The NOTIFY channel a cancellation is announced on (see models/cancelListener.ts). */
export const TASK_CANCEL_CHANNEL = 'switchyard_task_cancel';

type TaskRow = typeof tasks.$inferSelect;

export function toTask(r: TaskRow): TaskRecord {
  return {
    id: r.id,
    userId: r.userId,
    title: r.title,
    description: r.description,
    taskType: r.taskType,
    priority: r.priority,
    status: r.status,
    source: r.source,
    providerId: r.providerId,
    options: r.options ?? {},
    callbackUrl: r.callbackUrl,
    webhookId: r.webhookId,
    origin: r.origin ?? null,
    contentId: r.contentId,
    regenerateContentId: r.regenerateContentId,
    error: r.error,
    attempts: r.attempts,
    jobId: r.jobId,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    startedAt: r.startedAt,
    completedAt: r.completedAt,
  };
}

/** A tasks row as raw SQL returns it (snake_case). */
interface RawTaskRow extends Record<string, unknown> {
  id: string;
  user_id: string;
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
  created_at: Date;
  updated_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
}

function fromRaw(r: RawTaskRow): TaskRecord {
  return {
    id: r.id,
    userId: r.user_id,
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
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    startedAt: r.started_at,
    completedAt: r.completed_at,
  };
}

const DATE_FIELDS = ['createdAt', 'updatedAt', 'startedAt', 'completedAt'] as const;

/** A TaskRecord as JSON (for the idempotency ledger's replayed response) and back. */
function serializeTask(t: TaskRecord): Record<string, unknown> {
  return JSON.parse(JSON.stringify(t)) as Record<string, unknown>;
}
function reviveTask(j: Record<string, unknown>): TaskRecord {
  const out = { ...j } as Record<string, unknown>;
  for (const f of DATE_FIELDS) out[f] = typeof out[f] === 'string' ? new Date(out[f] as string) : null;
  return out as unknown as TaskRecord;
}

/** pg-boss writes its job through this, inside our transaction. */
const executorOf = (tx: DbOrTx): SqlExecutor => fromDrizzle(tx as never, sql);

export function createTaskStore(db: Db): TaskStore {
  const getIn = async (q: DbOrTx, id: string) => {
    const [r] = await q.select().from(tasks).where(eq(tasks.id, id));
    return r ? toTask(r) : null;
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
    async insertQueued(t, { dedupe, inTx }) {
      return db.transaction(async (tx) => {
        let ledgerId: string | undefined;
        if (dedupe) {
          const window = dedupe.windowSeconds;
          // A key seen within its window conflicts; an older one is taken over by this delivery.
          const claim = await tx.execute<{ id: string }>(sql`
            INSERT INTO inbound_deliveries (source, delivery_id) VALUES (${dedupe.source}, ${dedupe.deliveryId})
            ON CONFLICT (source, delivery_id) DO ${
              window
                ? sql`UPDATE SET received_at = now(), task_id = NULL, response = NULL
                      WHERE inbound_deliveries.received_at < now() - make_interval(secs => ${window}::double precision)`
                : sql`NOTHING`
            }
            RETURNING id`);
          if (!claim.rows.length) {
            const [row] = await tx
              .select()
              .from(inboundDeliveries)
              .where(
                and(
                  eq(inboundDeliveries.source, dedupe.source),
                  eq(inboundDeliveries.deliveryId, dedupe.deliveryId),
                ),
              );
            const task = row?.taskId ? await getIn(tx, row.taskId) : null;
            const snap = row?.response?.task;
            const original =
              snap && typeof snap === 'object' ? reviveTask(snap as Record<string, unknown>) : null;
            return { duplicate: true as const, task, original };
          }
          ledgerId = claim.rows[0]!.id;
        }
        const [row] = await tx
          .insert(tasks)
          .values({
            userId: t.userId,
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
            regenerateContentId: t.regenerateContentId,
            jobId: t.jobId,
          })
          .returning();
        const task = toTask(row!);
        await inTx(task, executorOf(tx));
        if (ledgerId) {
          await tx
            .update(inboundDeliveries)
            .set({ taskId: task.id, response: { task: serializeTask(task) } })
            .where(eq(inboundDeliveries.id, ledgerId));
        }
        return { duplicate: false as const, task };
      });
    },

    get: (id) => getIn(db, id),

    async list(q) {
      const where = and(
        q.userId ? eq(tasks.userId, q.userId) : undefined,
        q.status ? eq(tasks.status, q.status) : undefined,
        q.taskType ? eq(tasks.taskType, q.taskType) : undefined,
        q.source ? eq(tasks.source, q.source) : undefined,
      );
      const [rows, [total]] = await Promise.all([
        db
          .select()
          .from(tasks)
          .where(where)
          .orderBy(desc(tasks.createdAt), desc(tasks.id))
          .limit(q.limit)
          .offset((q.page - 1) * q.limit),
        db.select({ n: count() }).from(tasks).where(where),
      ]);
      return { items: rows.map(toTask), total: total?.n ?? 0 };
    },

    async assignments(taskId) {
      const rows = await db
        .select()
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
          .returning();
        if (!row) return (await exists(tx, id)) ? ('not_queued' as const) : null;
        const task = toTask(row);
        await inTx?.(task, executorOf(tx));
        return task;
      });
    },

    async cancel(id, inTx) {
      return db.transaction(async (tx) => {
        const [row] = await tx
          .update(tasks)
          .set({ status: 'cancelled', completedAt: sql`now()`, updatedAt: sql`now()` })
          .where(and(eq(tasks.id, id), inArray(tasks.status, ['queued', 'running'])))
          .returning();
        if (!row) return (await exists(tx, id)) ? ('finished' as const) : null;
        // Delivered at commit to every worker process listening (models/cancelListener.ts).
        await tx.execute(sql`SELECT pg_notify(${TASK_CANCEL_CHANNEL}, ${id})`);
        const task = toTask(row);
        await inTx?.(task, executorOf(tx));
        return task;
      });
    },

    async delete(id) {
      const rows = await db.delete(tasks).where(eq(tasks.id, id)).returning({ id: tasks.id });
      return rows.length > 0;
    },

    async markRunning(id, jobId) {
      const [row] = await db
        .update(tasks)
        .set({
          status: 'running',
          startedAt: sql`coalesce(${tasks.startedAt}, now())`,
          attempts: sql`${tasks.attempts} + 1`,
          jobId,
          updatedAt: sql`now()`,
        })
        .where(and(eq(tasks.id, id), inArray(tasks.status, ['queued', 'running'])))
        .returning();
      if (!row) return null;
      if (row.attempts > 1) {
        // A run before this one that never finished its attempt: its worker is gone.
        await db
          .update(taskAssignments)
          .set({
            status: 'failed',
            errorCode: 'worker_lost',
            errorMessage:
              'The worker running this attempt stopped before it finished; the task was run again',
            updatedAt: sql`now()`,
          })
          .where(and(eq(taskAssignments.taskId, id), eq(taskAssignments.status, 'running')));
      }
      return { task: toTask(row), firstStart: row.attempts === 1 };
    },

    async requeue(id) {
      await db
        .update(tasks)
        .set({ status: 'queued', updatedAt: sql`now()` })
        .where(and(eq(tasks.id, id), eq(tasks.status, 'running')));
    },

    async complete(id, result, inTx) {
      // Plain generation (the common case): lock, store content v1 and its version row, and mark the
      // task completed in ONE statement. The row lock makes it exactly-once: a second run waits on
      // it, then finds the task no longer running and stores nothing.
      const generate = async (q: DbOrTx) => {
        const meta = JSON.stringify(result.metadata);
        const r = await q.execute<RawTaskRow & { stored_content_id: string }>(sql`
          WITH t AS (
            SELECT id, user_id FROM tasks
            WHERE id = ${id} AND status = 'running' AND regenerate_content_id IS NULL
            FOR UPDATE
          ), c AS (
            INSERT INTO content (task_id, user_id, title, content_type, content_data, version, metadata)
            SELECT id, user_id, ${result.title}, 'markdown', ${result.text}, 1, ${meta}::jsonb FROM t
            RETURNING id, user_id, task_id
          ), v AS (
            INSERT INTO content_versions (content_id, version, title, content_data, source, created_by, task_id, metadata)
            SELECT id, 1, ${result.title}, ${result.text}, 'generation', user_id, task_id, ${meta}::jsonb FROM c
          )
          UPDATE tasks SET status = 'completed', content_id = c.id, error = NULL, completed_at = now(), updated_at = now()
          FROM c WHERE tasks.id = c.task_id
          RETURNING tasks.*, c.id AS stored_content_id`);
        const row = r.rows[0];
        if (!row) return null;
        return {
          task: fromRaw(row),
          content: { id: row.stored_content_id, title: result.title, contentData: result.text, version: 1 },
        };
      };

      const generated = inTx
        ? await db.transaction(async (tx) => {
            const out = await generate(tx);
            if (out) await inTx(out.task, executorOf(tx));
            return out;
          })
        : await generate(db);
      if (generated) return generated;

      // A regeneration (or a task that is no longer running): the next version of existing content.
      return db.transaction(async (tx) => {
        const [locked] = await tx.select().from(tasks).where(eq(tasks.id, id)).for('update');
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
          .returning();
        const task = toTask(row!);
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
          .returning();
        if (!row) return null;
        const task = toTask(row);
        await inTx?.(task, executorOf(tx));
        return task;
      });
    },

    contentOf: (task) => contentOf(db, task.contentId),
  };
}
