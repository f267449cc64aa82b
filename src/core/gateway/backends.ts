import { ProviderRejected, ProviderUnavailable } from '../errors.js';
import type { Connector, ConnectorSettings, ProviderKind } from '../providers/connector.js';
import { AnthropicStreamTranslator, fromAnthropicMessage, toAnthropicRequest } from './anthropicTranslate.js';
import { SseParser } from './sse.js';
import type { BackendTarget, CallContext, ChatBackend, ChatRequest } from './types.js';
import {
  postUpstream,
  readBody,
  type UpstreamCall,
  type UpstreamResponse,
  upstreamError,
} from './upstream.js';

const OPENAI_DEFAULT_URL: Partial<Record<ProviderKind, string>> = {
  openai: 'https://api.openai.com/v1',
  xai: 'https://api.x.ai/v1',
};
const ANTHROPIC_DEFAULT_URL = 'https://api.anthropic.com';
const trim = (u: string) => u.replace(/\/+$/, '');

async function ok(res: UpstreamResponse, kind: string): Promise<UpstreamResponse> {
  if (res.status >= 200 && res.status < 300) return res;
  const text = await readBody(res).catch(() => '');
  throw upstreamError(res.status, res.headers, text, kind);
}

/** Reads an upstream SSE body, throwing a cut (ProviderUnavailable) if it ends early or errors. */
async function* sseEvents(res: UpstreamResponse) {
  const parser = new SseParser();
  res.body.setEncoding('utf8');
  try {
    for await (const chunk of res.body) for (const ev of parser.push(chunk as string)) yield ev;
  } catch (e) {
    throw res.readError(e);
  }
}

const cut = (kind: string, why: string) =>
  new ProviderUnavailable(`The provider's stream was cut ${why}`, {
    reason: 'stream_cut',
    providerKind: kind,
  });

/**
 * OpenAI, xAI and OpenAI-compatible servers: the request is passed through (model replaced by the
 * routed one; `stream_options.include_usage` forced on so the final chunk reports usage, and that
 * chunk is dropped again when the client did not ask for it); the answer goes back byte for byte.
 */
export const openAIPassthrough: ChatBackend = {
  async complete(t, req, ctx) {
    const res = await ok(
      await postUpstream(call(t, '/chat/completions', { ...req, model: t.model, stream: false }, ctx)),
      t.kind,
    );
    const text = await readBody(res);
    try {
      const j = JSON.parse(text) as {
        model?: string;
        usage?: { prompt_tokens?: number; completion_tokens?: number };
        choices?: Array<{ finish_reason?: string }>;
      };
      ctx.meter.input = j.usage?.prompt_tokens ?? 0;
      ctx.meter.output = j.usage?.completion_tokens ?? 0;
      ctx.meter.model = j.model ?? t.model;
      ctx.meter.finishReason = j.choices?.[0]?.finish_reason ?? null;
    } catch {
      throw new ProviderUnavailable('The provider answered something that is not JSON', {
        reason: 'server_error',
        providerKind: t.kind,
      });
    }
    return text;
  },

  async *stream(t, req, ctx) {
    const body = {
      ...req,
      model: t.model,
      stream: true,
      stream_options: { ...(req.stream_options ?? {}), include_usage: true },
    };
    const res = await ok(await postUpstream(call(t, '/chat/completions', body, ctx)), t.kind);
    ctx.meter.model = t.model;
    for await (const ev of sseEvents(res)) {
      const data = ev.data;
      if (data === '[DONE]') return;
      if (data.includes('"error"')) {
        const j = safeParse(data) as { error?: { message?: string } } | null;
        if (j?.error) throw cut(t.kind, `with an error: ${j.error.message ?? 'unknown'}`);
      }
      if (data.includes('"usage":{') || data.includes('"usage": {')) {
        const j = safeParse(data) as {
          model?: string;
          choices?: unknown[];
          usage?: { prompt_tokens?: number; completion_tokens?: number };
        } | null;
        if (j?.usage) {
          ctx.meter.input = j.usage.prompt_tokens ?? 0;
          ctx.meter.output = j.usage.completion_tokens ?? 0;
          if (j.model) ctx.meter.model = j.model;
          if (!ctx.includeUsage && Array.isArray(j.choices) && j.choices.length === 0) continue;
        }
      }
      yield data;
    }
    throw cut(t.kind, 'before [DONE]');
  },

  async embeddings(t, req, ctx) {
    const res = await ok(await postUpstream(call(t, '/embeddings', { ...req, model: t.model }, ctx)), t.kind);
    const text = await readBody(res);
    const j = safeParse(text) as { model?: string; usage?: { prompt_tokens?: number } } | null;
    if (!j)
      throw new ProviderUnavailable('The provider answered something that is not JSON', {
        reason: 'server_error',
        providerKind: t.kind,
      });
    ctx.meter.input = j.usage?.prompt_tokens ?? 0;
    ctx.meter.model = j.model ?? t.model;
    return text;
  },
};

function call(t: BackendTarget, path: string, body: unknown, ctx: CallContext): UpstreamCall {
  const base = t.baseUrl ?? OPENAI_DEFAULT_URL[t.kind];
  if (!base) throw new ProviderRejected(`${t.providerName} has no API endpoint`, { code: 'misconfigured' });
  return {
    url: trim(base) + path,
    headers: t.apiKey ? { authorization: `Bearer ${t.apiKey}` } : ({} as Record<string, string>),
    body: JSON.stringify(body),
    timeoutMs: t.timeoutMs,
    signal: ctx.signal,
    providerKind: t.kind,
  };
}

