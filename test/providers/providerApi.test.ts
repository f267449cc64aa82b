import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, loginAdmin, registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { type StubServer, sendJson, startStubServer } from '../helpers/stubServer.js';
import { withDb } from '../tasks/helpers.js';

/**
 * The provider and account API (API.md "Providers"): validation, 404s, admin-only routes,
 * write-only credentials, test calls against a stub speaking the OpenAI wire format.
 */
const KEY = 'sk-proj-providerapi-0123456789abcdefSECRET';
const KEY2 = 'sk-proj-rotated-9876543210fedcbaSECRET';
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

let app: TestApp;
let stub: StubServer;
let admin: Awaited<ReturnType<typeof loginAdmin>>;
let user: Awaited<ReturnType<typeof registerUser>>;
const bodies: string[] = [];

/** Every response body passes through here, so the test can assert no key was ever returned. */
function recorded(api: ReturnType<typeof client>) {
  const wrap =
    <A extends unknown[]>(f: (...a: A) => Promise<{ status: number; body: any; text: string }>) =>
    async (...a: A) => {
      const r = await f(...a);
      bodies.push(r.text);
      return r;
    };
  return { get: wrap(api.get), post: wrap(api.post), put: wrap(api.put), delete: wrap(api.delete) };
}

beforeAll(async () => {
  stub = await startStubServer((req, res) => {
    const auth = req.headers.authorization ?? '';
    if (req.path === '/v1/models') {
      if (auth === `Bearer ${KEY}` || auth === `Bearer ${KEY2}`)
        return sendJson(res, 200, {
          object: 'list',
          data: [{ id: 'gpt-test', object: 'model', created: 0, owned_by: 'stub' }],
        });
      return sendJson(res, 401, {
        error: {
          message: `Incorrect API key provided: ${auth.slice(7, 14)}****`,
          type: 'invalid_request_error',
          code: 'invalid_api_key',
        },
      });
    }
    return sendJson(res, 404, { error: { message: 'nope' } });
  });
  app = await startTestApp({ roles: ['api'], env: { MOCK_PROVIDER: 'on' } });
  admin = await loginAdmin(app.url);
  user = await registerUser(app.url);
});
afterAll(async () => {
  await app?.close();
  await stub?.close();
});

const expectError = (r: { status: number; body: any }, status: number, code: string) => {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  expect(r.body).toEqual({ error: expect.objectContaining({ code, message: expect.any(String) }) });
};

async function createOpenAI(name: string, over: Record<string, unknown> = {}) {
  const r = await recorded(admin.api).post('/api/providers', {
    name,
    kind: 'openai',
    apiEndpoint: `${stub.url}/v1`,
    ...over,
  });
  expect(r.status, r.text).toBe(201);
  return r.body;
}

