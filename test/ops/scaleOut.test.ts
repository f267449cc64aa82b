import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';
import { oneAtATime } from '../helpers/oneAtATime.js';
import { withDb } from '../helpers/sql.js';
import { waitFor } from '../helpers/wait.js';
import { METRICS_TOKEN, startCluster } from './cluster.js';
import { sampleValue, scrape } from './scrape.js';

/**
 * docker-compose.yml's shape as child processes: 2 API processes (--services=api) and 2 worker
 * processes (--services=worker) on one database, started together. Tasks go in through both APIs.
 */
const N = 300;
let databaseUrl: string;
let cluster: Awaited<ReturnType<typeof startCluster>>;
oneAtATime();
beforeAll(async () => {
  databaseUrl = await createTestDatabase();
  cluster = await startCluster(databaseUrl, { apis: 2, workers: 2 });
}, 240_000); // four processes booting on a machine the rest of the suite keeps busy
afterAll(async () => {
  await cluster?.stop();
}, 60_000);

describe('2 API + 2 worker processes on one database', () => {
  it(`${N} tasks pushed through both APIs: every one completed once, none lost, none duplicated`, async () => {
    const [a, b] = cluster.apis.map((p) => p.url!);
    expect(a).not.toBe(b);
    // One account; its token works on either API (they share JWT_SECRET and the database).
    const reg = await client(a!).post('/api/auth/register', {
      username: 'scaleout',
      email: 'scaleout@example.com',
      password: 'password-123',
    });
    expect(reg.status).toBe(201);
    const apis = [client(a!, reg.body.accessToken), client(b!, reg.body.accessToken)];

    const ids: string[] = [];
    for (let i = 0; i < N; i += 30) {
      const batch = await Promise.all(
        Array.from({ length: 30 }, (_, j) =>
          apis[(i + j) % 2]!.post('/api/tasks', {
            description: `scale-out ${i + j}`,
            taskType: 'social_post',
            priority: ['low', 'normal', 'high', 'urgent'][j % 4],
          }),
        ),
      );
      for (const r of batch) {
        expect(r.status, r.text).toBe(201);
        ids.push(r.body.id);
      }
    }
    expect(new Set(ids).size).toBe(N);

    await waitFor(
      () =>
        withDb(databaseUrl, async (db) => {
          const r = await db.query(`SELECT count(*)::int AS n FROM tasks WHERE status = 'completed'`);
          return r.rows[0].n === N;
        }),
      `all ${N} tasks to complete`,
      90_000,
      250,
    );
    await withDb(databaseUrl, async (db) => {
      const t = await db.query(
        `SELECT count(*)::int AS n, count(*) FILTER (WHERE attempts = 1)::int AS once FROM tasks`,
      );
      expect(t.rows[0]).toEqual({ n: N, once: N });
      const asg = await db.query(
        `SELECT count(*)::int AS n, count(DISTINCT task_id)::int AS tasks,
                count(*) FILTER (WHERE status = 'succeeded')::int AS ok FROM task_assignments`,
      );
      expect(asg.rows[0]).toEqual({ n: N, tasks: N, ok: N });
      const v = await db.query(
        `SELECT count(*)::int AS n, count(DISTINCT task_id)::int AS tasks FROM content_versions`,
      );
      expect(v.rows[0]).toEqual({ n: N, tasks: N });
    });

    // Each worker reports what it ran: both took part, and the counts add up to N exactly.
    const done = await Promise.all(
      cluster.workers.map(async (w) =>
        sampleValue(await scrape(w.metricsUrl!, METRICS_TOKEN), 'switchyard_tasks_completed_total', {
          task_type: 'social_post',
        }),
      ),
    );
    expect(done.every((n) => n > 0)).toBe(true);
    expect(done[0]! + done[1]!).toBe(N);
    // Either API reports the shared queue as empty.
    for (const api of cluster.apis) {
      const m = await scrape(`${api.url}/metrics`, METRICS_TOKEN);
      for (const priority of ['low', 'normal', 'high', 'urgent'])
        expect(sampleValue(m, 'switchyard_queue_depth', { priority })).toBe(0);
    }
  }, 150_000);
});
