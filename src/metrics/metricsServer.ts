import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { safeEqual } from '../core/auth/secrets.js';

/**
 * GET /metrics for a process without the API (a worker), with /metrics's rule: `Authorization:
 * Bearer $METRICS_TOKEN` when a token is set, otherwise loopback clients only.
 */
export async function startMetricsServer(opts: {
  registry: Registry;
  port: number;
  host: string;
  token?: string;
}): Promise<{ server: Server; port: number; stop(): Promise<void> }> {
  const server = createServer((req, res) => {
    const reply = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'content-type': type }).end(body);
    };
    if (req.method !== 'GET' || new URL(req.url ?? '/', 'http://x').pathname !== '/metrics')
      return reply(404, 'not found\n');
    if (!allowed(req, opts.token)) return reply(opts.token ? 401 : 403, 'metrics need METRICS_TOKEN\n');
    opts.registry.metrics().then(
      (text) => reply(200, text, opts.registry.contentType),
      () => reply(500, 'metrics failed\n'),
    );
  });
  server.listen(opts.port, opts.host);
  await once(server, 'listening');
  const addr = server.address();
  return {
    server,
    port: typeof addr === 'object' && addr ? addr.port : opts.port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function allowed(req: IncomingMessage, token: string | undefined): boolean {
  if (token) {
    const got = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
    return safeEqual(got, token);
  }
  const peer = req.socket.remoteAddress ?? '';
  return (peer === '::1' || /^(::ffff:)?127\./.test(peer)) && !req.headers['x-forwarded-for'];
}
