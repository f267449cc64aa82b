import { ProviderAborted, ProviderRejected, ProviderUnavailable } from '../../errors.js';
import { sleep } from '../callSignals.js';
import { configEnum, configNumber, configString } from '../config.js';
import type {
  Connector,
  ConnectorSettings,
  GenerateRequest,
  GenerateResult,
  TestResult,
} from '../connector.js';
import { estimateInputTokens, truncateToTokens } from '../tokens.js';
import { mockChunks, streamChunks } from './mockStream.js';
import { mockText, seedOf, unitOf } from './mockText.js';

/**
 * The built-in `mock` provider: a product feature for demos (no keys needed) and failure drills
 * (watch the router fall back). Deterministic: the same task type + prompt gives the same text.
 *
 * `settings.config`:
 * - `latencyMs` (default 0): simulated time to answer; abortable. A latency ≥ `timeoutMs` times out.
 * - `tokensPerWord` (optional): count usage as words × this instead of with the tokenizer.
 * - `model` (default `mock-1`, or `defaultModel`).
 * - `failureMode`: `none` (default) | `rate_limit` | `server_error` | `timeout` | `refusal` | `cut_stream`.
 * - `failTimes` (optional): fail the first N calls for a task, then succeed.
 * - `failureRate` (0..1, optional): fail this share of calls — decided by hashing (task id, attempt),
 *   so the same attempt of the same task always gets the same answer.
 *   With a `failureMode` and neither `failTimes` nor `failureRate`, every call fails.
 * - `retryAfterMs` (default 1000): the Retry-After reported with `rate_limit`.
 * - `failureStatus` (default 500 for `server_error`): e.g. 503 or 529.
 * - `tokensPerSecond` (0 = the whole answer at once, the default when absent; the built-in "Mock"
 *   is created with MOCK_TOKENS_PER_SECOND, default 200): the answer streams in chunks
 *   (`onDelta`) at this pace after `latencyMs`. With `cut_stream`, half the answer streams before
 *   the stream is cut (ProviderUnavailable 'stream_cut').
 *
 * The attempt number is `req.attempt` when the router passes it; otherwise an in-process counter
 * per task (so with several worker processes each counts on its own).
 */
export const MOCK_FAILURE_MODES = [
  'none',
  'rate_limit',
  'server_error',
  'timeout',
  'refusal',
  'cut_stream',
] as const;
export type MockFailureMode = (typeof MOCK_FAILURE_MODES)[number];

const COUNTER_LIMIT = 10_000;
const calls = new Map<string, number>();

function nextCall(key: string): number {
  const n = (calls.get(key) ?? 0) + 1;
  calls.delete(key);
  calls.set(key, n); // re-insert: the Map's order is least recently used first
  if (calls.size > COUNTER_LIMIT) calls.delete(calls.keys().next().value as string);
  return n;
}

const wordCount = (s: string | undefined) => (s ? (s.match(/\S+/g)?.length ?? 0) : 0);

