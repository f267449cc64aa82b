import type http from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProviderRejected, ProviderUnavailable } from '../../src/core/errors.js';
import type { ConnectorSettings, GenerateRequest } from '../../src/core/providers/connector.js';
import { createAnthropicConnector } from '../../src/core/providers/connectors/anthropic.js';
import { createOpenAIConnector } from '../../src/core/providers/connectors/openai.js';
import { loginAdmin, registerUser, startTestApp, type TestApp } from '../helpers/app.js';
import { type StubServer, sendJson, sendSse, startStubServer } from '../helpers/stubServer.js';
import { waitForStatus } from '../tasks/helpers.js';
import { anthropicMessage, expectNoSecrets, openaiChunk, openaiCompletion, rejectionOf } from './wire.js';

/**
 * Some OpenAI-compatible servers and proxies ignore `stream: true` and answer with one complete JSON
 * document (`content-type: application/json`). That is a whole answer, not a cut stream; and a body
 * that is not the protocol at all is a deterministic failure, not something to retry.
 */
const OA_KEY = 'sk-test-openai-0123456789abcdef';
const AN_KEY = 'sk-ant-test-0123456789abcdefghij';
const PROMPT = 'Write a haiku about the quiet harbour at dawn, with gulls and fog';

let stub: StubServer;
beforeAll(async () => {
  stub = await startStubServer();
});
afterAll(() => stub.close());
afterEach(() => stub.reset());

const garbage = (res: http.ServerResponse) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('<html>502 Bad Gateway… but with a 200</html>');
};

function request(over: Partial<GenerateRequest> = {}): GenerateRequest {
  return {
    taskId: 't1',
    taskType: 'article',
    system: 'You are terse.',
    prompt: PROMPT,
    maxTokens: 64,
    ...over,
  };
}

function openai(over: Partial<ConnectorSettings> = {}) {
  return createOpenAIConnector({
    kind: 'openai_compatible',
    baseUrl: `${stub.url}/v1`,
    credentials: { apiKey: OA_KEY },
    defaultModel: 'gpt-test',
    timeoutMs: 5000,
    ...over,
  });
}

function anthropic() {
  return createAnthropicConnector({
    kind: 'anthropic',
    baseUrl: stub.url,
    credentials: { apiKey: AN_KEY },
    defaultModel: 'claude-test',
    timeoutMs: 5000,
  });
}

describe('openai connector: a streaming request answered with JSON', () => {
  it('takes the complete chat completion, with its usage, from one request', async () => {
    stub.handle((_req, res) => openaiCompletion(res, { content: 'The whole answer at once.' }));
    const r = await openai().generate(request());
    expect(r).toMatchObject({
      text: 'The whole answer at once.',
      model: 'gpt-test',
      usage: { inputTokens: 9, outputTokens: 3, totalTokens: 12 },
      finishReason: 'stop',
      providerRequestId: 'req_ok',
    });
    expect(r.usage.estimated).toBeUndefined();
    expect(stub.requests).toHaveLength(1);
    expect(stub.requests[0]!.json()).toMatchObject({ stream: true });
  });

  it('still applies the refusal and content-filter rules to a JSON answer', async () => {
    stub.handle((_req, res) => openaiCompletion(res, { content: null, refusal: 'I can’t help with that.' }));
    const e = await rejectionOf(openai().generate(request()));
    expect(e).toBeInstanceOf(ProviderRejected);
    expect((e as ProviderRejected).info.code).toBe('refusal');
  });

  it('an unparseable body is a protocol error: rejected (not retried), one request, nothing quoted', async () => {
    stub.handle((_req, res) => garbage(res));
    const e = await rejectionOf(openai().generate(request()));
    expect(e).toBeInstanceOf(ProviderRejected);
    expect((e as ProviderRejected).info).toMatchObject({ code: 'protocol_error', status: 200 });
    expect(e.message).toBe('openai_compatible: protocol error: the answer is not valid JSON');
    expect(stub.requests).toHaveLength(1);
    expectNoSecrets(e, [OA_KEY, PROMPT, 'Bad Gateway']);
  });

  it('JSON that is not a chat completion is a protocol error too', async () => {
    stub.handle((_req, res) => sendJson(res, 200, { hello: 'world' }));
    const e = await rejectionOf(openai().generate(request()));
    expect(e).toBeInstanceOf(ProviderRejected);
    expect((e as ProviderRejected).info.code).toBe('protocol_error');
  });

  it('an SSE event whose JSON does not parse is a protocol error, not a cut stream', async () => {
    stub.handle((_req, res) =>
      sendSse(res, [
        openaiChunk([{ index: 0, delta: { content: 'Hel' }, finish_reason: null }]),
        { data: '{"id": "chatcmpl-2", "choices": [' },
      ]),
    );
    const e = await rejectionOf(openai().generate(request()));
    expect(e).toBeInstanceOf(ProviderRejected);
    expect((e as ProviderRejected).info.code).toBe('protocol_error');
    expect(stub.requests).toHaveLength(1);
  });

  it('a 200 JSON error document is the provider’s error (as an error event in a stream is)', async () => {
    stub.handle((_req, res) =>
      sendJson(res, 200, { error: { message: 'upstream overloaded', type: 'server_error' } }),
    );
    const e = await rejectionOf(openai().generate(request()));
    expect(e).toBeInstanceOf(ProviderUnavailable);
    expect(e.message).toMatch(/server_error.*upstream overloaded/);
  });

  it('a real SSE stream is still read as a stream', async () => {
    stub.handle((_req, res) =>
      sendSse(res, [
        openaiChunk([{ index: 0, delta: { content: 'Hel' }, finish_reason: null }]),
        openaiChunk([{ index: 0, delta: { content: 'lo' }, finish_reason: 'stop' }]),
        openaiChunk([], { usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 } }),
        { data: '[DONE]' },
      ]),
    );
    const r = await openai().generate(request());
    expect(r).toMatchObject({ text: 'Hello', usage: { totalTokens: 11 } });
  });
});

