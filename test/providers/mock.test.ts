import { describe, expect, it } from 'vitest';
import { ProviderAborted, ProviderRejected, ProviderUnavailable } from '../../src/core/errors.js';
import type { ConnectorSettings, GenerateRequest } from '../../src/core/providers/connector.js';
import { createMockConnector } from '../../src/core/providers/connectors/mock.js';
import { estimateInputTokens, estimateTokens } from '../../src/core/providers/tokens.js';
import { rejectionOf } from './wire.js';

let n = 0;
const uniqueTask = () => `task-${process.pid}-${++n}`;

function settings(
  config: Record<string, unknown> = {},
  over: Partial<ConnectorSettings> = {},
): ConnectorSettings {
  return { kind: 'mock', credentials: {}, timeoutMs: 5000, config, ...over };
}

function request(over: Partial<GenerateRequest> = {}): GenerateRequest {
  return {
    taskId: uniqueTask(),
    taskType: 'article',
    prompt: 'Write an article about renewable energy in rural villages',
    maxTokens: 1000,
    ...over,
  };
}

const gen = (req: Partial<GenerateRequest> = {}, config: Record<string, unknown> = {}) =>
  createMockConnector(settings(config)).generate(request(req));

describe('mock provider: deterministic, task-shaped text', () => {
  it('same prompt and type → same text; a different prompt or type → different text', async () => {
    const a = await gen({ taskId: 'x1' });
    const b = await gen({ taskId: 'x2' });
    expect(a.text).toBe(b.text);
    expect((await gen({ prompt: 'Write an article about urban beekeeping' })).text).not.toBe(a.text);
    expect((await gen({ taskType: 'summary' })).text).not.toBe(a.text);
  });

  it('article → markdown with a title, section headings and paragraphs about the prompt', async () => {
    const { text, finishReason } = await gen();
    expect(finishReason).toBe('stop');
    expect(text).toMatch(/^# .+/);
    expect(text.match(/^## .+/gm)!.length).toBeGreaterThanOrEqual(3);
    expect(text.split('\n\n').filter((p) => !p.startsWith('#')).length).toBeGreaterThanOrEqual(3);
    expect(text.toLowerCase()).toMatch(/renewable|energy|villages/);
  });

  it('summary → bullets', async () => {
    const { text } = await gen({
      taskType: 'summary',
      prompt: 'Summarize the quarterly sales report for the board',
    });
    expect(text.match(/^- .+/gm)!.length).toBeGreaterThanOrEqual(4);
  });

  it('code → one fenced block in the language asked for', async () => {
    const { text } = await gen({
      taskType: 'code',
      prompt: 'Write a Python function to deduplicate customer emails',
    });
    expect(text).toMatch(/```python\n[\s\S]+\n```$/);
    expect(text.match(/```/g)).toHaveLength(2);
    expect(text).toContain('def ');
    const ts = await gen({ taskType: 'code', prompt: 'Deduplicate customer emails' });
    expect(ts.text).toContain('```typescript');
  });

  it('translation → the source text rendered for the target language', async () => {
    const { text } = await gen({
      taskType: 'translation',
      prompt: 'Translate into Spanish: Good morning, harbour master',
    });
    expect(text).toContain('Spanish');
    expect(text).toContain('[es]');
    expect(text).toMatch(/G[oô][oô]d m[oô]rn[iî]ng/);
  });

  it('social_post → at most 280 characters with hashtags', async () => {
    const { text } = await gen({
      taskType: 'social_post',
      prompt: 'Announce our new solar-powered ferry service',
    });
    expect(text.length).toBeLessThanOrEqual(280);
    expect(text).toMatch(/#\p{L}+/u);
  });

  it('research → Summary, Findings and Sources sections', async () => {
    const { text } = await gen({
      taskType: 'research',
      prompt: 'Research tidal energy adoption in Scotland',
    });
    for (const h of ['## Summary', '## Findings', '## Sources']) expect(text).toContain(h);
    expect(text).toMatch(/^1\. /m);
    expect(text).toMatch(/\(https:\/\/example\.org\/mock\//);
  });

  it('reports realistic usage, model and timing', async () => {
    const req = request({ system: 'You write for farmers.' });
    const r = await createMockConnector(settings()).generate(req);
    expect(r.usage.inputTokens).toBe(estimateInputTokens(req));
    expect(r.usage.outputTokens).toBe(estimateTokens(r.text));
    expect(r.usage.totalTokens).toBe(r.usage.inputTokens + r.usage.outputTokens);
    expect(r.model).toBe('mock-1');
    expect(r.providerRequestId).toMatch(/^mock-/);
    const perWord = await gen({}, { tokensPerWord: 2 });
    expect(perWord.usage.outputTokens).toBe(Math.min(1000, (perWord.text.match(/\S+/g)?.length ?? 0) * 2));
  });

  it('caps the output at maxTokens', async () => {
    const r = await gen({ maxTokens: 12 });
    expect(r.finishReason).toBe('length');
    expect(r.usage.outputTokens).toBeLessThanOrEqual(12);
    expect(estimateTokens(r.text)).toBeLessThanOrEqual(12);
  });

  it('calls onRequestStart once', async () => {
    let calls = 0;
    await gen({ onRequestStart: () => calls++ });
    expect(calls).toBe(1);
  });
});

describe('mock provider: latency, abort and timeouts', () => {
  it('an abort during the simulated latency → ProviderAborted', async () => {
    const ac = new AbortController();
    const p = gen({ signal: ac.signal }, { latencyMs: 10_000 });
    setTimeout(() => ac.abort(), 20);
    expect(await rejectionOf(p)).toBeInstanceOf(ProviderAborted);
    expect(await rejectionOf(gen({ signal: AbortSignal.abort() }))).toBeInstanceOf(ProviderAborted);
  });

  it('latency beyond timeoutMs → timeout', async () => {
    const e = await rejectionOf(
      createMockConnector(settings({ latencyMs: 10_000 }, { timeoutMs: 30 })).generate(request()),
    );
    expect((e as ProviderUnavailable).info.reason).toBe('timeout');
  });
});

describe('mock provider: failure injection', () => {
  it.each([
    ['rate_limit', ProviderUnavailable, 'rate_limit'],
    ['server_error', ProviderUnavailable, 'server_error'],
    ['cut_stream', ProviderUnavailable, 'stream_cut'],
  ] as const)('%s → ProviderUnavailable %s', async (mode, cls, reason) => {
    const e = await rejectionOf(gen({}, { failureMode: mode, retryAfterMs: 2500 }));
    expect(e).toBeInstanceOf(cls);
    expect((e as ProviderUnavailable).info.reason).toBe(reason);
    if (mode === 'rate_limit')
      expect((e as ProviderUnavailable).info).toMatchObject({ status: 429, retryAfterMs: 2500 });
  });

  it('server_error uses failureStatus', async () => {
    const e = await rejectionOf(gen({}, { failureMode: 'server_error', failureStatus: 529 }));
    expect((e as ProviderUnavailable).info.status).toBe(529);
  });

  it('refusal → ProviderRejected', async () => {
    const e = await rejectionOf(gen({}, { failureMode: 'refusal' }));
    expect(e).toBeInstanceOf(ProviderRejected);
    expect((e as ProviderRejected).info.code).toBe('refusal');
  });

  it('timeout waits out timeoutMs, then → timeout', async () => {
    const e = await rejectionOf(
      createMockConnector(settings({ failureMode: 'timeout' }, { timeoutMs: 40 })).generate(request()),
    );
    expect((e as ProviderUnavailable).info.reason).toBe('timeout');
  });

  it('failTimes: the first N calls for a task fail, then it succeeds; other tasks count separately', async () => {
    const config = { failureMode: 'server_error', failTimes: 2 };
    const taskId = uniqueTask();
    const c = () => createMockConnector(settings(config)).generate(request({ taskId }));
    expect(await rejectionOf(c())).toBeInstanceOf(ProviderUnavailable);
    expect(await rejectionOf(c())).toBeInstanceOf(ProviderUnavailable);
    await expect(c()).resolves.toMatchObject({ finishReason: 'stop' });
    await expect(c()).resolves.toMatchObject({ finishReason: 'stop' });
    expect(await rejectionOf(createMockConnector(settings(config)).generate(request()))).toBeInstanceOf(
      ProviderUnavailable,
    );
  });

  it('failTimes follows the attempt number when the router passes it', async () => {
    const config = { failureMode: 'rate_limit', failTimes: 1 };
    const taskId = uniqueTask();
    await expect(
      createMockConnector(settings(config)).generate(request({ taskId, attempt: 2 })),
    ).resolves.toBeDefined();
    expect(
      await rejectionOf(createMockConnector(settings(config)).generate(request({ taskId, attempt: 1 }))),
    ).toBeInstanceOf(ProviderUnavailable);
  });

  it('failureRate is deterministic per (task, attempt) and close to the configured share', async () => {
    const outcome = async (taskId: string, attempt: number, rate: number) => {
      try {
        await createMockConnector(settings({ failureMode: 'server_error', failureRate: rate })).generate(
          request({ taskId, attempt }),
        );
        return 'ok';
      } catch {
        return 'fail';
      }
    };
    const first: string[] = [];
    for (let a = 1; a <= 200; a++) first.push(await outcome('rate-task', a, 0.3));
    const again: string[] = [];
    for (let a = 1; a <= 200; a++) again.push(await outcome('rate-task', a, 0.3));
    expect(again).toEqual(first);
    const failures = first.filter((o) => o === 'fail').length;
    expect(failures).toBeGreaterThan(30);
    expect(failures).toBeLessThan(90);
    expect(await outcome('rate-task', 1, 0)).toBe('ok');
    expect(await outcome('rate-task', 1, 1)).toBe('fail');
  });

  it('test() says when every call is set to fail', async () => {
    expect(await createMockConnector(settings()).test()).toMatchObject({ ok: true, model: 'mock-1' });
    expect((await createMockConnector(settings({ failureMode: 'rate_limit' })).test()).ok).toBe(false);
  });
});

describe('mock provider: streams its answer', () => {
  it('sends the answer in chunks at tokensPerSecond; the chunks joined are exactly the text', async () => {
    const deltas: Array<{ text: string; at: number }> = [];
    let firstTokens = 0;
    const started = performance.now();
    const r = await gen(
      {
        onDelta: (text) => deltas.push({ text, at: performance.now() - started }),
        onFirstToken: () => firstTokens++,
      },
      { tokensPerSecond: 400 },
    );
    expect(deltas.length).toBeGreaterThan(5);
    expect(deltas.map((d) => d.text).join('')).toBe(r.text);
    expect(firstTokens).toBe(1);
    // 400 tokens/s ≈ 1,600 characters/s: the last chunk cannot arrive before the text's length allows.
    expect(deltas.at(-1)!.at).toBeGreaterThanOrEqual(
      ((r.text.length - deltas.at(-1)!.text.length) / 1600) * 1000 * 0.5,
    );
  });

  it('tokensPerSecond 0 → the whole answer as one chunk', async () => {
    const deltas: string[] = [];
    const r = await gen({ onDelta: (t) => deltas.push(t) }, { tokensPerSecond: 0 });
    expect(deltas).toEqual([r.text]);
  });

  it('cut_stream sends part of the answer, then fails as a cut stream', async () => {
    const deltas: string[] = [];
    const full = (await gen({ taskId: 'cut-ref' }, { tokensPerSecond: 0 })).text;
    const err = await gen(
      { taskId: 'cut-1', onDelta: (t) => deltas.push(t) },
      { tokensPerSecond: 2000, failureMode: 'cut_stream' },
    ).catch((e) => e);
    expect(err).toBeInstanceOf(ProviderUnavailable);
    expect(err.info.reason).toBe('stream_cut');
    const shown = deltas.join('');
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.length).toBeLessThan(full.length);
    expect(full.startsWith(shown)).toBe(true);
  });

  it('an abort mid-stream → ProviderAborted, and no chunk follows', async () => {
    const ac = new AbortController();
    const deltas: string[] = [];
    const err = await gen(
      {
        signal: ac.signal,
        onDelta: (t) => {
          deltas.push(t);
          if (deltas.length === 2) ac.abort();
        },
      },
      { tokensPerSecond: 200 },
    ).catch((e) => e);
    expect(err).toBeInstanceOf(ProviderAborted);
    expect(deltas.length).toBe(2);
  });
});
