import Anthropic from '@anthropic-ai/sdk';
import { ProviderRejected } from '../../errors.js';
import { callSignals } from '../callSignals.js';
import { classifyProviderError, isJsonResponse, protocolError, readJsonAnswer } from '../classify.js';
import { connectionTest } from '../connectionTest.js';
import type {
  Connector,
  ConnectorSettings,
  GenerateRequest,
  GenerateResult,
  TestResult,
} from '../connector.js';
import { estimateInputTokens, estimateTokens } from '../tokens.js';

/**
 * Claude over `@anthropic-ai/sdk` 1.x (Messages API).
 *
 * - The base URL has NO `/v1` (the SDK appends `/v1/messages`); a configured `…/v1` is trimmed.
 * - 1.x sends the key as `Authorization: Bearer <key>` with `anthropic-version: 2026-10-21`
 *   (0.x sent `x-api-key` and `2023-06-01`); proxies in front of Claude must accept both.
 * - The key is always passed explicitly: without one, 1.x would fall back to a credential chain
 *   (environment, profile files), which a server must never do silently.
 * - Streaming reads raw events: input tokens from `message_start` (plus cache reads/writes),
 *   output tokens from the cumulative `message_delta.usage.output_tokens`.
 */
const DEFAULT_BASE_URL = 'https://api.anthropic.com';
const DEFAULT_MODEL = 'claude-sonnet-4-6';

