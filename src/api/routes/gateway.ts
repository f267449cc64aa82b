import type { ServerResponse } from 'node:http';
import express, { type Request, type RequestHandler, Router } from 'express';
import { z } from 'zod';
import { AppError, ProviderAborted, ProviderRejected, ProviderUnavailable } from '../../core/errors.js';
import { isBudgetError } from '../../core/gateway/budgetError.js';
import type { GatewayService, ResponseSink } from '../../core/gateway/gatewayService.js';
import type { ChatRequest, EmbeddingsRequest } from '../../core/gateway/types.js';
import type { ApiDeps } from '../deps.js';
import { errorHandler } from '../errorHandler.js';

/**
 * The OpenAI-compatible gateway at /v1 (docs/gateway.md): GET /v1/models, POST /v1/chat/completions
 * (stream or not), POST /v1/embeddings. Mounted before the /api middleware (helmet, sessions, the
 * /api rate limit): the API key is a personal API token, errors use OpenAI's shape
 * {"error":{"message","type","param","code"}}, and the gateway has its own per-token rate limit.
 */
const message = z.looseObject({ role: z.string().min(1).max(64) });
export const chatBody = z.looseObject({
  model: z.string().min(1).max(300),
  messages: z.array(message).min(1).max(10_000),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  max_tokens: z.number().int().min(1).max(10_000_000).nullish(),
  max_completion_tokens: z.number().int().min(1).max(10_000_000).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  tools: z
    .array(
      z.looseObject({ type: z.string(), function: z.looseObject({ name: z.string().min(1) }).optional() }),
    )
    .optional(),
});
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const nullishNumber = (v: unknown, min: number, max: number, int: boolean) =>
  v === undefined ||
  v === null ||
  (typeof v === 'number' && v >= min && v <= max && (int ? Number.isSafeInteger(v) : Number.isFinite(v)));

/**
 * True when `b` certainly passes `chatBody` (the same rules, checked by hand: zod's generic walk is a
 * visible share of a call's CPU). Anything else goes to zod, which decides and words the error.
 */
export function plainChatBody(b: unknown): b is ChatRequest {
  if (!isObject(b)) return false;
  const { model, messages, stream, stream_options: so, tools } = b;
  if (typeof model !== 'string' || model.length < 1 || model.length > 300) return false;
  if (!Array.isArray(messages) || messages.length < 1 || messages.length > 10_000) return false;
  for (const m of messages)
    if (!isObject(m) || typeof m.role !== 'string' || m.role.length < 1 || m.role.length > 64) return false;
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean') return false;
  if (so !== undefined && so !== null) {
    if (!isObject(so)) return false;
    if (so.include_usage !== undefined && typeof so.include_usage !== 'boolean') return false;
  }
  if (!nullishNumber(b.max_tokens, 1, 10_000_000, true)) return false;
  if (!nullishNumber(b.max_completion_tokens, 1, 10_000_000, true)) return false;
  if (!nullishNumber(b.temperature, 0, 2, false)) return false;
  if (tools !== undefined) {
    if (!Array.isArray(tools)) return false;
    for (const t of tools) {
      if (!isObject(t) || typeof t.type !== 'string') return false;
      const f = t.function;
      if (f !== undefined && (!isObject(f) || typeof f.name !== 'string' || f.name.length < 1)) return false;
    }
  }
  return true;
}

/** A chat request as `chatBody` accepts it (the hand check first, zod for the rest and for errors). */
export function parseChat(body: unknown): ChatRequest {
  return plainChatBody(body) ? body : (parse(chatBody, body) as ChatRequest);
}

export const embeddingsBody = z.looseObject({
  model: z.string().min(1).max(300),
  input: z.union([z.string(), z.array(z.string()), z.array(z.number()), z.array(z.array(z.number()))]),
});
const openAIError = z.object({
  error: z.object({ message: z.string(), type: z.string(), param: z.string().nullable(), code: z.string() }),
});

