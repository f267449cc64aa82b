import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTING_SETTINGS } from '../../config/routingWeights.js';
import { TASK_TYPES } from '../../config/taskTypes.js';
import { SecretBox } from '../../src/core/crypto/secretBox.js';
import { createDefaultProviderRegistry } from '../../src/core/providers/defaultRegistry.js';
import { RoutedExecutor } from '../../src/core/routing/routedExecutor.js';
import { ResultDelivererRegistry } from '../../src/core/tasks/deliverers.js';
import type { TaskJobs, TaskStore } from '../../src/core/tasks/ports.js';
import { type GenerateRun, TaskRunner } from '../../src/core/tasks/taskRunner.js';
import { TaskTypeCatalogue } from '../../src/core/tasks/taskTypes.js';
import { createBudgetStore } from '../../src/models/budgetStore.js';
import { createProviderHealthStore } from '../../src/models/providerHealthStore.js';
import { createRoutingStore } from '../../src/models/routingStore.js';
import { createTaskStore } from '../../src/models/taskStore.js';
import { loginAdmin, registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { type StubServer, sendSse, startStubServer } from '../helpers/stubServer.js';
import { openaiChunk } from '../providers/wire.js';
import { withDb } from './helpers.js';

/**
 * A task is never run twice, even when its worker dies between the provider's answer (settled on the
 * attempt) and the task's completion: the re-run of the job completes with the answer the attempt
 * stored, without calling the provider again. The runs are driven by hand (API role only: no worker
 * takes the jobs) with the real stores on PostgreSQL and the OpenAI connector against a stub on
 * 127.0.0.1 whose every answer is different, so the stored text tells which call it came from.
 */
const KEY = 'sk-stub-openai-0123456789abcdefghij';

let app: TestApp;
let stub: StubServer;
let user: Awaited<ReturnType<typeof registerUser>>;
let accountId: string;

beforeAll(async () => {
  let n = 0;
  stub = await startStubServer(async (req, res) => {
    if (!req.path.endsWith('/chat/completions')) return;
    n++;
    await sendSse(res, [
      openaiChunk([{ index: 0, delta: { role: 'assistant', content: `answer #${n}` }, finish_reason: null }]),
      openaiChunk([{ index: 0, delta: {}, finish_reason: 'stop' }]),
      openaiChunk([], { usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 } }),
      { data: '[DONE]' },
    ]);
  });
  app = await startTestApp({ roles: ['api'], env: { MOCK_PROVIDER: 'off' } });
  const admin = await loginAdmin(app.url);
  const p = await admin.api.post('/api/providers', {
    name: 'Stub GPT',
    kind: 'openai',
    apiEndpoint: `${stub.url}/v1`,
    competencies: { article: 1 },
    defaultModel: 'gpt-test',
    costPer1kInput: 0,
    costPer1kOutput: 0,
  });
  expect(p.status, p.text).toBe(201);
  const a = await admin.api.post(`/api/providers/${p.body.id}/accounts`, {
    accountName: 'main',
    tokenLimit: 1_000_000,
    credentials: { apiKey: KEY },
  });
  expect(a.status, a.text).toBe(201);
  accountId = a.body.id;
  user = await registerUser(app.url);
});
afterAll(async () => {
  await app?.close();
  await stub?.close();
});

/** A worker's runner on the real stores; `store` lets a test replace the task store's methods. */
function runner(store: TaskStore) {
  const box = new SecretBox(Buffer.alloc(32, 7));
  const db = app.sy.db;
  const executor = new RoutedExecutor({
    store: createRoutingStore(db, {
      open: (envelope, id) => box.decryptJson(envelope, id),
      statsWindowSeconds: ROUTING_SETTINGS.statsWindowSeconds,
    }),
    budgets: createBudgetStore(db),
    health: createProviderHealthStore(db),
    connectors: createDefaultProviderRegistry(),
    taskTypes: new TaskTypeCatalogue(TASK_TYPES),
    settings: ROUTING_SETTINGS,
  });
  const unused = async () => {
    throw new Error('not expected in this test');
  };
  const jobs: TaskJobs = {
    prepareGenerate: unused,
    enqueueGenerate: unused,
    reprioritize: unused,
    cancelGenerate: unused,
    enqueueDeliverResult: unused,
    enqueueDeliverWebhook: unused,
  };
  return new TaskRunner({
    store,
    jobs,
    executor,
    cancels: { watch: () => ({ signal: new AbortController().signal, release: () => {} }) },
    deliverers: new ResultDelivererRegistry(),
    log: app.sy.logger.child({ scope: 'test' }),
    shutdown: new AbortController().signal,
  });
}

