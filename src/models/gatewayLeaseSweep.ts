import type pg from 'pg';

/** A process silent this long is dead: the budget job gives its holdings back (releaseDeadGatewayLeases). */
export const DEAD_LEASE_SECONDS = 60;

/**
 * Gives back what gateway processes that stopped beating for `staleSeconds` still hold (their lease
 * and the reservations of calls they never recorded): one statement, run by the worker's budget job.
 * Returns the tokens released.
 */
export async function releaseDeadGatewayLeases(
  q: Pick<pg.Pool, 'query'>,
  staleSeconds = DEAD_LEASE_SECONDS,
): Promise<number> {
  const r = await q.query<{ n: string | null }>(
    `
    WITH stale AS (
      SELECT DISTINCT account_id FROM gateway_leases WHERE heartbeat_at < now() - make_interval(secs => $1)
    ), acct AS (
      -- The accounts first, in id order, then the lease rows: as reserve, record and releaseLeases
      -- lock them (the other order deadlocks with a batch on the same accounts, or with a paused
      -- process that resumes).
      SELECT id FROM provider_accounts WHERE id IN (SELECT account_id FROM stale) ORDER BY id FOR UPDATE
    ), gone AS (
      -- A row whose heartbeat came back meanwhile is re-checked and kept.
      DELETE FROM gateway_leases
      WHERE heartbeat_at < now() - make_interval(secs => $1)
        AND (SELECT count(*) FROM acct) >= 0 AND account_id IN (SELECT id FROM acct)
      RETURNING account_id, tokens, micros
    ), s AS (SELECT account_id, sum(tokens)::bigint AS t, sum(micros)::bigint AS m FROM gone GROUP BY account_id),
    freed AS (
      UPDATE provider_accounts AS p SET token_reserved = greatest(0, p.token_reserved - s.t), updated_at = now()
      FROM s WHERE p.id = s.account_id
      RETURNING p.id
    ), freed_budgets AS (
      -- The money the dead process held on the accounts' own budgets (provider_account scope).
      UPDATE budgets SET reserved_micros = greatest(0, budgets.reserved_micros - s.m), updated_at = now()
      FROM s JOIN freed ON freed.id = s.account_id
      WHERE budgets.scope = 'provider_account' AND budgets.scope_id = s.account_id AND s.m > 0
    )
    SELECT sum(t)::text AS n FROM s`,
    [staleSeconds],
  );
  return Number(r.rows[0]?.n ?? 0);
}
