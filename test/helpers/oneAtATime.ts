import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';

/**
 * For test files that start several Switchyard processes (workers, API replicas, servers killed and
 * restarted): they take turns, one file at a time, holding a PostgreSQL advisory lock on the shared
 * server from the file's first hook to its last. Each process opens its own pools, and two such files
 * side by side can pass a server's max_connections (100 by default; CI's PostgreSQL 15 has that),
 * which a worker then meets as "sorry, too many clients already". Call it before the file's hooks.
 *
 * The connection budget: vitest runs two files at once, so one such file and any other file together
 * stay under 100 — each file at most about 45 (an in-process test app: 10 + 5 queue + 3 LISTEN,
 * test/helpers/app.ts; a child process: 5 + 3 + 3, test/ops/cluster.ts and test/tasks/workerProcess.ts;
 * a file's own pool: at most 24, as test/routing/ledger.test.ts).
 */
export function oneAtATime(): void {
  let holder: pg.Client | undefined;
  beforeAll(async () => {
    holder = new pg.Client({ connectionString: inject('pgAdminUrl') });
    await holder.connect();
    await holder.query('SELECT pg_advisory_lock(74210917)');
  }, 900_000);
  afterAll(async () => {
    // Ending the session releases the lock.
    await holder?.end();
  });
}
