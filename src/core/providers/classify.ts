import { ProviderAborted, type ProviderError, ProviderRejected, ProviderUnavailable } from '../errors.js';

/**
 * One place that turns whatever a provider call threw (an OpenAI or Anthropic SDK error, a fetch
 * failure, an HTTP answer from Manus) into ProviderRejected / ProviderUnavailable / ProviderAborted.
 *
 * It is duck-typed on purpose: vendor SDKs are only imported by connectors/*, and both SDKs share the
 * Stainless error shape (`status`, `headers`, `error`, class names such as APIConnectionTimeoutError).
 *
 * Messages never carry the API key or the prompt: the provider's own message is redacted (exact
 * secrets, key-shaped strings, any quoted slice of the prompt) and dropped entirely for 401/403
 * (OpenAI echoes a masked key there).
 */
export interface ClassifyContext {
  /** Provider kind, for the message prefix and `info.providerKind`. */
  providerKind: string;
  /** The caller's signal: aborted means "we cancelled" → ProviderAborted. */
  callerSignal?: AbortSignal;
  /** Our own deadline for the whole call: aborted means timeout. */
  deadlineSignal?: AbortSignal;
  /** 'stream' once the response has started: transport errors then mean the stream was cut. */
  phase?: 'request' | 'stream';
  /** Strings that must never appear in a message (API key, prompt, system prompt). */
  secrets?: Array<string | undefined>;
}

type Reason = ProviderUnavailable['info']['reason'];

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_CLOSED',
]);

export function isProviderError(e: unknown): e is ProviderError {
  return e instanceof ProviderRejected || e instanceof ProviderUnavailable || e instanceof ProviderAborted;
}

export function classifyProviderError(err: unknown, ctx: ClassifyContext): ProviderError {
  const kind = ctx.providerKind;
  if (ctx.callerSignal?.aborted) return new ProviderAborted(`${kind}: the call was aborted`);
  if (isProviderError(err)) return err;
  if (ctx.deadlineSignal?.aborted) return unavailable(ctx, 'timeout', 'timed out');

  const e = (err ?? {}) as Record<string, unknown>;
  const names = errorNames(err);
  const status = typeof e.status === 'number' ? e.status : undefined;

  if (names.has('APIConnectionTimeoutError') || names.has('TimeoutError')) {
    return unavailable(ctx, 'timeout', 'timed out');
  }
  if (names.has('APIUserAbortError') || names.has('AbortError')) {
    // Aborted without our caller's signal or deadline firing: something else cancelled the request.
    return new ProviderAborted(`${kind}: the call was aborted`);
  }

  if (status !== undefined) return fromHttpStatus(status, e, ctx);

  // JSON that does not parse (an SSE event or a whole body): the same bytes would come back on a retry.
  if (err instanceof SyntaxError) return protocolError(ctx.providerKind, 'the answer is not valid JSON');

  const code = connectionCode(err);
  if (names.has('APIConnectionError') || code !== undefined || isFetchFailure(err)) {
    if (ctx.phase === 'stream')
      return unavailable(ctx, 'stream_cut', 'the response stream was cut', { code });
    return unavailable(ctx, 'connection', 'could not connect', { code });
  }

  // An API error without an HTTP status: an error event inside an SSE stream (both SDKs).
  if (isApiErrorShape(e)) {
    const type = apiErrorType(e);
    const detail = providerMessage(e, ctx);
    return unavailable(
      ctx,
      'stream_cut',
      `error inside the response stream${type ? ` (${type})` : ''}${detail}`,
      {
        code: type,
      },
    );
  }

  if (ctx.phase === 'stream') return unavailable(ctx, 'stream_cut', 'the response stream failed');
  return unavailable(ctx, 'other', 'unexpected failure');
}

/**
 * The provider answered something that is not its protocol (a body that does not parse, a JSON
 * document of the wrong shape): deterministic, so it is a rejection (not retried), code
 * `protocol_error`. `what` is ours, never the provider's text (it could quote the prompt).
 */
