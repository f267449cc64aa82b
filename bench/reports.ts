/**
 * `npm run bench:reports`: the monthly usage report by user (GET /api/reports/usage?groupBy=user
 * over one month) on 1,000,000 tasks. The tasks (and one attempt each) are seeded with
 * generate_series: 200 users in 20 teams, spread evenly over the 12 months before now, so one month
 * holds ~83,000 of them. Prints the seeding time, then the report time (p50 and max of 5 runs after
 * one warm-up) for the whole site and for one team, and the whole site's report of a month eleven
 * months back (which looks each task's attempts up one by one; see AttemptsPlan). Aim: under 500 ms.
 *
 * BENCH_TASKS overrides the count. DATABASE_URL points it at a server; otherwise an embedded
 * PostgreSQL runs in a temporary directory.
 */
import { createLogger } from '../src/logger.js';
import { createDb, createPool, runMigrations } from '../src/models/db.js';
import { createReportStore } from '../src/models/reportStore.js';
import { fmt, createDatabase as scratchDatabase, startBenchServer, summarize, time } from './lib.js';

const TASKS = Number(process.env.BENCH_TASKS ?? 1_000_000);
const logger = createLogger({ level: 'error' });

const postgres = await startBenchServer(logger);
const adminUrl = postgres.adminUrl;
const database = await scratchDatabase(adminUrl, 'bench_reports');
const pool = createPool(database.url, logger);
try {
  await runMigrations(pool);
  const t0 = performance.now();
  await pool.query(
    `INSERT INTO teams (name, slug) SELECT 'Team ' || i, 'team-' || i FROM generate_series(1, 20) i`,
  );
  await pool.query(`INSERT INTO users (username) SELECT 'user' || i FROM generate_series(1, 200) i`);
  await pool.query(`
    INSERT INTO tasks (user_id, team_id, title, description, task_type, status, source, created_at, started_at, completed_at)
    SELECT u.id, tm.id, 't', 'd', (ARRAY['article','summary','code'])[1 + i % 3],
           CASE WHEN i % 10 = 0 THEN 'failed' ELSE 'completed' END, (ARRAY['api','slack','portal'])[1 + i % 3],
           now() - make_interval(secs => (i::float / ${TASKS}) * 365 * 86400),
           now() - make_interval(secs => (i::float / ${TASKS}) * 365 * 86400),
           now() - make_interval(secs => (i::float / ${TASKS}) * 365 * 86400) + make_interval(secs => 1 + i % 7)
    FROM generate_series(1, ${TASKS}) i
    JOIN (SELECT id, row_number() OVER (ORDER BY username) - 1 AS n FROM users) u ON u.n = i % 200
    JOIN (SELECT id, row_number() OVER (ORDER BY slug) - 1 AS n FROM teams) tm ON tm.n = (i % 200) % 20`);
  await pool.query(`
    INSERT INTO task_assignments (task_id, provider_name, status, tokens_used, created_at)
    SELECT id, CASE WHEN status = 'failed' THEN 'Claude' ELSE 'Mock' END,
           CASE WHEN status = 'failed' THEN 'failed' ELSE 'succeeded' END, 100, created_at
    FROM tasks`);
  await pool.query('VACUUM ANALYZE tasks');
  await pool.query('VACUUM ANALYZE task_assignments');
  const seeded = (performance.now() - t0) / 1000;

  const store = createReportStore(createDb(pool));
  const to = new Date();
  const from = new Date(to.getTime() - 30 * 86_400_000);
  const teamId = (await pool.query(`SELECT id FROM teams ORDER BY slug LIMIT 1`)).rows[0].id as string;
  const rows = await store.usage({ from, to, groupBy: 'user' });
  const monthTasks = rows.reduce((n, r) => n + r.tasks, 0);
  await time(1, () => store.usage({ from, to, groupBy: 'user', teamId }));
  const all = summarize(await time(5, () => store.usage({ from, to, groupBy: 'user' })));
  const team = summarize(await time(5, () => store.usage({ from, to, groupBy: 'user', teamId })));
  const old = {
    from: new Date(from.getTime() - 330 * 86_400_000),
    to: new Date(to.getTime() - 330 * 86_400_000),
  };
  await time(1, () => store.usage({ ...old, groupBy: 'user' }));
  const past = summarize(await time(5, () => store.usage({ ...old, groupBy: 'user' })));
  console.log(
    `bench:reports — ${TASKS.toLocaleString('en-US')} tasks seeded in ${fmt(seeded)} s on ${postgres.label}; the month holds ${monthTasks.toLocaleString('en-US')} tasks in ${rows.length} rows`,
  );
  console.log(
    `  monthly report by user, whole site   p50 ${fmt(all.p50)} ms   max ${fmt(all.max)} ms   (aim < 500 ms)`,
  );
  console.log(`  monthly report by user, one team     p50 ${fmt(team.p50)} ms   max ${fmt(team.max)} ms`);
  console.log(`  by user, whole site, 11 months back  p50 ${fmt(past.p50)} ms   max ${fmt(past.max)} ms`);
} finally {
  await pool.end();
  await database.drop();
  await postgres.stop();
}
