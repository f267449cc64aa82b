import OpenAI from 'openai';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAdmin, registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { type StubServer, sendJson, sendSse, startStubServer } from '../helpers/stubServer.js';
import { waitFor } from '../helpers/wait.js';
import { openAIHandler } from './stubs.js';

/**
 * Money on the gateway (issues 14 + 17), through the official `openai` SDK against an
 * OpenAI-compatible stub: every call is priced by the same PriceBook as tasks (an admin override
 * makes the price exact here), reserved against the caller's budgets before dispatch and settled once
 * after the response.
 *
 * Prices: $100 per million input tokens, $1000 per million output tokens → µ$100 and µ$1000 a token.
 * The stub reports 11 input + 4 output tokens (non-streaming: µ$5,100) and 11 + 2 when streaming
 * (µ$3,100).
 */
let app: TestApp;
let oa: StubServer;
let admin: Awaited<ReturnType<typeof loginAdmin>>;
let db: pg.Client;

/**
 * 'budgets' invalidations the app applied: its own, before it answers a budget write, then the
 * write's notice a moment later (each one sends the gateway's leases on budgets back).
 */
let budgetEvents = 0;

const CALL_COST = 11 * 100 + 4 * 1000;
const STREAM_COST = 11 * 100 + 2 * 1000;

async function customer() {
  const u = await registerUser(app.url);
  const t = await u.api.post('/api/auth/tokens', { name: 'gateway' });
  expect(t.status, t.text).toBe(201);
  return {
    id: u.user.id,
    api: u.api,
    sdk: new OpenAI({ apiKey: t.body.token, baseURL: `${app.url}/v1`, maxRetries: 0, timeout: 30_000 }),
    token: t.body.token as string,
  };
}

async function userBudget(userId: string, limitMicros: number) {
  const r = await admin.api.post('/api/budgets', {
    scope: 'user',
    scopeId: userId,
    limitMicros,
    period: 'monthly',
  });
  expect(r.status, r.text).toBe(201);
  return r.body.id as string;
}

async function budget(id: string) {
  const r = await admin.api.get(`/api/budgets/${id}`);
  expect(r.status, r.text).toBe(200);
  return r.body as { spentMicros: number; reservedMicros: number; limitMicros: number };
}

async function gatewayTasks(userId: string) {
  const r = await db.query<{
    id: string;
    status: string;
    cost_micros: string;
    estimated_cost_micros: string | null;
  }>(
    `SELECT id, status, cost_micros, estimated_cost_micros FROM tasks
     WHERE user_id = $1 AND source = 'gateway' ORDER BY created_at`,
    [userId],
  );
  return r.rows.map((x) => ({
    ...x,
    cost: Number(x.cost_micros),
    estimate: x.estimated_cost_micros === null ? null : Number(x.estimated_cost_micros),
  }));
}

const ask = (sdk: OpenAI, model = 'priced-model') =>
  sdk.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi there' }], max_tokens: 10 });