/** OpenAI's error body for one of our errors; `details.openai` overrides the type and code. */
export function openAIErrorBody(e: AppError) {
  const o = (e.details as { openai?: { type?: string; code?: string; param?: string } } | undefined)?.openai;
  const byCode: Record<string, [string, string]> = {
    unauthorized: ['invalid_request_error', 'invalid_api_key'],
    account_suspended: ['permission_error', 'account_suspended'],
    forbidden: ['permission_error', 'forbidden'],
    not_found: ['invalid_request_error', 'not_found'],
    rate_limited: ['requests', 'rate_limit_exceeded'],
    payload_too_large: ['invalid_request_error', 'payload_too_large'],
    unavailable: ['server_error', 'service_unavailable'],
    provider_error: ['server_error', 'upstream_error'],
    internal_error: ['server_error', 'internal_error'],
  };
  const [type, code] = byCode[e.code] ?? ['invalid_request_error', e.code];
  return {
    error: { message: e.message, type: o?.type ?? type, param: o?.param ?? null, code: o?.code ?? code },
  };
}

/** A provider's failure, as the gateway answers it. */
export function fromProviderError(e: unknown): unknown {
  if (e instanceof ProviderUnavailable) {
    if (e.info.reason === 'rate_limit')
      return new AppError(
        'rate_limited',
        `Every provider that could serve this is rate-limited: ${e.message}`,
        {
          retryAfter: Math.max(1, Math.ceil((e.info.retryAfterMs ?? 1000) / 1000)),
        },
      );
    return new AppError('provider_error', `The provider failed: ${e.message}`, {
      details: {
        openai: {
          code: e.info.code === 'no_provider_now' ? 'no_provider' : 'upstream_error',
          type: 'server_error',
        },
      },
    });
  }
  if (e instanceof ProviderRejected) {
    const s = e.info.status;
    if (s && s >= 400 && s < 500 && s !== 401 && s !== 403 && s !== 404)
      return new AppError('bad_request', e.message, {
        details: { openai: { type: 'invalid_request_error', code: e.info.code ?? 'invalid_request' } },
      });
    return new AppError('provider_error', `The provider refused: ${e.message}`, {
      details: { openai: { type: 'server_error', code: e.info.code ?? 'upstream_error' } },
    });
  }
  if (e instanceof ProviderAborted) return new AppError('bad_request', 'The request was aborted');
  return e;
}

/**
 * The gateway's response sink over a node:http response (Express's or the lean path's). The client
 * going away before the response is finished aborts the provider call; `finished` runs once a
 * response has been sent whole (the lean path's metrics: one listener per request).
 */
export function sinkFor(requestId: string, res: ServerResponse, finished?: () => void): ResponseSink {
  const ac = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) ac.abort();
    else finished?.();
  });
  return {
    signal: ac.signal,
    json(status, body) {
      res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': requestId });
      res.end(body);
    },
    startStream() {
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-request-id': requestId,
      });
    },
    write(frame) {
      res.write(frame);
    },
    end() {
      res.end();
    },
  };
}

export function parse<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const param = issue?.path.join('.') || null;
  throw new AppError(
    'validation_failed',
    `${param ? `${param}: ` : ''}${issue?.message ?? 'invalid request'}`,
    {
      details: {
        openai: { type: 'invalid_request_error', code: 'invalid_request', ...(param ? { param } : {}) },
      },
    },
  );
}

/**
 * Requests a minute per API token, in fixed one-minute windows, in memory (per process): the hot
 * path's limiter, a Map lookup and a counter. Over the limit → 429 with Retry-After (the window's
 * end). One per process, shared by the /v1 router and the lean path (gatewayFast.ts).
 */
export interface TokenLimiter {
  readonly perMinute: number;
  /** Counts a request of `key`; the 429 to answer when it is over the limit, else null. */
  hit(key: string): AppError | null;
}

