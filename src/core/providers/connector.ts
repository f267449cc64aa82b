/**
 * The one interface every AI provider connector implements. A connector is built fresh for each
 * call from plain settings (never a shared, mutated instance), makes exactly one attempt (SDK
 * retries off: the router owns retries and fallback), honours the AbortSignal and the timeout, and
 * reports token usage and latency.
 *
 * Errors: a connector throws only these, from core/errors.ts:
 * - ProviderRejected   — the provider answered no (refusal, invalid request, auth): fail fast;
 * - ProviderUnavailable — rate limit, 5xx, timeout, connection failure, cut stream: try the next one;
 * - ProviderAborted    — our AbortSignal fired (task cancelled / shutdown).
 */
export type ProviderKind = 'openai' | 'anthropic' | 'xai' | 'manus' | 'openai_compatible' | 'mock';

export interface ConnectorSettings {
  kind: ProviderKind;
  /** Base URL of the provider API (for the SDKs: OpenAI/xAI/compatible include /v1; Anthropic does not). */
  baseUrl?: string;
  /** Decrypted credentials: at least apiKey for real providers. */
  credentials: { apiKey?: string; [k: string]: unknown };
  defaultModel?: string;
  timeoutMs: number;
  /** Kind-specific options (mock behaviour, Manus agent profile, ...). */
  config?: Record<string, unknown>;
}

export interface GenerateRequest {
  taskId: string;
  taskType: string;
  /** The system prompt shaped for the task type. */
  system?: string;
  prompt: string;
  model?: string;
  /** Hard cap on output tokens: the budget reservation relies on it. */
  maxTokens: number;
  temperature?: number;
  /** Stream the response (usage still reported). Defaults to true where the provider supports it. */
  stream?: boolean;
  signal?: AbortSignal;
  /** Called when the request's first byte is about to be sent (for the router benchmark). */
  onRequestStart?: () => void;
  /**
   * Called when the first piece of a streamed answer arrives (time to first token, for metrics). A
   * connector that gets its answer in one piece need not call it: the whole answer is the first token.
   */
  onFirstToken?: () => void;
  /**
   * Called with each piece of a streamed answer as it arrives, in order; the pieces joined are the
   * answer's text. A connector that gets its answer in one piece calls it once with the whole text
   * (or not at all).
   */
  onDelta?: (text: string) => void;
  /**
   * 1-based attempt number of this task on this provider, when the caller knows it (task_assignments).
   * Only the mock provider uses it (deterministic failure injection); real connectors ignore it.
   */
  attempt?: number;
}

export interface Attachment {
  name: string;
  url?: string;
  contentType?: string;
  sizeBytes?: number;
}

export interface GenerateResult {
  text: string;
  model: string;
  usage: {
    inputTokens: number;
    outputTokens: number;
    totalTokens: number;
    /** True when the provider reported no token counts and these were estimated locally (Manus, some compatible servers). */
    estimated?: boolean;
  };
  latencyMs: number;
  finishReason?: string;
  /** Provider-side id of the request or task (x-request-id, Manus task id, ...). */
  providerRequestId?: string;
  attachments?: Attachment[];
  /** Provider-specific details worth keeping in provenance (Manus task URL and credits, ...). Never secrets. */
  providerMeta?: Record<string, unknown>;
}

export interface TestResult {
  ok: boolean;
  latencyMs: number;
  model?: string;
  error?: string;
}

export interface Connector {
  readonly kind: ProviderKind;
  generate(req: GenerateRequest): Promise<GenerateResult>;
  /** A real minimal call to check credentials and reachability. */
  test(signal?: AbortSignal): Promise<TestResult>;
}

export type ConnectorFactory = (settings: ConnectorSettings) => Connector;
