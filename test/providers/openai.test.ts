import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ProviderAborted, ProviderRejected, ProviderUnavailable } from '../../src/core/errors.js';
import type { ConnectorSettings, GenerateRequest } from '../../src/core/providers/connector.js';
import { createOpenAIConnector, openAIBaseUrl } from '../../src/core/providers/connectors/openai.js';
import { closedPortUrl, delay, type StubServer, sendSse, startStubServer } from '../helpers/stubServer.js';
import {
  expectNoSecrets,
  openaiChunk,
  openaiCompletion,
  openaiError,
  openaiStream,
  openaiStreamSteps,
  rejectionOf,
} from './wire.js';

const KEY = 'sk-test-openai-0123456789abcdef';
const PROMPT = 'Write a haiku about the quiet harbour at dawn, with gulls and fog';

let stub: StubServer;
beforeAll(async () => {
  stub = await startStubServer();
});
afterAll(() => stub.close());
afterEach(() => stub.reset());

function settings(over: Partial<ConnectorSettings> = {}): ConnectorSettings {
  return {
    kind: 'openai',
    baseUrl: `${stub.url}/v1`,
    credentials: { apiKey: KEY },
    defaultModel: 'gpt-test',
    timeoutMs: 5000,
    ...over,
  };
}

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

describe('openai connector: success', () => {
  it('non-streaming: text, usage, model, finish reason and x-request-id', async () => {
    stub.handle((_req, res) => openaiCompletion(res));
    let started = 0;
    const r = await createOpenAIConnector(settings()).generate(
      request({ stream: false, onRequestStart: () => started++ }),
    );
    expect(r).toMatchObject({
      text: 'Hello!',
      model: 'gpt-test',
      usage: { inputTokens: 9, outputTokens: 3, totalTokens: 12 },
      finishReason: 'stop',
      providerRequestId: 'req_ok',
    });
    expect(r.usage.estimated).toBeUndefined();
    expect(r.latencyMs).toBeGreaterThanOrEqual(0);
    expect(started).toBe(1);

    expect(stub.requests).toHaveLength(1);
    const req = stub.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/v1/chat/completions');
    expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req.headers['x-stainless-retry-count']).toBe('0');
    const body = req.json();
    expect(body).toMatchObject({
      model: 'gpt-test',
      max_completion_tokens: 64,
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: PROMPT },
      ],
    });
    expect(body.max_tokens).toBeUndefined();
    expect(body.stream).toBeFalsy();
  });

  it('streams by default with include_usage; usage comes from the last chunk (choices: [])', async () => {
    stub.handle((_req, res) => openaiStream(res));
    let firstTokens = 0;
    const r = await createOpenAIConnector(settings()).generate(
      request({ temperature: 0.2, onFirstToken: () => firstTokens++ }),
    );
    // Once, at the first text delta (time to first token), however many chunks follow.
    expect(firstTokens).toBe(1);
    expect(r).toMatchObject({
      text: 'Hello',
      usage: { inputTokens: 9, outputTokens: 2, totalTokens: 11 },
      finishReason: 'stop',
      providerRequestId: 'req_stream',
      model: 'gpt-test',
    });
    expect(stub.requests).toHaveLength(1);
    const body = stub.requests[0]!.json();
    expect(body).toMatchObject({ stream: true, stream_options: { include_usage: true }, temperature: 0.2 });
  });

  it('estimates usage (and says so) when a compatible server reports none', async () => {
    stub.handle((_req, res) => openaiStream(res, openaiStreamSteps({ usage: false })));
    const r = await createOpenAIConnector(
      settings({ kind: 'openai_compatible', config: { includeUsage: false } }),
    ).generate(request());
    expect(r.text).toBe('Hello');
    expect(r.usage.estimated).toBe(true);
    expect(r.usage.inputTokens).toBeGreaterThan(10);
    expect(r.usage.outputTokens).toBe(1);
    const body = stub.requests[0]!.json();
    expect(body.stream_options).toBeUndefined();
    expect(body.max_tokens).toBe(64); // compatible servers get max_tokens
  });

  it('xai (Grok) speaks the same wire format at {baseUrl}/chat/completions with max_tokens', async () => {
    stub.handle((_req, res) => openaiStream(res));
    const r = await createOpenAIConnector(
      settings({
        kind: 'xai',
        baseUrl: `${stub.url}/xai/v1`,
        defaultModel: 'grok-test',
        credentials: { apiKey: 'xai-key-0123456789' },
      }),
    ).generate(request());
    expect(r.text).toBe('Hello');
    const req = stub.requests[0]!;
    expect(req.path).toBe('/xai/v1/chat/completions');
    expect(req.headers.authorization).toBe('Bearer xai-key-0123456789');
    expect(req.json()).toMatchObject({ model: 'grok-test', max_tokens: 64 });
  });

  it('default base URLs: OpenAI and xAI have one, openai_compatible must be configured', () => {
    expect(openAIBaseUrl({ kind: 'openai' })).toBe('https://api.openai.com/v1');
    expect(openAIBaseUrl({ kind: 'xai' })).toBe('https://api.x.ai/v1');
    expect(openAIBaseUrl({ kind: 'openai_compatible' })).toBeUndefined();
    expect(openAIBaseUrl({ kind: 'xai', baseUrl: 'http://127.0.0.1:1/v1' })).toBe('http://127.0.0.1:1/v1');
  });

  it('openai_compatible without a key sends no Authorization header', async () => {
    stub.handle((_req, res) => openaiCompletion(res, { model: 'llama3' }));
    const r = await createOpenAIConnector(
      settings({ kind: 'openai_compatible', credentials: {}, defaultModel: 'llama3' }),
    ).generate(request({ stream: false }));
    expect(r.text).toBe('Hello!');
    expect(stub.requests[0]!.headers.authorization).toBeUndefined();
  });

  it('uses the configured base URL even when OPENAI_BASE_URL points elsewhere', async () => {
    const saved = process.env.OPENAI_BASE_URL;
    process.env.OPENAI_BASE_URL = await closedPortUrl();
    try {
      stub.handle((_req, res) => openaiCompletion(res));
      await createOpenAIConnector(settings()).generate(request({ stream: false }));
      expect(stub.requests).toHaveLength(1);
    } finally {
      if (saved === undefined) delete process.env.OPENAI_BASE_URL;
      else process.env.OPENAI_BASE_URL = saved;
    }
  });

  it('test() lists models with the key', async () => {
    stub.handle((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"object":"list","data":[]}'),
    );
    const t = await createOpenAIConnector(settings()).test();
    expect(t.ok).toBe(true);
    expect(stub.requests[0]!.path).toBe('/v1/models');
  });
});

