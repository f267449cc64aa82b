import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ProviderAborted, ProviderRejected, ProviderUnavailable } from '../../src/core/errors.js';
import type { ConnectorSettings, GenerateRequest } from '../../src/core/providers/connector.js';
import { createAnthropicConnector } from '../../src/core/providers/connectors/anthropic.js';
import { closedPortUrl, delay, type StubServer, sendJson, startStubServer } from '../helpers/stubServer.js';
import {
  anthropicError,
  anthropicMessage,
  anthropicStream,
  anthropicStreamSteps,
  expectNoSecrets,
  rejectionOf,
} from './wire.js';

const KEY = 'sk-ant-test-0123456789abcdef';
const PROMPT = 'Summarise the minutes of the harbour committee meeting about fog horns';

let stub: StubServer;
beforeAll(async () => {
  stub = await startStubServer();
});
afterAll(() => stub.close());
afterEach(() => stub.reset());

/** The stub accepts the key either way (0.x sent x-api-key, 1.x sends Bearer) and refuses otherwise. */
function authorised(headers: Record<string, string | string[] | undefined>): boolean {
  return headers['x-api-key'] === KEY || headers.authorization === `Bearer ${KEY}`;
}

function settings(over: Partial<ConnectorSettings> = {}): ConnectorSettings {
  return {
    kind: 'anthropic',
    baseUrl: stub.url,
    credentials: { apiKey: KEY },
    defaultModel: 'claude-test',
    timeoutMs: 5000,
    ...over,
  };
}

function request(over: Partial<GenerateRequest> = {}): GenerateRequest {
  return { taskId: 't1', taskType: 'summary', system: 'Be brief.', prompt: PROMPT, maxTokens: 128, ...over };
}

describe('anthropic connector: success', () => {
  it('non-streaming: text, usage, request-id; the SDK sends Authorization: Bearer and anthropic-version', async () => {
    stub.handle((req, res) =>
      authorised(req.headers)
        ? anthropicMessage(res)
        : anthropicError(res, 401, 'authentication_error', 'invalid x-api-key'),
    );
    let started = 0;
    const r = await createAnthropicConnector(settings()).generate(
      request({ stream: false, onRequestStart: () => started++ }),
    );
    expect(r).toMatchObject({
      text: 'Hello!',
      model: 'claude-test',
      usage: { inputTokens: 10, outputTokens: 3, totalTokens: 13 },
      finishReason: 'end_turn',
      providerRequestId: 'req_aok',
    });
    expect(started).toBe(1);
    expect(stub.requests).toHaveLength(1);
    const req = stub.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/v1/messages');
    // What @anthropic-ai/sdk 1.14 actually sends:
    expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req.headers['x-api-key']).toBeUndefined();
    expect(req.headers['anthropic-version']).toBe('2026-10-21');
    expect(req.json()).toMatchObject({
      model: 'claude-test',
      max_tokens: 128,
      system: 'Be brief.',
      messages: [{ role: 'user', content: PROMPT }],
    });
  });

  it('streams raw events: input from message_start (with cache reads), cumulative output from message_delta', async () => {
    stub.handle((_req, res) => anthropicStream(res));
    let firstTokens = 0;
    const r = await createAnthropicConnector(settings()).generate(
      request({ onFirstToken: () => firstTokens++ }),
    );
    expect(firstTokens).toBe(1); // at the first text delta only (time to first token)
    expect(r).toMatchObject({
      text: 'Hello',
      usage: { inputTokens: 12, outputTokens: 5, totalTokens: 17 },
      finishReason: 'end_turn',
      providerRequestId: 'req_astream',
    });
    expect(stub.requests[0]!.json().stream).toBe(true);
  });

  it('a base URL configured with /v1 is trimmed (the SDK adds /v1/messages)', async () => {
    stub.handle((_req, res) => anthropicMessage(res));
    await createAnthropicConnector(settings({ baseUrl: `${stub.url}/v1/` })).generate(
      request({ stream: false }),
    );
    expect(stub.requests[0]!.path).toBe('/v1/messages');
  });

  it('test() calls the models endpoint', async () => {
    stub.handle((_req, res) =>
      sendJson(res, 200, { data: [], has_more: false, first_id: null, last_id: null }),
    );
    const t = await createAnthropicConnector(settings()).test();
    expect(t.ok).toBe(true);
    expect(stub.requests[0]!.path).toBe('/v1/models');
  });
});

