import { describe, expect, it } from 'vitest';
import { BUILT_IN_SOURCE, builtInPrice, builtInRows } from '../../src/core/spend/builtInPrices.js';
import { costMicros, formatUsd } from '../../src/core/spend/pricing.js';

describe('costMicros (integer micro-dollars from usage)', () => {
  const price = { inputPerMTokUsd: 2.5, outputPerMTokUsd: 10, cachedInputPerMTokUsd: 1.25 };

  it('is tokens × USD-per-MTok, since 1 USD/MTok is exactly 1 µ$ per token', () => {
    expect(costMicros(price, { inputTokens: 1000, outputTokens: 500 })).toBe(2500 + 5000);
    expect(costMicros(price, { inputTokens: 1_000_000, outputTokens: 1_000_000 })).toBe(12_500_000);
  });

  it('bills cached input at the cached price, and the rest at the input price', () => {
    expect(costMicros(price, { inputTokens: 1000, cachedInputTokens: 400, outputTokens: 0 })).toBe(
      600 * 2.5 + 400 * 1.25,
    );
    // Cached tokens above the input count are capped; without a cached price, input's applies.
    expect(
      costMicros(
        { inputPerMTokUsd: 3, outputPerMTokUsd: 15 },
        { inputTokens: 10, cachedInputTokens: 50, outputTokens: 0 },
      ),
    ).toBe(30);
  });

  it('rounds a fraction of a micro-dollar up, but not float noise', () => {
    expect(
      costMicros({ inputPerMTokUsd: 0.1, outputPerMTokUsd: 0 }, { inputTokens: 3, outputTokens: 0 }),
    ).toBe(1);
    expect(
      costMicros({ inputPerMTokUsd: 0.1, outputPerMTokUsd: 0 }, { inputTokens: 30, outputTokens: 0 }),
    ).toBe(3);
    expect(
      costMicros({ inputPerMTokUsd: 0.15, outputPerMTokUsd: 0 }, { inputTokens: 1, outputTokens: 0 }),
    ).toBe(1);
  });

  it('treats negative or missing counts as zero', () => {
    expect(costMicros(price, { inputTokens: -5, outputTokens: Number.NaN })).toBe(0);
  });

  it('formats dollars', () => {
    expect(formatUsd(1_000_000)).toBe('$1.00');
    expect(formatUsd(12_345)).toBe('$0.012345');
  });
});

describe('the built-in table (@pydantic/genai-prices, bundled data, no network)', () => {
  it('prices OpenAI, Anthropic and xAI models by name and alias', () => {
    expect(builtInPrice('openai', 'gpt-4o')).toEqual({
      inputPerMTokUsd: 2.5,
      outputPerMTokUsd: 10,
      cachedInputPerMTokUsd: 1.25,
    });
    expect(builtInPrice('anthropic', 'claude-3-5-sonnet-latest')?.outputPerMTokUsd).toBe(15);
    expect(builtInPrice('xai', 'grok-3')).not.toBeNull();
    expect(builtInPrice('openai_compatible', 'gpt-4o-mini')).not.toBeNull();
  });

  it('has nothing for unknown models and for kinds it does not cover', () => {
    expect(builtInPrice('openai', 'no-such-model-xyz')).toBeNull();
    expect(builtInPrice('mock', 'mock-1')).toBeNull();
    expect(builtInPrice('manus', 'anything')).toBeNull();
  });

  it('lists rows with their source', () => {
    const rows = builtInRows();
    expect(rows.length).toBeGreaterThan(50);
    expect(rows.every((r) => r.source === BUILT_IN_SOURCE)).toBe(true);
    expect(rows.find((r) => r.providerKind === 'openai' && r.model === 'gpt-4o')?.inputPerMTokUsd).toBe(2.5);
  });
});
