import { Router } from 'express';
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
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'unavailable', checks });
  });
  router.get('/metrics', async (req, res, next) => {
    try {
      if (deps.config.metricsToken) {
        const got = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1] ?? '';
        if (!safeEqual(got, deps.config.metricsToken))
          throw new AppError('unauthorized', 'Metrics need Authorization: Bearer $METRICS_TOKEN');
      }
      res.setHeader('Content-Type', deps.metrics.contentType);
      res.send(await deps.metrics.metrics());
    } catch (e) {
      next(e);
    }
  });
  return router;
}