describe('anthropic connector: a streaming request answered with JSON', () => {
  it('takes the complete message, with its usage, from one request', async () => {
    stub.handle((_req, res) => anthropicMessage(res, { text: 'Claude, all at once.' }));
    const r = await anthropic().generate(request());
    expect(r).toMatchObject({
      text: 'Claude, all at once.',
      model: 'claude-test',
      usage: { inputTokens: 10, outputTokens: 3, totalTokens: 13 },
      finishReason: 'end_turn',
      providerRequestId: 'req_aok',
    });
    expect(r.usage.estimated).toBeUndefined();
    expect(stub.requests).toHaveLength(1);
    expect(stub.requests[0]!.path).toBe('/v1/messages');
    expect(stub.requests[0]!.json()).toMatchObject({ stream: true });
  });

  it('an unparseable body is a protocol error: rejected (not retried), one request', async () => {
    stub.handle((_req, res) => garbage(res));
    const e = await rejectionOf(anthropic().generate(request()));
    expect(e).toBeInstanceOf(ProviderRejected);
    expect((e as ProviderRejected).info).toMatchObject({ code: 'protocol_error', providerKind: 'anthropic' });
    expect(stub.requests).toHaveLength(1);
    expectNoSecrets(e, [AN_KEY, PROMPT]);
  });

  it('JSON that is not a message is a protocol error', async () => {
    stub.handle((_req, res) => sendJson(res, 200, { type: 'completion', completion: 'old API' }));
    const e = await rejectionOf(anthropic().generate(request()));
    expect((e as ProviderRejected).info.code).toBe('protocol_error');
  });
});

describe('a task routed to a server that answers streams with JSON (API + worker + router)', () => {
  let app: TestApp;
  let user: Awaited<ReturnType<typeof registerUser>>;
  let mode: 'json' | 'garbage' = 'json';
  const taskStub = { count: 0 };

  beforeAll(async () => {
    stub.handle((req, res) => {
      if (!req.path.endsWith('/chat/completions')) return sendJson(res, 404, {});
      taskStub.count++;
      if (mode === 'garbage') return garbage(res);
      return openaiCompletion(res, { content: 'A harbour at dawn, told in one JSON answer.' });
    });
    app = await startTestApp({ env: { MOCK_PROVIDER: 'off' } });
    const admin = await loginAdmin(app.url);
    user = await registerUser(app.url);
    const p = await admin.api.post('/api/providers', {
      name: 'JSON-only server',
      kind: 'openai_compatible',
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
      credentials: { apiKey: OA_KEY },
    });
    expect(a.status, a.text).toBe(201);
    const list = await admin.api.get('/api/providers');
    for (const x of list.body.items)
      if (x.id !== p.body.id && x.status === 'active')
        expect((await admin.api.put(`/api/providers/${x.id}`, { status: 'disabled' })).status).toBe(200);
  });
  afterAll(async () => {
    await app?.close();
  });

  const run = async () => {
    const created = await user.api.post('/api/tasks', {
      description: 'Write about harbours at dawn',
      taskType: 'article',
      options: { maxTokens: 64 },
    });
    expect(created.status, created.text).toBe(201);
    return waitForStatus(user.api, created.body.id, ['completed', 'failed'], 30_000);
  };

  it('completes with the full text and the reported usage after exactly one HTTP request', async () => {
    mode = 'json';
    taskStub.count = 0;
    const task = await run();
    expect(task.status, JSON.stringify(task)).toBe('completed');
    expect(taskStub.count).toBe(1);
    expect(task.assignments).toHaveLength(1);
    expect(task.assignments[0]).toMatchObject({ status: 'succeeded', tokensUsed: 12 });
    const content = await user.api.get(`/api/content/${task.contentId}`);
    expect(content.body.contentData).toBe('A harbour at dawn, told in one JSON answer.');
    expect(content.body.metadata).toMatchObject({ tokens: { input: 9, output: 3, total: 12 } });
  });

  it('fails after one request when the body is garbage (no retries of a deterministic error)', async () => {
    mode = 'garbage';
    taskStub.count = 0;
    const task = await run();
    expect(task.status).toBe('failed');
    expect(task.error).toMatch(/protocol error/);
    expect(task.error).not.toMatch(/Gave up after/);
    expect(taskStub.count).toBe(1);
    expect(task.assignments).toHaveLength(1);
  });
});