export function createMockConnector(settings: ConnectorSettings): Connector {
  const cfg = settings.config;
  const latencyMs = configNumber(cfg, 'latencyMs', 0, 0, 3_600_000);
  const tokensPerWord = configNumber(cfg, 'tokensPerWord', 0, 0, 100);
  const mode = configEnum(cfg, 'failureMode', MOCK_FAILURE_MODES, 'none');
  const failTimes = configNumber(cfg, 'failTimes', 0, 0, 1_000_000);
  const failureRate = cfg?.failureRate === undefined ? undefined : configNumber(cfg, 'failureRate', 0, 0, 1);
  const retryAfterMs = configNumber(cfg, 'retryAfterMs', 1000, 0, 3_600_000);
  const failureStatus = configNumber(cfg, 'failureStatus', 500, 500, 599);
  const tokensPerSecond = configNumber(cfg, 'tokensPerSecond', 0, 0, 1_000_000);
  const modelName = configString(cfg, 'model') ?? settings.defaultModel ?? 'mock-1';
  const failureKey = `${mode}:${failTimes}:${failureRate ?? ''}`;

  function shouldFail(taskId: string, attempt: number): boolean {
    if (mode === 'none') return false;
    if (failTimes > 0 && attempt <= failTimes) return true;
    if (failureRate !== undefined) return unitOf(`${taskId}:${attempt}`) < failureRate;
    return failTimes === 0;
  }

  async function generate(req: GenerateRequest): Promise<GenerateResult> {
    if (req.signal?.aborted) throw new ProviderAborted('mock: the call was aborted');
    const counted = nextCall(`${failureKey}\u0000${req.taskId}`);
    const attempt = req.attempt ?? counted;
    const fail = shouldFail(req.taskId, attempt);
    req.onRequestStart?.();
    const started = performance.now();

    const wait = fail && mode === 'timeout' ? settings.timeoutMs : latencyMs;
    try {
      await sleep(Math.min(wait, settings.timeoutMs), req.signal);
    } catch {
      throw new ProviderAborted('mock: the call was aborted');
    }
    if (wait >= settings.timeoutMs) {
      throw new ProviderUnavailable('mock: timed out', { reason: 'timeout', providerKind: 'mock' });
    }
    const full = mockText({ taskType: req.taskType, prompt: req.prompt, system: req.system });
    const cut = truncateToTokens(full, req.maxTokens);
    const chunks = mockChunks(cut.text, tokensPerSecond);
    const cutStream = fail && mode === 'cut_stream';
    if (fail && !cutStream) throw injected(mode, { retryAfterMs, failureStatus });
    try {
      await streamChunks(chunks, {
        onDelta: req.onDelta,
        onFirstToken: req.onFirstToken,
        signal: req.signal,
        limit: cutStream ? Math.floor(chunks.length / 2) : undefined,
      });
    } catch {
      throw new ProviderAborted('mock: the call was aborted');
    }
    if (cutStream) throw injected(mode, { retryAfterMs, failureStatus });
    const inputTokens = tokensPerWord
      ? Math.ceil((wordCount(req.system) + wordCount(req.prompt)) * tokensPerWord)
      : estimateInputTokens(req);
    const outputTokens = tokensPerWord
      ? Math.min(req.maxTokens, Math.ceil(wordCount(cut.text) * tokensPerWord))
      : cut.tokens;
    return {
      text: cut.text,
      model: req.model ?? modelName,
      usage: { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens },
      latencyMs: Math.round(performance.now() - started),
      finishReason: cut.truncated ? 'length' : 'stop',
      providerRequestId: `mock-${seedOf(`${req.taskId}:${attempt}`).toString(16)}`,
    };
  }

  async function test(): Promise<TestResult> {
    const alwaysFails = mode !== 'none' && failTimes === 0 && (failureRate === undefined || failureRate >= 1);
    if (alwaysFails) return { ok: false, latencyMs: 0, error: `mock: failure injection is on (${mode})` };
    return { ok: true, latencyMs: 0, model: modelName };
  }

  return { kind: 'mock', generate, test };
}

function injected(mode: MockFailureMode, o: { retryAfterMs: number; failureStatus: number }): Error {
  switch (mode) {
    case 'rate_limit':
      return new ProviderUnavailable('mock: rate limited (HTTP 429, injected)', {
        reason: 'rate_limit',
        status: 429,
        code: 'rate_limit_exceeded',
        retryAfterMs: o.retryAfterMs,
        providerKind: 'mock',
      });
    case 'refusal':
      return new ProviderRejected('mock: the model refused the request (injected)', {
        status: 400,
        code: 'refusal',
        providerKind: 'mock',
      });
    case 'cut_stream':
      return new ProviderUnavailable('mock: the response stream was cut (injected)', {
        reason: 'stream_cut',
        providerKind: 'mock',
      });
    default:
      return new ProviderUnavailable(`mock: server error (HTTP ${o.failureStatus}, injected)`, {
        reason: 'server_error',
        status: o.failureStatus,
        providerKind: 'mock',
      });
  }
}