describe('providers: create, read, change, delete', () => {
  it('creates a provider with the catalogue defaults for its kind', async () => {
    const p = await createOpenAI('GPT stub');
    expect(p).toMatchObject({
      id: expect.any(String),
      name: 'GPT stub',
      kind: 'openai',
      apiEndpoint: `${stub.url}/v1`,
      authType: 'api_key',
      status: 'active',
      tier: 'primary',
      defaultModel: 'gpt-4o-mini',
      models: expect.arrayContaining(['gpt-4o-mini']),
      competencies: expect.objectContaining({ article: expect.any(Number), code: expect.any(Number) }),
      costPer1kInput: expect.any(Number),
      config: {},
    });
    const listed = await recorded(user.api).get('/api/providers');
    expect(listed.status).toBe(200);
    const mine = listed.body.items.find((x: any) => x.id === p.id);
    expect(mine).toMatchObject({ name: 'GPT stub', kind: 'openai' });
    expect(mine).not.toHaveProperty('config'); // admins only
    expect(listed.body.items.some((x: any) => x.kind === 'mock')).toBe(true);
  });

  it('refuses a second provider with the same name in any case (409)', async () => {
    await createOpenAI('Dup Name');
    expectError(await admin.api.post('/api/providers', { name: 'dup name', kind: 'xai' }), 409, 'conflict');
  });

  it('changes and deletes a provider', async () => {
    const p = await createOpenAI('To change');
    const r = await recorded(admin.api).put(`/api/providers/${p.id}`, {
      status: 'disabled',
      tier: 'secondary',
      competencies: { article: 0.2 },
      config: { circuitBreaker: { cooldownSeconds: 5 } },
    });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({
      status: 'disabled',
      tier: 'secondary',
      competencies: { article: 0.2 },
      config: { circuitBreaker: { cooldownSeconds: 5 } },
    });
    expect((await admin.api.delete(`/api/providers/${p.id}`)).status).toBe(204);
    expectError(await admin.api.get(`/api/providers/${p.id}`), 404, 'not_found');
    expectError(await admin.api.delete(`/api/providers/${p.id}`), 404, 'not_found');
  });

  it('validates provider fields', async () => {
    const bad = [
      { name: 'x', kind: 'nope' },
      { kind: 'openai' },
      { name: '', kind: 'openai' },
      { name: 'x', kind: 'openai', apiEndpoint: 'ftp://example.com' },
      { name: 'x', kind: 'openai', apiEndpoint: 'not a url' },
      { name: 'x', kind: 'openai', apiEndpoint: 'https://user:pass@example.com/v1' },
      { name: 'x', kind: 'openai_compatible' },
      { name: 'x', kind: 'openai', competencies: { article: 1.5 } },
      { name: 'x', kind: 'openai', competencies: { poetry: 0.5 } },
      { name: 'x', kind: 'openai', config: { apiKey: 'sk-in-config-123456' } },
      { name: 'x', kind: 'openai', timeoutMs: 5 },
      { name: 'x', kind: 'openai', tier: 'gold' },
      { name: 'x', kind: 'openai', extra: true },
    ];
    for (const body of bad)
      expectError(await admin.api.post('/api/providers', body), 400, 'validation_failed');
    expectError(await admin.api.post('/api/providers', '{"name":'), 400, 'invalid_json');
    const p = await createOpenAI('Validate PUT');
    expectError(await admin.api.put(`/api/providers/${p.id}`, {}), 400, 'validation_failed');
    expectError(
      await admin.api.put(`/api/providers/${p.id}`, { kind: 'anthropic' }),
      400,
      'validation_failed',
    );
    expectError(
      await admin.api.put(`/api/providers/${p.id}`, { costPer1kInput: -1 }),
      400,
      'validation_failed',
    );
  });

  it('an OpenAI-compatible provider needs an endpoint and a model', async () => {
    const r = await admin.api.post('/api/providers', {
      name: 'Local vLLM',
      kind: 'openai_compatible',
      apiEndpoint: `${stub.url}/v1`,
      defaultModel: 'llama',
    });
    expect(r.status, r.text).toBe(201);
    expect(r.body).toMatchObject({ tier: 'secondary', defaultModel: 'llama' });
    // As the portal sends it: models (the first is the default) and blank competencies (the kind's defaults).
    const portal = await admin.api.post('/api/providers', {
      name: 'Local Ollama',
      kind: 'openai_compatible',
      apiEndpoint: `${stub.url}/v1`,
      authType: 'api_key',
      tier: 'secondary',
      models: ['qwen3', 'llama3'],
      competencies: {},
    });
    expect(portal.status, portal.text).toBe(201);
    expect(portal.body).toMatchObject({
      defaultModel: 'qwen3',
      competencies: expect.objectContaining({ article: expect.any(Number) }),
    });
    const changed = await admin.api.put(`/api/providers/${portal.body.id}`, { models: ['mistral'] });
    expect(changed.body).toMatchObject({ models: ['mistral'], defaultModel: 'mistral' });
  });

  it('answers 404 for unknown ids and 400 for malformed ones', async () => {
    for (const path of [`/api/providers/${UNKNOWN}`, `/api/providers/${UNKNOWN}/status`])
      expectError(await user.api.get(path), 404, 'not_found');
    expectError(await admin.api.put(`/api/providers/${UNKNOWN}`, { status: 'disabled' }), 404, 'not_found');
    expectError(await admin.api.delete(`/api/providers/${UNKNOWN}`), 404, 'not_found');
    expectError(await admin.api.post(`/api/providers/${UNKNOWN}/test`), 404, 'not_found');
    expectError(
      await admin.api.post(`/api/providers/${UNKNOWN}/accounts`, {
        accountName: 'a',
        tokenLimit: 1,
        credentials: { apiKey: 'k' },
      }),
      404,
      'not_found',
    );
    expectError(await user.api.get('/api/providers/not-a-uuid'), 400, 'validation_failed');
    const p = await createOpenAI('404 accounts');
    expectError(
      await admin.api.put(`/api/providers/${p.id}/accounts/${UNKNOWN}`, { tokenLimit: 5 }),
      404,
      'not_found',
    );
    expectError(await admin.api.delete(`/api/providers/${p.id}/accounts/${UNKNOWN}`), 404, 'not_found');
    // An account of another provider is not found under this one.
    const other = await createOpenAI('404 other');
    const a = await admin.api.post(`/api/providers/${other.id}/accounts`, {
      accountName: 'a',
      tokenLimit: 10,
      credentials: { apiKey: KEY },
    });
    expectError(
      await admin.api.put(`/api/providers/${p.id}/accounts/${a.body.id}`, { tokenLimit: 5 }),
      404,
      'not_found',
    );
  });

  it('users get 403 on every admin route, anonymous callers 401', async () => {
    const p = await createOpenAI('Admin only');
    const acc = await admin.api.post(`/api/providers/${p.id}/accounts`, {
      accountName: 'a',
      tokenLimit: 10,
      credentials: { apiKey: KEY },
    });
    const calls = [
      () => user.api.post('/api/providers', { name: 'u', kind: 'openai' }),
      () => user.api.put(`/api/providers/${p.id}`, { status: 'disabled' }),
      () => user.api.delete(`/api/providers/${p.id}`),
      () => user.api.post(`/api/providers/${p.id}/test`),
      () =>
        user.api.post(`/api/providers/${p.id}/accounts`, {
          accountName: 'a',
          tokenLimit: 1,
          credentials: { apiKey: 'k' },
        }),
      () => user.api.put(`/api/providers/${p.id}/accounts/${acc.body.id}`, { tokenLimit: 1 }),
      () => user.api.delete(`/api/providers/${p.id}/accounts/${acc.body.id}`),
    ];
    for (const call of calls) expectError(await call(), 403, 'forbidden');
    expectError(await client(app.url).get('/api/providers'), 401, 'unauthorized');
    expectError(await client(app.url).get(`/api/providers/${p.id}/status`), 401, 'unauthorized');
    expect((await admin.api.get(`/api/providers/${p.id}`)).body.status).toBe('active');
  });
});