export function tokenLimiter(perMinute: number): TokenLimiter {
  const windows = new Map<string, { count: number; resetAt: number }>();
  let sweepAt = 0;
  return {
    perMinute,
    hit(key) {
      const now = Date.now();
      if (now > sweepAt) {
        for (const [k, w] of windows) if (w.resetAt <= now) windows.delete(k);
        sweepAt = now + 60_000;
      }
      let w = windows.get(key);
      if (!w || w.resetAt <= now) {
        w = { count: 0, resetAt: now + 60_000 };
        windows.set(key, w);
      }
      w.count++;
      if (w.count <= perMinute) return null;
      return new AppError(
        'rate_limited',
        `Rate limit reached: ${perMinute} requests a minute per API token`,
        {
          retryAfter: Math.max(1, Math.ceil((w.resetAt - now) / 1000)),
        },
      );
    },
  };
}

/** Who a gateway request counts against: its API token (or user). */
export const limitKey = (p: { apiTokenId?: string; user: { id: string } } | undefined) =>
  p?.apiTokenId ?? p?.user.id ?? 'anonymous';

/** The limiter as Express middleware (sets X-RateLimit-Limit on a 429). */
export function tokenRateLimit(limiter: TokenLimiter): RequestHandler {
  return (req, res, next) => {
    const over = limiter.hit(limitKey(req.principal));
    if (over) {
      res.setHeader('X-RateLimit-Limit', String(limiter.perMinute));
      return next(over);
    }
    next();
  };
}

/** The /v1 JSON body parser's NUL check: PostgreSQL text cannot hold NUL, and every call is recorded. */
export function refuseNul(buf: Buffer): void {
  // The escaped form needs a backslash: most bodies have none, and one byte is the quickest search.
  if (buf.includes(0) || (buf.includes(0x5c) && buf.includes('\\u0000')))
    throw new AppError('validation_failed', 'Text must not contain NUL (\\u0000) characters');
}

export function gatewayRoutes(deps: ApiDeps, g: { gateway: GatewayService; limiter: TokenLimiter }): Router {
  const r = Router();
  const auth: RequestHandler = async (req, _res, next) => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    if (!m)
      return next(
        new AppError('unauthorized', 'Missing API key: send Authorization: Bearer <personal API token>'),
      );
    try {
      req.principal = await deps.auth.authenticateApiKey(m[1]!);
      next();
    } catch (e) {
      next(e);
    }
  };
  r.use(auth);
  r.use(tokenRateLimit(g.limiter));
  r.use(
    express.json({
      limit: deps.config.bodyLimit,
      type: ['application/json', 'application/*+json'],
      verify: (_req, _res, buf) => refuseNul(buf),
    }),
  );

  const bodyBytes = (req: Request) => Number(req.get('content-length')) || 1000;
  const caller = (req: Request) => ({
    userId: req.principal!.user.id,
    teamId: req.principal!.teamId,
    apiTokenId: req.principal!.apiTokenId,
  });
  const modelObject = (m: { id: string; owned_by: string }) => ({
    id: m.id,
    object: 'model',
    created: 0,
    owned_by: m.owned_by,
  });
  r.get('/models', async (req, res) => {
    const models = await g.gateway.models(caller(req));
    res.json({ object: 'list', data: models.map(modelObject) });
  });
  // Model ids hold slashes (`switchyard/auto`, `<provider>/<model>`): everything after /models/.
  r.get(/^\/models\/(.+)$/, async (req, res) => {
    const id = decodeURIComponent((req.params as Record<string, string>)[0] ?? '');
    const m = (await g.gateway.models(caller(req))).find((x) => x.id === id);
    if (!m)
      throw new AppError('not_found', `The model '${id}' does not exist or you do not have access to it.`, {
        details: { openai: { type: 'invalid_request_error', code: 'model_not_found', param: 'model' } },
      });
    res.json(modelObject(m));
  });
  r.post('/chat/completions', async (req, res) => {
    const body = parseChat(req.body);
    try {
      await g.gateway.chat(caller(req), body, bodyBytes(req), sinkFor(req.requestId, res));
    } catch (e) {
      if (isBudgetError(e) && !res.headersSent) res.setHeader('x-should-retry', 'false');
      throw fromProviderError(e);
    }
  });
  r.post('/embeddings', async (req, res) => {
    const body = parse(embeddingsBody, req.body) as EmbeddingsRequest;
    try {
      await g.gateway.embeddings(caller(req), body, bodyBytes(req), sinkFor(req.requestId, res));
    } catch (e) {
      if (isBudgetError(e) && !res.headersSent) res.setHeader('x-should-retry', 'false');
      throw fromProviderError(e);
    }
  });
  r.use((req, _res, next) => next(new AppError('not_found', `No route for ${req.method} /v1${req.path}`)));
  r.use(errorHandler(deps.logger, openAIErrorBody));

  registerOpenApi(deps);
  return r;
}

