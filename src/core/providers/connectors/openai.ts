import OpenAI from 'openai';
import { ProviderRejected } from '../../errors.js';
import { callSignals } from '../callSignals.js';
import { classifyProviderError, isJsonResponse, protocolError, readJsonAnswer } from '../classify.js';
import { configBoolean, configEnum, configString } from '../config.js';
import { connectionTest } from '../connectionTest.js';
import type {
  Connector,
  ConnectorSettings,
  GenerateRequest,
  GenerateResult,
  ProviderKind,
  TestResult,
} from '../connector.js';
import { estimateInputTokens, estimateTokens } from '../tokens.js';

/**
 * Chat Completions over the `openai` SDK. One module serves three kinds:
 * - `openai`            — api.openai.com (key required);
 * - `xai`               — Grok, same wire format at https://api.x.ai/v1 (key required);
 * - `openai_compatible` — Ollama, vLLM, OpenRouter, Groq… (`baseUrl` required, key optional).
 *
 * One attempt per call (`maxRetries: 0`, the router owns retries), base URL always explicit (the SDK
 * would otherwise read OPENAI_BASE_URL), streaming by default with `include_usage`.
 *
 * `settings.config`:
 * - `maxTokensParam`: `max_tokens` | `max_completion_tokens` — defaults to `max_completion_tokens`
 *   for `openai` (newer models reject `max_tokens`) and `max_tokens` elsewhere (what most compatible
 *   servers understand);
 * - `includeUsage` (default true): send `stream_options.include_usage`; turn off for servers that
 *   reject it. Without reported usage, usage is estimated locally and marked `estimated`.
 */
export const OPENAI_FAMILY_KINDS = [
  'openai',
  'xai',
  'openai_compatible',
] as const satisfies readonly ProviderKind[];

const DEFAULT_BASE_URL: Partial<Record<ProviderKind, string>> = {
  openai: 'https://api.openai.com/v1',
  xai: 'https://api.x.ai/v1',
};

const DEFAULT_MODEL: Partial<Record<ProviderKind, string>> = {
  openai: 'gpt-4o-mini',
  xai: 'grok-3-mini',
};

type ChatParams = Omit<OpenAI.Chat.ChatCompletionCreateParamsNonStreaming, 'stream'>;

/** The base URL a connector will call: the configured one, else the kind's default (none for `openai_compatible`). */
export function openAIBaseUrl(settings: Pick<ConnectorSettings, 'kind' | 'baseUrl'>): string | undefined {
  return settings.baseUrl ?? DEFAULT_BASE_URL[settings.kind];
}

