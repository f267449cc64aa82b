import { once } from 'node:events';
import type { Server } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import pg from 'pg';
import type { PgBoss } from 'pg-boss';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { createApp } from './api/app.js';
import type { ApiDeps } from './api/deps.js';
import { createOpenApiRegistry } from './api/openapi.js';
import { AuthService } from './core/auth/authService.js';
import { AccessTokens } from './core/auth/jwt.js';
import { SecretBox } from './core/crypto/secretBox.js';
import { type Env, mockProviderEnabled } from './env.js';
import { createBoss } from './jobs/boss.js';
import { createQueues } from './jobs/queues.js';
import { type Logger, registerSecret } from './logger.js';
import { createAuditStore } from './models/auditStore.js';
import { createAuthStore } from './models/authStore.js';
import { createDb, createPool, type Db, describeDatabaseUrl, runMigrations } from './models/db.js';
import { type EmbeddedDatabase, startEmbeddedPostgres } from './models/embedded.js';
import { createSettingsStore } from './models/settingsStore.js';
import { resolveSecrets } from './secrets.js';

export type Role = 'api' | 'worker' | 'bots';
export const ALL_ROLES: Role[] = ['api', 'worker', 'bots'];

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface Switchyard {
  env: Env;
  logger: Logger;
  db: Db;
  pool: pg.Pool;
  boss: PgBoss;
  databaseUrl: string;
  databaseLabel: string;
  embedded?: EmbeddedDatabase;
  api?: { server: Server; url: string; deps: ApiDeps };
  /** Human-readable lines describing what runs (the start-up banner). */
  banner(): string;
  stop(): Promise<void>;
}

/** Creates the `switchyard` database on an embedded server if it is not there yet. */
async function ensureDatabase(adminUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const r = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!r.rowCount) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

/**
 * The composition root: parses nothing (env comes in parsed), builds every part, starts the
 * requested roles. Used by src/main.ts, the CLI, benchmarks and the test harness alike.
 */
export async function startSwitchyard(opts: {
  env: Env;
  logger: Logger;
  roles?: Role[];
}): Promise<Switchyard> {
  const { env, logger } = opts;
  const roles = new Set(opts.roles ?? ALL_ROLES);
  const stoppers: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const s of stoppers.reverse()) {
      try {
        await s();
      } catch (e) {
        logger.error('Error during shutdown', { err: (e as Error).message });
      }
    }
  };

  try {
    const secrets = resolveSecrets(env, logger);
    for (const s of [
      secrets.jwtSecret,
      env.OPENAI_API_KEY,
      env.ANTHROPIC_API_KEY,
      env.XAI_API_KEY,
      env.MANUS_API_KEY,
      env.SLACK_BOT_TOKEN,
      env.SLACK_SIGNING_SECRET,
      env.DISCORD_BOT_TOKEN,
      env.TELEGRAM_BOT_TOKEN,
      env.TELEGRAM_WEBHOOK_SECRET,
      env.GITHUB_TOKEN,
      env.GITHUB_WEBHOOK_SECRET,
      env.METRICS_TOKEN,
    ]) {
      registerSecret(s);
    }

    let embedded: EmbeddedDatabase | undefined;
    let databaseUrl = env.DATABASE_URL;
    if (!databaseUrl) {
      embedded = await startEmbeddedPostgres({ dataDir: env.DATA_DIR, logger });
      stoppers.push(() => embedded!.stop());
      databaseUrl = await ensureDatabase(embedded.url, 'switchyard');
    }
    const databaseLabel = embedded
      ? `embedded PostgreSQL (${embedded.dataDir}, port ${embedded.port})`
      : `PostgreSQL at ${describeDatabaseUrl(databaseUrl)}`;

    const pool = createPool(databaseUrl, logger);
    stoppers.push(() => pool.end());
    await runMigrations(pool);
    const db = createDb(pool);

    const boss = createBoss(databaseUrl, logger);
    await boss.start();
    stoppers.push(() => boss.stop({ graceful: true, timeout: 10_000 }));
    await createQueues(boss);

    const secretBox = new SecretBox(secrets.encryptionKey);
    const audit = createAuditStore(db, logger);
    const settings = createSettingsStore(db);
    const tokens = new AccessTokens(secrets.jwtSecret, env.ACCESS_TOKEN_TTL_SECONDS);
    const auth = new AuthService(createAuthStore(db), tokens, audit, settings, {
      refreshTtlDays: env.REFRESH_TOKEN_TTL_DAYS,
    });
    void secretBox;

    if (env.ADMIN_EMAIL && env.ADMIN_PASSWORD) {
      const r = await auth.ensureAdmin(
        { username: env.ADMIN_USERNAME, email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD },
        { onlyIfNoAdmin: true },
      );
      if (r.created)
        logger.info(`Created the first admin "${r.user.username}" from ADMIN_EMAIL/ADMIN_PASSWORD`);
    }

    let api: Switchyard['api'];
    if (roles.has('api')) {
      const metrics = new Registry();
      collectDefaultMetrics({ register: metrics });
      const deps: ApiDeps = {
        logger,
        config: {
          bodyLimit: env.BODY_LIMIT,
          corsOrigins: env.CORS_ORIGINS,
          rateLimitPerMinute: env.RATE_LIMIT_PER_MINUTE,
          authRateLimitPerMinute: env.AUTH_RATE_LIMIT_PER_MINUTE,
          metricsToken: env.METRICS_TOKEN,
          publicUrl: env.PUBLIC_URL ?? `http://localhost:${env.PORT}`,
          webDist: path.join(root, 'web', 'dist'),
        },
        openapi: createOpenApiRegistry() as OpenAPIRegistry,
        metrics,
        auth,
        audit,
        settings,
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
        routes: [],
        rawRoutes: [],
      };
      const app = createApp(deps);
      const server = app.listen(env.PORT, env.HOST);
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
      api = { server, url: `http://${host}:${port}`, deps };
      if (!env.PUBLIC_URL) deps.config.publicUrl = api.url;
    }

    let stopped = false;
    return {
      env,
      logger,
      db,
      pool,
      boss,
      databaseUrl,
      databaseLabel,
      embedded,
      api,
      banner() {
        const lines = [
          'Switchyard is running',
          `  roles:     ${[...roles].join(', ')}`,
          api ? `  API:       ${api.url}/api  (docs: ${api.url}/api/docs)` : '  API:       off',
          api ? `  portal:    ${api.url}/` : undefined,
          `  database:  ${databaseLabel}`,
          `  providers: ${mockProviderEnabled(env) ? 'mock (built-in, no AI keys needed)' : 'mock off'}${[
            env.OPENAI_API_KEY && 'openai',
            env.ANTHROPIC_API_KEY && 'anthropic',
            env.XAI_API_KEY && 'xai',
            env.MANUS_API_KEY && 'manus',
          ]
            .filter(Boolean)
            .map((s) => `, ${s}`)
            .join('')}`,
          `  chat:      slack ${env.SLACK_SIGNING_SECRET ? 'on' : 'off'}, discord ${env.DISCORD_PUBLIC_KEY ? 'on' : 'off'}, telegram ${env.TELEGRAM_BOT_TOKEN ? `on (${env.TELEGRAM_MODE})` : 'off'}`,
          `  webhooks:  github ${env.GITHUB_WEBHOOK_SECRET ? 'on' : 'off'}, generic inbound hooks on`,
        ];
        return lines.filter(Boolean).join('\n');
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        await stopAll();
      },
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
