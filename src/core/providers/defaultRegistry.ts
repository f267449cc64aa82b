import { createAnthropicConnector } from './connectors/anthropic.js';
import { createManusConnector } from './connectors/manus.js';
import { createMockConnector } from './connectors/mock.js';
import { createOpenAIConnector, OPENAI_FAMILY_KINDS } from './connectors/openai.js';
import { ProviderRegistry } from './registry.js';

/** A registry with every built-in connector. Add plugins with a higher priority to override one. */
export function createDefaultProviderRegistry(): ProviderRegistry {
  return new ProviderRegistry()
    .add({ id: 'openai', kinds: OPENAI_FAMILY_KINDS, create: createOpenAIConnector })
    .add({ id: 'anthropic', kinds: ['anthropic'], create: createAnthropicConnector })
    .add({ id: 'manus', kinds: ['manus'], create: createManusConnector })
    .add({ id: 'mock', kinds: ['mock'], create: createMockConnector });
}
