import { type Request, Router } from 'express';
import { safeEqual } from '../../core/auth/secrets.js';
import { AppError } from '../../core/errors.js';
import type { ApiDeps } from '../deps.js';

export function healthRoutes(deps: ApiDeps) {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const checks = await deps.readiness();
    const ok = Object.values(checks).every(Boolean);
    if (!ok) res.setHeader('Retry-After', '5');
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'unavailable', checks });
  });
  router.get('/metrics', async (req, res, next) => {
    try {
      if (deps.config.metricsToken) {
        const got = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1] ?? '';
        if (!safeEqual(got, deps.config.metricsToken))
          throw new AppError('unauthorized', 'Metrics need Authorization: Bearer $METRICS_TOKEN');
      } else if (!isDirectLoopback(req)) {
        throw new AppError(
          'forbidden',
          'Metrics are served to this machine only; set METRICS_TOKEN to scrape them remotely',
        );
      }
      res.setHeader('Content-Type', deps.metrics.contentType);
      res.send(await deps.metrics.metrics());
    } catch (e) {
      next(e);
    }
  });
  return router;
}

/**
 * Without METRICS_TOKEN, /metrics answers only a client on this machine: the socket's own peer
 * address (never X-Forwarded-For, whatever `trust proxy` says) must be loopback, and the request
 * must not have come through a proxy (a local reverse proxy makes every visitor look local).
 */
function isDirectLoopback(req: Request): boolean {
  const peer = req.socket.remoteAddress ?? '';
  const loopback = peer === '::1' || /^(::ffff:)?127\./.test(peer);
  return loopback && !req.get('x-forwarded-for') && !req.get('forwarded') && !req.get('x-real-ip');
}