describe('anthropic connector: failures (one request each, classified)', () => {
  it('429 with retry-after → rate_limit with retryAfterMs', async () => {
    stub.handle((_req, res) =>
      anthropicError(res, 429, 'rate_limit_error', 'Number of requests has exceeded your rate limit', {
        'retry-after': '9',
        'request-id': 'req_a429',
      }),
    );
    const e = await rejectionOf(createAnthropicConnector(settings()).generate(request()));
    expect(e).toBeInstanceOf(ProviderUnavailable);
    expect((e as ProviderUnavailable).info).toMatchObject({
      reason: 'rate_limit',
      status: 429,
      code: 'rate_limit_error',
      retryAfterMs: 9000,
      providerKind: 'anthropic',
    });
    expect(e.message).toContain('Number of requests');
    expect(stub.requests).toHaveLength(1);
    expectNoSecrets(e, [KEY, PROMPT]);
  });

  it.each([
    [500, 'api_error', 'Internal server error'],
    [529, 'overloaded_error', 'Overloaded'],
  ])('%i → server_error, one attempt', async (status, type, message) => {
    stub.handle((_req, res) => anthropicError(res, status, type, message, { 'retry-after-ms': '1' }));
    const e = await rejectionOf(createAnthropicConnector(settings()).generate(request({ stream: false })));
    expect(e).toBeInstanceOf(ProviderUnavailable);
    expect((e as ProviderUnavailable).info).toMatchObject({ reason: 'server_error', status, code: type });
    expect(stub.requests).toHaveLength(1);
  });

  it('a response slower than timeoutMs → timeout', async () => {
    stub.handle(async (_req, res) => {
      await delay(3000, res);
      anthropicMessage(res);
    });
    const e = await rejectionOf(
      createAnthropicConnector(settings({ timeoutMs: 200 })).generate(request({ stream: false })),
    );
    expect((e as ProviderUnavailable).info.reason).toBe('timeout');
    expect(stub.requests).toHaveLength(1);
  });

  it('a stream that stalls after the headers → timeout', async () => {
    stub.handle((_req, res) => anthropicStream(res, anthropicStreamSteps({ stallAfterTextMs: 3000 })));
    const e = await rejectionOf(createAnthropicConnector(settings({ timeoutMs: 300 })).generate(request()));
    expect((e as ProviderUnavailable).info.reason).toBe('timeout');
  });

  it('connection refused → connection', async () => {
    const e = await rejectionOf(
      createAnthropicConnector(settings({ baseUrl: await closedPortUrl() })).generate(request()),
    );
    expect(e).toBeInstanceOf(ProviderUnavailable);
    expect((e as ProviderUnavailable).info.reason).toBe('connection');
    expectNoSecrets(e, [KEY, PROMPT]);
  });

  it('an `event: error` mid-stream → stream_cut (overloaded_error)', async () => {
    stub.handle((_req, res) => anthropicStream(res, anthropicStreamSteps({ midStreamError: true })));
    const e = await rejectionOf(createAnthropicConnector(settings()).generate(request()));
    expect(e).toBeInstanceOf(ProviderUnavailable);
    expect((e as ProviderUnavailable).info).toMatchObject({ reason: 'stream_cut', code: 'overloaded_error' });
    expect(stub.requests).toHaveLength(1);
  });

  it('a connection dropped mid-stream → stream_cut', async () => {
    stub.handle((_req, res) => anthropicStream(res, anthropicStreamSteps({ cutAfterText: true })));
    const e = await rejectionOf(createAnthropicConnector(settings()).generate(request()));
    expect((e as ProviderUnavailable).info.reason).toBe('stream_cut');
  });

  it('400 → ProviderRejected; the message is the clean apiMessage without prompt or key', async () => {
    stub.handle((_req, res) =>
      anthropicError(res, 400, 'invalid_request_error', 'max_tokens: must be at most 64000'),
    );
    const e = await rejectionOf(createAnthropicConnector(settings()).generate(request()));
    expect(e).toBeInstanceOf(ProviderRejected);
    expect((e as ProviderRejected).info).toMatchObject({ status: 400, code: 'invalid_request_error' });
    expect(e.message).toContain('max_tokens: must be at most 64000');
    expect(e.message).not.toContain('{"type"');
    expectNoSecrets(e, [KEY, PROMPT]);
  });

  it('401 → ProviderRejected without the key', async () => {
    stub.handle((_req, res) => anthropicError(res, 401, 'authentication_error', `invalid x-api-key ${KEY}`));
    const e = await rejectionOf(createAnthropicConnector(settings()).generate(request({ stream: false })));
    expect(e).toBeInstanceOf(ProviderRejected);
    expectNoSecrets(e, [KEY]);
  });

  it('stop_reason refusal → ProviderRejected refusal (both modes)', async () => {
    stub.handle((_req, res) => anthropicMessage(res, { text: '', stop: 'refusal' }));
    const e1 = await rejectionOf(createAnthropicConnector(settings()).generate(request({ stream: false })));
    expect((e1 as ProviderRejected).info.code).toBe('refusal');
    stub.handle((_req, res) => anthropicStream(res, anthropicStreamSteps({ stop: 'refusal' })));
    const e2 = await rejectionOf(createAnthropicConnector(settings()).generate(request()));
    expect(e2).toBeInstanceOf(ProviderRejected);
  });

  it('our AbortSignal → ProviderAborted', async () => {
    stub.handle(async (_req, res) => {
      await delay(3000, res);
      anthropicMessage(res);
    });
    const ac = new AbortController();
    const p = createAnthropicConnector(settings()).generate(request({ signal: ac.signal, stream: false }));
    await vi.waitFor(() => expect(stub.requests).toHaveLength(1));
    ac.abort();
    expect(await rejectionOf(p)).toBeInstanceOf(ProviderAborted);
    expect(stub.requests).toHaveLength(1);
  });

  it('no key → rejected before any request (no silent credential chain)', async () => {
    const saved = process.env.ANTHROPIC_API_KEY;
    process.env.ANTHROPIC_API_KEY = 'sk-ant-from-env-should-not-be-used';
    try {
      const e = await rejectionOf(
        createAnthropicConnector(settings({ credentials: {} })).generate(request()),
      );
      expect(e).toBeInstanceOf(ProviderRejected);
      expect(stub.requests).toHaveLength(0);
    } finally {
      if (saved === undefined) delete process.env.ANTHROPIC_API_KEY;
      else process.env.ANTHROPIC_API_KEY = saved;
    }
  });
});
