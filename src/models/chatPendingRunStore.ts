import { sql } from 'drizzle-orm';
import type { PendingRun, PendingRunRequest, PendingRunStore } from '../core/commands/ports.js';
import type { Db } from './db.js';

interface Row extends Record<string, unknown> {
  id: string;
  user_id: string;
  request: PendingRunRequest;
  expires_at: Date | string;
  decision: 'run' | 'cancelled' | null;
  task_id: string | null;
}

/**
 * chat_pending_runs: chat `generate` requests above their user's confirm threshold, waiting for Run
 * or Cancel. Rows are kept a day after they expire (then swept) so a late press gets a clear answer.
 */
export function createPendingRunStore(db: Db): PendingRunStore {
  let created = 0;
  const toRun = (r: Row): PendingRun => ({
    id: r.id,
    userId: r.user_id,
    request: r.request,
    expiresAt: new Date(r.expires_at),
    decision: r.decision,
    taskId: r.task_id,
  });
  return {
    async create(p) {
      const r = await db.execute<{ id: string }>(sql`
        INSERT INTO chat_pending_runs (user_id, request, expires_at)
        VALUES (${p.userId}::uuid, ${JSON.stringify(p.request)}::jsonb, ${p.expiresAt.toISOString()}::timestamptz)
        RETURNING id`);
      if (++created % 200 === 1)
        await db.execute(sql`DELETE FROM chat_pending_runs WHERE expires_at < now() - interval '1 day'`);
      return r.rows[0]!.id;
    },
    async get(id) {
      if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
      const r = await db.execute<Row>(sql`
        SELECT id, user_id, request, expires_at, decision, task_id FROM chat_pending_runs WHERE id = ${id}::uuid`);
      return r.rows[0] ? toRun(r.rows[0]) : null;
    },
    async decide(id, decision) {
      const r = await db.execute(sql`
        UPDATE chat_pending_runs SET decision = ${decision}, decided_at = now()
        WHERE id = ${id}::uuid AND decision IS NULL
          AND (${decision} = 'cancelled' OR expires_at > now())`);
      return (r.rowCount ?? 0) > 0;
    },

    async attach(id, taskId) {
      await db.execute(sql`UPDATE chat_pending_runs SET task_id = ${taskId}::uuid WHERE id = ${id}::uuid`);
    },
  };
}
