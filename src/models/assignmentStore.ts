import { sql } from 'drizzle-orm';
import type { AssignmentStore } from '../core/tasks/ports.js';
import type { Db } from './db.js';
import { taskAssignments } from './schema.js';

/** task_assignments: one row per attempt; token usage reaches the account exactly once (settled_at). */
export function createAssignmentStore(db: Db): AssignmentStore {
  return {
    async start(a) {
      const [row] = await db
        .insert(taskAssignments)
        .values({
          taskId: a.taskId,
          providerId: a.providerId,
          providerName: a.providerName,
          accountId: a.accountId,
          status: 'running',
          attemptCount: a.attempt,
          model: a.model,
          tokensReserved: a.tokensReserved ?? 0,
        })
        .returning({ id: taskAssignments.id });
      return row!.id;
    },

    async finish(id, r) {
      // One statement: the attempt is settled and its usage added to the account together, and only
      // the first call for an attempt does either.
      await db.execute(sql`
        WITH settled AS (
          UPDATE task_assignments SET
            status = ${r.status},
            model = coalesce(${r.model ?? null}::text, model),
            tokens_input = ${r.tokensInput ?? 0},
            tokens_output = ${r.tokensOutput ?? 0},
            tokens_used = ${r.tokensUsed ?? 0},
            latency_ms = ${r.latencyMs ?? null}::integer,
            error_code = ${r.errorCode ?? null}::text,
            error_message = ${r.errorMessage ? r.errorMessage.slice(0, 2000) : null}::text,
            settled_at = now(),
            updated_at = now()
          WHERE id = ${id} AND settled_at IS NULL
          RETURNING account_id, tokens_used
        )
        UPDATE provider_accounts AS p
        SET token_used = p.token_used + settled.tokens_used, updated_at = now()
        FROM settled
        WHERE p.id = settled.account_id AND settled.tokens_used > 0`);
    },
  };
}
