import { gzipSync } from 'node:zlib';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, loginAdmin, registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { sql } from '../helpers/sql.js';
import { type StubServer, sendJson, startStubServer } from '../helpers/stubServer.js';
import { startAnthropicStub, startOpenAIStub } from './stubs.js';

/**
 * The OpenAI-compatible gateway (/v1) driven by the official `openai` SDK, against an
 * OpenAI-compatible stub and an Anthropic stub on 127.0.0.1.
 */
let app: TestApp;
let oa: StubServer;
let anth: StubServer;
let down: StubServer;
let admin: Awaited<ReturnType<typeof loginAdmin>>;
let user: Awaited<ReturnType<typeof registerUser>>;
let sdk: OpenAI;

async function provider(body: Record<string, unknown>, tokenLimit = 1_000_000_000) {
  const p = await admin.api.post('/api/providers', { competencies: { article: 0 }, ...body });
  expect(p.status, p.text).toBe(201);
  const a = await admin.api.post(`/api/providers/${p.body.id}/accounts`, {
    accountName: 'main',
    tokenLimit,
    credentials: { apiKey: `key-${body.name}` },
  });
  expect(a.status, a.text).toBe(201);
  return p.body as { id: string };
}

async function apiToken(u: { api: ReturnType<typeof client> }) {
  const r = await u.api.post('/api/auth/tokens', { name: 'gateway' });
  expect(r.status, r.text).toBe(201);
  return r.body.token as string;
}

const openai = (apiKey: string) =>
  new OpenAI({ apiKey, baseURL: `${app.url}/v1`, maxRetries: 0, timeout: 30_000 });

async function recorded() {
  await app.sy.gateway.flush();
}

beforeAll(async () => {
  [oa, anth] = await Promise.all([startOpenAIStub(), startAnthropicStub()]);
  down = await startStubServer((_req, res) =>
    sendJson(res, 503, { error: { message: 'overloaded', type: 'server_error' } }),
  );
  app = await startTestApp({ roles: ['api'], env: { MOCK_PROVIDER: 'off' } });
  admin = await loginAdmin(app.url);
  user = await registerUser(app.url);
  await provider({
    name: 'stub',
    kind: 'openai_compatible',
    apiEndpoint: `${oa.url}/v1`,
    models: ['gpt-4o-mini', 'text-embedding-3-small', 'cut-model', 'bad-request-model'],
    defaultModel: 'gpt-4o-mini',
    competencies: { article: 0.9, code: 0.9 },
  });
  await provider({
    name: 'claude',
    kind: 'anthropic',
    apiEndpoint: anth.url,
    models: ['claude-sonnet-4-6'],
    defaultModel: 'claude-sonnet-4-6',
  });
  await provider({
    name: 'flaky',
    kind: 'openai_compatible',
    apiEndpoint: `${down.url}/v1`,
    models: ['shared-model'],
    tier: 'primary',
  });
  await provider({
    name: 'backup',
    kind: 'openai_compatible',
    apiEndpoint: `${oa.url}/v1`,
    models: ['shared-model'],
    tier: 'secondary',
  });
  await provider({
    name: 'limited',
    kind: 'openai_compatible',
    apiEndpoint: `${oa.url}/v1`,
    models: ['limited-model'],
  });
  await provider(
    { name: 'tiny', kind: 'openai_compatible', apiEndpoint: `${oa.url}/v1`, models: ['tiny-model'] },
    10,
  );
  sdk = openai(await apiToken(user));
}, 120_000);

afterAll(async () => {
  await app?.close();
  await Promise.all([oa?.close(), anth?.close(), down?.close()]);
});

