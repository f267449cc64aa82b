import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskStore } from '../../src/core/tasks/ports.js';
import { createLogger } from '../../src/logger.js';
import { createDb, createPool } from '../../src/models/db.js';
import { createTaskStore } from '../../src/models/taskStore.js';
import { countStatements, createTestDatabase } from '../helpers/db.js';

/**
 * Tasks that finish together are completed in one statement (models/taskCompletion.ts), each with
 * exactly what completing it alone gives: content v1, its version row, the task completed. A task
 * the database refuses to store fails alone; one that is no longer running gets nothing.
 */
let pool: pg.Pool;
let store: TaskStore;
let userId: string;
let completions: { readonly count: number };

beforeAll(async () => {
  pool = createPool(await createTestDatabase(), createLogger({ level: 'silent' }), 4);
  completions = countStatements(pool, "UPDATE tasks SET status = 'completed'");
  store = createTaskStore(createDb(pool));
  const u = await pool.query(
    `INSERT INTO users (username, email, password_hash) VALUES ('batch', 'batch@example.com', 'x') RETURNING id`,
  );
  userId = u.rows[0].id;
});
afterAll(() => pool?.end());

async function runningTasks(n: number, status = 'running'): Promise<string[]> {
  const r = await pool.query(
    `INSERT INTO tasks (user_id, title, description, task_type, status)
     SELECT $1, 'T' || i, 'D' || i, 'summary', $2 FROM generate_series(1, $3) AS i RETURNING id`,
    [userId, status, n],
  );
  return r.rows.map((x) => x.id);
}
const result = (text: string) => ({ title: `Title of ${text}`, text, metadata: { provider: 'stub', text } });

describe('tasks finishing together', () => {
  it('complete in fewer statements than tasks, each with its own content v1 and version row', async () => {
    const ids = await runningTasks(6);
    const before = completions.count;
    const done = await Promise.all(ids.map((id, i) => store.complete(id, result(`answer ${i}`))));
    expect(completions.count - before).toBeLessThan(ids.length);

    for (const [i, d] of done.entries()) {
      expect(d?.task).toMatchObject({ id: ids[i], status: 'completed', contentId: d?.content.id });
      expect(d?.content).toMatchObject({
        title: `Title of answer ${i}`,
        contentData: `answer ${i}`,
        version: 1,
      });
    }
    const rows = await pool.query(
      `SELECT t.id, c.content_data, c.metadata, v.version, v.source
         FROM tasks t JOIN content c ON c.id = t.content_id JOIN content_versions v ON v.content_id = c.id
        WHERE t.id = ANY($1::uuid[]) ORDER BY c.content_data`,
      [ids],
    );
    expect(rows.rows.map((r) => [r.content_data, r.version, r.source, r.metadata.text])).toEqual(
      ids.map((_, i) => [`answer ${i}`, 1, 'generation', `answer ${i}`]),
    );
  });

  it('a task the database refuses (a NUL character in its text) fails alone; the others complete', async () => {
    const ids = await runningTasks(4);
    const outcomes = await Promise.allSettled(
      ids.map((id, i) => store.complete(id, result(i === 2 ? 'bad \u0000 text' : `fine ${i}`))),
    );
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    const st = await pool.query(`SELECT id, status FROM tasks WHERE id = ANY($1::uuid[])`, [ids]);
    const status = new Map(st.rows.map((r) => [r.id, r.status]));
    expect(ids.map((id) => status.get(id))).toEqual(['completed', 'completed', 'running', 'completed']);
  });

  it('a task no longer running gets nothing, whether alone or beside others', async () => {
    const [cancelled] = await runningTasks(1, 'cancelled');
    const running = await runningTasks(2);
    const done = await Promise.all(
      [cancelled!, ...running].map((id) => store.complete(id, result(`late ${id}`))),
    );
    expect(done[0]).toBeNull();
    expect(done.slice(1).every((d) => d?.task.status === 'completed')).toBe(true);
    const c = await pool.query(`SELECT count(*)::int AS n FROM content WHERE task_id = $1`, [cancelled]);
    expect(c.rows[0].n).toBe(0);
  });

  it('the same task completed twice at once (a job run twice) stores one content; its neighbours complete', async () => {
    const [twice, other] = await runningTasks(2);
    const done = await Promise.all([
      store.complete(twice!, result('first')),
      store.complete(twice!, result('second')),
      store.complete(other!, result('neighbour')),
    ]);
    expect(done.slice(0, 2).filter(Boolean)).toHaveLength(1);
    expect(done[2]?.task.status).toBe('completed');
    const c = await pool.query(`SELECT count(*)::int AS n FROM content WHERE task_id = $1`, [twice]);
    expect(c.rows[0].n).toBe(1);
  });
});
