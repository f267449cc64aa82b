import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type pg from 'pg';
import { createRequestListener } from '../api/app.js';
import type { ApiDeps, RouteFactory } from '../api/deps.js';
import { createOpenApiRegistry } from '../api/openapi.js';
import { adminStatsRoutes } from '../api/routes/adminStats.js';
import { contentRoutes } from '../api/routes/content.js';
import { sharedApiRoutes, sharePageRoutes } from '../api/routes/shared.js';
import { ssoRoutes } from '../api/routes/sso.js';
import { taskEventRoutes } from '../api/routes/taskEvents.js';
import { taskRoutes } from '../api/routes/tasks.js';
import { teamRoutes } from '../api/routes/teams.js';
import { registerDatabaseGauges } from '../metrics/databaseGauges.js';
import { createStatsReader } from '../models/statsStore.js';
import type { StreamBus } from '../models/streamBus.js';
import type { Features } from './features.js';
import type { Core } from './services.js';
import type { Stoppers } from './stoppers.js';

export interface RunningApi {
  server: Server;
  url: string;
  deps: ApiDeps;
}

/** The project root: the nearest folder above this file with a package.json (src/ under tsx, dist/src/ when built). */
function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}
const root = projectRoot();

/** The API role: the HTTP server with every route, listening on HOST:PORT. */
export async function startApi(
  core: Core,
  features: Features,
  infra: { pool: pg.Pool; live: StreamBus },
  stoppers: Stoppers,
): Promise<RunningApi> {
  const { env, metrics } = core;
  registerDatabaseGauges(metrics.registry, infra.pool);
  const deps = apiDeps(core, features, infra);
  // Runs after the HTTP server has closed (stoppers run in reverse), before the pool ends.
  stoppers.push(() => features.gateway.stop());
  const server = createServer(createRequestListener(deps)).listen(env.PORT, env.HOST);
  await once(server, 'listening');
  stoppers.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 5_000).unref();
      }),
  );
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : env.PORT;
  const host = env.HOST === '0.0.0.0' || env.HOST === '::' ? 'localhost' : env.HOST;
  // Without PUBLIC_URL, core.publicUrl() is this address from now on (src/compose.ts).
  return { server, url: `http://${host}:${port}`, deps };
}

function apiDeps(
  core: Core,
  features: Features,
  { pool, live }: { pool: pg.Pool; live: StreamBus },
): ApiDeps {
  const { env, boss } = core;
  return {
    logger: core.logger,
    config: {
      bodyLimit: env.BODY_LIMIT,
      corsOrigins: env.CORS_ORIGINS,
      rateLimitPerMinute: env.RATE_LIMIT_PER_MINUTE,
      authRateLimitPerMinute: env.AUTH_RATE_LIMIT_PER_MINUTE,
      metricsToken: env.METRICS_TOKEN,
      publicUrl: core.publicUrl,
      webDist: path.join(root, 'web', 'dist'),
    },
    openapi: createOpenApiRegistry() as OpenAPIRegistry,
    metrics: core.metrics.registry,
    auth: core.auth,
    audit: core.audit,
    settings: core.settings,
    readiness: async () => {
      const out = { database: false, queue: false };
      try {
        await pool.query('SELECT 1');
        out.database = true;
      } catch {}
      try {
        await boss.getQueue('generate');
        out.queue = true;
      } catch {}
      return out;
    },
    routes: apiRoutes(core, features, live),
    earlyRoutes: features.gateway.routes,
    rawRoutes: features.integrations.flatMap((i) => i.rawRoutes ?? []),
  };
}

/** Every JSON route, in mount order. */
function apiRoutes(core: Core, f: Features, live: StreamBus): RouteFactory[] {
  const { tasks, taskTypes, spend, teams } = core;
  const { content, contentStore, sso } = f;
  return [
    {
      path: '/api',
      create: (d) =>
        taskRoutes(d, {
          tasks,
          taskTypes,
          costOf: spend.costOf,
          approvalOf: spend.approvalOf,
          estimate: spend.estimate,
        }),
    },
    ...spend.routes,
    {
      path: '/api',
      create: (d) =>
        taskEventRoutes(d, {
          tasks,
          live,
          contentText: async (id) => (await contentStore.get(id))?.contentData ?? null,
        }),
    },
    { path: '/api', create: (d) => teamRoutes(d, { teams }) },
    { path: '/api', create: (d) => contentRoutes(d, { content }) },
    { path: '/api', create: (d) => sharedApiRoutes(d, { content }) },
    { path: '/s', create: (d) => sharePageRoutes(d, { content }) },
    { path: '/api', create: (d) => adminStatsRoutes(d, { stats: createStatsReader(core.db) }) },
    ...f.providers.routes,
    ...f.integrations.flatMap((i) => i.routes ?? []),
    ...f.chat.routes,
    ...f.collab.routes,
    ...f.reportSchedules.routes,
    { path: '/api/auth', create: (d) => ssoRoutes(d, { sso }) },
  ];
}