async function submit(): Promise<{ id: string; jobId: string }> {
  const r = await user.api.post('/api/tasks', {
    description: 'Write about harbours at dawn',
    taskType: 'article',
  });
  expect(r.status, r.text).toBe(201);
  const [row] = await withDb(
    app.databaseUrl,
    async (db) => (await db.query('SELECT job_id FROM tasks WHERE id = $1', [r.body.id])).rows,
  );
  return { id: r.body.id, jobId: row.job_id };
}

const run = (t: { id: string; jobId: string }, attempt: number): GenerateRun => ({
  jobId: t.jobId,
  taskId: t.id,
  attempt,
  maxAttempts: 4,
  signal: new AbortController().signal,
});

describe('a task is never run twice', () => {
  for (const how of ['killed', 'failed'] as const) {
    it(`the worker ${how === 'killed' ? 'dies' : 'fails to store the result'} after the provider answered: the re-run completes with that answer and calls nobody`, async () => {
      const real = createTaskStore(app.sy.db);
      const t = await submit();
      const calls = () => stub.count((r) => r.path.endsWith('/chat/completions'));
      const before = calls();
      const answer = `answer #${before + 1}`; // what the stub's next call says

      // Run 1: the provider answers and the attempt is settled; then the worker dies right at
      // completion (it never returns) — or completion fails and the job is retried.
      let reached!: () => void;
      const atComplete = new Promise<void>((r) => (reached = r));
      const first = runner({
        ...real,
        complete: () => {
          reached();
          return how === 'killed' ? new Promise(() => {}) : Promise.reject(new Error('connection lost'));
        },
      });
      const verdict = first.run(run(t, 1));
      await atComplete;
      if (how === 'failed') expect(await verdict).toMatchObject({ status: 'retry' });
      expect(calls() - before).toBe(1);
      const [checkpoint] = await withDb(
        app.databaseUrl,
        async (db) =>
          (
            await db.query(
              `SELECT status, settled_at IS NOT NULL AS settled, output->>'text' AS text FROM task_assignments WHERE task_id = $1`,
              [t.id],
            )
          ).rows,
      );
      expect(checkpoint).toEqual({ status: 'succeeded', settled: true, text: answer });

      // Run 2 (the job came back: lease expired, or the retry): the real store this time.
      expect(await runner(real).run(run(t, 2))).toEqual({ status: 'completed', outcome: 'completed' });

      expect(calls() - before).toBe(1);
      const done = (await user.api.get(`/api/tasks/${t.id}`)).body;
      expect(done).toMatchObject({ status: 'completed', attempts: 2 });
      expect(done.assignments.map((a: any) => [a.status, a.tokensUsed])).toEqual([['succeeded', 11]]);
      const content = await user.api.get(`/api/content/${done.contentId}`);
      expect(content.body).toMatchObject({ contentData: answer, version: 1 });
      expect(content.body.metadata).toMatchObject({ provider: 'Stub GPT', tokens: { total: 11 } });
      await withDb(app.databaseUrl, async (db) => {
        const q = async (text: string) => (await db.query(text, [t.id])).rows[0];
        expect(await q('SELECT count(*)::int AS n FROM content WHERE task_id = $1')).toEqual({ n: 1 });
        expect(await q('SELECT count(*)::int AS n FROM content_versions WHERE task_id = $1')).toEqual({
          n: 1,
        });
        // The content holds the text now: the attempt's copy was dropped when the task completed.
        expect(await q('SELECT count(output)::int AS n FROM task_assignments WHERE task_id = $1')).toEqual({
          n: 0,
        });
        // Charged once: the account's usage is the settled attempts' usage, nothing left reserved.
        const acc = await db.query(
          `SELECT token_used::int AS used, token_reserved::int AS reserved,
                  (SELECT sum(tokens_used)::int FROM task_assignments WHERE account_id = $1 AND settled_at IS NOT NULL) AS settled
           FROM provider_accounts WHERE id = $1`,
          [accountId],
        );
        expect(acc.rows[0]!.reserved).toBe(0);
        expect(acc.rows[0]!.used).toBe(acc.rows[0]!.settled);
      });
    });
  }
});
