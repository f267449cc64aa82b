import http from 'node:http';
import https from 'node:https';
import { checkAddress, guardedLookup, isIpLiteral, OutboundRefusedError, parseOutboundUrl } from './ssrf.js';

export interface PostResult {
  status: number;
  /** The start of the response body (for the delivery log), at most `maxResponseBytes`. */
  body: string;
  durationMs: number;
}

export interface PostOptions {
  timeoutMs: number;
  allowPrivate: boolean;
  maxResponseBytes?: number;
  userAgent?: string;
}

/**
 * POSTs a JSON body with node:http(s), guarded against SSRF: the URL's literal address or every
 * resolved address must be public (unless allowPrivate), the socket connects to the address that
 * was checked (custom `lookup`: no DNS rebinding window), redirects are never followed (a 3xx is
 * returned as is), and the whole exchange is bounded by `timeoutMs`.
 *
 * Throws OutboundRefusedError when the guard refuses (do not retry), any other Error when the
 * request could not be completed (retry later).
 */
export function postJson(
  rawUrl: string,
  body: string,
  headers: Record<string, string>,
  opts: PostOptions,
): Promise<PostResult> {
  const url = parseOutboundUrl(rawUrl);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIpLiteral(host) && !opts.allowPrivate) {
    const v = checkAddress(host);
    if (!v.allowed) {
      return Promise.reject(
        new OutboundRefusedError(
          `The callback address ${host} is not public (${v.range}); set OUTBOUND_ALLOW_PRIVATE to allow it`,
        ),
      );
    }
  }
  const started = performance.now();
  const max = opts.maxResponseBytes ?? 4096;
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<PostResult>((resolve, reject) => {
    const req = client.request(
      url,
      {
        method: 'POST',
        agent: false,
        lookup: guardedLookup({ allowPrivate: opts.allowPrivate }),
        signal: AbortSignal.timeout(opts.timeoutMs),
        headers: {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': opts.userAgent ?? 'Switchyard-Webhooks/1',
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < max) chunks.push(c.subarray(0, max - size));
          size += c.length;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            durationMs: Math.round(performance.now() - started),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', (e: Error & { code?: string }) => {
      if (e instanceof OutboundRefusedError) return reject(e);
      if (e.name === 'AbortError' || e.name === 'TimeoutError' || e.code === 'ABORT_ERR') {
        return reject(new Error(`No answer within ${opts.timeoutMs} ms`));
      }
      reject(e);
    });
    req.end(body);
  });
}