describe('gateway: OpenAI client → OpenAI-compatible provider', () => {
  it('lists the models the caller may use', async () => {
    const ids: string[] = [];
    for await (const m of sdk.models.list()) ids.push(m.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        'switchyard/auto',
        'switchyard/article',
        'switchyard/code',
        'stub/gpt-4o-mini',
        'gpt-4o-mini',
        'claude/claude-sonnet-4-6',
      ]),
    );
  });

  it('answers a chat completion, passing the request through with the routed account key', async () => {
    oa.reset();
    const r = await sdk.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Hi there' }],
    });
    expect(r.choices[0]!.message.content).toBe('Hello from the stub');
    expect(r.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 });
    const sent = oa.requests.at(-1)!;
    expect(sent.headers.authorization).toBe('Bearer key-stub');
    expect(sent.json()).toMatchObject({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Hi there' }],
    });
  });

  it('routes switchyard/auto, switchyard/<taskType> and <provider>/<model>', async () => {
    for (const model of ['switchyard/auto', 'switchyard/code', 'stub/gpt-4o-mini']) {
      const r = await sdk.chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }] });
      expect(r.choices[0]!.message.content, model).toBe('Hello from the stub');
    }
  });

  it('streams, with the usage chunk only when the client asks for it (upstream always reports it)', async () => {
    oa.reset();
    const stream = await sdk.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'stream please' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const c of stream) {
      text += c.choices[0]?.delta?.content ?? '';
      if (c.usage) usage = c.usage;
    }
    expect(text).toBe('Hello');
    expect(usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 2 });

    const plain = await sdk.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'again' }],
      stream: true,
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const c of plain) chunks.push(c);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('Hello');
    expect(chunks.some((c) => c.usage)).toBe(false);
    expect(oa.requests.at(-1)!.json().stream_options).toEqual({ include_usage: true });
  });

  it('passes tools and tool calls through, streaming and not', async () => {
    const tools: OpenAI.ChatCompletionTool[] = [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          parameters: { type: 'object', properties: { city: { type: 'string' } } },
        },
      },
    ];
    const r = await sdk.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'weather?' }],
      tools,
    });
    expect(r.choices[0]!.finish_reason).toBe('tool_calls');
    const call = r.choices[0]!.message.tool_calls![0]! as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(call.function).toEqual({ name: 'get_weather', arguments: '{"city":"Paris"}' });
    expect(oa.requests.at(-1)!.json().tools).toEqual(tools);

    const s = sdk.chat.completions.stream({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'weather?' }],
      tools,
    });
    const final = await s.finalChatCompletion();
    const streamed = final.choices[0]!.message
      .tool_calls![0]! as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(streamed.function.arguments).toBe('{"city":"Paris"}');
  });

  it('passes JSON mode through', async () => {
    const r = await sdk.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'json' }],
      response_format: { type: 'json_object' },
    });
    expect(JSON.parse(r.choices[0]!.message.content!)).toEqual({ ok: true });
    expect(oa.requests.at(-1)!.json().response_format).toEqual({ type: 'json_object' });
  });

  it('serves embeddings', async () => {
    const r = await sdk.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] });
    expect(r.data).toHaveLength(2);
    expect(r.data[0]!.embedding).toEqual([0.1, 0.2, 0.3]);
    expect(r.usage.prompt_tokens).toBe(10);
  });
});

describe('gateway: an Anthropic account serves an OpenAI client', () => {
  it('translates messages, system, tools, usage and stop reasons', async () => {
    anth.reset();
    const r = await sdk.chat.completions.create({
      model: 'claude/claude-sonnet-4-6',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'weather in Paris?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'toolu_0',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Rome"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'toolu_0', content: 'sunny' },
      ],
      tools: [
        {
          type: 'function',
          function: { name: 'get_weather', description: 'weather', parameters: { type: 'object' } },
        },
      ],
      tool_choice: 'required',
      max_tokens: 300,
    });
    const sent = anth.requests.at(-1)!;
    expect(sent.headers['x-api-key']).toBe('key-claude');
    expect(sent.json()).toMatchObject({
      model: 'claude-sonnet-4-6',
      system: 'Be brief.',
      max_tokens: 300,
      tools: [{ name: 'get_weather', description: 'weather', input_schema: { type: 'object' } }],
      tool_choice: { type: 'any' },
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'weather in Paris?' }] },
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 'toolu_0', name: 'get_weather', input: { city: 'Rome' } }],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_0', content: 'sunny' }] },
      ],
    });
    expect(r.choices[0]!.finish_reason).toBe('tool_calls');
    expect(r.choices[0]!.message.content).toBe('Let me look.');
    const call = r.choices[0]!.message.tool_calls![0]! as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(call).toMatchObject({
      id: 'toolu_1',
      function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
    });
    expect(r.usage).toMatchObject({ prompt_tokens: 21, completion_tokens: 6, total_tokens: 27 });
  });

  it('translates the stream events, with usage from the final chunk', async () => {
    const stream = await sdk.chat.completions.create({
      model: 'claude-sonnet-4-6',
      messages: [{ role: 'user', content: 'hello' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const c of stream) {
      text += c.choices[0]?.delta?.content ?? '';
      finish = c.choices[0]?.finish_reason ?? finish;
      if (c.usage) usage = c.usage;
    }
    expect(text).toBe('Hello from Claude');
    expect(finish).toBe('stop');
    expect(usage).toMatchObject({ prompt_tokens: 21, completion_tokens: 6, total_tokens: 27 });

    const tools = sdk.chat.completions.stream({
      model: 'claude-sonnet-4-6',
      messages: [{ role: 'user', content: 'weather?' }],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }],
    });
    const final = await tools.finalChatCompletion();
    const call = final.choices[0]!.message.tool_calls![0]! as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(call.function).toMatchObject({ name: 'get_weather', arguments: '{"city": "Paris"}' });
    expect(final.choices[0]!.finish_reason).toBe('tool_calls');
  });
});

