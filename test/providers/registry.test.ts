import { describe, expect, it } from 'vitest';
import { ProviderRejected } from '../../src/core/errors.js';
import type { Connector, ConnectorSettings } from '../../src/core/providers/connector.js';
import { createDefaultProviderRegistry } from '../../src/core/providers/defaultRegistry.js';
import { ProviderRegistry } from '../../src/core/providers/registry.js';

const base: Omit<ConnectorSettings, 'kind'> = { credentials: { apiKey: 'k' }, timeoutMs: 1000 };

function fake(kind: ConnectorSettings['kind'], tag: string): Connector {
  return {
    kind,
    generate: async () => ({
      text: tag,
      model: tag,
      usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 },
      latencyMs: 0,
    }),
    test: async () => ({ ok: true, latencyMs: 0 }),
  };
}

describe('ProviderRegistry', () => {
  it('the default registry serves every provider kind', () => {
    const r = createDefaultProviderRegistry();
    expect(r.kinds().sort()).toEqual(['anthropic', 'manus', 'mock', 'openai', 'openai_compatible', 'xai']);
    for (const kind of r.kinds()) expect(r.createConnector({ ...base, kind }).kind).toBe(kind);
  });

  it('builds a fresh connector per call, from that call’s settings', async () => {
    const seen: ConnectorSettings[] = [];
    const r = new ProviderRegistry().add({
      id: 'm',
      kinds: ['mock'],
      create: (s) => {
        seen.push(s);
        return fake('mock', String(s.credentials.apiKey));
      },
    });
    const a = r.createConnector({ ...base, kind: 'mock', credentials: { apiKey: 'tenant-a' } });
    const b = r.createConnector({ ...base, kind: 'mock', credentials: { apiKey: 'tenant-b' } });
    expect(a).not.toBe(b);
    expect((await a.generate({} as never)).text).toBe('tenant-a');
    expect((await b.generate({} as never)).text).toBe('tenant-b');
    expect(seen).toHaveLength(2);
  });

  it('the highest priority wins; re-adding an id replaces it', async () => {
    const r = new ProviderRegistry()
      .add({ id: 'builtin', kinds: ['openai', 'xai'], create: () => fake('openai', 'builtin') })
      .add({ id: 'override', kinds: ['openai'], priority: 10, create: () => fake('openai', 'override') });
    expect(r.get('openai')?.id).toBe('override');
    expect(r.get('xai')?.id).toBe('builtin');
    r.add({ id: 'override', kinds: ['openai'], priority: -1, create: () => fake('openai', 'demoted') });
    expect(r.get('openai')?.id).toBe('builtin');
  });

  it('an unknown kind is a ProviderRejected', () => {
    const r = new ProviderRegistry();
    expect(r.has('manus')).toBe(false);
    expect(() => r.createConnector({ ...base, kind: 'manus' })).toThrow(ProviderRejected);
  });
});
