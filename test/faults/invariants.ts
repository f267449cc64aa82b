import type { client } from '../helpers/app.js';
import { withDb } from '../helpers/sql.js';

/**
 * The invariants a fault must not break, read straight from the database for a set of tasks.
 *
 * - lost: a task that did not end `completed` (still queued/running, or failed/cancelled).
 * - duplicated ("run twice"): a task whose result was stored more than once (more than one content
 *   row or content version), or that reached the provider to completion (a `succeeded`
 *   task_assignments row: the connector returned text and its usage was settled) more than once —
 *   whatever the cause: a worker SIGKILLed between the answer and the completion does not excuse
 *   it (the re-run completes with the answer the attempt stored, src/core/routing/routedExecutor.ts).
 * - providerRepeats: the tasks among those with a second successful provider call (for the report).
 * - unsettled: an attempt whose reservation was never settled or released (`settled_at IS NULL`,
 *   or still `running`).
 * - budgets: for every provider account, `token_reserved` must be 0 and `token_used` must equal
 *   the sum of `tokens_used` over its settled attempts (each attempt charged exactly once; a
 *   released attempt charges 0). The database belongs to one test file, so every attempt counts.
 */
export interface RunFigures {
  tasks: number;
  completed: number;
  lost: number;
  duplicated: number;
  /** Tasks whose result was stored twice (content rows or versions > 1). */
  storedTwice: number;
  /** Tasks with more than one successful provider call (each also counts as duplicated). */
  providerRepeats: number;
  /**
   * Tasks completed by a later run of their job than the one whose provider call answered (the worker
   * that got the answer died before storing it; the re-run used the answer stored on the attempt).
   */
  completedFromStoredAnswer: number;
  /** Tasks that needed more than one run of their job (a kill, a release at shutdown). */
  rerun: number;
  /** Attempts closed as lost or aborted (the worker died, or released them at shutdown). */
  interruptedAttempts: number;
  unsettled: number;
  leftoverReservation: number;
  budgetMismatch: number;
  /** Σ token_used over accounts and Σ settled usage over attempts (equal when nothing is counted twice). */
  tokenUsed: number;
  settledUsage: number;
  byStatus: Record<string, number>;
}

export async function runFigures(databaseUrl: string, ids: string[]): Promise<RunFigures> {
  return withDb(databaseUrl, async (db) => {
    const statuses = await db.query<{ status: string; n: number }>(
      `SELECT status, count(*)::int AS n FROM tasks WHERE id = ANY($1::uuid[]) GROUP BY status`,
      [ids],
    );
    const byStatus = Object.fromEntries(statuses.rows.map((r) => [r.status, r.n]));
    const storedTwice = await db.query<{ task_id: string }>(
      `SELECT task_id FROM content WHERE task_id = ANY($1::uuid[]) GROUP BY task_id HAVING count(*) > 1
       UNION SELECT task_id FROM content_versions WHERE task_id = ANY($1::uuid[]) GROUP BY task_id HAVING count(*) > 1`,
      [ids],
    );
    const rerun = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM tasks WHERE id = ANY($1::uuid[]) AND attempts > 1`,
      [ids],
    );
    // Every task with more than one successful provider call.
    const repeated = await db.query<{ task_id: string }>(
      `SELECT task_id FROM task_assignments WHERE task_id = ANY($1::uuid[]) AND status = 'succeeded'
       GROUP BY task_id HAVING count(*) > 1`,
      [ids],
    );
    const duplicated = new Set([...storedTwice.rows, ...repeated.rows].map((r) => r.task_id));
    const fromStored = await db.query<{ n: number }>(
      `SELECT count(DISTINCT c.task_id)::int AS n
       FROM content c JOIN task_assignments a ON a.task_id = c.task_id AND a.status = 'succeeded'
       WHERE c.task_id = ANY($1::uuid[]) AND (c.metadata->>'attempt')::int > a.attempt_count`,
      [ids],
    );
    const attempts = await db.query<{ unsettled: number; interrupted: number; settled_usage: string }>(
      `SELECT count(*) FILTER (WHERE settled_at IS NULL OR status = 'running')::int AS unsettled,
              count(*) FILTER (WHERE error_code = 'worker_lost' OR status = 'aborted')::int AS interrupted,
              coalesce(sum(tokens_used) FILTER (WHERE settled_at IS NOT NULL), 0)::text AS settled_usage
       FROM task_assignments`,
    );
    const accounts = await db.query<{
      id: string;
      token_used: string;
      token_reserved: string;
      settled: string;
    }>(
      `SELECT a.id, a.token_used::text, a.token_reserved::text,
              coalesce((SELECT sum(x.tokens_used) FROM task_assignments x WHERE x.account_id = a.id AND x.settled_at IS NOT NULL), 0)::text AS settled
       FROM provider_accounts a`,
    );
    const a = attempts.rows[0]!;
    return {
      tasks: ids.length,
      completed: byStatus.completed ?? 0,
      lost: ids.length - (byStatus.completed ?? 0),
      duplicated: duplicated.size,
      storedTwice: storedTwice.rows.length,
      providerRepeats: repeated.rows.length,
      completedFromStoredAnswer: fromStored.rows[0]!.n,
      rerun: rerun.rows[0]!.n,
      interruptedAttempts: a.interrupted,
      unsettled: a.unsettled,
      leftoverReservation: accounts.rows.reduce((s, r) => s + Number(r.token_reserved), 0),
      budgetMismatch: accounts.rows.filter((r) => Number(r.token_used) !== Number(r.settled)).length,
      tokenUsed: accounts.rows.reduce((s, r) => s + Number(r.token_used), 0),
      settledUsage: Number(a.settled_usage),
      byStatus,
    };
  });
}

/** Counts of tasks per status among `ids`. */
export async function statusCounts(databaseUrl: string, ids: string[]): Promise<Record<string, number>> {
  return withDb(databaseUrl, async (db) => {
    const r = await db.query<{ status: string; n: number }>(
      `SELECT status, count(*)::int AS n FROM tasks WHERE id = ANY($1::uuid[]) GROUP BY status`,
      [ids],
    );
    return Object.fromEntries(r.rows.map((x) => [x.status, x.n]));
  });
}

type Api = ReturnType<typeof client>;

/** Creates `n` tasks through POST /api/tasks, `parallel` at a time; counts 5xx answers. */
export async function submitTasks(
  api: Api,
  n: number,
  opts: { parallel?: number; label: string; taskType?: string },
): Promise<{ ids: string[]; serverErrors: number; rejected: number }> {
  const ids: string[] = [];
  let serverErrors = 0;
  let rejected = 0;
  const parallel = opts.parallel ?? 25;
  for (let i = 0; i < n; i += parallel) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(parallel, n - i) }, (_, j) =>
        api.post('/api/tasks', {
          description: `${opts.label} ${i + j}`,
          taskType: opts.taskType ?? 'social_post',
          priority: (i + j) % 3 ? 'normal' : 'high',
        }),
      ),
    );
    for (const r of batch) {
      if (r.status >= 500) serverErrors++;
      if (r.status === 201) ids.push(r.body.id);
      else rejected++;
    }
  }
  return { ids, serverErrors, rejected };
}
