import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderAborted, ProviderRejected, ProviderUnavailable } from '../../src/core/errors.js';
import { postUpstream, readBody, type UpstreamCall, upstreamError } from '../../src/core/gateway/upstream.js';

/**
 * The gateway's client for provider APIs against a real HTTP server on 127.0.0.1: what reaches the
 * provider, and how each way a call can go wrong comes back (the gateway's failover, circuit breaker
 * and call records depend on the error's class and reason).
 */
let server: http.Server;
let base: string;
const seen: Array<{ url?: string; headers: http.IncomingHttpHeaders; body: string }> = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const route = req.url ?? '';
      if (route.startsWith('/ok')) {
        res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'yes' });
        res.end('{"answer":"héllo"}');
      } else if (route === '/chunks') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: one\n\n');
        setTimeout(() => res.end('data: two\n\n'), 50);
      } else if (route === '/silent') {
        // never answers (until the server closes)
      } else if (route === '/gap') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: one\n\n');
      } else if (route === '/cut') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        res.write('{"partial":');
        setTimeout(() => res.socket?.destroy(), 20);
      } else {
        res.writeHead(404).end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const call = (path: string, over: Partial<UpstreamCall> = {}): UpstreamCall => ({
  url: `${base}${path}`,
  headers: { authorization: 'Bearer sk-test' },
  body: '{"model":"m","messages":[{"role":"user","content":"hi ✓"}]}',
  timeoutMs: 5_000,
  signal: new AbortController().signal,
  providerKind: 'openai',
  ...over,
});

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the call to fail');
}

describe('gateway upstream client', () => {
  it('posts the body and headers, and answers with status, headers and the whole body', async () => {
    const res = await postUpstream(call('/ok?x=1'));
    expect(res.status).toBe(200);
    expect(res.headers['x-upstream']).toBe('yes');
    expect(await readBody(res)).toBe('{"answer":"héllo"}');
    const got = seen.find((s) => s.url === '/ok?x=1');
    expect(got?.headers.authorization).toBe('Bearer sk-test');
    expect(got?.headers['content-type']).toBe('application/json');
    expect(Number(got?.headers['content-length'])).toBe(Buffer.byteLength(call('/ok').body));
    expect(got?.body).toBe(call('/ok').body);
  });

  it('streams the body as it comes', async () => {
    const res = await postUpstream(call('/chunks'));
    res.body.setEncoding('utf8');
    const parts: string[] = [];
    for await (const c of res.body) parts.push(c as string);
    expect(parts.join('')).toBe('data: one\n\ndata: two\n\n');
  });

  it('a provider that does not answer within its timeout is unavailable (timeout)', async () => {
    const e = await failure(postUpstream(call('/silent', { timeoutMs: 200 })));
    expect(e).toBeInstanceOf(ProviderUnavailable);
    expect((e as ProviderUnavailable).info.reason).toBe('timeout');
  });

  it('a gap between chunks longer than the timeout is a timeout too', async () => {
    const res = await postUpstream(call('/gap', { timeoutMs: 200 }));
    const e = await failure(readBody(res));
    expect(e).toBeInstanceOf(ProviderUnavailable);
    expect((e as ProviderUnavailable).info.reason).toBe('timeout');
  });

  it('a body cut before its end is a cut, never a short answer', async () => {
    const res = await postUpstream(call('/cut'));
    const e = await failure(readBody(res));
    expect(e).toBeInstanceOf(ProviderUnavailable);
    expect((e as ProviderUnavailable).info.reason).toBe('stream_cut');
  });

  // The provider's timeout is a minute in these: only the abort can end the call within the test's time.
  it("the caller's abort ends the call as aborted, before the headers and while reading", {
    timeout: 20_000,
  }, async () => {
    const before = new AbortController();
    const pending = postUpstream(call('/silent', { signal: before.signal, timeoutMs: 60_000 }));
    setTimeout(() => before.abort(), 30);
    expect(await failure(pending)).toBeInstanceOf(ProviderAborted);

    const during = new AbortController();
    const res = await postUpstream(call('/gap', { signal: during.signal, timeoutMs: 60_000 }));
    const reading = readBody(res);
    setTimeout(() => during.abort(), 30);
    expect(await failure(reading)).toBeInstanceOf(ProviderAborted);

    const already = new AbortController();
    already.abort();
    expect(await failure(postUpstream(call('/ok', { signal: already.signal })))).toBeInstanceOf(
      ProviderAborted,
    );
  });

  it('a provider stuck while connecting is bounded by its timeout, and the abort ends the wait', {
    timeout: 20_000,
  }, async () => {
    // Accepts the TCP connection and never answers the TLS handshake.
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const url = `https://127.0.0.1:${(silent.address() as AddressInfo).port}/v1/chat/completions`;
    try {
      const timedOut = await failure(postUpstream(call('', { url, timeoutMs: 300 })));
      expect(timedOut).toBeInstanceOf(ProviderUnavailable);
      expect((timedOut as ProviderUnavailable).info.reason).toBe('timeout');

      const caller = new AbortController();
      const pending = postUpstream(call('', { url, signal: caller.signal, timeoutMs: 60_000 }));
      setTimeout(() => caller.abort(), 30);
      expect(await failure(pending)).toBeInstanceOf(ProviderAborted);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  it("settings undici cannot send are the provider's configuration, not an outage", async () => {
    const e = await failure(postUpstream(call('/ok', { headers: { authorization: 'Bearer sk-1\nx' } })));
    expect(e).toBeInstanceOf(ProviderRejected);
    expect((e as ProviderRejected).info.code).toBe('misconfigured');
  });

  it('reads Retry-After when the provider repeats it', () => {
    const e = upstreamError(429, { 'retry-after': ['2', '2'] } as never, '', 'openai');
    expect(e).toBeInstanceOf(ProviderUnavailable);
    expect((e as ProviderUnavailable).info.retryAfterMs).toBe(2000);
  });

  it('a provider that cannot be reached is unavailable (connection); a URL that is not one is refused', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const e = await failure(postUpstream(call('', { url: `http://127.0.0.1:${port}/v1` })));
    expect(e).toBeInstanceOf(ProviderUnavailable);
    expect((e as ProviderUnavailable).info.reason).toBe('connection');

    const bad = await failure(postUpstream(call('', { url: 'not a url' })));
    expect(bad).toBeInstanceOf(ProviderRejected);
    expect((bad as ProviderRejected).info.code).toBe('misconfigured');
  });
});
