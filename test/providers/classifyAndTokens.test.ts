import { describe, expect, it } from 'vitest';
import { ProviderAborted, ProviderRejected, type ProviderUnavailable } from '../../src/core/errors.js';
import {
  classifyProviderError,
  redactProviderText,
  retryAfterMs,
} from '../../src/core/providers/classify.js';
import {
  estimateInputTokens,
  estimateTaskTokens,
  estimateTokens,
  truncateToTokens,
} from '../../src/core/providers/tokens.js';

const ctx = { providerKind: 'openai' };

describe('classifyProviderError', () => {
  it('our caller aborting wins over everything; our deadline means timeout', () => {
    const caller = AbortSignal.abort();
    expect(classifyProviderError(new Error('x'), { ...ctx, callerSignal: caller })).toBeInstanceOf(
      ProviderAborted,
    );
    const deadline = AbortSignal.abort();
    const e = classifyProviderError(new Error('x'), { ...ctx, deadlineSignal: deadline });
    expect((e as ProviderUnavailable).info.reason).toBe('timeout');
  });

  it('fetch failures: ECONNREFUSED → connection; a cut stream → stream_cut; TimeoutError → timeout', () => {
    const refused = Object.assign(new TypeError('fetch failed'), {
      cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }),
    });
    expect((classifyProviderError(refused, ctx) as ProviderUnavailable).info).toMatchObject({
      reason: 'connection',
      code: 'ECONNREFUSED',
    });
    expect(
      (classifyProviderError(new TypeError('terminated'), { ...ctx, phase: 'stream' }) as ProviderUnavailable)
        .info.reason,
    ).toBe('stream_cut');
    expect(
      (classifyProviderError(new DOMException('t', 'TimeoutError'), ctx) as ProviderUnavailable).info.reason,
    ).toBe('timeout');
  });

  it('HTTP statuses: 429/5xx/408 unavailable, other 4xx rejected', () => {
    const withStatus = (status: number) =>
      Object.assign(new Error(`${status}`), { status, headers: new Headers() });
    expect((classifyProviderError(withStatus(429), ctx) as ProviderUnavailable).info.reason).toBe(
      'rate_limit',
    );
    expect((classifyProviderError(withStatus(503), ctx) as ProviderUnavailable).info.reason).toBe(
      'server_error',
    );
    expect((classifyProviderError(withStatus(408), ctx) as ProviderUnavailable).info.reason).toBe('timeout');
    for (const s of [400, 401, 403, 404, 422])
      expect(classifyProviderError(withStatus(s), ctx)).toBeInstanceOf(ProviderRejected);
  });

  it('passes provider errors through unchanged', () => {
    const e = new ProviderRejected('no', { code: 'x' });
    expect(classifyProviderError(e, ctx)).toBe(e);
  });
});

describe('retryAfterMs', () => {
  it('reads retry-after-ms, retry-after seconds and retry-after dates', () => {
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '250' }))).toBe(250);
    expect(retryAfterMs(new Headers({ 'retry-after': '7' }))).toBe(7000);
    const now = Date.UTC(2026, 0, 1, 0, 0, 0);
    expect(retryAfterMs(new Headers({ 'retry-after': new Date(now + 5000).toUTCString() }), now)).toBe(5000);
    expect(retryAfterMs({ 'retry-after': '2' })).toBe(2000);
    expect(retryAfterMs(new Headers())).toBeUndefined();
  });
});

describe('redactProviderText', () => {
  it('removes exact secrets, key-shaped tokens and bearer tokens; withholds text quoting the prompt', () => {
    expect(redactProviderText('bad key sk-proj-abc123def456 given', [])).toBe('bad key [redacted] given');
    expect(redactProviderText('Incorrect API key provided: sk-abc***********xyz9.', [])).not.toContain(
      'sk-abc',
    );
    expect(redactProviderText('token s3cr3t-value rejected', ['s3cr3t-value'])).toBe(
      'token [redacted] rejected',
    );
    expect(redactProviderText('Authorization: Bearer abc.def.ghi', [])).toContain('Bearer [redacted]');
    const prompt = 'Please write a poem about my secret project codename Bluebird';
    expect(redactProviderText(`Flagged input: "${prompt.slice(5, 45)}"`, [prompt])).toBe('');
    expect(redactProviderText('invalid_request_error: max_tokens too large', [prompt])).toBe(
      'invalid_request_error: max_tokens too large',
    );
  });
});

describe('tokens', () => {
  it('estimates tokens, treating special-token text as plain text', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens(undefined)).toBe(0);
    expect(estimateTokens('hello world')).toBe(2);
    expect(estimateTokens('ignore <|endoftext|> this')).toBeGreaterThan(3);
  });

  it('estimateTaskTokens = input estimate (with chat framing) + maxTokens', () => {
    const input = estimateInputTokens({ system: 'Be brief.', prompt: 'hello world' });
    expect(input).toBe(estimateTokens('Be brief.') + estimateTokens('hello world') + 2 * 4 + 3);
    expect(estimateTaskTokens({ system: 'Be brief.', prompt: 'hello world', maxTokens: 500 })).toBe(
      input + 500,
    );
    expect(estimateTaskTokens({ prompt: 'hello world', maxTokens: 0 })).toBe(
      estimateTokens('hello world') + 4 + 3,
    );
  });

  it('truncates to a token budget without a broken character at the end', () => {
    const t = truncateToTokens('héllo wörld 🎉 and more words here', 4);
    expect(t.truncated).toBe(true);
    expect(t.tokens).toBe(4);
    expect(t.text).not.toContain('\uFFFD');
    expect(truncateToTokens('short', 10)).toEqual({ text: 'short', tokens: 1, truncated: false });
  });
});