function safeParse(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return null;
  }
}

/** Anthropic's messages API, translated both ways (anthropicTranslate.ts). */
export const anthropicBackend: ChatBackend = {
  async complete(t, req, ctx) {
    const res = await ok(await postUpstream(anthropicCall(t, req, false, ctx)), t.kind);
    const msg = safeParse(await readBody(res));
    if (!msg || typeof msg !== 'object')
      throw new ProviderUnavailable('The provider answered something that is not JSON', {
        reason: 'server_error',
        providerKind: t.kind,
      });
    return JSON.stringify(fromAnthropicMessage(msg as never, ctx.meter));
  },

  async *stream(t, req, ctx) {
    const res = await ok(await postUpstream(anthropicCall(t, req, true, ctx)), t.kind);
    const tr = new AnthropicStreamTranslator(ctx.meter, ctx.includeUsage);
    for await (const ev of sseEvents(res)) {
      // biome-ignore lint/suspicious/noExplicitAny: provider event JSON, read field by field
      const j = safeParse(ev.data) as Record<string, any> | null;
      if (!j) continue;
      const type = ev.event ?? j.type;
      if (type === 'error')
        throw cut(t.kind, `with an error: ${j.error?.message ?? j.error?.type ?? 'unknown'}`);
      for (const c of tr.translate(type, j)) yield c;
      if (tr.done) return;
    }
    throw cut(t.kind, 'before message_stop');
  },
};

function anthropicCall(t: BackendTarget, req: ChatRequest, stream: boolean, ctx: CallContext): UpstreamCall {
  const base = trim(t.baseUrl ?? ANTHROPIC_DEFAULT_URL).replace(/\/v1$/, '');
  return {
    url: `${base}/v1/messages`,
    headers: t.apiKey
      ? { 'x-api-key': t.apiKey, 'anthropic-version': '2023-06-01' }
      : { 'anthropic-version': '2023-06-01' },
    body: JSON.stringify(toAnthropicRequest(req, t.model, stream)),
    timeoutMs: t.timeoutMs,
    signal: ctx.signal,
    providerKind: t.kind,
  };
}

/**
 * Any other kind (the built-in mock, Manus) through its connector (core/providers): the conversation
 * is flattened into a system prompt and a prompt; no tools; a stream is the whole answer in one chunk.
 */
export function connectorBackend(create: (s: ConnectorSettings) => Connector): ChatBackend {
  const generate = async (t: BackendTarget, req: ChatRequest, ctx: CallContext) => {
    const system = req.messages
      .filter((m) => m.role === 'system' || m.role === 'developer')
      .map((m) => flat(m.content))
      .join('\n\n');
    const prompt = req.messages
      .filter((m) => m.role !== 'system' && m.role !== 'developer')
      .map((m) => (req.messages.length > 2 ? `${m.role}: ${flat(m.content)}` : flat(m.content)))
      .join('\n\n');
    const r = await create({
      kind: t.kind,
      baseUrl: t.baseUrl ?? undefined,
      credentials: t.credentials,
      defaultModel: t.defaultModel ?? undefined,
      timeoutMs: t.timeoutMs,
      config: t.config,
    }).generate({
      taskId: 'gateway',
      taskType: 'gateway',
      ...(system ? { system } : {}),
      prompt,
      model: t.model,
      maxTokens: req.max_completion_tokens ?? req.max_tokens ?? 1000,
      ...(typeof req.temperature === 'number' ? { temperature: req.temperature } : {}),
      signal: ctx.signal,
    });
    ctx.meter.input = r.usage.inputTokens;
    ctx.meter.output = r.usage.outputTokens;
    ctx.meter.model = r.model;
    ctx.meter.finishReason = r.finishReason === 'length' ? 'length' : 'stop';
    return { id: `chatcmpl-${r.providerRequestId ?? Date.now().toString(36)}`, text: r.text, model: r.model };
  };
  return {
    async complete(t, req, ctx) {
      const r = await generate(t, req, ctx);
      return JSON.stringify({
        id: r.id,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: r.model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: r.text, refusal: null },
            logprobs: null,
            finish_reason: ctx.meter.finishReason,
          },
        ],
        usage: {
          prompt_tokens: ctx.meter.input,
          completion_tokens: ctx.meter.output,
          total_tokens: ctx.meter.input + ctx.meter.output,
        },
      });
    },
    async *stream(t, req, ctx) {
      const r = await generate(t, req, ctx);
      const base = {
        id: r.id,
        object: 'chat.completion.chunk',
        created: Math.floor(Date.now() / 1000),
        model: r.model,
      };
      yield JSON.stringify({
        ...base,
        choices: [
          { index: 0, delta: { role: 'assistant', content: r.text }, logprobs: null, finish_reason: null },
        ],
      });
      yield JSON.stringify({
        ...base,
        choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: ctx.meter.finishReason }],
      });
      if (ctx.includeUsage)
        yield JSON.stringify({
          ...base,
          choices: [],
          usage: {
            prompt_tokens: ctx.meter.input,
            completion_tokens: ctx.meter.output,
            total_tokens: ctx.meter.input + ctx.meter.output,
          },
        });
    },
  };
}

function flat(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => (typeof p?.text === 'string' ? p.text : '')).join('');
  return '';
}

/** The backend for a provider kind. */
export function backendFor(kind: ProviderKind, connector: ChatBackend): ChatBackend {
  if (kind === 'openai' || kind === 'xai' || kind === 'openai_compatible') return openAIPassthrough;
  if (kind === 'anthropic') return anthropicBackend;
  return connector;
}