interface Usage {
  input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

/** All input the request consumed: fresh input plus cache writes and reads. */
function inputOf(u: Usage): number {
  return (u.input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0);
}

export function createAnthropicConnector(settings: ConnectorSettings): Connector {
  const apiKey = typeof settings.credentials.apiKey === 'string' ? settings.credentials.apiKey : undefined;
  const baseURL = (settings.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '').replace(/\/v1$/, '');

  function client(): Anthropic {
    if (!apiKey) {
      throw new ProviderRejected('anthropic: an API key is required', {
        code: 'misconfigured',
        providerKind: 'anthropic',
      });
    }
    return new Anthropic({ apiKey, baseURL, maxRetries: 0, timeout: settings.timeoutMs, logLevel: 'off' });
  }

  async function generate(req: GenerateRequest): Promise<GenerateResult> {
    const model = req.model ?? settings.defaultModel ?? DEFAULT_MODEL;
    const signals = callSignals(req.signal, settings.timeoutMs);
    const ctx = {
      providerKind: 'anthropic',
      callerSignal: req.signal,
      deadlineSignal: signals.deadline,
      secrets: [apiKey, req.prompt, req.system],
      phase: 'request' as 'request' | 'stream',
    };
    try {
      if (req.signal?.aborted) throw req.signal.reason;
      const claude = client();
      const body: Omit<Anthropic.Messages.MessageCreateParamsNonStreaming, 'stream'> = {
        model,
        max_tokens: req.maxTokens,
        messages: [{ role: 'user', content: req.prompt }],
      };
      if (req.system) body.system = req.system;
      // No `temperature`: the Messages API version that SDK 1.x speaks no longer takes sampling knobs.
      req.onRequestStart?.();
      const started = performance.now();

      if (req.stream === false) {
        const { data, response } = await claude.messages
          .create({ ...body, stream: false }, { signal: signals.signal })
          .withResponse();
        return finish(messageAnswer(req, data, model, response, started));
      }

      const { data: stream, response } = await claude.messages
        .create({ ...body, stream: true }, { signal: signals.signal })
        .withResponse();
      if (isJsonResponse(response)) {
        // The server (or a proxy) ignored `stream: true` and sent the whole message (the SDK's
        // stream is lazy, so its body is still unread): take it as the complete answer.
        const data = await readJsonAnswer(response, 'anthropic');
        return finish(messageAnswer(req, data, model, response, started));
      }
      ctx.phase = 'stream';
      let text = '';
      let inputTokens = 0;
      let outputTokens = 0;
      let stopReason: string | undefined;
      let answeredModel = '';
      let id = '';
      let stopped = false;
      for await (const ev of stream) {
        switch (ev.type) {
          case 'message_start':
            inputTokens = inputOf(ev.message.usage);
            outputTokens = ev.message.usage.output_tokens ?? 0;
            answeredModel = ev.message.model;
            id = ev.message.id;
            break;
          case 'content_block_delta':
            if (ev.delta.type === 'text_delta') {
              if (!text && ev.delta.text) req.onFirstToken?.();
              if (ev.delta.text) req.onDelta?.(ev.delta.text);
              text += ev.delta.text;
            }
            break;
          case 'message_delta':
            // Cumulative counts: the last one wins.
            outputTokens = ev.usage.output_tokens;
            if (typeof ev.usage.input_tokens === 'number') inputTokens = inputOf(ev.usage);
            if (ev.delta.stop_reason) stopReason = ev.delta.stop_reason;
            break;
          case 'message_stop':
            stopped = true;
            break;
        }
      }
      if (!stopped) {
        throw Object.assign(new TypeError('terminated: stream ended before message_stop'), {
          code: 'UND_ERR_SOCKET',
        });
      }
      return finish({
        text,
        stopReason,
        model: answeredModel || model,
        inputTokens,
        outputTokens,
        requestId: response.headers.get('request-id') ?? id,
        started,
      });
    } catch (err) {
      throw classifyProviderError(err, ctx);
    }
  }

  async function test(signal?: AbortSignal): Promise<TestResult> {
    return connectionTest({
      providerKind: 'anthropic',
      signal,
      timeoutMs: settings.timeoutMs,
      secrets: [apiKey],
      model: settings.defaultModel ?? DEFAULT_MODEL,
      probe: (signals) => client().models.list({ limit: 1 }, { signal: signals.signal }),
    });
  }

  return { kind: 'anthropic', generate, test };
}

/** A complete (non-streamed) Messages API answer as an Answer; anything else is a protocol error. */
function messageAnswer(
  req: GenerateRequest,
  data: unknown,
  model: string,
  response: { status: number; headers: { get(name: string): string | null } },
  started: number,
): Answer {
  const doc = (data && typeof data === 'object' ? data : {}) as Partial<Anthropic.Messages.Message>;
  if (!Array.isArray(doc.content))
    throw protocolError('anthropic', 'the answer is not a message', response.status);
  const text = doc.content
    .map((b) => (b?.type === 'text' && typeof b.text === 'string' ? b.text : ''))
    .join('');
  // A proxy may drop `usage`: estimate it then, and say so.
  const u = doc.usage && typeof doc.usage.output_tokens === 'number' ? doc.usage : undefined;
  return {
    text,
    stopReason: doc.stop_reason ?? undefined,
    model: (typeof doc.model === 'string' && doc.model) || model,
    inputTokens: u ? inputOf(u) : estimateInputTokens(req),
    outputTokens: u ? u.output_tokens : estimateTokens(text),
    ...(u ? {} : { estimated: true }),
    requestId: response.headers.get('request-id') ?? doc.id,
    started,
  };
}

interface Answer {
  text: string;
  stopReason?: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  /** Usage was not reported, so it is our estimate. */
  estimated?: boolean;
  requestId?: string | null;
  started: number;
}

function finish(a: Answer): GenerateResult {
  if (a.stopReason === 'refusal') {
    throw new ProviderRejected('anthropic: the model refused the request', {
      code: 'refusal',
      providerKind: 'anthropic',
    });
  }
  return {
    text: a.text,
    model: a.model,
    usage: {
      inputTokens: a.inputTokens,
      outputTokens: a.outputTokens,
      totalTokens: a.inputTokens + a.outputTokens,
      ...(a.estimated ? { estimated: true } : {}),
    },
    latencyMs: Math.round(performance.now() - a.started),
    finishReason: a.stopReason,
    providerRequestId: a.requestId ?? undefined,
  };
}