export function protocolError(kind: string, what: string, status?: number): ProviderRejected {
  return new ProviderRejected(`${kind}: protocol error: ${what}`, {
    code: 'protocol_error',
    providerKind: kind,
    ...(status !== undefined ? { status } : {}),
  });
}

/** True when a response carries one JSON document (`application/json`, `…+json`), not an SSE stream. */
export function isJsonResponse(response: { headers: { get(name: string): string | null } }): boolean {
  const type = response.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || type.endsWith('+json');
}

/**
 * Reads a complete JSON answer given where a stream was asked for (some OpenAI-compatible servers
 * and proxies ignore `stream: true`). A body that does not parse, or is not a JSON object, is a
 * protocol error. An `{"error": …}` document comes back as the SDKs report an error event inside a
 * stream (an API error without an HTTP status), so it is classified the same way.
 */
export async function readJsonAnswer(
  response: { status: number; headers: { get(name: string): string | null }; text(): Promise<string> },
  kind: string,
): Promise<Record<string, unknown>> {
  const raw = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    throw protocolError(kind, 'the answer is not valid JSON', response.status);
  }
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw protocolError(kind, 'the answer is not a JSON object', response.status);
  const doc = body as Record<string, unknown>;
  if (doc.error && typeof doc.error === 'object') {
    const nested = doc.error as Record<string, unknown>;
    throw Object.assign(new Error('error answer'), {
      error: nested,
      type: typeof nested.type === 'string' ? nested.type : undefined,
      headers: response.headers,
    });
  }
  return doc;
}

/** Map an HTTP status (from an SDK error or a raw fetch Response) to a provider error. */
export function fromHttpStatus(
  status: number,
  e: Record<string, unknown>,
  ctx: ClassifyContext,
): ProviderError {
  const kind = ctx.providerKind;
  const code = apiErrorType(e);
  const detail = status === 401 || status === 403 ? '' : providerMessage(e, ctx);
  const suffix = `HTTP ${status}${code ? `, ${code}` : ''}`;
  if (status === 429) {
    return unavailable(ctx, 'rate_limit', `rate limited (${suffix})${detail}`, {
      status,
      code,
      retryAfterMs: retryAfterMs(e.headers),
    });
  }
  if (status === 408) return unavailable(ctx, 'timeout', `timed out (${suffix})`, { status, code });
  if (status >= 500) {
    return unavailable(ctx, 'server_error', `server error (${suffix})${detail}`, {
      status,
      code,
      retryAfterMs: retryAfterMs(e.headers),
    });
  }
  if (status === 409) return unavailable(ctx, 'other', `conflict (${suffix})${detail}`, { status, code });
  if (status === 401 || status === 403) {
    return new ProviderRejected(`${kind}: authentication failed (${suffix})`, {
      status,
      code,
      providerKind: kind,
    });
  }
  if (status >= 400) {
    return new ProviderRejected(`${kind}: request rejected (${suffix})${detail}`, {
      status,
      code,
      providerKind: kind,
    });
  }
  return unavailable(ctx, 'other', `unexpected answer (HTTP ${status})`, { status, code });
}

