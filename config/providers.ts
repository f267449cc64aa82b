/**
 * The default provider catalogue, as data: what a provider of each kind starts with when an admin
 * creates one without saying otherwise, and what a key in the environment (OPENAI_API_KEY, …)
 * creates at start-up. Every field can be changed afterwards through the API.
 *
 * - `competencies`: task type (config/taskTypes.ts ids) → 0..1. The router drops a provider whose
 *   competency for the task's type is missing or below `minCompetency` (config/routingWeights.ts)
 *   and weighs the rest by it.
 * - `costPer1kInput` / `costPer1kOutput`: USD per 1,000 tokens of the default model (list prices;
 *   adjust to your contract). The router's cost term uses them.
 * - `tier`: `primary` providers are always preferred; `secondary` ones serve only when no primary
 *   qualifies (or every primary failed in the run).
 * - `defaultTokenLimit` / `resetPeriod`: the budget of an account created from the environment.
 */
export type CatalogueKind = 'openai' | 'anthropic' | 'xai' | 'manus' | 'openai_compatible' | 'mock';

export interface ProviderCatalogueEntry {
  kind: CatalogueKind;
  /** The name given to a provider created from the environment. */
  name: string;
  authType: 'api_key' | 'none';
  /** Shown in docs; the connector already defaults to it when apiEndpoint is empty. */
  defaultBaseUrl?: string;
  competencies: Record<string, number>;
  models: string[];
  defaultModel: string;
  costPer1kInput: number;
  costPer1kOutput: number;
  tier: 'primary' | 'secondary';
  timeoutMs: number;
  defaultTokenLimit: number;
  resetPeriod: 'daily' | 'weekly' | 'monthly' | 'none';
  /** Environment variables that create it at start-up (kinds without one are created through the API only). */
  env?: {
    apiKey: 'OPENAI_API_KEY' | 'ANTHROPIC_API_KEY' | 'XAI_API_KEY' | 'MANUS_API_KEY';
    baseUrl: 'OPENAI_BASE_URL' | 'ANTHROPIC_BASE_URL' | 'XAI_BASE_URL' | 'MANUS_BASE_URL';
  };
  config?: Record<string, unknown>;
}

export const PROVIDER_CATALOGUE: Record<CatalogueKind, ProviderCatalogueEntry> = {
  openai: {
    kind: 'openai',
    name: 'OpenAI GPT',
    authType: 'api_key',
    defaultBaseUrl: 'https://api.openai.com/v1',
    competencies: {
      article: 0.85,
      summary: 0.85,
      code: 0.88,
      translation: 0.85,
      social_post: 0.85,
      research: 0.75,
    },
    models: ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini', 'gpt-4.1'],
    defaultModel: 'gpt-4o-mini',
    costPer1kInput: 0.00015,
    costPer1kOutput: 0.0006,
    tier: 'primary',
    timeoutMs: 120_000,
    defaultTokenLimit: 2_000_000,
    resetPeriod: 'monthly',
    env: { apiKey: 'OPENAI_API_KEY', baseUrl: 'OPENAI_BASE_URL' },
  },
  anthropic: {
    kind: 'anthropic',
    name: 'Claude',
    authType: 'api_key',
    defaultBaseUrl: 'https://api.anthropic.com',
    competencies: {
      article: 0.9,
      summary: 0.9,
      code: 0.92,
      translation: 0.85,
      social_post: 0.8,
      research: 0.85,
    },
    models: ['claude-sonnet-4-6', 'claude-haiku-4-5', 'claude-opus-4-7'],
    defaultModel: 'claude-sonnet-4-6',
    costPer1kInput: 0.003,
    costPer1kOutput: 0.015,
    tier: 'primary',
    timeoutMs: 120_000,
    defaultTokenLimit: 2_000_000,
    resetPeriod: 'monthly',
    env: { apiKey: 'ANTHROPIC_API_KEY', baseUrl: 'ANTHROPIC_BASE_URL' },
  },
  xai: {
    kind: 'xai',
    name: 'Grok',
    authType: 'api_key',
    defaultBaseUrl: 'https://api.x.ai/v1',
    competencies: {
      article: 0.75,
      summary: 0.78,
      code: 0.78,
      translation: 0.7,
      social_post: 0.9,
      research: 0.8,
    },
    models: ['grok-3-mini', 'grok-4'],
    defaultModel: 'grok-3-mini',
    costPer1kInput: 0.0003,
    costPer1kOutput: 0.0005,
    tier: 'primary',
    timeoutMs: 120_000,
    defaultTokenLimit: 2_000_000,
    resetPeriod: 'monthly',
    env: { apiKey: 'XAI_API_KEY', baseUrl: 'XAI_BASE_URL' },
  },
  manus: {
    kind: 'manus',
    name: 'Manus',
    authType: 'api_key',
    defaultBaseUrl: 'https://api.manus.ai',
    // An autonomous agent: strong at research and long pieces, slow and dear for short ones.
    competencies: {
      article: 0.6,
      summary: 0.35,
      code: 0.5,
      translation: 0.3,
      social_post: 0.25,
      research: 0.92,
    },
    models: ['manus-1.6'],
    defaultModel: 'manus-1.6',
    costPer1kInput: 0.01,
    costPer1kOutput: 0.01,
    tier: 'primary',
    timeoutMs: 30 * 60_000,
    defaultTokenLimit: 1_000_000,
    resetPeriod: 'monthly',
    env: { apiKey: 'MANUS_API_KEY', baseUrl: 'MANUS_BASE_URL' },
  },
  openai_compatible: {
    kind: 'openai_compatible',
    name: 'OpenAI-compatible',
    authType: 'api_key',
    competencies: {
      article: 0.6,
      summary: 0.65,
      code: 0.6,
      translation: 0.6,
      social_post: 0.65,
      research: 0.5,
    },
    models: [],
    defaultModel: '',
    costPer1kInput: 0,
    costPer1kOutput: 0,
    tier: 'secondary',
    timeoutMs: 120_000,
    defaultTokenLimit: 10_000_000,
    resetPeriod: 'monthly',
  },
  mock: {
    kind: 'mock',
    name: 'Mock',
    authType: 'none',
    competencies: {
      article: 0.5,
      summary: 0.5,
      code: 0.5,
      translation: 0.5,
      social_post: 0.5,
      research: 0.5,
    },
    models: ['mock-1'],
    defaultModel: 'mock-1',
    costPer1kInput: 0,
    costPer1kOutput: 0,
    tier: 'primary',
    timeoutMs: 60_000,
    defaultTokenLimit: 1_000_000_000_000,
    resetPeriod: 'none',
  },
};
