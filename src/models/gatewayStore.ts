import { sql } from 'drizzle-orm';
import type { GatewayStore } from '../core/gateway/ports.js';
import type { RoutingStore, RoutingTarget } from '../core/routing/ports.js';
import type { Db } from './db.js';
import { poolOf, queryPrepared } from './preparedStatements.js';

/**
 * The gateway's storage (core/gateway/ports.ts) on PostgreSQL.
 *
 * - snapshot: the routing store's view, shared for `snapshotTtlMs` by every call of this process
 *   (one read at a time). Budgets in it may be that old: the reservation re-checks them.
 * - reserve: one UPDATE, guarded by `used + reserved + tokens <= limit` (as budgetStore.ts).
 * - record: one statement per batch: inserts the tasks (source `gateway`, ON CONFLICT DO NOTHING on
 *   their ids), their settled attempts, and — for the tasks inserted by this statement only — gives
 *   the reservations back and charges the usage. A batch written twice changes nothing the second time.
 */
export function createGatewayStore(
  db: Db,
  routing: RoutingStore,
  opts: { snapshotTtlMs?: number } = {},
): GatewayStore {
  const pool = poolOf(db);
  const ttl = opts.snapshotTtlMs ?? 250;
  let cached: { at: number; value: Promise<RoutingTarget[]> } | null = null;
  return {
    snapshot() {
      const now = performance.now();
      if (!cached || now - cached.at > ttl) {
        const value = routing.snapshot();
        const entry = { at: now, value };
        cached = entry;
        value.catch(() => {
          if (cached === entry) cached = null;
        });
      }
      return cached.value;
    },

    async reserve(accountId, tokens) {
      const rows = await queryPrepared<{ id: string }>(
        pool,
        sql`
        WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true) AS v)
        UPDATE provider_accounts
        SET token_reserved = token_reserved + ${tokens}::bigint, updated_at = now()
        FROM relaxed
        WHERE id = ${accountId} AND status = 'active'
          AND token_used + token_reserved + ${tokens}::bigint <= token_limit
        RETURNING id`,
      );
      return rows.length > 0;
    },

    async record(calls) {
      if (!calls.length) return;
      const tasks = calls.map((c) => ({
        id: c.taskId,
        user_id: c.userId,
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
        created_at: c.createdAt.toISOString(),
        completed_at: c.completedAt.toISOString(),
      }));
      const attempts = calls.flatMap((c) =>
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
          latency_ms: a.latencyMs,
          error_code: a.errorCode,
          error_message: a.errorMessage,
          created_at: c.createdAt.toISOString(),
        })),
      );
      await pool.query(
        `
        WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true) AS v),
        t AS (
          SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(
            id uuid, user_id uuid, title text, description text, task_type text, status text, error text,
            provider_id uuid, options jsonb, routing jsonb, created_at timestamptz, completed_at timestamptz)
        ), inserted AS (
          INSERT INTO tasks (id, user_id, title, description, task_type, priority, status, source, provider_id,
                             options, error, attempts, routing, created_at, updated_at, started_at, completed_at)
          SELECT t.id, t.user_id, t.title, t.description, t.task_type, 'normal', t.status, 'gateway',
                 (SELECT p.id FROM ai_providers p WHERE p.id = t.provider_id), t.options, t.error, 1, t.routing,
                 t.created_at, t.completed_at, t.created_at, t.completed_at
          FROM t, relaxed
          WHERE EXISTS (SELECT 1 FROM users u WHERE u.id = t.user_id)
          ON CONFLICT (id) DO NOTHING
          RETURNING id
        ), a AS (
          SELECT x.* FROM jsonb_to_recordset($2::jsonb) AS x(
            id uuid, task_id uuid, provider_id uuid, provider_name text, account_id uuid, status text, model text,
            tokens_input integer, tokens_output integer, tokens_reserved integer, latency_ms integer,
            error_code text, error_message text, created_at timestamptz)
          JOIN inserted i ON i.id = x.task_id
        ), started AS (
          INSERT INTO task_assignments (id, task_id, provider_id, provider_name, account_id, status, attempt_count,
                                        model, tokens_reserved, tokens_input, tokens_output, tokens_used, latency_ms,
                                        error_code, error_message, settled_at, created_at, updated_at)
          SELECT a.id, a.task_id, (SELECT p.id FROM ai_providers p WHERE p.id = a.provider_id), a.provider_name,
                 (SELECT pa.id FROM provider_accounts pa WHERE pa.id = a.account_id), a.status, 1, a.model,
                 a.tokens_reserved, a.tokens_input, a.tokens_output, a.tokens_input + a.tokens_output, a.latency_ms,
                 a.error_code, a.error_message, now(), a.created_at, now()
          FROM a
        ), charged AS (
          UPDATE provider_accounts AS p
          SET token_reserved = greatest(0, p.token_reserved - s.reserved),
              token_used = p.token_used + s.used,
              updated_at = now()
          FROM (SELECT account_id, sum(tokens_reserved)::bigint AS reserved,
                       sum(tokens_input + tokens_output)::bigint AS used
                FROM a GROUP BY account_id) s
          WHERE p.id = s.account_id
        )
        SELECT count(*)::int AS n FROM inserted`,
        [noNul(JSON.stringify(tasks)), noNul(JSON.stringify(attempts))],
      );
    },
  };
}

/** jsonb refuses \u0000: a provider's error text must not poison a batch. */
const noNul = (json: string) => json.replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1');