beforeAll(async () => {
  oa = await startStubServer(async (req, res) => {
    const body = req.path === '/v1/chat/completions' ? req.json() : null;
    if (body?.model === 'slow-model' && body.stream) {
      // One chunk, then a long pause: the client goes away in the middle.
      return sendSse(res, [
        {
          data: {
            id: 'chatcmpl-slow',
            object: 'chat.completion.chunk',
            created: 1,
            model: 'slow-model',
            choices: [{ index: 0, delta: { role: 'assistant', content: 'Hel' }, finish_reason: null }],
          },
        },
        { pauseMs: 10_000 },
        { data: '[DONE]' },
      ]);
    }
    if (body?.model === 'huge-model')
      // A usage no database integer holds: the database refuses to record the call.
      return sendJson(res, 200, {
        id: 'chatcmpl-huge',
        object: 'chat.completion',
        created: 1,
        model: 'huge-model',
        choices: [
          { index: 0, message: { role: 'assistant', content: 'big' }, logprobs: null, finish_reason: 'stop' },
        ],
        usage: { prompt_tokens: 3_000_000_000, completion_tokens: 1, total_tokens: 3_000_000_001 },
      });
    if (body?.model === 'nul-model')
      // NUL characters (which PostgreSQL's text and jsonb refuse) in the answer and the model's name.
      return sendJson(res, 200, {
        id: 'chatcmpl-nul',
        object: 'chat.completion',
        created: 1,
        model: 'nul\u0000model',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: 'a\u0000b' },
            logprobs: null,
            finish_reason: 'stop',
          },
        ],
        usage: { prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 },
      });
    return openAIHandler(req, res);
  });
  app = await startTestApp({ roles: ['api'], env: { MOCK_PROVIDER: 'off' } });
  app.sy.cache.onInvalidate((tag) => {
    if (tag === 'budgets') budgetEvents++;
  });
  admin = await loginAdmin(app.url);
  db = new pg.Client({ connectionString: app.databaseUrl });
  await db.connect();
  const p = await admin.api.post('/api/providers', {
    name: 'priced',
    kind: 'openai_compatible',
    apiEndpoint: `${oa.url}/v1`,
    models: ['priced-model', 'slow-model', 'huge-model', 'nul-model'],
    defaultModel: 'priced-model',
    competencies: { article: 0.9 },
  });
  expect(p.status, p.text).toBe(201);
  const a = await admin.api.post(`/api/providers/${p.body.id}/accounts`, {
    accountName: 'main',
    tokenLimit: 1_000_000_000,
    credentials: { apiKey: 'key-priced' },
  });
  expect(a.status, a.text).toBe(201);
  const prices = await admin.api.put('/api/admin/prices', {
    items: [{ providerKind: 'openai_compatible', model: '*', inputPerMTokUsd: 100, outputPerMTokUsd: 1000 }],
  });
  expect(prices.status, prices.text).toBe(200);
}, 120_000);

afterAll(async () => {
  await db?.end();
  await app?.close();
  await oa?.close();
});