describe('gateway: failover and cut streams', () => {
  it('fails over to the next provider before the first byte', async () => {
    down.reset();
    const r = await sdk.chat.completions.create({
      model: 'shared-model',
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(r.choices[0]!.message.content).toBe('Hello from the stub');
    expect(down.requests.length).toBe(1);
    const s = await sdk.chat.completions.create({
      model: 'shared-model',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
    });
    let text = '';
    for await (const c of s) text += c.choices[0]?.delta?.content ?? '';
    expect(text).toBe('Hello');
  });

  it('ends a stream cut after its first byte with an error event, never a clean end', async () => {
    const stream = await sdk.chat.completions.create({
      model: 'cut-model',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
    });
    let text = '';
    const err = await (async (): Promise<unknown> => {
      try {
        for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(text).toBe('Hel');
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as Error).message).toMatch(/cut/);

    // Raw: the body has the error frame and no [DONE].
    const raw = await fetch(`${app.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sdk.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'cut-model', messages: [{ role: 'user', content: 'x' }], stream: true }),
    });
    const body = await raw.text();
    expect(raw.status).toBe(200);
    expect(body).toContain('"code":"stream_cut"');
    expect(body).not.toContain('[DONE]');
  });
});

describe('gateway: the HTTP details of /v1 (lean path and Express alike)', () => {
  const chat = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };
  /** A JSON body, as the test reads it. */
  const read = (r: Response): Promise<any> => r.json();
  const post = (body: string | Uint8Array, headers: Record<string, string> = {}) =>
    fetch(`${app.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sdk.apiKey}`, 'content-type': 'application/json', ...headers },
      body,
    });

  it('echoes a sane X-Request-Id, makes one otherwise, on answers and errors alike', async () => {
    const ok = await post(JSON.stringify(chat), { 'x-request-id': 'client-id-1' });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-request-id')).toBe('client-id-1');
    const made = await post(JSON.stringify(chat), { 'x-request-id': 'not sane!' });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const err = await post(JSON.stringify(chat), { authorization: '', 'x-request-id': 'client-id-2' });
    expect(err.status).toBe(401);
    expect(err.headers.get('x-request-id')).toBe('client-id-2');
    expect(err.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('refuses NUL (400), a body over the limit (413) and a body that is not a JSON object (400)', async () => {
    const nul = await post(JSON.stringify({ ...chat, messages: [{ role: 'user', content: 'a\u0000b' }] }));
    expect(nul.status).toBe(400);
    expect((await read(nul)).error).toMatchObject({
      type: 'invalid_request_error',
      code: 'validation_failed',
    });
    const big = await post(JSON.stringify({ ...chat, pad: 'x'.repeat(1_100_000) }));
    expect(big.status).toBe(413);
    expect((await read(big)).error.code).toBe('payload_too_large');
    const scalar = await post('"hello"');
    expect(scalar.status).toBe(400);
    expect((await read(scalar)).error.code).toBe('invalid_json');
    const empty = await post('');
    expect(empty.status).toBe(400);
    expect((await read(empty)).error.message).toMatch(/^model: /);
  });

  it('serves a gzip-compressed body and a +json type, and answers another content type as before', async () => {
    const gz = await post(gzipSync(JSON.stringify(chat)), { 'content-encoding': 'gzip' });
    expect(gz.status).toBe(200);
    expect((await read(gz)).object).toBe('chat.completion');
    const vendor = await post(JSON.stringify(chat), { 'content-type': 'application/vnd.api+json' });
    expect(vendor.status).toBe(200);
    const text = await post(JSON.stringify(chat), { 'content-type': 'text/plain' });
    expect(text.status).toBe(400);
    expect((await read(text)).error.type).toBe('invalid_request_error');
  });

  it('counts the calls in the HTTP duration metric under their route', async () => {
    await post(JSON.stringify(chat));
    const m = await app.sy.metrics.registry
      .getSingleMetric('switchyard_http_request_duration_seconds')
      ?.get();
    const routes = new Set(m?.values.map((v) => v.labels.route));
    expect(routes).toContain('/v1/chat/completions');
  });
});

describe('gateway: errors in OpenAI shape', () => {
  it('401 for a bad key, a session token and no key', async () => {
    await expect(openai('sy_pat_nope').models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(
      openai(user.accessToken).chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'x' }],
      }),
    ).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const anon = await client(app.url).post('/v1/chat/completions', { model: 'gpt-4o-mini', messages: [] });
    expect(anon.status).toBe(401);
    expect(anon.body.error).toMatchObject({
      type: 'invalid_request_error',
      code: 'invalid_api_key',
      message: expect.any(String),
    });
  });

  it('404 model_not_found for an unknown model, a model the provider does not offer, an unknown task type', async () => {
    for (const model of ['nope-model', 'stub/claude-sonnet-4-6', 'switchyard/nope']) {
      const e = await sdk.chat.completions
        .create({ model, messages: [{ role: 'user', content: 'x' }] })
        .catch((x) => x);
      expect(e, model).toBeInstanceOf(OpenAI.NotFoundError);
      expect(e.code).toBe('model_not_found');
    }
  });

  it('404 model_not_found for embeddings with a routed name', async () => {
    const e = await sdk.embeddings.create({ model: 'switchyard/auto', input: 'x' }).catch((x) => x);
    expect(e).toBeInstanceOf(OpenAI.NotFoundError);
    expect(e.code).toBe('model_not_found');
  });

  it("400 for a malformed request, and the provider's own 400 passed back without failover", async () => {
    const e = await sdk.chat.completions.create({ model: 'gpt-4o-mini', messages: [] }).catch((x) => x);
    expect(e).toBeInstanceOf(OpenAI.BadRequestError);
    expect(e.type).toBe('invalid_request_error');
    const bad = await sdk.chat.completions
      .create({ model: 'bad-request-model', messages: [{ role: 'user', content: 'x' }] })
      .catch((x) => x);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect(bad.message).toMatch(/messages is wrong/);
    const json = await client(app.url, sdk.apiKey ?? undefined).post('/v1/chat/completions', '{"model":');
    expect(json.status).toBe(400);
    expect(json.body.error).toMatchObject({ code: 'invalid_json', type: 'invalid_request_error' });
  });

  it('429 with Retry-After when every provider is rate-limited', async () => {
    const e = await sdk.chat.completions
      .create({ model: 'limited-model', messages: [{ role: 'user', content: 'x' }] })
      .catch((x) => x);
    expect(e).toBeInstanceOf(OpenAI.RateLimitError);
    expect(e.headers.get('retry-after')).toBe('7');
    expect(e.code).toBe('rate_limit_exceeded');
  });

  it('429 insufficient_quota when the token budget is spent', async () => {
    const e = await sdk.chat.completions
      .create({ model: 'tiny-model', messages: [{ role: 'user', content: 'x' }] })
      .catch((x) => x);
    expect(e).toBeInstanceOf(OpenAI.RateLimitError);
    expect(e.code).toBe('insufficient_quota');
    expect(e.type).toBe('insufficient_quota');
  });
});

describe('gateway: every call is recorded as a task of its caller', () => {
  it('shows completed and failed calls in GET /api/tasks with model, tokens, latency and routing', async () => {
    // A lone surrogate (which jsonb refuses) in a message must not block the recording of any call.
    await sdk.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'odd \ud800 text' }],
    });
    await recorded();
    const odd = await sql<{ description: string }>(
      app,
      `SELECT description FROM tasks WHERE description LIKE 'odd %'`,
    );
    expect(odd[0]!.description).toBe('odd \ufffd text');
    const r = await user.api.get('/api/tasks?source=gateway&limit=100');
    expect(r.status, r.text).toBe(200);
    const items = r.body.items as Array<{ id: string; status: string; source: string; title: string }>;
    expect(items.length).toBeGreaterThan(10);
    expect(items.every((t) => t.source === 'gateway')).toBe(true);
    expect(items.some((t) => t.status === 'completed')).toBe(true);
    expect(items.some((t) => t.status === 'failed')).toBe(true);

    const [row] = await sql<{
      id: string;
      tokens_input: number;
      tokens_output: number;
      model: string;
      settled: boolean;
    }>(
      app,
      `SELECT t.id, a.tokens_input, a.tokens_output, a.model, a.settled_at IS NOT NULL AS settled
       FROM tasks t JOIN task_assignments a ON a.task_id = t.id
       WHERE t.user_id = $1 AND t.source = 'gateway' AND t.title = 'Gateway: claude/claude-sonnet-4-6'`,
      [user.user.id],
    );
    expect(row).toMatchObject({
      tokens_input: 21,
      tokens_output: 6,
      model: 'claude-sonnet-4-6',
      settled: true,
    });
    const routing = await user.api.get(`/api/tasks/${row!.id}/routing`);
    expect(routing.status, routing.text).toBe(200);

    // Failover is in the routing record: the failed attempt, then the one that answered.
    const failover = await sql<{
      routing: { chain: Array<{ name: string; outcome: string }>; costUsd?: number };
    }>(
      app,
      `SELECT routing FROM tasks WHERE user_id = $1 AND title = 'Gateway: shared-model' AND status = 'completed' LIMIT 1`,
      [user.user.id],
    );
    expect(failover[0]!.routing.chain.map((s) => [s.name, s.outcome])).toEqual([
      ['flaky', 'failed'],
      ['backup', 'succeeded'],
    ]);

    // Every reservation was settled: nothing is left reserved once the calls are recorded.
    const reserved = await sql<{ n: string }>(
      app,
      'SELECT coalesce(sum(token_reserved), 0)::text AS n FROM provider_accounts',
    );
    expect(reserved[0]!.n).toBe('0');
    const used = await sql<{ used: string }>(
      app,
      `SELECT a.token_used::text AS used FROM provider_accounts a JOIN ai_providers p ON p.id = a.provider_id WHERE p.name = 'claude'`,
    );
    expect(Number(used[0]!.used)).toBeGreaterThanOrEqual(27);
  });

  it('another user sees none of them (404), and a suspended user is refused (403)', async () => {
    await recorded();
    const other = await registerUser(app.url);
    const mine = (await user.api.get('/api/tasks?source=gateway&limit=1')).body.items[0];
    expect((await other.api.get(`/api/tasks/${mine.id}`)).status).toBe(404);
    expect((await other.api.get('/api/tasks?source=gateway')).body.items).toEqual([]);

    const victim = await registerUser(app.url);
    const key = await apiToken(victim);
    expect(
      (
        await openai(key).chat.completions.create({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: 'x' }],
        })
      ).choices,
    ).toHaveLength(1);
    expect((await admin.api.put(`/api/admin/users/${victim.user.id}`, { status: 'suspended' })).status).toBe(
      200,
    );
    const e = await openai(key)
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] })
      .catch((x) => x);
    expect(e).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(e.code).toBe('account_suspended');
  });
});

describe('gateway: the per-token rate limit', () => {
  it('counts every call of a token, on the chat path and the model list alike, then answers 429', async () => {
    const limited = await startTestApp({
      roles: ['api'],
      env: { MOCK_PROVIDER: 'off', GATEWAY_RATE_LIMIT_PER_MINUTE: '3' },
    });
    try {
      const u = await registerUser(limited.url);
      const c = client(limited.url, await apiToken(u));
      const call = { model: 'nope-model', messages: [{ role: 'user', content: 'x' }] };
      expect((await c.post('/v1/chat/completions', call)).status).toBe(404);
      expect((await c.get('/v1/models')).status).toBe(200);
      expect((await c.post('/v1/chat/completions', call)).status).toBe(404);
      for (const over of [await c.post('/v1/chat/completions', call), await c.get('/v1/models')]) {
        expect(over.status).toBe(429);
        expect(over.body.error).toMatchObject({ type: 'requests', code: 'rate_limit_exceeded' });
        expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(over.headers.get('x-ratelimit-limit')).toBe('3');
      }
      // Another token has its own count.
      const other = client(limited.url, await apiToken(u));
      expect((await other.post('/v1/chat/completions', call)).status).toBe(404);
    } finally {
      await limited.close();
    }
  });
});
