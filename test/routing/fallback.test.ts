import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAdmin, registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { delay, type StubServer, startStubServer } from '../helpers/stubServer.js';
import { anthropicError, anthropicStream, openaiError, openaiStream } from '../providers/wire.js';
import { waitForStatus, withDb } from '../tasks/helpers.js';

/**
 * The whole hub (API + worker + router) against stub servers speaking the OpenAI and Anthropic wire
 * formats on 127.0.0.1, configured as providers through the API: fallback on 429 / 500 / timeout,
 * fail-fast on a refusal, the circuit breaker opening and closing, the recorded decision and the
 * content's provenance. No API key may reach a response or a log line.
 */
const OA_KEY = 'sk-stub-openai-0123456789abcdefghij';
const AN_KEY = 'sk-ant-stub-anthropic-0123456789abcdef';

type Mode = 'ok' | '429' | '500' | 'timeout' | 'refusal';
const modes: Record<string, Mode> = { gpt: 'ok', claude: 'ok', flaky: 'ok' };

let app: TestApp;
let stub: StubServer;
let admin: Awaited<ReturnType<typeof loginAdmin>>;
let user: Awaited<ReturnType<typeof registerUser>>;
const bodies: string[] = [];

async function openaiAnswer(mode: Mode, res: import('node:http').ServerResponse) {
  switch (mode) {
    case '429':
      return openaiError(res, 429, 'Rate limit reached for requests', {
        type: 'requests',
        code: 'rate_limit_exceeded',
        headers: { 'retry-after': '120' },
      });
    case '500':
      return openaiError(res, 500, 'The server had an error', { type: 'server_error' });
    case 'refusal':
      return openaiError(res, 400, 'Your request was rejected by our safety system', {
        type: 'invalid_request_error',
        code: 'content_policy_violation',
      });
    case 'timeout':
      await delay(5_000, res);
      return openaiStream(res);
    default:
      return openaiStream(res);
  }
}

beforeAll(async () => {
  stub = await startStubServer(async (req, res) => {
    const [, name] = req.path.split('/'); // /gpt/v1/chat/completions, /flaky/v1/…, /claude/v1/messages
    const mode = modes[name ?? ''] ?? 'ok';
    if (req.path.endsWith('/chat/completions')) {
      if (req.headers.authorization !== `Bearer ${OA_KEY}`)
        return openaiError(res, 401, 'bad key', { code: 'invalid_api_key' });
      return openaiAnswer(mode, res);
    }
    if (req.path.endsWith('/v1/messages')) {
      const key = req.headers['x-api-key'] ?? req.headers.authorization?.replace(/^Bearer /, '');
      if (key !== AN_KEY) return anthropicError(res, 401, 'authentication_error', 'invalid x-api-key');
      if (mode === '500') return anthropicError(res, 500, 'api_error', 'Internal server error');
      if (mode === '429')
        return anthropicError(
          res,
          429,
          'rate_limit_error',
          'Number of requests has exceeded your rate limit',
          { 'retry-after': '60' },
        );
      return anthropicStream(res);
    }
  });
  app = await startTestApp({ env: { MOCK_PROVIDER: 'off' } });
  admin = await loginAdmin(app.url);
  user = await registerUser(app.url);
});
afterAll(async () => {
  await app?.close();
  await stub?.close();
});

async function provider(body: Record<string, unknown>, key: string) {
  const p = await admin.api.post('/api/providers', { costPer1kInput: 0, costPer1kOutput: 0, ...body });
  expect(p.status, p.text).toBe(201);
  const a = await admin.api.post(`/api/providers/${p.body.id}/accounts`, {
    accountName: 'main',
    tokenLimit: 1_000_000,
    credentials: { apiKey: key },
  });
  expect(a.status, a.text).toBe(201);
  bodies.push(p.text, a.text);
  return { id: p.body.id as string, accountId: a.body.id as string };
}

async function onlyActive(ids: string[]) {
  const list = await admin.api.get('/api/providers');
  for (const p of list.body.items) {
    const want = ids.includes(p.id) ? 'active' : 'disabled';
    if (p.status !== want)
      expect((await admin.api.put(`/api/providers/${p.id}`, { status: want })).status).toBe(200);
  }
}

async function run(body: Record<string, unknown> = {}) {
  const created = await user.api.post('/api/tasks', {
    description: 'Write about harbours at dawn',
    taskType: 'article',
    options: { maxTokens: 64 },
    ...body,
  });
  expect(created.status, created.text).toBe(201);
  const done = await waitForStatus(user.api, created.body.id, ['completed', 'failed'], 30_000);
  const routing = await user.api.get(`/api/tasks/${created.body.id}/routing`);
  bodies.push(created.text, JSON.stringify(done), routing.text);
  return { task: done, routing: routing.body };
}

