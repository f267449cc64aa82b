import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { Agent } from 'undici';
import { ProviderAborted, ProviderRejected, ProviderUnavailable } from '../errors.js';

/** A connection not up within this is given up (`connection`), whatever the provider's timeout. */
const CONNECT_TIMEOUT_MS = 30_000;

/**
 * The gateway's HTTP client for provider APIs: undici's dispatcher, a keep-alive pool per provider
 * origin (about a third less CPU per call than node:http's request and agent, and well below fetch).
 * One attempt, no retries (failover is the gateway's job); the provider's timeout covers the wait
 * for the response headers, connecting included, and every gap between chunks (that one to within
 * about a second: undici's body timer is coarse). Idle connections are kept 4 s, or as long as the
 * provider's Keep-Alive header says. A body must be read to its end or destroyed, or its connection
 * is not reused.
 */
const dispatcher = new Agent({ connections: 256, connect: { timeout: CONNECT_TIMEOUT_MS } });

export interface UpstreamCall {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  signal: AbortSignal;
  providerKind: string;
}

export interface UpstreamResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Readable;
  /** What an error while reading `body` stands for (the caller's abort, a timeout, a cut). */
  readError(e: unknown): Error;
}

/** A provider URL parsed once (a handful of endpoints, called again and again). */
const targets = new Map<string, { origin: string; path: string; auth?: string } | null>();
function target(raw: string) {
  let t = targets.get(raw);
  if (t === undefined) {
    try {
      const url = new URL(raw);
      t = { origin: url.origin, path: `${url.pathname}${url.search}` };
      if (url.username || url.password) {
        const user = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
        t.auth = `Basic ${Buffer.from(user).toString('base64')}`;
      }
    } catch {
      t = null;
    }
    if (targets.size >= 1000) targets.clear();
    targets.set(raw, t);
  }
  return t;
}

/**
 * Sends the request; resolves with the response as soon as its headers arrive. The wait for them
 * (connecting included) is bounded by the provider's timeout and ends at once when the caller goes
 * away: undici acts on an abort only once a connection is up, so both are raced here, and a response
 * that arrives after the call was given up is destroyed.
 */
export function postUpstream(c: UpstreamCall): Promise<UpstreamResponse> {
  if (c.signal.aborted) return Promise.reject(new ProviderAborted('The client went away'));
  const url = target(c.url);
  if (!url)
    return Promise.reject(
      new ProviderRejected(`The provider's API endpoint is not a URL: ${c.url}`, { code: 'misconfigured' }),
    );
  const headers: Record<string, string> = { ...c.headers, 'content-type': 'application/json' };
  if (url.auth && !headers.authorization) headers.authorization = url.auth;
  return new Promise((resolve, reject) => {
    // Whichever comes first settles the call: the headers, undici's error, the timer, the abort.
    let waiting = true;
    const first = () => {
      const was = waiting;
      waiting = false;
      clearTimeout(timer);
      return was;
    };
    const cancel = new AbortController();
    const giveUp = (e: Error) => {
      if (first()) reject(e);
      cancel.abort(e);
    };
    const onAbort = () => giveUp(new ProviderAborted('The client went away'));
    const timer = setTimeout(() => giveUp(timeout(c)), c.timeoutMs);
    c.signal.addEventListener('abort', onAbort, { once: true });
    const done = () => c.signal.removeEventListener('abort', onAbort);
    dispatcher
      .request({
        origin: url.origin,
        path: url.path,
        method: 'POST',
        headers,
        body: c.body,
        signal: cancel.signal,
        headersTimeout: 0,
        bodyTimeout: c.timeoutMs,
      })
      .then(
        (res) => {
          if (!first()) {
            done();
            res.body.on('error', () => {});
            res.body.destroy();
            return;
          }
          res.body.once('close', done);
          resolve({
            status: res.statusCode,
            headers: res.headers as IncomingHttpHeaders,
            body: res.body,
            readError: (e) => failure(e, c, 'stream_cut'),
          });
        },
        (e) => {
          done();
          if (first()) reject(failure(e, c, 'connection'));
        },
      );
  });
}

const timeout = (c: UpstreamCall) =>
  new ProviderUnavailable(`The provider did not answer within ${c.timeoutMs} ms`, {
    reason: 'timeout',
    providerKind: c.providerKind,
  });

/** An undici or socket error as the router's error types. */
function failure(e: unknown, c: UpstreamCall, otherwise: 'connection' | 'stream_cut'): Error {
  if (c.signal.aborted) return new ProviderAborted('The client went away');
  if (e instanceof ProviderAborted || e instanceof ProviderUnavailable || e instanceof ProviderRejected)
    return e;
  const code = (e as { code?: unknown } | null)?.code;
  const providerKind = c.providerKind;
  const message = e instanceof Error ? e.message : String(e);
  // A header value or URL undici will not send (a key with a line break, an ftp:// endpoint).
  if (code === 'UND_ERR_INVALID_ARG')
    return new ProviderRejected(`The provider's settings cannot be sent: ${message}`, {
      code: 'misconfigured',
      providerKind,
    });
  if (code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT') return timeout(c);
  return otherwise === 'connection'
    ? new ProviderUnavailable(`Could not reach the provider: ${message}`, {
        reason: 'connection',
        providerKind,
      })
    : new ProviderUnavailable(`The provider's answer was cut: ${message}`, {
        reason: 'stream_cut',
        providerKind,
      });
}

/** Reads a whole response body as text (a cut connection is a ProviderUnavailable). */
export function readBody(res: UpstreamResponse): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const body = res.body;
    body.on('data', (c: Buffer) => chunks.push(c));
    body.on('error', (e) => reject(res.readError(e)));
    body.on('end', () =>
      resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')),
    );
  });
}

/**
 * An error answer as the router's error types: 429 and 5xx (and 529) are the provider's trouble
 * (failover); 401/403/404 are the provider's configuration (failover too, see isProviderSide); any
 * other 4xx is the request's fault and goes back to the client as is.
 */
export function upstreamError(status: number, headers: IncomingHttpHeaders, text: string, kind: string) {
  let message = text.slice(0, 500) || `HTTP ${status}`;
  let code: string | undefined;
  try {
    const j = JSON.parse(text) as { error?: { message?: unknown; code?: unknown; type?: unknown } };
    if (j?.error && typeof j.error === 'object') {
      if (typeof j.error.message === 'string') message = j.error.message;
      if (typeof j.error.code === 'string') code = j.error.code;
      else if (typeof j.error.type === 'string') code = j.error.type;
    }
  } catch {}
  if (status === 429 || status >= 500) {
    const raw = headers['retry-after'];
    const ra = Number(Array.isArray(raw) ? raw[0] : raw);
    return new ProviderUnavailable(`${status}: ${message}`, {
      status,
      code,
      reason: status === 429 ? 'rate_limit' : 'server_error',
      ...(Number.isFinite(ra) && ra > 0 ? { retryAfterMs: ra * 1000 } : {}),
      providerKind: kind,
    });
  }
  return new ProviderRejected(message, { status, code, providerKind: kind });
}