/** Milliseconds from `retry-after-ms`, then `retry-after` (seconds or an HTTP date). */
export function retryAfterMs(headers: unknown, now = Date.now()): number | undefined {
  const get = headerGetter(headers);
  if (!get) return undefined;
  const ms = Number.parseFloat(get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return Math.round(ms);
  const raw = get('retry-after');
  if (!raw) return undefined;
  const seconds = Number.parseFloat(raw);
  if (Number.isFinite(seconds) && /^\s*\d+(\.\d+)?\s*$/.test(raw))
    return Math.max(0, Math.round(seconds * 1000));
  const date = Date.parse(raw);
  if (Number.isFinite(date)) return Math.max(0, date - now);
  return undefined;
}

/**
 * Remove secrets from a provider-supplied string: exact secrets, key-shaped tokens, and (if the
 * text quotes the prompt) the whole text. Returns '' when nothing safe is left.
 */
export function redactProviderText(text: string, secrets: Array<string | undefined> = []): string {
  let out = text.slice(0, 500);
  for (const s of secrets) {
    if (!s) continue;
    if (s.length >= 24 && quotes(out, s)) return '';
    if (s.length >= 4) out = out.split(s).join('[redacted]');
  }
  out = out
    .replace(/\bBearer\s+\S+/gi, 'Bearer [redacted]')
    .replace(/\b(?:sk|pk|rk|xai|key|mk)[-_][A-Za-z0-9*_.-]{6,}/gi, (m) =>
      /[\d*]/.test(m) ? '[redacted]' : m,
    );
  return out.replace(/\s+/g, ' ').trim().slice(0, 240);
}

// ---------------------------------------------------------------------------------------------

function unavailable(
  ctx: ClassifyContext,
  reason: Reason,
  what: string,
  extra: { status?: number; code?: string; retryAfterMs?: number } = {},
): ProviderUnavailable {
  const info: ProviderUnavailable['info'] = { reason, providerKind: ctx.providerKind };
  if (extra.status !== undefined) info.status = extra.status;
  if (extra.code !== undefined) info.code = extra.code;
  if (extra.retryAfterMs !== undefined) info.retryAfterMs = extra.retryAfterMs;
  return new ProviderUnavailable(`${ctx.providerKind}: ${what}`, info);
}

/** Does `text` contain any 24-character window of `secret` (a quoted slice of the prompt)? */
function quotes(text: string, secret: string): boolean {
  const w = 24;
  for (let i = 0; i + w <= secret.length; i += 12) {
    if (text.includes(secret.slice(i, i + w))) return true;
  }
  return text.includes(secret.slice(-w));
}

/** The class name and `name` of an error: Stainless errors keep `name === 'Error'`, DOMExceptions the reverse. */
function errorNames(err: unknown): Set<string> {
  const names = new Set<string>();
  if (!err || typeof err !== 'object') return names;
  const ctorName = (err as { constructor?: { name?: unknown } }).constructor?.name;
  const name = (err as { name?: unknown }).name;
  if (typeof ctorName === 'string') names.add(ctorName);
  if (typeof name === 'string') names.add(name);
  return names;
}

function connectionCode(err: unknown): string | undefined {
  let cur: unknown = err;
  for (let depth = 0; depth < 5 && cur && typeof cur === 'object'; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_CODES.has(code)) return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

function isFetchFailure(err: unknown): boolean {
  if (!(err instanceof TypeError)) return false;
  return /fetch failed|terminated|network|socket/i.test(err.message);
}

function isApiErrorShape(e: Record<string, unknown>): boolean {
  return 'error' in e && ('type' in e || 'requestID' in e || 'headers' in e);
}

/** `type`/`code` from an SDK error or a raw error body ({error: {type, code, message}}). */
function apiErrorType(e: Record<string, unknown>): string | undefined {
  const body = (e.error ?? {}) as Record<string, unknown>;
  const nested = (body.error ?? {}) as Record<string, unknown>;
  for (const v of [e.code, e.type, body.code, body.type, nested.type, nested.code]) {
    if (typeof v === 'string' && v && v !== 'error') return v.slice(0, 64);
  }
  return undefined;
}

function providerMessage(e: Record<string, unknown>, ctx: ClassifyContext): string {
  const body = (e.error ?? {}) as Record<string, unknown>;
  const nested = (body.error ?? {}) as Record<string, unknown>;
  const raw = [e.apiMessage, nested.message, body.message].find((v) => typeof v === 'string' && v.trim());
  if (typeof raw !== 'string') return '';
  const safe = redactProviderText(raw, ctx.secrets);
  return safe ? `: ${safe}` : '';
}

function headerGetter(headers: unknown): ((name: string) => string | null | undefined) | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  const h = headers as { get?: unknown };
  if (typeof h.get === 'function') return (n) => (h.get as (n: string) => string | null)(n);
  const rec = headers as Record<string, unknown>;
  return (n) => {
    const v = rec[n] ?? rec[n.toLowerCase()];
    return Array.isArray(v) ? String(v[0]) : typeof v === 'string' ? v : undefined;
  };
}
