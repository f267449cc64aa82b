import http from 'node:http';
import https from 'node:https';
import { ProviderAborted, ProviderRejected, ProviderUnavailable } from '../errors.js';

/**
 * The gateway's HTTP client for provider APIs: node:http with keep-alive agents (cheaper per call
 * than fetch on the hot path). One attempt, no retries (failover is the gateway's job); the
 * provider's timeout covers the wait for the response headers and every gap between chunks.
 */
const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64 }),
};

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
  headers: http.IncomingHttpHeaders;
  body: http.IncomingMessage;
}

/** A provider URL parsed once (a handful of endpoints, called again and again). */
const targets = new Map<string, { secure: boolean; options: http.RequestOptions } | null>();
function target(raw: string) {
  let t = targets.get(raw);
  if (t === undefined) {
    try {
      const url = new URL(raw);
      t = {
        secure: url.protocol === 'https:',
        options: {
          protocol: url.protocol,
          hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
          port: url.port || undefined,
          path: `${url.pathname}${url.search}`,
          ...(url.username || url.password
            ? { auth: `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` }
            : {}),
        },
      };
    } catch {
      t = null;
    }
    if (targets.size >= 1000) targets.clear();
    targets.set(raw, t);
  }
  return t;
}

/** Sends the request; resolves with the response as soon as its headers arrive. */
export function postUpstream(c: UpstreamCall): Promise<UpstreamResponse> {
  return new Promise((resolve, reject) => {
    if (c.signal.aborted) return reject(new ProviderAborted('The client went away'));
    const url = target(c.url);
    if (!url)
      return reject(
        new ProviderRejected(`The provider's API endpoint is not a URL: ${c.url}`, { code: 'misconfigured' }),
      );
    const secure = url.secure;
    const payload = Buffer.from(c.body);
    const req = (secure ? https : http).request({
      ...url.options,
      method: 'POST',
      agent: secure ? agents.https : agents.http,
      headers: { ...c.headers, 'content-type': 'application/json', 'content-length': payload.length },
    });
    const onAbort = () => req.destroy(new ProviderAborted('The client went away'));
    c.signal.addEventListener('abort', onAbort, { once: true });
    req.setTimeout(c.timeoutMs, () =>
      req.destroy(
        new ProviderUnavailable(`The provider did not answer within ${c.timeoutMs} ms`, {
          reason: 'timeout',
          providerKind: c.providerKind,
        }),
      ),
    );
    req.on('response', (res) => {
      res.on('close', () => c.signal.removeEventListener('abort', onAbort));
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res });
    });
    req.on('error', (e) => {
      c.signal.removeEventListener('abort', onAbort);
      reject(
        e instanceof ProviderAborted || e instanceof ProviderUnavailable
          ? e
          : new ProviderUnavailable(`Could not reach the provider: ${e.message}`, {
              reason: 'connection',
              providerKind: c.providerKind,
            }),
      );
    });
    req.end(payload);
  });
}

/** Reads a whole response body as text (a cut connection is a ProviderUnavailable). */
export function readBody(res: UpstreamResponse, providerKind: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const body = res.body;
    body.on('data', (c: Buffer) => chunks.push(c));
    body.on('error', (e) =>
      reject(
        e instanceof ProviderAborted || e instanceof ProviderUnavailable
          ? e
          : new ProviderUnavailable(`The provider's answer was cut: ${e.message}`, {
              reason: 'stream_cut',
              providerKind,
            }),
      ),
    );
    body.on('close', () => {
      if (!body.complete)
        reject(
          new ProviderUnavailable("The provider's answer was cut", { reason: 'stream_cut', providerKind }),
        );
    });
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
export function upstreamError(status: number, headers: http.IncomingHttpHeaders, text: string, kind: string) {
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
    const ra = Number(headers['retry-after']);
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
