import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { withDb } from '../helpers/sql.js';
import { waitFor } from '../helpers/wait.js';
import { type Sample, sampleValue, scrape } from './scrape.js';

/** GET /metrics after real tasks ran through the real app (API + worker, mock provider). */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

const PRIORITIES = ['low', 'normal', 'high', 'urgent'];

async function finished(u: Awaited<ReturnType<typeof registerUser>>, id: string) {
  return waitFor(async () => {
    const r = await u.api.get(`/api/tasks/${id}`);
    return ['completed', 'failed'].includes(r.body.status) ? r.body : undefined;
  }, `task ${id} to end`);
}

describe('/metrics', () => {
  it('after one task: completed counter 1, stage latencies, provider latency/tokens, budget left, queue empty', async () => {
    const u = await registerUser(app.url);
    const t = (await u.api.post('/api/tasks', { description: 'measure me', taskType: 'article' })).body;
    const done = await finished(u, t.id);
    expect(done.status).toBe('completed');

    const m = await scrape(`${app.url}/metrics`);
    expect(sampleValue(m, 'switchyard_tasks_completed_total', { task_type: 'article' })).toBe(1);
    expect(m.filter((s) => s.name === 'switchyard_tasks_failed_total')).toEqual([]);
    for (const stage of ['queued', 'running', 'total']) {
      const count = sampleValue(m, 'switchyard_task_stage_duration_seconds_count', {
        stage,
        priority: 'normal',
      });
      const sum = sampleValue(m, 'switchyard_task_stage_duration_seconds_sum', { stage, priority: 'normal' });
      expect(count, stage).toBe(1);
      expect(sum, stage).toBeGreaterThanOrEqual(0);
      expect(sum, stage).toBeLessThan(30);
    }
    const total = sampleValue(m, 'switchyard_task_stage_duration_seconds_sum', { stage: 'total' });
    expect(total).toBeGreaterThanOrEqual(
      sampleValue(m, 'switchyard_task_stage_duration_seconds_sum', { stage: 'running' }),
    );

    const provider = done.assignments[0].providerName as string;
    expect(
      sampleValue(m, 'switchyard_provider_request_duration_seconds_count', {
        provider,
        outcome: 'succeeded',
      }),
    ).toBe(1);
    // Time to first token: the mock answers in one piece, so its first token is its whole answer.
    expect(sampleValue(m, 'switchyard_provider_ttft_seconds_count', { provider })).toBe(1);
    expect(sampleValue(m, 'switchyard_provider_ttft_seconds_sum', { provider })).toBeLessThanOrEqual(
      sampleValue(m, 'switchyard_provider_request_duration_seconds_sum', { provider, outcome: 'succeeded' }),
    );
    const used = done.assignments[0].tokensUsed as number;
    const input = sampleValue(m, 'switchyard_provider_tokens_total', { provider, direction: 'input' });
    const output = sampleValue(m, 'switchyard_provider_tokens_total', { provider, direction: 'output' });
    expect(input).toBeGreaterThan(0);
    expect(input + output).toBe(used);

    // Budget left per account = limit − used − reserved, as the database has it.
    await withDb(app.databaseUrl, async (db) => {
      const a = (
        await db.query(
          `SELECT a.account_name, (a.token_limit - a.token_used - a.token_reserved)::float8 AS left
             FROM provider_accounts a JOIN ai_providers p ON p.id = a.provider_id WHERE p.name = $1`,
          [provider],
        )
      ).rows[0];
      expect(
        sampleValue(m, 'switchyard_provider_budget_remaining_tokens', { provider, account: a.account_name }),
      ).toBe(a.left);
    });

    for (const priority of PRIORITIES) {
      expect(sampleValue(m, 'switchyard_queue_depth', { priority })).toBe(0);
      expect(sampleValue(m, 'switchyard_queue_oldest_age_seconds', { priority })).toBe(0);
      expect(sampleValue(m, 'switchyard_tasks_running', { priority })).toBe(0);
    }
    // Event-loop lag comes with Node's default metrics.
    expect(sampleValue(m, 'nodejs_eventloop_lag_p99_seconds')).toBeGreaterThanOrEqual(0);
    expect(
      m.some(
        (s) => s.name === 'switchyard_http_request_duration_seconds_count' && s.labels.route === '/api/tasks',
      ),
    ).toBe(true);
  });

  it('a failing provider shows up as provider errors and a failed task', async () => {
    const u = await registerUser(app.url);
    await withDb(app.databaseUrl, (db) =>
      db.query(
        `UPDATE ai_providers SET config = config || '{"failureMode":"refusal","failTimes":0}'::jsonb WHERE kind = 'mock'`,
      ),
    );
    try {
      const t = (await u.api.post('/api/tasks', { description: 'refused', taskType: 'summary' })).body;
      const done = await finished(u, t.id);
      expect(done.status).toBe('failed');
      const m = await scrape(`${app.url}/metrics`);
      const provider = done.assignments[0].providerName as string;
      const errors = m.filter(
        (s) => s.name === 'switchyard_provider_errors_total' && s.labels.provider === provider,
      );
      expect(errors.reduce((n, s) => n + s.value, 0)).toBe(done.assignments.length);
      expect(sampleValue(m, 'switchyard_tasks_failed_total', { task_type: 'summary' })).toBe(1);
    } finally {
      await withDb(app.databaseUrl, (db) =>
        db.query(`UPDATE ai_providers SET config = config - 'failureMode' - 'failTimes' WHERE kind = 'mock'`),
      );
    }
  });
});