describe('accounts and credentials', () => {
  it('stores credentials sealed and write-only; budgets are for admins', async () => {
    const p = await createOpenAI('Sealed');
    const r = await recorded(admin.api).post(`/api/providers/${p.id}/accounts`, {
      accountName: 'team',
      credentials: { apiKey: KEY, organization: 'org-1' },
      tokenLimit: 50_000,
    });
    expect(r.status, r.text).toBe(201);
    expect(r.body).toMatchObject({
      providerId: p.id,
      accountName: 'team',
      tokenLimit: 50_000,
      tokenUsed: 0,
      tokenReserved: 0,
      tokensRemaining: 50_000,
      resetPeriod: 'monthly',
      status: 'active',
      hasCredentials: true,
      credentialsKeyId: expect.stringMatching(/^[0-9a-f]{8}$/),
    });
    // Monthly: the next reset is the 1st of next month at 00:00 UTC.
    const now = new Date();
    expect(r.body.resetDate).toBe(
      new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString(),
    );
    expect(r.body).not.toHaveProperty('credentials');

    const stored = await withDb(
      app.databaseUrl,
      async (c) =>
        (await c.query('SELECT credentials FROM provider_accounts WHERE id = $1', [r.body.id])).rows[0]
          .credentials as string,
    );
    expect(stored).toMatch(/^v1\.[0-9a-f]{8}\./);
    expect(stored).not.toContain(KEY);
    expect(stored).not.toContain('org-1');

    const asUser = await recorded(user.api).get(`/api/providers/${p.id}`);
    expect(asUser.body.accounts).toEqual([
      {
        id: r.body.id,
        providerId: p.id,
        accountName: 'team',
        teamId: null,
        status: 'active',
        available: true,
      },
    ]);
    const asAdmin = await recorded(admin.api).get(`/api/providers/${p.id}`);
    expect(asAdmin.body.accounts[0]).toMatchObject({ tokenLimit: 50_000, hasCredentials: true });
  });

  it('validates account fields', async () => {
    const p = await createOpenAI('Account validation');
    const bad = [
      { accountName: 'a', tokenLimit: 10 }, // openai needs an apiKey
      { accountName: 'a', tokenLimit: 10, credentials: { apiKey: '' } },
      { accountName: 'a', tokenLimit: -1, credentials: { apiKey: 'k' } },
      { accountName: 'a', tokenLimit: 1.5, credentials: { apiKey: 'k' } },
      { accountName: 'a', credentials: { apiKey: 'k' } },
      { accountName: '', tokenLimit: 10, credentials: { apiKey: 'k' } },
      { accountName: 'a', tokenLimit: 10, credentials: { apiKey: 'k' }, resetPeriod: 'yearly' },
      { accountName: 'a', tokenLimit: 10, credentials: { apiKey: 'k' }, resetDate: 'tomorrow' },
      { accountName: 'a', tokenLimit: 10, credentials: { apiKey: 42 } },
      { accountName: 'a', tokenLimit: 10, credentials: 'sk-plain' },
      { accountName: 'a', tokenLimit: 10, credentials: { apiKey: 'k' }, tokenUsed: 5 },
    ];
    for (const body of bad)
      expectError(await admin.api.post(`/api/providers/${p.id}/accounts`, body), 400, 'validation_failed');
  });

  it('a test call goes through the connector with the account’s key; a bad key fails without echoing it', async () => {
    const p = await createOpenAI('Testable');
    const acc = await admin.api.post(`/api/providers/${p.id}/accounts`, {
      accountName: 'a',
      tokenLimit: 1000,
      credentials: { apiKey: KEY },
    });
    stub.reset();
    const ok = await recorded(admin.api).post(`/api/providers/${p.id}/test`);
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body).toMatchObject({
      ok: true,
      latencyMs: expect.any(Number),
      model: 'gpt-4o-mini',
      accountId: acc.body.id,
    });
    expect(stub.requests.at(-1)).toMatchObject({ method: 'GET', path: '/v1/models' });
    expect(stub.requests.at(-1)!.headers.authorization).toBe(`Bearer ${KEY}`);

    // Rotate the key: the next call uses the new one.
    expect(
      (
        await recorded(admin.api).put(`/api/providers/${p.id}/accounts/${acc.body.id}`, {
          credentials: { apiKey: KEY2 },
        })
      ).status,
    ).toBe(200);
    expect((await recorded(admin.api).post(`/api/providers/${p.id}/test`)).body.ok).toBe(true);
    expect(stub.requests.at(-1)!.headers.authorization).toBe(`Bearer ${KEY2}`);

    const badKey = 'sk-proj-wrongwrongwrong-000000000000BAD';
    const bad = await admin.api.post(`/api/providers/${p.id}/accounts`, {
      accountName: 'bad',
      tokenLimit: 1000,
      credentials: { apiKey: badKey },
    });
    const failed = await recorded(admin.api).post(`/api/providers/${p.id}/test?accountId=${bad.body.id}`);
    expect(failed.status).toBe(200);
    expect(failed.body).toMatchObject({ ok: false, error: expect.stringMatching(/authentication failed/) });
    expect(failed.text).not.toContain(badKey);
    expect(failed.text).not.toContain(badKey.slice(7, 14));

    const status = await recorded(admin.api).get(`/api/providers/${p.id}/status`);
    expect(status.body).toMatchObject({
      id: p.id,
      status: 'active',
      health: {
        circuit: 'closed',
        lastError: expect.stringMatching(/authentication failed/),
        lastCheckedAt: expect.any(String),
        errorRate: null,
        p50LatencyMs: null,
      },
    });
    expect(status.body.accounts.map((a: any) => a.accountName).sort()).toEqual(['a', 'bad']);
    expect(status.body.accounts[0]).toHaveProperty('tokensRemaining');
    const userStatus = await recorded(user.api).get(`/api/providers/${p.id}/status`);
    expect(userStatus.status).toBe(200);
    expect(userStatus.body.accounts[0]).not.toHaveProperty('tokenLimit');
  });

  it('changes an account: budget, status, period, manual usage reset; deletes it', async () => {
    const p = await createOpenAI('Account changes');
    const a = (
      await admin.api.post(`/api/providers/${p.id}/accounts`, {
        accountName: 'a',
        tokenLimit: 1000,
        credentials: { apiKey: KEY },
        resetPeriod: 'daily',
      })
    ).body;
    await withDb(app.databaseUrl, (c) =>
      c.query('UPDATE provider_accounts SET token_used = 600 WHERE id = $1', [a.id]),
    );
    const r = await recorded(admin.api).put(`/api/providers/${p.id}/accounts/${a.id}`, {
      tokenLimit: 2000,
      status: 'disabled',
      resetPeriod: 'none',
    });
    expect(r.body).toMatchObject({
      tokenLimit: 2000,
      tokenUsed: 600,
      tokensRemaining: 1400,
      status: 'disabled',
      resetPeriod: 'none',
      resetDate: null,
      hasCredentials: true,
    });
    const reset = await admin.api.put(`/api/providers/${p.id}/accounts/${a.id}`, { resetUsage: true });
    expect(reset.body).toMatchObject({ tokenUsed: 0, lastResetAt: expect.any(String) });
    expect((await admin.api.delete(`/api/providers/${p.id}/accounts/${a.id}`)).status).toBe(204);
    expect((await admin.api.get(`/api/providers/${p.id}`)).body.accounts).toEqual([]);
  });

  it('every change is audited, without the credentials', async () => {
    const logs = await admin.api.get('/api/admin/logs?limit=100');
    const actions = logs.body.items.map((e: any) => e.action);
    for (const a of [
      'provider.create',
      'provider.update',
      'provider.delete',
      'provider.account.create',
      'provider.account.update',
      'provider.account.delete',
      'provider.test',
    ]) {
      expect(actions).toContain(a);
    }
    bodies.push(logs.text);
  });

  it('no API key ever appears in a response body or a log line', () => {
    expect(bodies.length).toBeGreaterThan(10);
    for (const b of bodies) {
      expect(b).not.toContain(KEY);
      expect(b).not.toContain(KEY2);
    }
    for (const line of app.logs) {
      expect(line).not.toContain(KEY);
      expect(line).not.toContain(KEY2);
    }
  });
});