const requestsTo = (name: string) => stub.count((r) => r.path.startsWith(`/${name}/`));

/** These tests are about fallback, not the circuit: keep it closed whatever the failures. */
const NEVER_OPEN = { failureThreshold: 1000, minSamples: 100_000 };

describe('fallback', () => {
  let gpt: { id: string };
  let claude: { id: string };
  beforeAll(async () => {
    gpt = await provider(
      {
        name: 'Stub GPT',
        kind: 'openai',
        apiEndpoint: `${stub.url}/gpt/v1`,
        competencies: { article: 1 },
        defaultModel: 'gpt-test',
        timeoutMs: 1000,
        config: { circuitBreaker: NEVER_OPEN },
      },
      OA_KEY,
    );
    claude = await provider(
      {
        name: 'Stub Claude',
        kind: 'anthropic',
        apiEndpoint: `${stub.url}/claude`,
        competencies: { article: 0.1 },
        defaultModel: 'claude-test',
        config: { circuitBreaker: NEVER_OPEN },
      },
      AN_KEY,
    );
    await onlyActive([gpt.id, claude.id]);
  });

  it('uses the best provider when it answers', async () => {
    modes.gpt = 'ok';
    const { task, routing } = await run();
    expect(task.status).toBe('completed');
    expect(task.assignments).toHaveLength(1);
    expect(task.assignments[0]).toMatchObject({
      providerName: 'Stub GPT',
      status: 'succeeded',
      tokensUsed: 11,
    });
    expect(routing).toMatchObject({
      decided: true,
      outcome: 'succeeded',
      tier: 'primary',
      taskType: 'article',
      priority: 'normal',
    });
    expect(routing.candidates.map((c: any) => [c.name, c.kept, c.rank])).toEqual([
      ['Stub GPT', true, 1],
      ['Stub Claude', true, 2],
    ]);
    expect(routing.chain).toEqual([expect.objectContaining({ name: 'Stub GPT', outcome: 'succeeded' })]);
  });

  for (const mode of ['429', '500', 'timeout'] as const) {
    it(`falls back at once on ${mode} and records the attempt, the chain and the provenance`, async () => {
      modes.gpt = mode;
      const before = { gpt: requestsTo('gpt'), claude: requestsTo('claude') };
      const t0 = Date.now();
      const { task, routing } = await run();
      expect(task.status).toBe('completed');
      expect(requestsTo('gpt') - before.gpt).toBe(1); // one attempt, no SDK retries
      expect(requestsTo('claude') - before.claude).toBe(1);
      if (mode === '429') expect(Date.now() - t0).toBeLessThan(60_000); // did not sleep on Retry-After: 120
      const expected = { '429': 'rate_limit', '500': 'server_error', timeout: 'timeout' }[mode];
      expect(task.assignments.map((a: any) => [a.providerName, a.status])).toEqual([
        ['Stub GPT', 'failed'],
        ['Stub Claude', 'succeeded'],
      ]);
      expect(task.assignments[0].errorMessage).toMatch(
        { '429': /rate limited/, '500': /server error/, timeout: /timed out/ }[mode],
      );
      expect(routing.chain.map((s: any) => [s.name, s.outcome, s.errorCode ?? null])).toEqual([
        ['Stub GPT', 'failed', expected],
        ['Stub Claude', 'succeeded', null],
      ]);
      const content = await user.api.get(`/api/content/${task.contentId}`);
      bodies.push(content.text);
      expect(content.body.metadata).toMatchObject({
        provider: 'Stub Claude',
        providerId: claude.id,
        model: 'claude-test',
        accountId: expect.any(String),
        tokens: { input: 12, output: 5, total: 17 },
        latencyMs: expect.any(Number),
        fallbackChain: ['Stub GPT', 'Stub Claude'],
      });
      // Reservations were released and the real usage charged.
      const accounts = await withDb(
        app.databaseUrl,
        async (c) => (await c.query('SELECT token_reserved FROM provider_accounts')).rows,
      );
      for (const a of accounts) expect(Number(a.token_reserved)).toBe(0);
    });
  }

  it('does not fall back on a refusal: the task fails at once', async () => {
    modes.gpt = 'refusal';
    const before = requestsTo('claude');
    const { task, routing } = await run();
    expect(task.status).toBe('failed');
    expect(task.error).toMatch(/rejected/);
    expect(requestsTo('claude')).toBe(before);
    expect(task.assignments).toHaveLength(1);
    expect(routing).toMatchObject({ outcome: 'failed' });
    expect(routing.chain).toEqual([
      expect.objectContaining({ name: 'Stub GPT', outcome: 'failed', errorCode: 'content_policy_violation' }),
    ]);
  });

  it('a pinned provider is tried first; when it fails the task falls back with the chain recorded', async () => {
    modes.gpt = 'ok';
    modes.claude = '500';
    const { task, routing } = await run({ providerId: claude.id });
    expect(task.status).toBe('completed');
    expect(routing.pinned).toMatchObject({ providerId: claude.id, honoured: true });
    expect(routing.chain.map((s: any) => [s.name, s.outcome])).toEqual([
      ['Stub Claude', 'failed'],
      ['Stub GPT', 'succeeded'],
    ]);
    modes.claude = 'ok';
  });

  it('fails with a clear error when every provider fails, after bounded attempts', async () => {
    modes.gpt = '500';
    modes.claude = '500';
    const { task } = await run();
    expect(task.status).toBe('failed');
    expect(task.error).toMatch(
      /Gave up after \d+ attempts?: All 2 provider attempts failed: Stub GPT: .*server error.*Stub Claude: .*server error/,
    );
    modes.gpt = 'ok';
    modes.claude = 'ok';
  });

  it('the decision is visible to the owner and admins only', async () => {
    const { task } = await run();
    const other = await registerUser(app.url);
    expect((await other.api.get(`/api/tasks/${task.id}/routing`)).status).toBe(404);
    expect((await admin.api.get(`/api/tasks/${task.id}/routing`)).status).toBe(200);
    expect((await user.api.get('/api/tasks/00000000-0000-4000-8000-000000000000/routing')).status).toBe(404);
  });
});

