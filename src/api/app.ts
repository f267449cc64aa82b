import { existsSync } from 'node:fs';
import type { RequestListener } from 'node:http';
import path from 'node:path';
import cors from 'cors';
import express, { type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import swaggerUi from 'swagger-ui-express';
import { AppError } from '../core/errors.js';
import type { ApiDeps } from './deps.js';
import { errorHandler, notFoundHandler } from './errorHandler.js';
import { rejectBadCredentials, resolvePrincipal } from './middleware/authenticate.js';
import { httpMetrics } from './middleware/metrics.js';
import { createApiRateLimit, createRawRouteLimit } from './middleware/rateLimit.js';
import { requestId } from './middleware/requestId.js';
import { buildOpenApiDocument } from './openapi.js';
import { adminRoutes } from './routes/admin.js';
import { authRoutes } from './routes/auth.js';
import { healthRoutes } from './routes/health.js';

/**
 * The HTTP server's request listener: the lean handlers of the early routes (the gateway's hot
 * path, src/api/routes/gatewayFast.ts) take their requests first, Express everything else.
 */
export function createRequestListener(deps: ApiDeps): RequestListener {
  const app = createApp(deps);
  const fast = (deps.earlyRoutes ?? []).flatMap((r) => (r.fast ? [r.fast(deps)] : []));
  if (!fast.length) return app;
  return (req, res) => {
    for (const f of fast) if (f(req, res)) return;
    app(req, res);
  };
}

/** Builds the Express app. It never listens: callers (main.ts, tests) do. */
export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.set('query parser', 'simple');

  app.use(requestId);
  app.use(httpMetrics(deps.metrics));
  for (const r of deps.earlyRoutes ?? []) app.use(r.path, r.create(deps));
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          'default-src': ["'self'"],
          'img-src': ["'self'", 'data:', 'https:'],
          'style-src': ["'self'", "'unsafe-inline'"],
          'script-src': ["'self'"],
          'connect-src': ["'self'"],
        },
      },
    }),
  );
  if (deps.config.corsOrigins.length) {
    app.use(
      cors({
        origin: deps.config.corsOrigins,
        credentials: false,
        exposedHeaders: ['X-Request-Id', 'Retry-After', 'Content-Disposition'],
      }),
    );
  }

  app.use(healthRoutes(deps));

  // Signature-verified integrations read the raw body themselves: they go before any parser, each
  // mount behind its own per-address limit, which runs before a byte of the body is read.
  const rawLimits = new Map<string, RequestHandler>();
  for (const r of deps.rawRoutes ?? []) {
    if (!rawLimits.has(r.path)) {
      const limit = createRawRouteLimit({ perMinute: deps.config.rateLimitPerMinute, name: r.path });
      rawLimits.set(r.path, limit);
      app.use(r.path, limit);
    }
    app.use(r.path, r.create(deps));
  }

  // Credentials are checked before the limit so that it can count per verified principal; a bad
  // token counts against the address and is answered (401) after the JSON parser, as before.
  app.use(resolvePrincipal(deps.auth));
  app.use('/api', createApiRateLimit({ perMinute: deps.config.rateLimitPerMinute }));
  app.use(
    express.json({
      limit: deps.config.bodyLimit,
      type: ['application/json', 'application/*+json'],
      verify: (req, _res, buf) => {
        // PostgreSQL text cannot hold NUL; refuse it here rather than fail deep inside a query.
        if (buf.includes(0) || buf.includes('\\u0000')) {
          throw new AppError('validation_failed', 'Text must not contain NUL (\\u0000) characters');
        }
        (req as express.Request).rawBody = buf;
      },
    }),
  );
  app.use(rejectBadCredentials);

  app.use('/api/auth', authRoutes(deps));
  app.use('/api/admin', adminRoutes(deps));
  for (const r of deps.routes ?? []) app.use(r.path, r.create(deps));

  // Built last so it holds every route registered above (before listening: PUBLIC_URL or localhost:PORT).
  const doc = buildOpenApiDocument(deps.openapi, deps.config.publicUrl());
  app.get('/api/openapi.json', (_req, res) => {
    res.json(doc);
  });
  app.use('/api/docs', swaggerUi.serve, swaggerUi.setup(doc, { customSiteTitle: 'Switchyard API' }));

  app.use('/api', notFoundHandler);

  if (deps.config.webDist && existsSync(path.join(deps.config.webDist, 'index.html'))) {
    const dist = deps.config.webDist;
    app.use(express.static(dist, { index: false, maxAge: '1h' }));
    app.get(/^\/(?!api\/|s\/).*/, (_req, res) => {
      res.sendFile(path.join(dist, 'index.html'));
    });
  }

  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return app;
}
