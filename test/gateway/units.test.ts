import { describe, expect, it } from 'vitest';
import { errorStatus } from '../../src/api/errorHandler.js';
import {
  chatBody,
  parseChat,
  plainChatBody,
  tokenLimiter,
  tokenRateLimit,
} from '../../src/api/routes/gateway.js';
import { bodyLimitBytes } from '../../src/api/routes/gatewayFast.js';
import { AppError } from '../../src/core/errors.js';
import { AnthropicStreamTranslator, toAnthropicRequest } from '../../src/core/gateway/anthropicTranslate.js';
import { resolveModel } from '../../src/core/gateway/modelNames.js';
import { CallRecorder } from '../../src/core/gateway/recorder.js';
import { SseParser } from '../../src/core/gateway/sse.js';
import type { RoutingTarget } from '../../src/core/routing/ports.js';

const target = (over: Partial<RoutingTarget>): RoutingTarget =>
  ({
    id: 'p1',
    name: 'openai',
    kind: 'openai',
    tier: 'primary',
    status: 'active',
    competencies: {},
    costPer1kInput: 0,
    costPer1kOutput: 0,
    timeoutMs: 1000,
    accounts: [],
    health: { circuit: 'closed', consecutiveFailures: 0, openedAt: null, changedAt: null },
    stats: { inFlight: 0, p50LatencyMs: null, errorRate: null, samples: 0 },
    apiEndpoint: null,
    defaultModel: 'gpt-4o-mini',
    models: ['gpt-4o-mini', 'gpt-4o'],
    config: {},
    ...over,
  }) as RoutingTarget;

describe('gateway model names', () => {
  const targets = [
    target({}),
    target({ id: 'p2', name: 'team/openai', models: ['o3'] }),
    target({ id: 'p3', name: 'off', status: 'disabled' }),
  ];
  it('resolves routed, pinned and bare names; refuses the rest', () => {
    expect(resolveModel('switchyard/auto', targets, ['article'])).toMatchObject({
      taskType: 'article',
      providerIds: null,
    });
    expect(resolveModel('switchyard/code', targets, ['article', 'code'])).toMatchObject({ taskType: 'code' });
    expect(resolveModel('switchyard/nope', targets, ['article'])).toBeNull();
    expect(resolveModel('openai/gpt-4o', targets, [])?.providerIds).toEqual(new Set(['p1']));
    expect(resolveModel('team/openai/o3', targets, [])).toMatchObject({
      model: 'o3',
      providerIds: new Set(['p2']),
    });
    expect(resolveModel('gpt-4o-mini', targets, [])?.providerIds).toEqual(new Set(['p1', 'p2']));
    expect(resolveModel('openai/o3', targets, [])).toBeNull();
    expect(resolveModel('off/gpt-4o', targets, [])).toBeNull();
  });
});

describe('gateway translation', () => {
  it('merges consecutive turns and maps JSON mode into the system prompt', () => {
    const out = toAnthropicRequest(
      {
        model: 'x',
        messages: [
          { role: 'user', content: 'a' },
          { role: 'user', content: [{ type: 'text', text: 'b' }] },
        ],
        response_format: { type: 'json_object' },
        stop: 'END',
      },
      'claude',
      false,
    );
    expect(out).toMatchObject({
      model: 'claude',
      system: expect.stringContaining('JSON'),
      stop_sequences: ['END'],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'a' },
            { type: 'text', text: 'b' },
          ],
        },
      ],
    });
  });

  it('maps stop reasons and reports usage at message_stop', () => {
    const meter = { input: 0, output: 0, model: null };
    const tr = new AnthropicStreamTranslator(meter, true);
    tr.translate('message_start', {
      message: { id: 'm', model: 'c', usage: { input_tokens: 3, output_tokens: 1 } },
    });
    const [fin] = tr.translate('message_delta', {
      delta: { stop_reason: 'max_tokens' },
      usage: { output_tokens: 9 },
    });
    expect(JSON.parse(fin!).choices[0].finish_reason).toBe('length');
    const [usage] = tr.translate('message_stop', {});
    expect(JSON.parse(usage!)).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 3, completion_tokens: 9, total_tokens: 12 },
    });
  });

  it('parses SSE split anywhere', () => {
    const p = new SseParser();
    expect(p.push('event: a\nda')).toEqual([]);
    expect(p.push('ta: {"x":1}\r\n\r\ndata: [DONE]\n')).toEqual([{ event: 'a', data: '{"x":1}' }]);
    expect(p.push('\n')).toEqual([{ event: undefined, data: '[DONE]' }]);
  });
});