describe('gateway: money', () => {
  it('records each call with its cost from the price table, on the task, the attempt and the account', async () => {
    const c = await customer();
    const spentBefore = Number(
      (await db.query<{ n: string }>('SELECT coalesce(sum(spent_micros), 0) AS n FROM provider_accounts'))
        .rows[0]!.n,
    );
    const r = await ask(c.sdk);
    expect(r.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 4 });
    await app.sy.gateway.flush();
    const [task] = await gatewayTasks(c.id);
    expect(task).toMatchObject({ status: 'completed', cost: CALL_COST });
    const att = await db.query<{ cost_micros: string; account_id: string }>(
      'SELECT cost_micros, account_id FROM task_assignments WHERE task_id = $1',
      [task!.id],
    );
    expect(att.rows.map((x) => Number(x.cost_micros))).toEqual([CALL_COST]);
    // The task's detail shows the same cost to its owner, and to nobody else.
    const detail = await c.api.get(`/api/tasks/${task!.id}`);
    expect(detail.status, detail.text).toBe(200);
    expect(detail.body.costMicros).toBe(CALL_COST);
    expect((await (await registerUser(app.url)).api.get(`/api/tasks/${task!.id}`)).status).toBe(404);
    const account = await db.query<{ spent_micros: string }>(
      'SELECT spent_micros FROM provider_accounts WHERE id = $1',
      [att.rows[0]!.account_id],
    );
    expect(Number(account.rows[0]!.spent_micros) - spentBefore).toBe(CALL_COST);
    const routing = await db.query<{ routing: { costMicros?: number } }>(
      'SELECT routing FROM tasks WHERE id = $1',
      [task!.id],
    );
    expect(routing.rows[0]!.routing.costMicros).toBe(CALL_COST);
  });

  it('refuses the call that would pass a block budget: 429 insufficient_quota / budget_exceeded, not retried by the SDK', async () => {
    const c = await customer();
    const limit = 50_000;
    const id = await userBudget(c.id, limit);
    const sdk = new OpenAI({ apiKey: c.token, baseURL: `${app.url}/v1`, maxRetries: 2, timeout: 30_000 });
    let ok = 0;
    let refused: any;
    for (let i = 0; i < 50 && !refused; i++) {
      try {
        await ask(sdk);
        ok++;
      } catch (e) {
        refused = e;
      }
      // Each call settled before the next: the budget sees what was spent, not estimates.
      await app.sy.gateway.flush();
    }
    expect(refused).toBeInstanceOf(OpenAI.APIError);
    expect(refused.status).toBe(429);
    expect(refused.code).toBe('budget_exceeded');
    expect(refused.type).toBe('insufficient_quota');
    expect(Number(refused.headers?.get('retry-after'))).toBeGreaterThan(0);
    const tasks = await gatewayTasks(c.id);
    const estimate = tasks[0]!.estimate!;
    expect(estimate).toBeGreaterThan(CALL_COST);
    // The (N+1)th call is the first whose estimate no longer fits beside what N calls spent.
    expect(ok).toBe(Math.floor((limit - estimate) / CALL_COST) + 1);
    // One refused call recorded (the SDK did not retry it), charged nothing.
    expect(tasks.filter((t) => t.status === 'failed')).toHaveLength(1);
    expect(tasks.filter((t) => t.status === 'completed')).toHaveLength(ok);
    const b = await budget(id);
    expect(b).toMatchObject({ spentMicros: ok * CALL_COST, reservedMicros: 0 });
  });

  it('50 concurrent calls against a small money budget never overspend it', async () => {
    const c = await customer();
    const limit = 60_000;
    const id = await userBudget(c.id, limit);
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => ask(c.sdk)));
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    const refused = results.filter(
      (r) => r.status === 'rejected' && (r.reason as { code?: string }).code === 'budget_exceeded',
    ).length;
    expect(ok).toBeGreaterThan(0);
    expect(ok + refused).toBe(50);
    await app.sy.gateway.flush();
    const tasks = await gatewayTasks(c.id);
    const settled = tasks.reduce((n, t) => n + t.cost, 0);
    expect(settled).toBe(ok * CALL_COST);
    expect(settled).toBeLessThanOrEqual(limit);
    const b = await budget(id);
    expect(b.spentMicros).toBe(settled);
    expect(b.reservedMicros).toBe(0);
    // Every call settled once: one settled reservation per completed or refused-and-recorded call.
    const reservations = await db.query<{ n: number; actual: string }>(
      `SELECT count(*)::int AS n, coalesce(sum(actual_micros), 0) AS actual FROM budget_reservations
       WHERE budget_id = $1 AND settled_at IS NOT NULL`,
      [id],
    );
    expect(Number(reservations.rows[0]!.actual)).toBe(settled);
    expect(reservations.rows[0]!.n).toBe(ok);
    // The process's lease on the budget is given back by flush.
    const leased = await db.query<{ m: string }>(
      'SELECT coalesce(sum(micros), 0) AS m FROM budget_leases WHERE budget_id = $1',
      [id],
    );
    expect(Number(leased.rows[0]!.m)).toBe(0);
  });

  it('a lease reserved by the first call serves the next ones and goes back when flushed', async () => {
    const c = await customer();
    const before = budgetEvents;
    const id = await userBudget(c.id, 10_000_000);
    // The write was applied here before it was answered; its notice follows (and sends leases back
    // again): heard before the first call, so that call's lease is the one kept below.
    expect(budgetEvents).toBeGreaterThanOrEqual(before + 1);
    await waitFor(async () => budgetEvents >= before + 2, "the budget's notice");
    await ask(c.sdk);
    // Recorded and settled, but the lease is kept (drain, not flush).
    await app.sy.gateway.recorder.drain();
    const [first] = await gatewayTasks(c.id);
    expect(first!.estimate).toBeGreaterThan(CALL_COST);
    // The process still holds a chunk of several estimates on the budget, counted under its process
    // id, though no call is in flight.
    const held = await budget(id);
    expect(held).toMatchObject({ spentMicros: CALL_COST });
    expect(held.reservedMicros).toBeGreaterThan(first!.estimate!);
    const rows = await db.query<{ m: string }>(
      'SELECT coalesce(sum(micros), 0) AS m FROM budget_leases WHERE budget_id = $1',
      [id],
    );
    expect(Number(rows.rows[0]!.m)).toBe(held.reservedMicros);
    for (let i = 0; i < 4; i++) await ask(c.sdk);
    await app.sy.gateway.flush();
    const tasks = await gatewayTasks(c.id);
    expect(tasks).toHaveLength(5);
    expect(tasks.every((t) => t.status === 'completed' && t.estimate! > CALL_COST)).toBe(true);
    expect(await budget(id)).toMatchObject({ spentMicros: 5 * CALL_COST, reservedMicros: 0 });
  });

  it('two Switchyard instances sharing one small budget never overspend it together', async () => {
    const c = await customer();
    const limit = 80_000;
    const id = await userBudget(c.id, limit);
    const second = await startTestApp({
      roles: ['api'],
      env: { MOCK_PROVIDER: 'off' },
      databaseUrl: app.databaseUrl,
    });
    try {
      const sdk2 = new OpenAI({
        apiKey: c.token,
        baseURL: `${second.url}/v1`,
        maxRetries: 0,
        timeout: 30_000,
      });
      const results = await Promise.allSettled(
        Array.from({ length: 40 }, (_, i) => ask(i % 2 ? sdk2 : c.sdk)),
      );
      const ok = results.filter((r) => r.status === 'fulfilled').length;
      const refused = results.filter(
        (r) => r.status === 'rejected' && (r.reason as { code?: string }).code === 'budget_exceeded',
      ).length;
      expect(ok).toBeGreaterThan(0);
      expect(ok + refused).toBe(40);
      await app.sy.gateway.flush();
      await second.sy.gateway.flush();
      const tasks = await gatewayTasks(c.id);
      const settled = tasks.reduce((n, t) => n + t.cost, 0);
      expect(settled).toBe(ok * CALL_COST);
      expect(settled).toBeLessThanOrEqual(limit);
      expect(await budget(id)).toMatchObject({ spentMicros: settled, reservedMicros: 0 });
    } finally {
      await second.close();
    }
  });

  it("a provider account's money budget without room is skipped: the call goes to another account, or gets 429 when none has room", async () => {
    const p = await admin.api.post('/api/providers', {
      name: 'twin',
      kind: 'openai_compatible',
      apiEndpoint: `${oa.url}/v1`,
      models: ['twin-model'],
      defaultModel: 'twin-model',
      competencies: { article: 0.9 },
    });
    expect(p.status, p.text).toBe(201);
    const account = async (accountName: string, tokenLimit: number) => {
      const a = await admin.api.post(`/api/providers/${p.body.id}/accounts`, {
        accountName,
        tokenLimit,
        credentials: { apiKey: `key-${accountName}` },
      });
      expect(a.status, a.text).toBe(201);
      return a.body.id as string;
    };
    // The router tries the account with the most tokens left first: `big`.
    const big = await account('big', 2_000_000_000);
    const small = await account('small', 100_000_000);
    const accountBudget = async (accountId: string, limitMicros: number) => {
      const r = await admin.api.post('/api/budgets', {
        scope: 'provider_account',
        scopeId: accountId,
        limitMicros,
        period: 'monthly',
      });
      expect(r.status, r.text).toBe(201);
      return r.body.id as string;
    };
    // Less than one call's estimate: `big` has no room for any call.
    const bigBudget = await accountBudget(big, 1_000);
    const smallBudget = await accountBudget(small, 10_000_000);
    const c = await customer();
    // The gateway's view of providers is cached for a second: wait for the new one.
    await waitFor(async () => {
      const models = await c.sdk.models.list();
      return models.data.some((m) => m.id === 'twin-model');
    }, 'the new provider to be routable');
    for (let i = 0; i < 3; i++) await ask(c.sdk, 'twin-model');
    await app.sy.gateway.flush();
    const used = await db.query<{ account_id: string }>(
      `SELECT a.account_id FROM task_assignments a JOIN tasks t ON t.id = a.task_id WHERE t.user_id = $1`,
      [c.id],
    );
    expect(used.rows.map((r) => r.account_id)).toEqual([small, small, small]);
    expect(await budget(bigBudget)).toMatchObject({ spentMicros: 0, reservedMicros: 0 });
    expect(await budget(smallBudget)).toMatchObject({ spentMicros: 3 * CALL_COST, reservedMicros: 0 });
    // No account with room: the documented 429 insufficient_quota, and nothing charged.
    const full = await admin.api.put(`/api/budgets/${smallBudget}`, { limitMicros: 3 * CALL_COST });
    expect(full.status, full.text).toBe(200);
    const refused = await ask(c.sdk, 'twin-model').catch((e) => e);
    expect(refused).toBeInstanceOf(OpenAI.APIError);
    expect(refused).toMatchObject({ status: 429, code: 'insufficient_quota', type: 'insufficient_quota' });
    await app.sy.gateway.flush();
    expect(await budget(smallBudget)).toMatchObject({ spentMicros: 3 * CALL_COST, reservedMicros: 0 });
  });

  it("a team token's calls count on the team's budget, a token's on its own; notify budgets never refuse", async () => {
    const owner = await registerUser(app.url);
    const team = await owner.api.post('/api/teams', { name: `Gateway team ${Date.now()}` });
    expect(team.status, team.text).toBe(201);
    const tok = await owner.api.post('/api/auth/tokens', { name: 'team ci', teamId: team.body.id });
    expect(tok.status, tok.text).toBe(201);
    const sdk = new OpenAI({ apiKey: tok.body.token, baseURL: `${app.url}/v1`, maxRetries: 0 });
    const teamBudget = await admin.api.post('/api/budgets', {
      scope: 'team',
      scopeId: team.body.id,
      limitMicros: 1_000_000,
      period: 'monthly',
    });
    expect(teamBudget.status, teamBudget.text).toBe(201);
    // A notify budget on the token: counted, never refusing, even when over its limit.
    const tokenBudget = await admin.api.post('/api/budgets', {
      scope: 'api_token',
      scopeId: tok.body.id,
      limitMicros: 1,
      period: 'monthly',
      action: 'notify',
    });
    expect(tokenBudget.status, tokenBudget.text).toBe(201);
    await ask(sdk);
    await ask(sdk);
    await app.sy.gateway.flush();
    expect(await budget(teamBudget.body.id)).toMatchObject({ spentMicros: 2 * CALL_COST, reservedMicros: 0 });
    expect(await budget(tokenBudget.body.id)).toMatchObject({
      spentMicros: 2 * CALL_COST,
      reservedMicros: 0,
    });
    // A block budget on the token refuses with the gateway's budget error.
    const blocking = await admin.api.put(`/api/budgets/${tokenBudget.body.id}`, { action: 'block' });
    expect(blocking.status, blocking.text).toBe(200);
    const refused = await ask(sdk).catch((e) => e);
    expect(refused).toMatchObject({ status: 429, code: 'budget_exceeded', type: 'insufficient_quota' });
  });

  it('a streaming call settles with the usage of its final chunk', async () => {
    const c = await customer();
    const id = await userBudget(c.id, 1_000_000);
    const stream = await c.sdk.chat.completions.create({
      model: 'priced-model',
      messages: [{ role: 'user', content: 'Hi there' }],
      max_tokens: 10,
      stream: true,
    });
    let text = '';
    for await (const ch of stream) text += ch.choices[0]?.delta?.content ?? '';
    expect(text).toBe('Hello');
    await app.sy.gateway.flush();
    const [task] = await gatewayTasks(c.id);
    expect(task).toMatchObject({ status: 'completed', cost: STREAM_COST });
    expect(await budget(id)).toMatchObject({ spentMicros: STREAM_COST, reservedMicros: 0 });
  });

  it('a stream the client aborts settles once: nothing stays reserved', async () => {
    const c = await customer();
    const id = await userBudget(c.id, 1_000_000);
    const ac = new AbortController();
    const stream = await c.sdk.chat.completions.create(
      { model: 'slow-model', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 10, stream: true },
      { signal: ac.signal },
    );
    const it = stream[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.value?.choices[0]?.delta?.content).toBe('Hel');
    // While the call runs, its estimate is held on the budget.
    expect((await budget(id)).reservedMicros).toBeGreaterThan(0);
    ac.abort();
    // The SDK ends the aborted stream quietly.
    expect((await it.next()).done).toBe(true);
    const task = await waitFor(async () => {
      await app.sy.gateway.flush();
      const [t] = await gatewayTasks(c.id);
      return t?.status === 'failed' ? t : null;
    }, 'the aborted call to be recorded');
    const b = await budget(id);
    expect(b.reservedMicros).toBe(0);
    expect(b.spentMicros).toBe(task.cost);
    const rows = await db.query<{ settled_at: Date | null }>(
      'SELECT settled_at FROM budget_reservations WHERE task_id = $1',
      [task.id],
    );
    expect(rows.rows).toHaveLength(1);
    expect(rows.rows[0]!.settled_at).not.toBeNull();
  });

  it('a call the database refuses to record is dropped, charged its cost: nothing stays reserved', async () => {
    const c = await customer();
    const id = await userBudget(c.id, 100_000_000);
    const r = await ask(c.sdk, 'huge-model');
    expect(r.choices[0]!.message.content).toBe('big');
    // The recorder tries three times, then drops the call (logged): no task row is ever written.
    await app.sy.gateway.flush();
    expect(await gatewayTasks(c.id)).toHaveLength(0);
    // It ran at the provider: its hold on the caller's budget is settled with its priced cost, and
    // its reservation on the account went back with the lease.
    const hugeCost = 3_000_000_000 * 100 + 1 * 1000;
    expect(await budget(id)).toMatchObject({ spentMicros: hugeCost, reservedMicros: 0 });
    await db.query('UPDATE budgets SET spent_micros = 0 WHERE id = $1', [id]);
    const leased = await db.query<{ m: string }>(
      'SELECT coalesce(sum(micros), 0) AS m FROM budget_leases WHERE budget_id = $1',
      [id],
    );
    expect(Number(leased.rows[0]!.m)).toBe(0);
    const acct = await db.query<{ n: string }>(
      `SELECT coalesce(sum(token_reserved), 0) AS n FROM provider_accounts`,
    );
    expect(Number(acct.rows[0]!.n)).toBe(0);
    // The next call of the same caller is recorded and charged as usual.
    await ask(c.sdk);
    await app.sy.gateway.flush();
    expect(await gatewayTasks(c.id)).toMatchObject([{ status: 'completed', cost: CALL_COST }]);
    expect(await budget(id)).toMatchObject({ spentMicros: CALL_COST, reservedMicros: 0 });
  });

  it('a call whose record is cancelled (statement timeout, lock timeout, deadlock) is retried until recorded, never dropped', async () => {
    const c = await customer();
    const id = await userBudget(c.id, 100_000_000);
    // The recorder's statement waits for a lock on the attempts' table…
    const locker = new pg.Client({ connectionString: app.databaseUrl });
    await locker.connect();
    try {
      const lockerPid = (await locker.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE task_assignments IN EXCLUSIVE MODE');
      await ask(c.sdk);
      // …and is cancelled (57014, as a statement timeout) each time: more than the three tries a
      // call refused for its data gets.
      for (let i = 0; i < 4; i++)
        await waitFor(
          async () => {
            const r = await db.query<{ ok: boolean }>(
              `SELECT pg_cancel_backend(pid) AS ok FROM pg_stat_activity
             WHERE datname = current_database() AND $1::int = ANY(pg_blocking_pids(pid))`,
              [lockerPid],
            );
            return r.rows.some((x) => x.ok);
          },
          `the recorder's statement to wait (${i + 1})`,
        );
    } finally {
      await locker.query('ROLLBACK').catch(() => {});
      await locker.end();
    }
    await app.sy.gateway.flush();
    expect(await gatewayTasks(c.id)).toMatchObject([{ status: 'completed', cost: CALL_COST }]);
    expect(await budget(id)).toMatchObject({ spentMicros: CALL_COST, reservedMicros: 0 });
  });

  it("NUL characters in the answer and the model's name do not keep a call from being recorded", async () => {
    const c = await customer();
    const id = await userBudget(c.id, 100_000_000);
    const r = await c.sdk.chat.completions.create({
      model: 'nul-model',
      messages: [{ role: 'user', content: 'Hi there' }],
      max_tokens: 10,
    });
    expect(r.choices[0]!.message.content).toBe('a\u0000b');
    await app.sy.gateway.flush();
    const [task] = await gatewayTasks(c.id);
    expect(task).toMatchObject({ status: 'completed', cost: CALL_COST });
    expect(await budget(id)).toMatchObject({ spentMicros: CALL_COST, reservedMicros: 0 });
    const a = await db.query<{ model: string }>('SELECT model FROM task_assignments WHERE task_id = $1', [
      task!.id,
    ]);
    expect(a.rows[0]!.model).toBe('nulmodel');
  });

  it('a budget lowered in one instance binds at once in another that holds a lease on it', async () => {
    const c = await customer();
    const id = await userBudget(c.id, 10_000_000);
    const second = await startTestApp({
      roles: ['api'],
      env: { MOCK_PROVIDER: 'off' },
      databaseUrl: app.databaseUrl,
    });
    try {
      const sdk2 = new OpenAI({
        apiKey: c.token,
        baseURL: `${second.url}/v1`,
        maxRetries: 0,
        timeout: 30_000,
      });
      await ask(sdk2);
      await second.sy.gateway.recorder.drain();
      // The second instance holds a chunk of several estimates on the budget.
      expect((await budget(id)).reservedMicros).toBeGreaterThan(0);
      const heard: string[] = [];
      second.sy.cache.onInvalidate((tag) => heard.push(tag));
      // The budget is lowered through the first instance: no room left for another call.
      const r = await admin.api.put(`/api/budgets/${id}`, { limitMicros: CALL_COST + 1 });
      expect(r.status, r.text).toBe(200);
      // The second instance hears of it (the budgets trigger's notice)…
      await waitFor(async () => heard.includes('budgets'), 'the second instance to hear of the change');
      // …so its next call is checked against the new limit, not served from its old lease.
      const refused = await ask(sdk2).catch((e) => e);
      expect(refused).toMatchObject({ status: 429, code: 'budget_exceeded' });
      // What the lease held went back (nothing reserved, though the instance still runs).
      await waitFor(async () => (await budget(id)).reservedMicros === 0, 'the lease to go back');
      await second.sy.gateway.flush();
      expect(await budget(id)).toMatchObject({ spentMicros: CALL_COST, reservedMicros: 0 });
    } finally {
      await second.close();
    }
  });
});
