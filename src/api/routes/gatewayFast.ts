import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError } from '../../core/errors.js';
import { isBudgetError } from '../../core/gateway/budgetError.js';
import type { GatewayService } from '../../core/gateway/gatewayService.js';
import type { EmbeddingsRequest } from '../../core/gateway/types.js';
import { withLogContext } from '../../logger.js';
import type { ApiDeps, FastHandler } from '../deps.js';
import { errorReply } from '../errorHandler.js';
import { httpDuration } from '../middleware/metrics.js';
import { requestIdOf } from '../middleware/requestId.js';
import {
  embeddingsBody,
  fromProviderError,
  limitKey,
  openAIErrorBody,
  parse,
  parseChat,
  refuseNul,
  sinkFor,
  type TokenLimiter,
} from './gateway.js';

/**
 * The gateway's hot path without Express (issue 17): POST /v1/chat/completions and /v1/embeddings
 * straight on node:http, with the /v1 router's semantics step for step — X-Request-Id and the log
 * context, the HTTP duration metric, the API token (401), the per-token rate limit (429), the JSON
 * body (content type, size limit 413, strict JSON 400, no NUL), zod with OpenAI-shaped errors, the
 * service, the one error reply. Anything it does not take whole (other paths and methods, another
 * content type or a charset other than UTF-8, a compressed body, no body at all) it leaves untouched
 * for Express, which answers as before.
 */
const CHAT = '/v1/chat/completions';
const EMBEDDINGS = '/v1/embeddings';
const JSON_TYPE =
  /^application\/(?:json|[a-z0-9!#$&^_.+-]+\+json)\s*(?:;\s*charset\s*=\s*(?:utf-8|"utf-8")\s*)?$/i;
const BEARER = /^Bearer\s+(\S+)\s*$/i;
const LEADING = /^[ \t\n\r]*(.)/;

/**
 * express.json's `limit` ('1mb', '100kb', '512', …) in bytes (1024-based, as the `bytes` package reads
 * it), or null for a value this does not read the same way (then the lean path stays off).
 */
export function bodyLimitBytes(limit: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb|pb)?\s*$/i.exec(limit);
  if (!m) return null;
  const unit = { b: 0, kb: 1, mb: 2, gb: 3, tb: 4, pb: 5 }[(m[2] ?? 'b').toLowerCase() as 'b'];
  return Math.floor(Number(m[1]) * 1024 ** unit);
}

/** The path a POST takes, or null (then Express decides). */
function routeOf(url: string): string | null {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  return path === CHAT || path === EMBEDDINGS ? path : null;
}

/** Reads the body as express.json would (strict, limit, NUL refused), or rejects with its error. */
function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    // Aborted while the API key was looked up: its events have fired already, and would never come.
    if (req.destroyed || req.readableAborted)
      return reject(new AppError('bad_request', 'The request body could not be read'));
    const declared = req.headers['content-length'];
    let tooLarge = declared !== undefined && Number(declared) > limit;
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      if (tooLarge) return;
      size += c.length;
      if (size > limit) tooLarge = true;
      else chunks.push(c);
    });
    req.on('error', () => reject(new AppError('bad_request', 'The request body could not be read')));
    req.on('aborted', () => reject(new AppError('bad_request', 'The request body could not be read')));
    req.on('end', () => {
      if (tooLarge) return reject(new AppError('payload_too_large', 'The request body is too large'));
      const buf = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      try {
        refuseNul(buf);
      } catch (e) {
        return reject(e);
      }
      let text = buf.toString('utf8');
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      if (text.length === 0) return resolve({});
      const first = LEADING.exec(text)?.[1];
      const invalid = () => reject(new AppError('invalid_json', 'The request body is not valid JSON'));
      if (first !== '{' && first !== '[') return invalid();
      try {
        resolve(JSON.parse(text));
      } catch {
        invalid();
      }
    });
  });
}

export function gatewayFastPath(
  deps: ApiDeps,
  g: { gateway: GatewayService; limiter: TokenLimiter },
): FastHandler {
  const parsedLimit = bodyLimitBytes(deps.config.bodyLimit);
  if (parsedLimit === null) return () => false;
  const limit: number = parsedLimit;
  const hist = httpDuration(deps.metrics);
  const reply = errorReply(deps.logger, openAIErrorBody);

  async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    route: string,
    requestId: string,
    state: { label: string; started: number },
  ) {
    const sink = sinkFor(requestId, res, () =>
      hist.observe(
        { method: 'POST', route: state.label, status: String(res.statusCode) },
        (performance.now() - state.started) / 1000,
      ),
    );
    try {
      const m = BEARER.exec(req.headers.authorization ?? '');
      if (!m)
        throw new AppError(
          'unauthorized',
          'Missing API key: send Authorization: Bearer <personal API token>',
        );
      const principal = await deps.auth.authenticateApiKey(m[1]!);
      const over = g.limiter.hit(limitKey(principal));
      if (over) {
        res.setHeader('X-RateLimit-Limit', String(g.limiter.perMinute));
        throw over;
      }
      const raw = await readJson(req, limit);
      state.label = route;
      const caller = {
        userId: principal.user.id,
        teamId: principal.teamId,
        apiTokenId: principal.apiTokenId,
      };
      const bytes = Number(req.headers['content-length']) || 1000;
      try {
        if (route === CHAT) await g.gateway.chat(caller, parseChat(raw), bytes, sink);
        else await g.gateway.embeddings(caller, parse(embeddingsBody, raw) as EmbeddingsRequest, bytes, sink);
      } catch (e) {
        if (isBudgetError(e) && !res.headersSent) res.setHeader('x-should-retry', 'false');
        throw fromProviderError(e);
      }
    } catch (e) {
      if (res.headersSent) {
        deps.logger.error('Error after response started', { requestId, err: (e as Error)?.message });
        res.end();
        return;
      }
      const r = reply(e, { requestId, method: 'POST', path: route });
      const body = JSON.stringify(r.body);
      res.writeHead(r.status, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(body),
        'x-request-id': requestId,
        ...(r.retryAfter !== undefined ? { 'retry-after': String(r.retryAfter) } : {}),
      });
      res.end(body);
    }
  }

  return (req, res) => {
    if (req.method !== 'POST') return false;
    const route = routeOf(req.url ?? '');
    if (!route) return false;
    const h = req.headers;
    const type = h['content-type'];
    const encoding = h['content-encoding'];
    if (
      type === undefined ||
      !JSON_TYPE.test(type) ||
      (encoding !== undefined && encoding.toLowerCase() !== 'identity') ||
      (h['content-length'] === undefined && h['transfer-encoding'] === undefined)
    )
      return false;
    const requestId = requestIdOf(h['x-request-id']);
    // The metric's route is the /v1 router's until the body is read, the endpoint's from then on.
    const state = { label: '/v1', started: performance.now() };
    withLogContext({ requestId }, () => {
      handle(req, res, route, requestId, state).catch((e) => {
        // Only when answering the error failed too: never an unhandled rejection.
        deps.logger.error('Could not answer a gateway request', { requestId, err: (e as Error)?.message });
        res.destroy();
      });
    });
    return true;
  };
}