describe('gateway chat body check', () => {
  const ok = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
  const samples: unknown[] = [
    ok,
    { ...ok, stream: true, stream_options: { include_usage: true }, max_tokens: 16, temperature: 0.5 },
    { ...ok, stream: null, stream_options: null, max_tokens: null, max_completion_tokens: 7, temperature: 2 },
    { ...ok, tools: [{ type: 'function', function: { name: 'f', parameters: {} } }], extra: { a: 1 } },
    null,
    [],
    [ok],
    'x',
    { ...ok, model: '' },
    { ...ok, model: 'm'.repeat(301) },
    { ...ok, model: 3 },
    { ...ok, messages: [] },
    { ...ok, messages: [[]] },
    { ...ok, messages: [{ role: '' }] },
    { ...ok, messages: [{ role: 'r'.repeat(65) }] },
    { ...ok, messages: [null] },
    { ...ok, stream: 'yes' },
    { ...ok, stream_options: [] },
    { ...ok, stream_options: { include_usage: 1 } },
    { ...ok, max_tokens: 0 },
    { ...ok, max_tokens: 1.5 },
    { ...ok, max_tokens: 10_000_001 },
    { ...ok, max_completion_tokens: '5' },
    { ...ok, temperature: -0.1 },
    { ...ok, temperature: 2.1 },
    { ...ok, tools: {} },
    { ...ok, tools: [{ function: { name: 'f' } }] },
    { ...ok, tools: [{ type: 'function', function: { name: '' } }] },
    { ...ok, tools: [{ type: 'function', function: null }] },
  ];

  it('passes by hand exactly the bodies zod passes, and zod still words the errors', () => {
    for (const b of samples) {
      expect(plainChatBody(b), JSON.stringify(b)).toBe(chatBody.safeParse(b).success);
    }
    expect(parseChat(ok)).toEqual(ok);
    expect(() => parseChat({ ...ok, temperature: 3 })).toThrow(/^temperature: /);
  });
});

describe('gateway lean path body limit', () => {
  it('reads BODY_LIMIT as express.json does, and declines what it cannot read', () => {
    expect(bodyLimitBytes('1mb')).toBe(1024 * 1024);
    expect(bodyLimitBytes('100KB')).toBe(100 * 1024);
    expect(bodyLimitBytes('1.5mb')).toBe(Math.floor(1.5 * 1024 * 1024));
    expect(bodyLimitBytes('512')).toBe(512);
    expect(bodyLimitBytes('lots')).toBeNull();
  });
});

describe('gateway rate limit and recorder', () => {
  it('answers 429 with Retry-After past the limit, per API token', () => {
    const limit = tokenRateLimit(tokenLimiter(2));
    const call = (token: string) => {
      let err: unknown;
      limit({ principal: { apiTokenId: token } } as never, { setHeader() {} } as never, (e?: unknown) => {
        err = e;
      });
      return err;
    };
    expect(call('a')).toBeUndefined();
    expect(call('a')).toBeUndefined();
    const e = call('a') as AppError;
    expect(e).toBeInstanceOf(AppError);
    expect(errorStatus[e.code]).toBe(429);
    expect(e.retryAfter).toBeGreaterThanOrEqual(1);
    expect(call('b')).toBeUndefined();
  });

  it('keeps a batch that failed and writes it on the next try; stop() flushes', async () => {
    const written: string[] = [];
    let fail = true;
    const rec = new CallRecorder(
      {
        async record(calls) {
          if (fail) {
            fail = false;
            throw new Error('database down');
          }
          written.push(...calls.map((c) => c.taskId));
        },
      },
      { flushMs: 1 },
    );
    rec.add({ taskId: 't1' } as never);
    rec.add({ taskId: 't2' } as never);
    await rec.stop();
    expect(written).toEqual(['t1', 't2']);
  });

  it('isolates and drops a call the database refuses for its data, recording the others', async () => {
    const written: string[] = [];
    const rec = new CallRecorder(
      {
        async record(calls) {
          if (calls.some((c) => c.taskId === 'bad'))
            throw Object.assign(new Error('invalid input'), { code: '22P02' });
          written.push(...calls.map((c) => c.taskId));
        },
      },
      { flushMs: 1 },
    );
    for (const id of ['a', 'b', 'bad', 'c']) rec.add({ taskId: id } as never);
    await rec.drain();
    expect(written.sort()).toEqual(['a', 'b', 'c']);
  });
});
