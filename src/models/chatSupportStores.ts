import { and, eq, sql } from 'drizzle-orm';
import type pg from 'pg';
import type {
  AdmissionReads,
  ChatOriginStore,
  ContentLookup,
  DeliveryLedger,
  ProviderDirectory,
  ProviderSummary,
} from '../core/commands/ports.js';
import type { Db } from './db.js';
import { poolOf, queryPrepared } from './preparedStatements.js';
import { aiProviders, content, inboundDeliveries } from './schema.js';

/**
 * Small PostgreSQL-backed services the chat adapters share: the per-identity rate limiter, the
 * inbound_deliveries ledger for commands that make no task, the task origin (where a result goes,
 * plus delivery bookkeeping), a read-only provider listing and content ownership lookups.
 */

/**
 * Admission's reads in one statement: one hit on a fixed window in rate_counters, counted by the
 * database clock so every process agrees, and the delivery's ledger row if it was seen before. The
 * commit does not wait for the WAL flush (synchronous_commit off for this statement only): a
 * counter lost in a crash costs nothing, and intake saves one disk flush per command.
 */
export function createAdmissionReads(db: Db): AdmissionReads {
  const pool = poolOf(db);
  let calls = 0;
  return {
    async read({ source, deliveryId, rateKey, windowSeconds }) {
      const [row] = await queryPrepared<{
        count: number;
        retry_after: number;
        seen: boolean;
        task_id: string | null;
        response: Record<string, unknown> | null;
      }>(
        pool,
        sql`
        WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true) AS v), hit AS (
          INSERT INTO rate_counters (key, window_start, count)
          SELECT ${rateKey}, to_timestamp(floor(extract(epoch FROM now()) / ${windowSeconds}) * ${windowSeconds}), 1 FROM relaxed
          ON CONFLICT (key, window_start) DO UPDATE SET count = rate_counters.count + 1
          RETURNING count,
            greatest(1, ceil(extract(epoch FROM (window_start + make_interval(secs => ${windowSeconds}) - now()))))::int AS retry_after
        )
        SELECT hit.count, hit.retry_after, d.id IS NOT NULL AS seen, d.task_id, d.response
        FROM hit LEFT JOIN inbound_deliveries d ON d.source = ${source} AND d.delivery_id = ${deliveryId}`,
      );
      // Old windows are worthless: sweep now and then rather than on every call.
      if (++calls % 500 === 1)
        await db.execute(sql`DELETE FROM rate_counters WHERE window_start < now() - interval '1 hour'`);
      return {
        seen: row!.seen ? { taskId: row!.task_id, response: row!.response } : null,
        count: Number(row!.count),
        retryAfterSeconds: Number(row!.retry_after),
      };
    },
  };
}

export function createDeliveryLedger(db: Db): DeliveryLedger {
  const where = (source: string, deliveryId: string) =>
    and(eq(inboundDeliveries.source, source), eq(inboundDeliveries.deliveryId, deliveryId));
  return {
    async lookup(source, deliveryId) {
      const [r] = await db
        .select({ taskId: inboundDeliveries.taskId, response: inboundDeliveries.response })
        .from(inboundDeliveries)
        .where(where(source, deliveryId));
      return r ?? null;
    },
    async claim(source, deliveryId) {
      const r = await db
        .insert(inboundDeliveries)
        .values({ source, deliveryId })
        .onConflictDoNothing()
        .returning({ id: inboundDeliveries.id });
      return r.length > 0;
    },
    async saveResponse(source, deliveryId, response) {
      await db.update(inboundDeliveries).set({ response }).where(where(source, deliveryId));
    },
  };
}

const LOCK_NAMESPACE = 872341002;

export function createChatOriginStore(db: Db, pool: pg.Pool): ChatOriginStore {
  return {
    async get(taskId) {
      const r = await db.execute<{ origin: Record<string, unknown> | null }>(
        sql`SELECT origin FROM tasks WHERE id = ${taskId}`,
      );
      return r.rows[0]?.origin ?? null;
    },
    async patch(taskId, patch) {
      await db.execute(
        sql`UPDATE tasks SET origin = coalesce(origin, '{}'::jsonb) || ${JSON.stringify(patch)}::jsonb WHERE id = ${taskId}`,
      );
    },
    async takeUse(taskId, field, max) {
      const r = await db.execute(sql`
        UPDATE tasks SET origin = jsonb_set(coalesce(origin, '{}'::jsonb), ARRAY[${field}]::text[], to_jsonb(coalesce((origin ->> ${field})::int, 0) + 1))
        WHERE id = ${taskId} AND coalesce((origin ->> ${field})::int, 0) < ${max}
        RETURNING id`);
      return r.rows.length > 0;
    },
    async withLock(taskId, fn) {
      const client = await pool.connect();
      try {
        await client.query('SELECT pg_advisory_lock($1, hashtext($2))', [LOCK_NAMESPACE, taskId]);
        try {
          return await fn();
        } finally {
          await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [LOCK_NAMESPACE, taskId]);
        }
      } finally {
        client.release();
      }
    },
  };
}

/** Active providers by name, for `providers` and `--provider` (read-only). */
export function createChatProviderDirectory(db: Db): ProviderDirectory {
  const toSummary = (r: typeof aiProviders.$inferSelect): ProviderSummary => ({
    id: r.id,
    name: r.name,
    kind: r.kind,
    tier: r.tier,
    strengths: Object.entries(r.competencies ?? {})
      .filter(([, v]) => typeof v === 'number' && v >= 0.5)
      .sort((a, b) => b[1] - a[1])
      .map(([k]) => k),
  });
  return {
    async listActive() {
      const rows = await db
        .select()
        .from(aiProviders)
        .where(eq(aiProviders.status, 'active'))
        .orderBy(aiProviders.tier, aiProviders.name);
      return rows.map(toSummary);
    },
    async findActiveByName(name) {
      const [r] = await db
        .select()
        .from(aiProviders)
        .where(and(eq(aiProviders.status, 'active'), sql`lower(${aiProviders.name}) = lower(${name})`));
      return r ? toSummary(r) : null;
    },
  };
}

export function createContentLookup(db: Db): ContentLookup {
  return {
    async ownedContent(userId, contentId) {
      const [r] = await db
        .select({ id: content.id, taskId: content.taskId })
        .from(content)
        .where(and(eq(content.id, contentId), eq(content.userId, userId)));
      return r ?? null;
    },
  };
}