describe('OpenAPI', () => {
  it('documents every provider route and the routing decision', async () => {
    const doc = (await client(app.url).get('/api/openapi.json')).body;
    const paths = doc.paths as Record<string, Record<string, unknown>>;
    expect(Object.keys(paths['/api/providers']!).sort()).toEqual(['get', 'post']);
    expect(Object.keys(paths['/api/providers/{id}']!).sort()).toEqual(['delete', 'get', 'put']);
    expect(Object.keys(paths['/api/providers/{id}/status']!)).toEqual(['get']);
    expect(Object.keys(paths['/api/providers/{id}/test']!)).toEqual(['post']);
    expect(Object.keys(paths['/api/providers/{id}/accounts']!)).toEqual(['post']);
    expect(Object.keys(paths['/api/providers/{id}/accounts/{accountId}']!).sort()).toEqual(['delete', 'put']);
    expect(Object.keys(paths['/api/tasks/{id}/routing']!)).toEqual(['get']);
  });
});

describe('providers from the environment', () => {
  it('a key in the environment creates the provider and a default account once; the key stays secret', async () => {
    const envKey = 'sk-ant-envkey-abcdefghijklmnop0123456789';
    const env = { ANTHROPIC_API_KEY: envKey, ANTHROPIC_BASE_URL: stub.url, MOCK_PROVIDER: 'off' };
    const first = await startTestApp({ roles: ['api'], env });
    try {
      const a = await loginAdmin(first.url);
      const list = await a.api.get('/api/providers');
      const claude = list.body.items.filter((p: any) => p.kind === 'anthropic');
      expect(claude).toHaveLength(1);
      expect(claude[0]).toMatchObject({
        name: 'Claude',
        apiEndpoint: stub.url,
        defaultModel: 'claude-sonnet-4-6',
        config: { managedByEnv: true },
      });
      const one = await a.api.get(`/api/providers/${claude[0].id}`);
      expect(one.body.accounts).toHaveLength(1);
      expect(one.body.accounts[0]).toMatchObject({ hasCredentials: true, resetPeriod: 'monthly' });
      expect(one.text).not.toContain(envKey);
      expect(list.text).not.toContain(envKey);
    } finally {
      await first.close();
    }
    // A second start on the same database creates nothing new.
    const second = await startTestApp({ roles: ['api'], env, databaseUrl: first.databaseUrl });
    try {
      const a = await loginAdmin(second.url);
      const list = await a.api.get('/api/providers');
      expect(list.body.items.filter((p: any) => p.kind === 'anthropic')).toHaveLength(1);
      const stored = await withDb(second.databaseUrl, async (c) =>
        (await c.query(`SELECT credentials FROM provider_accounts`)).rows.map((r) => String(r.credentials)),
      );
      for (const s of stored) expect(s).not.toContain(envKey);
      for (const line of [...first.logs, ...second.logs]) expect(line).not.toContain(envKey);
    } finally {
      await second.close();
    }
  });
});
