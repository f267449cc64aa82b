import type { ProviderKind } from '../providers/connector.js';

/** The OpenAI request fields the gateway reads; everything else is passed through untouched. */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean } | null;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  [k: string]: unknown;
}

export interface ChatMessage {
  role: string;
  content?: unknown;
  name?: string;
  tool_calls?: Array<{ id: string; type?: string; function: { name: string; arguments?: string } }>;
  tool_call_id?: string;
  [k: string]: unknown;
}

export interface EmbeddingsRequest {
  model: string;
  input: unknown;
  [k: string]: unknown;
}

/** Tokens a call used, as the provider reported them (or 0 when it did not). */
export interface Meter {
  input: number;
  output: number;
  model: string | null;
  finishReason?: string | null;
}

/** One provider account, ready to call. */
export interface BackendTarget {
  kind: ProviderKind;
  baseUrl: string | null;
  apiKey?: string;
  credentials: Record<string, unknown>;
  timeoutMs: number;
  /** The model to ask the provider for. */
  model: string;
  defaultModel: string | null;
  config: Record<string, unknown>;
  providerName: string;
}

export interface CallContext {
  signal: AbortSignal;
  meter: Meter;
  /** Whether the client asked for the usage chunk (stream_options.include_usage). */
  includeUsage: boolean;
}

/**
 * How one kind of provider serves OpenAI's API: `complete` answers an OpenAI chat.completion (JSON
 * text), `stream` yields OpenAI chunk objects as JSON text (no `data:` framing, no [DONE]). Both
 * throw the router's provider errors (core/errors.ts); `stream` throws them from the iterator when
 * a stream is cut.
 */
export interface ChatBackend {
  complete(t: BackendTarget, req: ChatRequest, ctx: CallContext): Promise<string>;
  stream(t: BackendTarget, req: ChatRequest, ctx: CallContext): AsyncIterable<string>;
  embeddings?(t: BackendTarget, req: EmbeddingsRequest, ctx: CallContext): Promise<string>;
}
