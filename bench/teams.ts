/**
 * `npm run bench:teams`: what team visibility costs on the most frequent read, TaskService.get()
 * (GET /api/tasks/:id and everything built on it). Baseline: the task's owner (no team lookup).
 * Compared: a team member reading a team task (one extra primary-key lookup in team_members), and
 * an outsider refused on a team task (the same lookup, answering null → 404).
 *
 * BENCH_ITERATIONS (default 2000) calls per variant and round, 3 rounds, alternating. Figures only.
 * DATABASE_URL points it at a server; otherwise an embedded PostgreSQL runs in a temporary directory.
 */
import { TASK_TYPES } from '../config/taskTypes.js';
import { ResultDelivererRegistry } from '../src/core/tasks/deliverers.js';
import type { TaskJobs } from '../src/core/tasks/ports.js';
import { TaskService } from '../src/core/tasks/taskService.js';
import { TaskTypeCatalogue } from '../src/core/tasks/taskTypes.js';
import { TeamService } from '../src/core/teams/teamService.js';
import { createLogger } from '../src/logger.js';
import { createDb, createPool, runMigrations } from '../src/models/db.js';
import { createTaskStore } from '../src/models/taskStore.js';
import { createTeamStore } from '../src/models/teamStore.js';
import { fmt, createDatabase as scratchDatabase, startBenchServer, summarize, time } from './lib.js';

const N = Number(process.env.BENCH_ITERATIONS ?? 2000);
const ROUNDS = 3;
const logger = createLogger({ level: 'error' });

const postgres = await startBenchServer(logger);
const adminUrl = postgres.adminUrl;
const database = await scratchDatabase(adminUrl, 'bench_teams');
const pool = createPool(database.url, logger);
try {
  await runMigrations(pool);
  const db = createDb(pool);
  const ids = async (text: string, values: unknown[] = []) =>
    (await pool.query(text, values)).rows[0].id as string;
  const owner = await ids(`INSERT INTO users (username) VALUES ('owner') RETURNING id`);
  const member = await ids(`INSERT INTO users (username) VALUES ('member') RETURNING id`);
  const outsider = await ids(`INSERT INTO users (username) VALUES ('outsider') RETURNING id`);
  const teams = new TeamService({ store: createTeamStore(db), inviteUrl: (t) => t });
  const team = await teams.create({ userId: owner, isAdmin: false }, 'Bench');
  await teams.addMember(team.id, member, 'member');
  const task = await ids(
    `INSERT INTO tasks (user_id, team_id, title, description, task_type) VALUES ($1, $2, 't', 'd', 'summary') RETURNING id`,
    [owner, team.id],
  );
  const noJobs = {} as TaskJobs;
  const tasks = new TaskService({
    store: createTaskStore(db),
    jobs: noJobs,
    taskTypes: new TaskTypeCatalogue(TASK_TYPES),
    deliverers: new ResultDelivererRegistry(),
    teams,
  });
  const variants: Record<string, () => Promise<unknown>> = {
    'owner (baseline)': () => tasks.get(task, { userId: owner, isAdmin: false }),
    'team member': () => tasks.get(task, { userId: member, isAdmin: false }),
    'outsider (refused)': () => tasks.get(task, { userId: outsider, isAdmin: false }),
  };
  if (
    !(await tasks.get(task, { userId: member, isAdmin: false })) ||
    (await tasks.get(task, { userId: outsider, isAdmin: false }))
  )
    throw new Error('visibility is not what the bench assumes');
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (const fn of Object.values(variants)) await time(200, fn);
  for (let r = 0; r < ROUNDS; r++)
    for (const [k, fn] of Object.entries(variants)) samples[k]!.push(...(await time(N, fn)));
  console.log(
    `bench:teams — TaskService.get(), ${N} calls × ${ROUNDS} rounds per variant, sequential, ${postgres.label}`,
  );
  const s = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v)]));
  const base = s['owner (baseline)']!;
  for (const [k, v] of Object.entries(s))
    console.log(
      `  ${k.padEnd(22)} p50 ${fmt(v.p50, 3).padStart(7)}   p99 ${fmt(v.p99, 3).padStart(7)}   ms   ratio to baseline p50 ${fmt(v.p50 / base.p50, 2)}×`,
    );
} finally {
  await pool.end();
  await database.drop();
  await postgres.stop();
}