describe('circuit breaker', () => {
  it('opens after repeated failures, skips the provider, then closes after a successful probe', async () => {
    const flaky = await provider(
      {
        name: 'Flaky',
        kind: 'openai',
        apiEndpoint: `${stub.url}/flaky/v1`,
        competencies: { article: 1 },
        defaultModel: 'gpt-test',
        config: { circuitBreaker: { failureThreshold: 2, cooldownSeconds: 3600 } },
      },
      OA_KEY,
    );
    const backup = await provider(
      {
        name: 'Backup',
        kind: 'anthropic',
        apiEndpoint: `${stub.url}/claude`,
        competencies: { article: 0.1 },
      },
      AN_KEY,
    );
    await onlyActive([flaky.id, backup.id]);
    modes.flaky = '500';

    for (let i = 0; i < 2; i++) {
      const { task } = await run();
      expect(task.status).toBe('completed');
      expect(task.assignments.map((a: any) => a.providerName)).toEqual(['Flaky', 'Backup']);
    }
    const open = await admin.api.get(`/api/providers/${flaky.id}/status`);
    expect(open.body.health).toMatchObject({
      circuit: 'open',
      consecutiveFailures: 2,
      lastError: expect.stringMatching(/server error/),
      errorRate: 1,
    });

    // While open (cool-down 1 h) the provider is not called at all.
    const before = requestsTo('flaky');
    const skipped = await run();
    expect(skipped.task.status).toBe('completed');
    expect(requestsTo('flaky')).toBe(before);
    expect(skipped.routing.candidates.find((c: any) => c.name === 'Flaky')).toMatchObject({
      kept: false,
      reason: 'circuit_open',
    });
    expect(skipped.routing.chain.map((s: any) => s.name)).toEqual(['Backup']);

    // The provider recovers; once the cool-down is over one call probes it, and its success closes the circuit.
    modes.flaky = 'ok';
    expect(
      (
        await admin.api.put(`/api/providers/${flaky.id}`, {
          config: { circuitBreaker: { failureThreshold: 2, cooldownSeconds: 0 } },
        })
      ).status,
    ).toBe(200);
    const probe = await run();
    expect(probe.task.status).toBe('completed');
    expect(probe.routing.chain).toEqual([
      expect.objectContaining({ name: 'Flaky', outcome: 'succeeded', probe: true }),
    ]);
    const closed = await admin.api.get(`/api/providers/${flaky.id}/status`);
    expect(closed.body.health).toMatchObject({ circuit: 'closed', consecutiveFailures: 0 });
    bodies.push(open.text, closed.text);
  });
});

describe('secrets', () => {
  it('no API key appears in any response body or log line', () => {
    expect(bodies.length).toBeGreaterThan(20);
    for (const b of bodies) {
      expect(b).not.toContain(OA_KEY);
      expect(b).not.toContain(AN_KEY);
    }
    expect(app.logs.length).toBeGreaterThan(0);
    for (const line of app.logs) {
      expect(line).not.toContain(OA_KEY);
      expect(line).not.toContain(AN_KEY);
    }
  });
});