describe('/metrics on an API without workers', () => {
  let api: TestApp;
  beforeAll(async () => {
    api = await startTestApp({ roles: ['api'] });
  });
  afterAll(async () => {
    await api?.close();
  });

  it('counts waiting tasks and their age per priority, reading the database once per cache window', async () => {
    const u = await registerUser(api.url);
    await u.api.post('/api/tasks', { description: 'waits', taskType: 'article', priority: 'high' });
    await u.api.post('/api/tasks', { description: 'waits too', taskType: 'article', priority: 'high' });
    await u.api.post('/api/tasks', { description: 'waits low', taskType: 'article', priority: 'low' });
    await new Promise((r) => setTimeout(r, 2100)); // past the gauges' cache window

    let queries = 0;
    const pool = api.sy.pool;
    const query = pool.query.bind(pool);
    pool.query = ((...args: Parameters<typeof pool.query>) => {
      if (String(args[0]).includes('FROM tasks WHERE status IN')) queries++;
      return query(...args);
    }) as typeof pool.query;
    let m: Sample[] = [];
    try {
      const scrapes = await Promise.all(Array.from({ length: 20 }, () => scrape(`${api.url}/metrics`)));
      m = scrapes[0]!;
    } finally {
      pool.query = query as typeof pool.query;
    }
    expect(queries).toBe(1);
    expect(sampleValue(m, 'switchyard_queue_depth', { priority: 'high' })).toBe(2);
    expect(sampleValue(m, 'switchyard_queue_depth', { priority: 'low' })).toBe(1);
    expect(sampleValue(m, 'switchyard_queue_depth', { priority: 'normal' })).toBe(0);
    const age = sampleValue(m, 'switchyard_queue_oldest_age_seconds', { priority: 'high' });
    expect(age).toBeGreaterThanOrEqual(2);
    expect(age).toBeLessThan(60);
  });

  it('a worker-only process serves its task metrics on METRICS_PORT, behind METRICS_TOKEN', async () => {
    const token = 'metrics-token-for-the-test';
    const worker = await startTestApp({
      roles: ['worker'],
      databaseUrl: api.databaseUrl,
      env: { METRICS_PORT: '0', METRICS_TOKEN: token },
    });
    try {
      const url = /metrics:\s+(\S+)/.exec(worker.sy.banner())?.[1];
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      // It drains the three tasks the API queued above.
      const m = await waitFor(async () => {
        const s = await scrape(url!, token);
        return sampleValue(s, 'switchyard_tasks_completed_total', { task_type: 'article' }) === 3
          ? s
          : undefined;
      }, 'the worker to complete the queued tasks');
      expect(
        sampleValue(m, 'switchyard_task_stage_duration_seconds_count', { stage: 'queued', priority: 'high' }),
      ).toBe(2);
      expect(m.some((s) => s.name === 'switchyard_queue_depth')).toBe(false); // the API reports shared state
      expect((await fetch(url!)).status).toBe(401);
      expect((await fetch(url!, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      expect(
        (await fetch(url!.replace('/metrics', '/other'), { headers: { authorization: `Bearer ${token}` } }))
          .status,
      ).toBe(404);
    } finally {
      await worker.close();
    }
  });
});