export function createOpenAIConnector(settings: ConnectorSettings): Connector {
  const kind = settings.kind;
  const apiKey = typeof settings.credentials.apiKey === 'string' ? settings.credentials.apiKey : undefined;
  const baseURL = openAIBaseUrl(settings);
  const maxTokensParam = configEnum(
    settings.config,
    'maxTokensParam',
    ['max_tokens', 'max_completion_tokens'] as const,
    kind === 'openai' ? 'max_completion_tokens' : 'max_tokens',
  );
  const includeUsage = configBoolean(settings.config, 'includeUsage', true);

  function client(): OpenAI {
    if (!baseURL) {
      throw new ProviderRejected(`${kind}: a base URL is required`, {
        code: 'misconfigured',
        providerKind: kind,
      });
    }
    if (!apiKey && kind !== 'openai_compatible') {
      throw new ProviderRejected(`${kind}: an API key is required`, {
        code: 'misconfigured',
        providerKind: kind,
      });
    }
    return new OpenAI({
      // The SDK refuses to start without a key; keyless compatible servers get a placeholder and
      // no Authorization header at all.
      apiKey: apiKey ?? 'no-key',
      ...(apiKey ? {} : { defaultHeaders: { Authorization: null } }),
      baseURL,
      organization: configString(settings.config, 'organization') ?? null,
      project: configString(settings.config, 'project') ?? null,
      maxRetries: 0,
      timeout: settings.timeoutMs,
      logLevel: 'off',
    });
  }

  function params(req: GenerateRequest, model: string): ChatParams {
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [];
    if (req.system) messages.push({ role: 'system', content: req.system });
    messages.push({ role: 'user', content: req.prompt });
    const p: ChatParams = { model, messages };
    if (maxTokensParam === 'max_tokens') p.max_tokens = req.maxTokens;
    else p.max_completion_tokens = req.maxTokens;
    if (req.temperature !== undefined) p.temperature = req.temperature;
    return p;
  }

  async function generate(req: GenerateRequest): Promise<GenerateResult> {
    const model = req.model ?? settings.defaultModel ?? DEFAULT_MODEL[kind] ?? '';
    const signals = callSignals(req.signal, settings.timeoutMs);
    const ctx = {
      providerKind: kind,
      callerSignal: req.signal,
      deadlineSignal: signals.deadline,
      secrets: [apiKey, req.prompt, req.system],
      phase: 'request' as 'request' | 'stream',
    };
    let started = 0;
    try {
      if (req.signal?.aborted) throw req.signal.reason;
      const openai = client();
      if (!model) {
        throw new ProviderRejected(`${kind}: no model configured`, {
          code: 'misconfigured',
          providerKind: kind,
        });
      }
      const body = params(req, model);
      req.onRequestStart?.();
      started = performance.now();

      if (req.stream === false) {
        const { data, response } = await openai.chat.completions
          .create({ ...body, stream: false }, { signal: signals.signal })
          .withResponse();
        return finish(kind, req, completionAnswer(kind, data, model, response, started));
      }

      const { data: stream, response } = await openai.chat.completions
        .create(
          { ...body, stream: true, ...(includeUsage ? { stream_options: { include_usage: true } } : {}) },
          { signal: signals.signal },
        )
        .withResponse();
      if (isJsonResponse(response)) {
        // The server ignored `stream: true` and sent the whole chat completion (the SDK's stream is
        // lazy, so its body is still unread): take it as the complete answer.
        const data = await readJsonAnswer(response, kind);
        return finish(kind, req, completionAnswer(kind, data, model, response, started));
      }
      ctx.phase = 'stream';
      let text = '';
      let refusal = '';
      let finishReason: string | undefined;
      let usage: OpenAI.CompletionUsage | undefined;
      let answeredModel = '';
      let id = '';
      for await (const chunk of stream) {
        // Usage arrives in the last chunk, whose `choices` is [] (include_usage).
        const choice = chunk.choices[0];
        if (!text && !refusal && (choice?.delta?.content || choice?.delta?.refusal)) req.onFirstToken?.();
        if (choice?.delta?.content) req.onDelta?.(choice.delta.content);
        text += choice?.delta?.content ?? '';
        refusal += choice?.delta?.refusal ?? '';
        if (choice?.finish_reason) finishReason = choice.finish_reason;
        if (chunk.usage) usage = chunk.usage;
        answeredModel ||= chunk.model;
        id ||= chunk.id;
      }
      if (!finishReason) {
        // The server closed the stream without saying why it stopped: the answer may be partial.
        throw Object.assign(new TypeError('terminated: stream ended without a finish reason'), {
          code: 'UND_ERR_SOCKET',
        });
      }
      return finish(kind, req, {
        text,
        refusal,
        finishReason,
        model: answeredModel || model,
        usage,
        requestId: response.headers.get('x-request-id') ?? id,
        started,
      });
    } catch (err) {
      throw classifyProviderError(err, ctx);
    }
  }

  async function test(signal?: AbortSignal): Promise<TestResult> {
    return connectionTest({
      providerKind: kind,
      signal,
      timeoutMs: settings.timeoutMs,
      secrets: [apiKey],
      model: settings.defaultModel ?? DEFAULT_MODEL[kind],
      probe: (signals) => client().models.list({ signal: signals.signal }),
    });
  }

  return { kind, generate, test };
}

/** A complete (non-streamed) chat completion as an Answer; anything else is a protocol error. */
function completionAnswer(
  kind: ProviderKind,
  data: unknown,
  model: string,
  response: { status: number; headers: { get(name: string): string | null } },
  started: number,
): Answer {
  const doc = (data && typeof data === 'object' ? data : {}) as Partial<OpenAI.Chat.ChatCompletion>;
  if (!Array.isArray(doc.choices))
    throw protocolError(kind, 'the answer is not a chat completion', response.status);
  const choice = doc.choices[0];
  return {
    text: typeof choice?.message?.content === 'string' ? choice.message.content : '',
    refusal: typeof choice?.message?.refusal === 'string' ? choice.message.refusal : '',
    finishReason: choice?.finish_reason ?? undefined,
    model: (typeof doc.model === 'string' && doc.model) || model,
    usage: doc.usage,
    requestId: response.headers.get('x-request-id') ?? doc.id,
    started,
  };
}

interface Answer {
  text: string;
  refusal: string;
  finishReason?: string;
  model: string;
  usage?: OpenAI.CompletionUsage | null;
  requestId?: string | null;
  started: number;
}

function finish(kind: ProviderKind, req: GenerateRequest, a: Answer): GenerateResult {
  if (a.finishReason === 'content_filter') {
    throw new ProviderRejected(`${kind}: the answer was blocked by the content filter`, {
      code: 'content_filter',
      providerKind: kind,
    });
  }
  if (a.refusal && !a.text) {
    throw new ProviderRejected(`${kind}: the model refused the request`, {
      code: 'refusal',
      providerKind: kind,
    });
  }
  const latencyMs = Math.round(performance.now() - a.started);
  const reported = a.usage && typeof a.usage.prompt_tokens === 'number';
  const inputTokens = reported ? a.usage!.prompt_tokens : estimateInputTokens(req);
  const outputTokens = reported ? (a.usage!.completion_tokens ?? 0) : estimateTokens(a.text);
  return {
    text: a.text,
    model: a.model,
    usage: {
      inputTokens,
      outputTokens,
      totalTokens: reported
        ? (a.usage!.total_tokens ?? inputTokens + outputTokens)
        : inputTokens + outputTokens,
      ...(reported ? {} : { estimated: true }),
    },
    latencyMs,
    finishReason: a.finishReason,
    providerRequestId: a.requestId ?? undefined,
  };
}
