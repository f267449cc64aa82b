import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A recording HTTP stub on 127.0.0.1 (random port) for driving real SDKs and `fetch` clients in
 * tests: every request is recorded (method, url, headers, raw body) before the scripted handler
 * runs, and helpers answer with JSON or Server-Sent Events (with delays, mid-stream errors and cut
 * connections).
 *
 *   const stub = await startStubServer((req, res) => sendJson(res, 200, { ok: true }));
 *   stub.handle(async (req, res) => { await sendSse(res, [{ data: {…} }, { data: '[DONE]' }]); });
 *   expect(stub.requests).toHaveLength(1);
 *   await stub.close();
 */
export interface RecordedRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  /** Path without the query. */
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  rawBody: Buffer;
  body: string;
  json(): any;
}

export type StubHandler = (req: RecordedRequest, res: http.ServerResponse) => unknown;

export interface StubServer {
  url: string;
  port: number;
  requests: RecordedRequest[];
  server: http.Server;
  /** Replace the handler for the following requests. */
  handle(handler: StubHandler): void;
  /** Requests matching `pred` (all when omitted). */
  count(pred?: (r: RecordedRequest) => boolean): number;
  /** Forget recorded requests. */
  reset(): void;
  close(): Promise<void>;
}

export async function startStubServer(initial?: StubHandler): Promise<StubServer> {
  const requests: RecordedRequest[] = [];
  let handler: StubHandler | undefined = initial;
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const rawBody = Buffer.concat(chunks);
    const u = new URL(req.url ?? '/', 'http://stub');
    const rec: RecordedRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      path: u.pathname,
      query: u.searchParams,
      headers: req.headers,
      rawBody,
      body: rawBody.toString('utf8'),
      json: () => JSON.parse(rawBody.toString('utf8') || 'null'),
    };
    requests.push(rec);
    try {
      if (handler) await handler(rec, res);
    } catch (e) {
      if (!res.headersSent && !res.destroyed)
        sendJson(res, 500, { error: { message: `stub handler failed: ${String(e)}` } });
    }
    if (!res.writableEnded && !res.destroyed)
      sendJson(res, 404, { error: { message: `stub: unhandled ${rec.method} ${rec.path}` } });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    server,
    handle(h) {
      handler = h;
    },
    count(pred) {
      return pred ? requests.filter(pred).length : requests.length;
    },
    reset() {
      requests.length = 0;
    },
    close: () => closeServer(server),
  };
}

export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.destroyed || res.writableEnded) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** Wait `ms`, or less if the client goes away first. */
export function delay(ms: number, res?: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      res?.off('close', done);
      resolve();
    }
    res?.once('close', done);
  });
}

/**
 * One step of an SSE answer: an event (`data` is JSON-encoded unless it is a string), a pause, or a
 * cut (the socket is destroyed without ending the response).
 */
export type SseStep = { event?: string; data: unknown } | { pauseMs: number } | { cut: true };

export async function sendSse(
  res: http.ServerResponse,
  steps: SseStep[],
  opts: { status?: number; headers?: Record<string, string> } = {},
): Promise<void> {
  if (res.destroyed) return;
  res.writeHead(opts.status ?? 200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    ...opts.headers,
  });
  res.flushHeaders();
  for (const step of steps) {
    if (res.destroyed) return;
    if ('cut' in step) {
      res.destroy();
      return;
    }
    if ('pauseMs' in step) {
      await delay(step.pauseMs, res);
      continue;
    }
    const data = typeof step.data === 'string' ? step.data : JSON.stringify(step.data);
    res.write(`${step.event ? `event: ${step.event}\n` : ''}data: ${data}\n\n`);
  }
  if (!res.destroyed) res.end();
}

/** A loopback URL where nothing listens (connection refused). */
export async function closedPortUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await closeServer(server);
  return `http://127.0.0.1:${port}`;
}
