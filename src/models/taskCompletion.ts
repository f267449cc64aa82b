import { type SQL, sql } from 'drizzle-orm';
import type pg from 'pg';
import { sharedCalls } from '../core/coalescer.js';
import type { CompletionInput, StoredContent } from '../core/tasks/ports.js';
import type { TaskRecord } from '../core/tasks/types.js';
import { queryPrepared } from './preparedStatements.js';
import type { RawTaskRow } from './taskStore.js';

export type Generated = { task: TaskRecord; content: StoredContent };
type Item = { id: string; result: CompletionInput };
type Row = RawTaskRow & { stored_content_id: string };
type TaskColumns = { columns: SQL; fromRaw: (r: RawTaskRow) => TaskRecord };

/**
 * The completion of plain generations (not regenerations), in one statement for every task that
 * finished while the previous statement was on its way — a worker's batch of tasks completes in one
 * or two round trips instead of one each. Per task, exactly as before: the task row is locked; a task
 * still running gets content v1, its version row, its attempts' kept answers dropped (the content
 * holds the answer now) and is marked completed; a task that is not (cancelled meanwhile, or a
 * regeneration) gets nothing and no row back. Rows are locked in id order, so two such statements
 * never deadlock. Should a statement fail (one task's text refused by the database, say), each of its
 * tasks is tried again on its own, so one task's fault stays its own (core/coalescer.ts sharedCalls).
 */
export function createGenerationCompleter(
  pool: pg.Pool,
  task: TaskColumns,
): { complete(id: string, result: CompletionInput): Promise<Generated | null> } {
  // One completion per task in a statement (a task claimed twice runs twice: the second goes alone
  // and, the row locked and the task completed by then, stores nothing).
  const complete = sharedCalls(
    (items: Item[]) => completeGenerations(pool, items, task),
    (item) => item.id,
  );
  return {
    complete: async (id, result) => (await complete({ id, result })).get(id) ?? null,
  };
}

/**
 * THE completion statement for plain generations, for one task or many (taskStore `complete` sends
 * one alone inside the transaction that also enqueues its deliveries): the tasks it completed now.
 */
export async function completeGenerations(
  q: Pick<pg.Pool, 'query'>,
  items: Item[],
  task: TaskColumns,
): Promise<Map<string, Generated>> {
  const input = JSON.stringify(
    items.map(({ id, result }) => ({
      id,
      title: result.title,
      text: result.text,
      meta: result.metadata,
    })),
  );
  const rows = await queryPrepared<Row>(
    q,
    sql`
    WITH input AS (
      SELECT * FROM jsonb_to_recordset(${input}::jsonb) AS x(id uuid, title text, text text, meta jsonb)
    ), t AS (
      SELECT tasks.id, tasks.user_id, tasks.team_id, input.title, input.text, input.meta
      FROM tasks JOIN input ON input.id = tasks.id
      WHERE tasks.status = 'running' AND tasks.regenerate_content_id IS NULL
      ORDER BY tasks.id
      FOR UPDATE OF tasks
    ), c AS (
      INSERT INTO content (task_id, user_id, team_id, title, content_type, content_data, version, metadata)
      SELECT id, user_id, team_id, title, 'markdown', text, 1, meta FROM t
      RETURNING id, user_id, task_id, title, content_data, metadata
    ), v AS (
      INSERT INTO content_versions (content_id, version, title, content_data, source, created_by, task_id, metadata)
      SELECT id, 1, title, content_data, 'generation', user_id, task_id, metadata FROM c
    ), cleared AS (
      UPDATE task_assignments SET output = NULL FROM c
      WHERE task_assignments.task_id = c.task_id AND task_assignments.output IS NOT NULL
    )
    UPDATE tasks SET status = 'completed', content_id = c.id, error = NULL, completed_at = now(), updated_at = now()
    FROM c WHERE tasks.id = c.task_id
    RETURNING ${task.columns}, c.id AS stored_content_id`,
  );
  const byId = new Map(items.map((i) => [i.id, i.result]));
  return new Map(
    rows.map((row) => {
      const result = byId.get(row.id)!;
      const content = {
        id: row.stored_content_id,
        title: result.title,
        contentData: result.text,
        version: 1,
      };
      return [row.id, { task: task.fromRaw(row), content }];
    }),
  );
}
