import { sql } from 'drizzle-orm';
import type { HealthRecorder } from '../core/routing/ports.js';
import { PROVIDER_FAILURE_CODES } from '../core/routing/routedExecutor.js';
import type { CircuitState } from '../core/routing/types.js';
import type { Db } from './db.js';

/** `('rate_limit', 'server_error', …)`: constants, not user input. */
export const FAILURE_CODES_SQL = sql.raw(`(${PROVIDER_FAILURE_CODES.map((c) => `'${c}'`).join(', ')})`);

/**
 * The circuit breaker's state in provider_health, shared by every process. Each transition is one
 * statement, so two workers failing at once count two failures and only one of them can take the
 * half-open probe. `updated_at` is when the state last changed (for half-open: when the probe was
 * let through).
 */
export function createProviderHealthStore(db: Db): HealthRecorder {
  return {
    async recordSuccess(providerId) {
      // An open circuit stays open (a call that started before it opened proves little); a
      // half-open one closes. Writes only when something changes, or every few seconds for lastCheckedAt.
      await db.execute(sql`
        INSERT INTO provider_health AS h (provider_id, circuit, consecutive_failures, last_checked_at, updated_at)
        VALUES (${providerId}, 'closed', 0, now(), now())
        ON CONFLICT (provider_id) DO UPDATE SET
          circuit = CASE WHEN h.circuit = 'open' THEN h.circuit ELSE 'closed' END,
          consecutive_failures = CASE WHEN h.circuit = 'open' THEN h.consecutive_failures ELSE 0 END,
          last_checked_at = now(),
          updated_at = CASE WHEN h.circuit = 'half_open' THEN now() ELSE h.updated_at END
        WHERE h.circuit = 'half_open' OR (h.circuit = 'closed' AND h.consecutive_failures > 0)
           OR h.last_checked_at IS NULL OR h.last_checked_at < now() - interval '5 seconds'`);
    },

    async recordFailure(providerId, error, c) {
      // `trip` says whether the error rate over the window (since the circuit last opened) calls for opening.
      const n = c.failureThreshold;
      // The decision reads the locked row (h), so concurrent failures each count and the one that
      // reaches the threshold opens the circuit. The window's error rate only counts attempts since
      // the circuit last opened, so old failures cannot re-open a circuit a probe just closed.
      const r = await db.execute<{ circuit: CircuitState }>(sql`
        WITH window_stats AS (
          SELECT count(*) FILTER (WHERE a.error_code IN ${FAILURE_CODES_SQL}) AS failed,
                 count(*) FILTER (WHERE a.status = 'succeeded' OR a.error_code IN ${FAILURE_CODES_SQL}) AS total
          FROM task_assignments a
          WHERE a.provider_id = ${providerId} AND a.settled_at IS NOT NULL
            AND a.created_at > greatest(
              now() - make_interval(secs => ${c.windowSeconds}::double precision),
              coalesce((SELECT opened_at FROM provider_health WHERE provider_id = ${providerId}), '-infinity'::timestamptz))
        ), trip AS (
          SELECT (total >= ${c.minSamples} AND failed::double precision / greatest(total, 1) >= ${c.errorRateThreshold}) AS rate FROM window_stats
        )
        INSERT INTO provider_health AS h (provider_id, circuit, consecutive_failures, opened_at, last_error, last_error_at, last_checked_at, updated_at)
        SELECT ${providerId},
               CASE WHEN 1 >= ${n} OR trip.rate THEN 'open' ELSE 'closed' END,
               1,
               CASE WHEN 1 >= ${n} OR trip.rate THEN now() END,
               ${error.slice(0, 500)}, now(), now(), now()
        FROM trip
        ON CONFLICT (provider_id) DO UPDATE SET
          circuit = CASE WHEN h.circuit <> 'closed' OR h.consecutive_failures + 1 >= ${n} OR EXCLUDED.circuit = 'open' THEN 'open' ELSE 'closed' END,
          consecutive_failures = h.consecutive_failures + 1,
          opened_at = CASE WHEN h.circuit = 'open' THEN h.opened_at
                           WHEN h.circuit = 'half_open' OR h.consecutive_failures + 1 >= ${n} OR EXCLUDED.circuit = 'open' THEN now()
                           ELSE h.opened_at END,
          updated_at = CASE WHEN h.circuit = 'open' THEN h.updated_at
                            WHEN h.circuit = 'half_open' OR h.consecutive_failures + 1 >= ${n} OR EXCLUDED.circuit = 'open' THEN now()
                            ELSE h.updated_at END,
          last_error = EXCLUDED.last_error,
          last_error_at = EXCLUDED.last_error_at,
          last_checked_at = EXCLUDED.last_checked_at
        RETURNING circuit`);
      return r.rows[0]?.circuit ?? 'closed';
    },

    async claimProbe(providerId, cooldownSeconds, staleMs) {
      const r = await db.execute(sql`
        UPDATE provider_health SET circuit = 'half_open', updated_at = now(), last_checked_at = now()
        WHERE provider_id = ${providerId}
          AND ((circuit = 'open' AND coalesce(opened_at, '-infinity'::timestamptz) <= now() - make_interval(secs => ${cooldownSeconds}::double precision))
            OR (circuit = 'half_open' AND updated_at <= now() - make_interval(secs => ${staleMs / 1000}::double precision)))
        RETURNING provider_id`);
      return r.rows.length > 0;
    },

    async releaseProbe(providerId) {
      await db.execute(
        sql`UPDATE provider_health SET circuit = 'open', updated_at = now() WHERE provider_id = ${providerId} AND circuit = 'half_open'`,
      );
    },
  };
}