describe('openai connector: failures (one request each, classified)', () => {
  it('429 with retry-after → ProviderUnavailable rate_limit with retryAfterMs', async () => {
    stub.handle((_req, res) =>
      openaiError(res, 429, 'Rate limit reached', {
        type: 'requests',
        code: 'rate_limit_exceeded',
        headers: { 'retry-after': '7' },
      }),
    );
    const e = await rejectionOf(createOpenAIConnector(settings()).generate(request()));
    expect(e).toBeInstanceOf(ProviderUnavailable);
    expect((e as ProviderUnavailable).info).toMatchObject({
      reason: 'rate_limit',
      status: 429,
      retryAfterMs: 7000,
      providerKind: 'openai',
    });
    expect(stub.requests).toHaveLength(1);
    expectNoSecrets(e, [KEY, PROMPT]);
  });

  it('500 → server_error, and the SDK does not retry (maxRetries 0)', async () => {
    stub.handle((_req, res) =>
      openaiError(res, 500, 'boom', { type: 'server_error', headers: { 'retry-after-ms': '1' } }),
    );
    const e = await rejectionOf(createOpenAIConnector(settings()).generate(request({ stream: false })));
    expect(e).toBeInstanceOf(ProviderUnavailable);
    expect((e as ProviderUnavailable).info).toMatchObject({ reason: 'server_error', status: 500 });
    expect(stub.requests).toHaveLength(1);
  });

  it('a response slower than timeoutMs → timeout', async () => {
    stub.handle(async (_req, res) => {
      await delay(3000, res);
      openaiCompletion(res);
    });
    const e = await rejectionOf(
      createOpenAIConnector(settings({ timeoutMs: 200 })).generate(request({ stream: false })),
    );
    expect(e).toBeInstanceOf(ProviderUnavailable);
    expect((e as ProviderUnavailable).info.reason).toBe('timeout');
    expect(stub.requests).toHaveLength(1);
  });

  it('a stream that stalls after the headers → timeout (our deadline, not only the SDK header timer)', async () => {
    stub.handle((_req, res) => openaiStream(res, openaiStreamSteps({ stallAfterTextMs: 3000 })));
    const e = await rejectionOf(createOpenAIConnector(settings({ timeoutMs: 300 })).generate(request()));
    expect(e).toBeInstanceOf(ProviderUnavailable);
    expect((e as ProviderUnavailable).info.reason).toBe('timeout');
  });

  it('connection refused → connection', async () => {
    const e = await rejectionOf(
      createOpenAIConnector(settings({ baseUrl: `${await closedPortUrl()}/v1` })).generate(request()),
    );
    expect(e).toBeInstanceOf(ProviderUnavailable);
    expect((e as ProviderUnavailable).info.reason).toBe('connection');
    expectNoSecrets(e, [KEY, PROMPT]);
  });

  it('an error event mid-stream → stream_cut', async () => {
    stub.handle((_req, res) => openaiStream(res, openaiStreamSteps({ midStreamError: true })));
    const e = await rejectionOf(createOpenAIConnector(settings()).generate(request()));
    expect(e).toBeInstanceOf(ProviderUnavailable);
    expect((e as ProviderUnavailable).info.reason).toBe('stream_cut');
    expect(stub.requests).toHaveLength(1);
  });

  it('a connection dropped mid-stream → stream_cut', async () => {
    stub.handle((_req, res) => openaiStream(res, openaiStreamSteps({ cutAfterText: true })));
    const e = await rejectionOf(createOpenAIConnector(settings()).generate(request()));
    expect(e).toBeInstanceOf(ProviderUnavailable);
    expect((e as ProviderUnavailable).info.reason).toBe('stream_cut');
  });

  it('a stream that ends without a finish reason → stream_cut', async () => {
    stub.handle((_req, res) => openaiStream(res, openaiStreamSteps({ finish: null, usage: false })));
    const e = await rejectionOf(createOpenAIConnector(settings()).generate(request()));
    expect((e as ProviderUnavailable).info.reason).toBe('stream_cut');
  });

  it('400 → ProviderRejected with status and code; a quoted prompt is withheld', async () => {
    stub.handle((_req, res) =>
      openaiError(res, 400, `Invalid prompt: '${PROMPT}' violates our usage policy`, {
        code: 'content_policy_violation',
      }),
    );
    const e = await rejectionOf(createOpenAIConnector(settings()).generate(request()));
    expect(e).toBeInstanceOf(ProviderRejected);
    expect((e as ProviderRejected).info).toMatchObject({ status: 400, code: 'content_policy_violation' });
    expectNoSecrets(e, [KEY, PROMPT, 'quiet harbour at dawn']);
    expect(stub.requests).toHaveLength(1);
  });

  it('401 → ProviderRejected; the key the provider echoes never reaches the message', async () => {
    stub.handle((_req, res) =>
      openaiError(
        res,
        401,
        `Incorrect API key provided: ${KEY}. You can find your API key at https://platform.openai.com`,
        {
          code: 'invalid_api_key',
        },
      ),
    );
    const e = await rejectionOf(createOpenAIConnector(settings()).generate(request({ stream: false })));
    expect(e).toBeInstanceOf(ProviderRejected);
    expect((e as ProviderRejected).info.status).toBe(401);
    expectNoSecrets(e, [KEY, KEY.slice(0, 12)]);
  });

  it('a refusal → ProviderRejected refusal (non-streaming and streaming)', async () => {
    stub.handle((_req, res) => openaiCompletion(res, { content: null, refusal: "I can't help with that." }));
    const e1 = await rejectionOf(createOpenAIConnector(settings()).generate(request({ stream: false })));
    expect(e1).toBeInstanceOf(ProviderRejected);
    expect((e1 as ProviderRejected).info.code).toBe('refusal');

    stub.handle((_req, res) =>
      sendSse(res, [
        openaiChunk([{ index: 0, delta: { role: 'assistant', refusal: "I can't" }, finish_reason: null }]),
        openaiChunk([{ index: 0, delta: { refusal: ' help.' }, finish_reason: 'stop' }]),
        { data: '[DONE]' },
      ]),
    );
    const e2 = await rejectionOf(createOpenAIConnector(settings()).generate(request()));
    expect((e2 as ProviderRejected).info.code).toBe('refusal');
  });

  it('finish_reason content_filter → ProviderRejected', async () => {
    stub.handle((_req, res) => openaiCompletion(res, { content: '', finish: 'content_filter' }));
    const e = await rejectionOf(createOpenAIConnector(settings()).generate(request({ stream: false })));
    expect(e).toBeInstanceOf(ProviderRejected);
    expect((e as ProviderRejected).info.code).toBe('content_filter');
  });

  it('our AbortSignal → ProviderAborted (in flight and already aborted)', async () => {
    stub.handle(async (_req, res) => {
      await delay(3000, res);
      openaiCompletion(res);
    });
    const ac = new AbortController();
    const p = createOpenAIConnector(settings()).generate(request({ signal: ac.signal }));
    await vi.waitFor(() => expect(stub.requests).toHaveLength(1));
    ac.abort();
    expect(await rejectionOf(p)).toBeInstanceOf(ProviderAborted);

    stub.reset();
    const e = await rejectionOf(
      createOpenAIConnector(settings()).generate(request({ signal: AbortSignal.abort() })),
    );
    expect(e).toBeInstanceOf(ProviderAborted);
    expect(stub.requests).toHaveLength(0);
  });

  it('aborting mid-stream → ProviderAborted', async () => {
    stub.handle((_req, res) => openaiStream(res, openaiStreamSteps({ stallAfterTextMs: 3000 })));
    const ac = new AbortController();
    const p = createOpenAIConnector(settings()).generate(request({ signal: ac.signal }));
    await vi.waitFor(() => expect(stub.requests).toHaveLength(1));
    setTimeout(() => ac.abort(), 50);
    expect(await rejectionOf(p)).toBeInstanceOf(ProviderAborted);
  });

  it('misconfiguration is a rejection without any request', async () => {
    const noKey = await rejectionOf(createOpenAIConnector(settings({ credentials: {} })).generate(request()));
    expect(noKey).toBeInstanceOf(ProviderRejected);
    const noUrl = await rejectionOf(
      createOpenAIConnector(settings({ kind: 'openai_compatible', baseUrl: undefined })).generate(request()),
    );
    expect(noUrl).toBeInstanceOf(ProviderRejected);
    expect((noUrl as ProviderRejected).info.code).toBe('misconfigured');
    expect(stub.requests).toHaveLength(0);
  });

  it('test() reports a failure without throwing and without the key', async () => {
    stub.handle((_req, res) => openaiError(res, 401, `Incorrect API key provided: ${KEY}`));
    const t = await createOpenAIConnector(settings()).test();
    expect(t.ok).toBe(false);
    expect(t.error).toContain('401');
    expect(t.error).not.toContain(KEY);
  });
});