function registerOpenApi(deps: ApiDeps) {
  const errors = Object.fromEntries(
    [400, 401, 403, 404, 413, 429, 502, 503].map((s) => [
      s,
      { description: 'Error (OpenAI shape)', content: { 'application/json': { schema: openAIError } } },
    ]),
  );
  const common = { tags: ['Gateway'], security: [{ bearer: [] }] };
  // One model, as OpenAI's GET /v1/models lists it.
  const modelSchema = z.object({
    id: z.string(),
    object: z.literal('model'),
    created: z.number(),
    owned_by: z.string(),
  });
  deps.openapi.registerPath({
    ...common,
    method: 'get',
    path: '/v1/models',
    operationId: 'getV1Models',
    summary: 'Models the caller may use (OpenAI-compatible)',
    description:
      'Needs a personal or team-scoped API token as the API key. Lists switchyard/auto, switchyard/<taskType>, <provider>/<model> and bare model names.',
    responses: {
      200: {
        description: 'Models',
        content: {
          'application/json': {
            schema: z.object({
              object: z.literal('list'),
              data: z.array(modelSchema),
            }),
          },
        },
      },
      ...errors,
    },
  });
  deps.openapi.registerPath({
    ...common,
    method: 'get',
    path: '/v1/models/{model}',
    operationId: 'getV1Model',
    summary: 'One model the caller may use (OpenAI-compatible)',
    description:
      'The model id may hold slashes (switchyard/auto, <provider>/<model>); 404 model_not_found otherwise.',
    request: { params: z.object({ model: z.string() }) },
    responses: {
      200: {
        description: 'Model',
        content: {
          'application/json': {
            schema: modelSchema,
          },
        },
      },
      ...errors,
    },
  });
  deps.openapi.registerPath({
    ...common,
    method: 'post',
    path: '/v1/chat/completions',
    operationId: 'postV1ChatCompletions',
    summary: "Chat completion (OpenAI's request and response; SSE when stream is true)",
    description:
      'Needs a personal or team-scoped API token as the API key. Routed, budgeted and recorded as a task of the caller (source gateway).',
    request: { body: { content: { 'application/json': { schema: chatBody } }, required: true } },
    responses: {
      200: {
        description: "OpenAI's chat.completion, or text/event-stream chunks ending with data: [DONE]",
        content: { 'application/json': { schema: z.looseObject({ id: z.string(), object: z.string() }) } },
      },
      ...errors,
    },
  });
  deps.openapi.registerPath({
    ...common,
    method: 'post',
    path: '/v1/embeddings',
    operationId: 'postV1Embeddings',
    summary: 'Embeddings (OpenAI-compatible), for providers that offer them',
    description: 'Needs a personal or team-scoped API token as the API key.',
    request: { body: { content: { 'application/json': { schema: embeddingsBody } }, required: true } },
    responses: {
      200: {
        description: "OpenAI's embeddings list",
        content: { 'application/json': { schema: z.looseObject({ object: z.string() }) } },
      },
      ...errors,
    },
  });
}
