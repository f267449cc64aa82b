import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { oneAtATime } from '../helpers/oneAtATime.js';
import { sql } from '../helpers/sql.js';
import { waitFor } from '../helpers/wait.js';
import { setMockConfig } from '../tasks/helpers.js';
import { spawnWorker, type WorkerProcess } from '../tasks/workerProcess.js';
import { runFigures, statusCounts, submitTasks } from './invariants.js';

/**
 * Graceful shutdown under load: a worker process (`src/main.ts --services=worker`, 100 tasks at a
 * time) gets SIGTERM while 100 tasks are on the (mock) provider. The worker's grace period is 10 s
 * (startTaskWorkers' graceMs); main.ts forces an exit with code 1 after 30 s, so exit code 0 means
 * the shutdown finished on its own.
 *
 * - calls shorter than the grace period finish: the worker exits 0 and all 100 are completed;
 * - calls longer than the grace period are aborted at its end and released: every job is back in
 *   the queue at once (pg-boss state `retry`, not waiting for its lease to expire), every task is
 *   `queued` again with its attempt closed as `aborted` and its reservation returned; a restarted
 *   worker then completes them all — 0 lost, 0 run twice, budgets = settled usage.
 */
const TASKS = 100;

let app: TestApp;
const workers: WorkerProcess[] = [];
oneAtATime();
beforeAll(async () => {
  app = await startTestApp({ roles: ['api'], env: { LOG_LEVEL: 'warn' } });
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.kill('SIGTERM')));
});
afterAll(async () => {
  await app?.close();
});

/** Waits until every one of `ids` has an attempt running on the provider. */
async function allOnProvider(ids: string[]) {
  await waitFor(
    async () =>
      (
        await sql<{ n: number }>(
          app,
          `SELECT count(DISTINCT task_id)::int AS n FROM task_assignments WHERE task_id = ANY($1::uuid[]) AND status = 'running'`,
          [ids],
        )
      )[0]!.n === ids.length,
    `all ${ids.length} tasks to be running on the provider`,
    60_000,
    100,
  );
}

/** SIGTERM, then wait for the exit; returns how long it took. */
async function terminate(w: WorkerProcess): Promise<number> {
  const t0 = Date.now();
  await w.kill('SIGTERM');
  return Date.now() - t0;
}

describe('graceful shutdown under load', () => {
  it(`SIGTERM with ${TASKS} tasks in flight that end within the grace period: they finish, exit 0`, async () => {
    await setMockConfig(app.databaseUrl, { latencyMs: 5_000 });
    const u = await registerUser(app.url);
    const { ids, serverErrors } = await submitTasks(u.api, TASKS, { label: 'finish' });
    expect(ids).toHaveLength(TASKS);
    const w = await spawnWorker(app.databaseUrl, { WORKER_CONCURRENCY: String(TASKS) });
    workers.push(w);
    await allOnProvider(ids);

    const exitMs = await terminate(w);
    const f = await runFigures(app.databaseUrl, ids);
    console.log(
      `[shutdown/finish] tasks=${TASKS} exitCode=${w.child.exitCode} exitMs=${exitMs} lost=${f.lost} ` +
        `duplicated=${f.duplicated} 5xx=${serverErrors} rerun=${f.rerun} byStatus=${JSON.stringify(f.byStatus)}`,
    );
    expect(w.child.signalCode).toBeNull();
    expect(w.child.exitCode).toBe(0);
    expect(w.output()).toContain('SIGTERM received: shutting down gracefully');
    expect(serverErrors).toBe(0);
    // Everything finished before the process left: nothing to re-run.
    expect(f.byStatus).toEqual({ completed: TASKS });
    expect(f.lost).toBe(0);
    expect(f.duplicated).toBe(0);
    expect(f.rerun).toBe(0);
    expect(f.unsettled).toBe(0);
    expect(f.leftoverReservation).toBe(0);
    expect(f.budgetMismatch).toBe(0);
  }, 240_000);

  it(`SIGTERM with ${TASKS} tasks in flight longer than the grace period: released at once, re-run by a new worker`, async () => {
    await setMockConfig(app.databaseUrl, { latencyMs: 120_000 });
    const u = await registerUser(app.url);
    const { ids, serverErrors } = await submitTasks(u.api, TASKS, { label: 'release' });
    expect(ids).toHaveLength(TASKS);
    const w = await spawnWorker(app.databaseUrl, { WORKER_CONCURRENCY: String(TASKS) });
    workers.push(w);
    await allOnProvider(ids);

    const exitMs = await terminate(w);
    expect(w.child.signalCode).toBeNull();
    expect(w.child.exitCode).toBe(0);

    // Released, not abandoned: the tasks are queued again, their attempts closed and their jobs
    // waiting for a worker (pg-boss `retry`), none still `active` until its lease runs out.
    expect(await statusCounts(app.databaseUrl, ids)).toEqual({ queued: TASKS });
    const attempts = await sql<{ status: string; settled: boolean; n: number }>(
      app,
      `SELECT status, settled_at IS NOT NULL AS settled, count(*)::int AS n FROM task_assignments
         WHERE task_id = ANY($1::uuid[]) GROUP BY 1, 2`,
      [ids],
    );
    expect(attempts).toEqual([{ status: 'aborted', settled: true, n: TASKS }]);
    const jobs = await sql<{ state: string; n: number }>(
      app,
      `SELECT j.state::text, count(*)::int AS n FROM pgboss.job j JOIN tasks t ON t.job_id = j.id::text
         WHERE j.name = 'generate' AND t.id = ANY($1::uuid[]) GROUP BY 1`,
      [ids],
    );
    expect(jobs).toEqual([{ state: 'retry', n: TASKS }]);
    const reserved = await sql<{ n: number }>(
      app,
      'SELECT coalesce(sum(token_reserved), 0)::int AS n FROM provider_accounts',
    );
    expect(reserved[0]!.n).toBe(0);

    await setMockConfig(app.databaseUrl, { latencyMs: 50 });
    workers.push(await spawnWorker(app.databaseUrl));
    await waitFor(
      async () => ((await statusCounts(app.databaseUrl, ids)).completed ?? 0) === TASKS,
      `all ${TASKS} released tasks to complete`,
      60_000,
      200,
    );
    const f = await runFigures(app.databaseUrl, ids);
    console.log(
      `[shutdown/release] tasks=${TASKS} exitCode=${w.child.exitCode} exitMs=${exitMs} released=${f.interruptedAttempts} ` +
        `lost=${f.lost} duplicated=${f.duplicated} 5xx=${serverErrors} rerun=${f.rerun} ` +
        `leftoverReservation=${f.leftoverReservation} budgetMismatch=${f.budgetMismatch}`,
    );
    expect(serverErrors).toBe(0);
    expect(f.lost).toBe(0);
    expect(f.duplicated).toBe(0);
    expect(f.providerRepeats).toBe(0);
    expect(f.rerun).toBe(TASKS);
    expect(f.unsettled).toBe(0);
    expect(f.leftoverReservation).toBe(0);
    expect(f.budgetMismatch).toBe(0);
    expect(f.tokenUsed).toBe(f.settledUsage);
    const shapes = await sql<{ chain: string; n: number }>(
      app,
      `SELECT string_agg(status, ',' ORDER BY created_at) AS chain, count(*)::int AS n FROM task_assignments
         WHERE task_id = ANY($1::uuid[]) GROUP BY task_id`,
      [ids],
    );
    expect(new Set(shapes.map((s) => s.chain))).toEqual(new Set(['aborted,succeeded']));
  }, 300_000);
});
