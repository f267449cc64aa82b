import { once } from 'node:events';
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import pg from 'pg';
import type { PgBoss } from 'pg-boss';
import { TASK_TYPES } from '../config/taskTypes.js';
import { createApp } from './api/app.js';
import type { ApiDeps } from './api/deps.js';
import { createOpenApiRegistry } from './api/openapi.js';
import { adminStatsRoutes } from './api/routes/adminStats.js';
import { contentRoutes } from './api/routes/content.js';
import { sharedApiRoutes, sharePageRoutes } from './api/routes/shared.js';
import { ssoRoutes } from './api/routes/sso.js';
import { taskEventRoutes } from './api/routes/taskEvents.js';
import { taskRoutes } from './api/routes/tasks.js';
import { teamRoutes } from './api/routes/teams.js';
import { composeChat } from './composeChat.js';
import { composeCollab } from './composeCollab.js';
import { composeGateway } from './composeGateway.js';
import { composeProviders } from './composeProviders.js';
import { composeReports } from './composeReports.js';
import { composeSpend } from './composeSpend.js';
import { composeWebhooks } from './composeWebhooks.js';
import { AuthService } from './core/auth/authService.js';
import { AccessTokens } from './core/auth/jwt.js';
import { ContentService } from './core/content/contentService.js';
import { SecretBox } from './core/crypto/secretBox.js';
import type { ExecutorInstrumentation } from './core/routing/routedExecutor.js';
import { SsoService } from './core/sso/ssoService.js';
import { ResultDelivererRegistry } from './core/tasks/deliverers.js';
import { TaskRunner } from './core/tasks/taskRunner.js';
import { TaskService } from './core/tasks/taskService.js';
import { TaskTypeCatalogue } from './core/tasks/taskTypes.js';
import { TeamService } from './core/teams/teamService.js';
import { type Env, mockProviderEnabled } from './env.js';
import { createIdentityProviderClients } from './identityProviders/openidClients.js';
import { createBoss } from './jobs/boss.js';
import { createQueues } from './jobs/queues.js';
import { createTaskJobs } from './jobs/taskJobs.js';
import { startTaskWorkers } from './jobs/taskWorkers.js';
import { type Logger, registerSecret, withLogContext } from './logger.js';
import { createInviteMailer } from './mail/inviteMailer.js';
import { registerDatabaseGauges } from './metrics/databaseGauges.js';
import { startMetricsServer } from './metrics/metricsServer.js';
import { SwitchyardMetrics } from './metrics/switchyardMetrics.js';
import { createAuditStore } from './models/auditStore.js';
import { cachedAuthStore } from './models/authCache.js';
import { createAuthStore } from './models/authStore.js';
import { CacheBus } from './models/cacheBus.js';
import { CancelListener } from './models/cancelListener.js';
import { createContentRepository } from './models/contentRepository.js';
import { createDb, createPool, type Db, describeDatabaseUrl, runMigrations } from './models/db.js';
import { type EmbeddedDatabase, type EmbeddedRole, startEmbeddedPostgres } from './models/embedded.js';
import { ensureMockProvider } from './models/mockProviderBootstrap.js';
import { createPinnedProviderLookup, createProviderDirectory } from './models/providerDirectory.js';
import { createSettingsStore } from './models/settingsStore.js';
import { createSsoStore } from './models/ssoStore.js';
import { createStatsReader } from './models/statsStore.js';
import { StreamBus } from './models/streamBus.js';
import { createTaskStore } from './models/taskStore.js';
import { createTeamStore } from './models/teamStore.js';
import { resolveSecrets } from './secrets.js';
import { RenderPool } from './workers/renderPool.js';

export type Role = 'api' | 'worker' | 'bots';
export const ALL_ROLES: Role[] = ['api', 'worker', 'bots'];

/** The project root: the nearest folder above this file with a package.json (src/ under tsx, dist/src/ when built). */
function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}
const root = projectRoot();

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
  /** Task use cases (intake, list, cancel…) for adapters and scripts. */
  tasks: TaskService;
  /** Team use cases; `teams.addMember(teamId, userId, role)` adds a member without an invite. */
  teams: TeamService;
  /** Content use cases (versions, edits, export, share links) for adapters and scripts. */
  content: ContentService;
  /** Comments, notifications, review and activity (issue 16). */
  collab: ReturnType<typeof composeCollab>;
  /** Worker threads for diff, export and share-page rendering (started on first use). */
  renderPool: RenderPool;
  auth: AuthService;
  /** Invalidates this process's caches (auth lookups, providers, settings) when any process changes them. */
  cache: CacheBus;
  /** Result deliverers by task source: chat and GitHub adapters register theirs here. */
  deliverers: ResultDelivererRegistry;
  /** This process's Prometheus metrics (served at /metrics, or on METRICS_PORT by a worker-only process). */
  metrics: SwitchyardMetrics;
  /** The OpenAI-compatible gateway (/v1) and its call recorder. */
  gateway: ReturnType<typeof composeGateway>;
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
  /** Hooks into the routed executor (bench/router.ts measures with them). */
  instrument?: ExecutorInstrumentation;
  /**
   * With the embedded database: `server` (src/main.ts) refuses to start when another server owns
   * DATA_DIR's database; `command` (default: CLI, tests, benches) attaches to it and leaves it running.
   */
  embeddedRole?: EmbeddedRole;
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
      env.OIDC_CLIENT_SECRET,
      env.OAUTH_GITHUB_CLIENT_SECRET,
      env.OAUTH_GOOGLE_CLIENT_SECRET,
      env.OAUTH_SLACK_CLIENT_SECRET,
      env.OAUTH_DISCORD_CLIENT_SECRET,
      env.SMTP_URL,
      env.SMTP_URL ? decodeURIComponent(new URL(env.SMTP_URL).password) || undefined : undefined,
    ]) {
      registerSecret(s);
    }

    let embedded: EmbeddedDatabase | undefined;
    let databaseUrl = env.DATABASE_URL;
    if (!databaseUrl) {
      embedded = await startEmbeddedPostgres({
        dataDir: env.DATA_DIR,
        logger,
        role: opts.embeddedRole ?? 'command',
      });
      stoppers.push(() => embedded!.stop());
      databaseUrl = await ensureDatabase(embedded.url, 'switchyard');
    }
    const databaseLabel = embedded
      ? `embedded PostgreSQL (${embedded.dataDir}, port ${embedded.port}${embedded.attached ? `, run by process ${embedded.ownerPid}` : ''})`
      : `PostgreSQL at ${describeDatabaseUrl(databaseUrl)}`;

    const pool = createPool(databaseUrl, logger, env.DATABASE_POOL_MAX);
    stoppers.push(() => pool.end());
    await runMigrations(pool);
    const db = createDb(pool);

    const boss = createBoss(databaseUrl, logger, { max: Math.max(2, Math.ceil(env.DATABASE_POOL_MAX / 2)) });
    await boss.start();
    stoppers.push(() => boss.stop({ graceful: true, timeout: 10_000 }));
    await createQueues(boss);

    const cache = new CacheBus({ databaseUrl, logger });
    await cache.start();
    stoppers.push(() => cache.stop());
    // Live results (issue 15): deltas from the worker to SSE and chat, batched NOTIFYs, nothing stored.
    const live = new StreamBus({ databaseUrl, pool, logger });
    await live.start();
    stoppers.push(() => live.stop());
    const providerDirectory = createProviderDirectory(db, cache);

    const secretBox = new SecretBox(secrets.encryptionKey);
    const audit = createAuditStore(db, logger);
    const settings = createSettingsStore(db, { cache });
    const tokens = new AccessTokens(secrets.jwtSecret, env.ACCESS_TOKEN_TTL_SECONDS);
    const teamStore = createTeamStore(db);
    const auth = new AuthService(cachedAuthStore(createAuthStore(db), cache), tokens, audit, settings, {
      refreshTtlDays: env.REFRESH_TOKEN_TTL_DAYS,
      teams: {
        roleOf: (teamId, userId) => teamStore.roleOf(teamId, userId),
        exists: async (teamId) => (await teamStore.get(teamId)) !== null,
      },
    });

    // Tasks: intake (API and adapters), the worker's runner, and the simple executor (the router replaces it).
    const taskTypes = new TaskTypeCatalogue(TASK_TYPES);
    const taskStore = createTaskStore(db);
    const taskJobs = createTaskJobs(boss);
    const deliverers = new ResultDelivererRegistry();
    let api: Switchyard['api'];
    // The one base URL for links (no trailing slash): PUBLIC_URL, else the address the API listens on.
    const publicUrl = () => api?.deps.config.publicUrl ?? env.PUBLIC_URL ?? `http://localhost:${env.PORT}`;

    // Teams (issue 13): members, invites, chat workspaces; tasks, content, provider accounts and hooks may belong to one.
    const teams = new TeamService({
      store: teamStore,
      audit,
      mailer: env.SMTP_URL ? createInviteMailer({ smtpUrl: env.SMTP_URL, from: env.SMTP_FROM }) : undefined,
      inviteUrl: (token) => `${publicUrl()}/invites/${token}`,
    });
    // Spend control (issue 14): prices, budgets, the intake reservation and the settle hook.
    const spend = composeSpend({
      env,
      db,
      logger,
      masterKey: secrets.encryptionKey,
      directory: providerDirectory,
      taskTypes,
      teams,
      boss,
      tasks: taskStore,
      jobs: taskJobs,
      deliverers,
      audit,
    });
    const tasks = new TaskService({
      spend: spend.intake,
      onHeld: spend.onHeld,
      settleSpend: (taskId) => spend.budgets.settleTask(taskId),
      store: taskStore,
      jobs: taskJobs,
      taskTypes,
      deliverers,
      audit,
      defaultPriority: () => settings.get('tasks.defaultPriority'),
      findProvider: createPinnedProviderLookup(providerDirectory),
      teams,
    });
    const mock = await ensureMockProvider(db, {
      enabled: mockProviderEnabled(env),
      taskTypes: taskTypes.ids(),
      tokensPerSecond: env.MOCK_TOKENS_PER_SECOND,
    });
    if (mock.created) logger.info('Created the built-in mock provider (no AI keys configured)');

    const metrics = new SwitchyardMetrics();

    // Providers and the router (issue 4): provider API, providers from env keys, routed executor, budget resets.
    const providers = await composeProviders({
      env,
      db,
      boss,
      logger,
      secretBox,
      audit,
      taskTypes,
      instrument: metrics.executorHooks(opts.instrument),
      directory: providerDirectory,
      teams,
      taskSharedWith: async (taskId, userId) => (await tasks.get(taskId, { userId })) !== null,
      pricing: spend.prices,
      settleEndedBudgets: () => spend.budgets.settleEnded(),
    });

    // The OpenAI-compatible gateway (issue 17): /v1, routed and budgeted like tasks, recorded after each call.
    const gateway = composeGateway({
      env,
      db,
      logger,
      directory: providerDirectory,
      settings: providers.settings,
      taskTypes,
      open: (envelope, id) => providers.service.open(envelope, id),
      connectors: providers.connectors,
      spend,
    });

    // Content: versions, edits, restore, regenerate, diff, export and share links (issue 5).
    // Rendering runs on worker threads; the pool closes after the HTTP server (stoppers run in reverse).
    const renderPool = new RenderPool({ logger, niceIncrement: 5 });
    stoppers.push(() => renderPool.close());
    const contentStore = createContentRepository(db);
    const content = new ContentService({
      renderer: renderPool,
      store: contentStore,
      tasks,
      teams,
      audit,
      defaultShareHours: () => settings.get('shares.defaultExpiresInHours'),
      shareUrl: (token) => `${publicUrl()}/s/${token}`,
    });

    // A chat user acts as their linked account, without site-admin powers.
    const chatViewer = (userId: string) => ({ userId, isAdmin: false });

    // Webhooks: GitHub intake + result comments, generic inbound hooks, signed callbacks (issue 7).
    const webhooks = composeWebhooks({
      env,
      db,
      boss,
      logger,
      secretBox,
      masterKey: secrets.encryptionKey,
      audit,
      tasks,
      taskSource: taskStore,
      taskTypes,
      deliverers,
      publicUrl,
      teams,
    });

    // Chat: Slack, Discord and Telegram commands, their result deliverers, account linking (issue 6).
    const chat = await composeChat({
      env,
      db,
      pool,
      logger,
      audit,
      settings,
      tasks,
      deliverers,
      shares: content.shareLinks(),
      // The collaboration area is built after chat (it sends DMs through it); these run later.
      collab: {
        comment: (userId, contentId, text) =>
          collab.comments.create(chatViewer(userId), contentId, { body: text }),
        approve: async (userId, contentId) => {
          const c = await collab.review.act(chatViewer(userId), contentId, { action: 'approve' });
          return { reviewState: c.reviewState, title: c.title };
        },
      },
      teamForWorkspace: (platform, externalId) => teams.teamForWorkspace(platform, externalId),
      approvals: spend.approvals,
      publicUrl,
      roles: { api: roles.has('api'), bots: roles.has('bots') },
      live,
    });

    // Collaboration (issue 16): comments, mentions, notifications (portal + chat DMs), review, activity.
    const collab = composeCollab({
      db,
      logger,
      audit,
      content,
      teams,
      directMessages: chat.directMessages,
      publicUrl,
    });
    const reportSchedules = composeReports({
      db,
      boss,
      logger,
      reports: collab.reports,
      hooks: webhooks.hooks,
      channelSenders: chat.channelSenders,
      outbound: { allowPrivate: env.OUTBOUND_ALLOW_PRIVATE, timeoutMs: env.WEBHOOK_TIMEOUT_MS },
    });

    // Sign-in with GitHub, Google, Slack, Discord and any OIDC issuer (issue 13).
    const sso = new SsoService({
      store: createSsoStore(db),
      clients: createIdentityProviderClients(env),
      auth,
      settings,
      audit,
      chat: { claim: (userId, identity) => chat.links.claimProven(userId, identity) },
      seal: (v) => secretBox.encrypt(v, 'sso_flow'),
      open: (v) => secretBox.decrypt(v, 'sso_flow'),
      publicUrl,
      // New SSO users join the team named by the auth.defaultTeam setting (a team id; empty = none).
      onUserCreated: async (user) => {
        const teamId = await settings.get('auth.defaultTeam');
        if (teamId) await teams.addMember(teamId, user.id, 'member');
      },
      log: logger.child({ scope: 'sso' }),
    });

    if (env.ADMIN_EMAIL && env.ADMIN_PASSWORD) {
      const r = await auth.ensureAdmin(
        { username: env.ADMIN_USERNAME, email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD },
        { onlyIfNoAdmin: true },
      );
      if (r.outcome === 'created')
        logger.info(`Created the first admin "${r.user.username}" from ADMIN_EMAIL/ADMIN_PASSWORD`);
      else if (r.outcome === 'taken') logger.warn(`ADMIN_USERNAME/ADMIN_EMAIL not applied: ${r.message}`);
    }

    if (roles.has('api')) {
      registerDatabaseGauges(metrics.registry, pool);
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
        metrics: metrics.registry,
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
        routes: [
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
          { path: '/api', create: (d) => adminStatsRoutes(d, { stats: createStatsReader(db) }) },
          ...providers.routes,
          ...webhooks.routes,
          ...chat.routes,
          ...collab.routes,
          ...reportSchedules.routes,
          { path: '/api/auth', create: (d) => ssoRoutes(d, { sso }) },
        ],
        earlyRoutes: gateway.routes,
        rawRoutes: [...providers.rawRoutes, ...webhooks.rawRoutes, ...chat.rawRoutes],
      };
      // Runs after the HTTP server has closed (stoppers run in reverse), before the pool ends.
      stoppers.push(() => gateway.stop());
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

    let workers = false;
    let metricsPort: number | undefined;
    if (roles.has('worker')) {
      const cancels = new CancelListener({ databaseUrl, pool, logger });
      await cancels.start();
      stoppers.push(() => cancels.stop());
      const shutdown = new AbortController();
      const executor = providers.createExecutor();
      const runner = new TaskRunner({
        store: taskStore,
        jobs: taskJobs,
        executor,
        cancels,
        deliverers,
        log: logger.child({ scope: 'tasks' }),
        shutdown: shutdown.signal,
        hooks: metrics.taskHooks((ids, fn) => withLogContext(ids, fn)),
        settleSpend: (taskId) => spend.budgets.settleTask(taskId),
        live,
      });
      const taskWorkers = await startTaskWorkers({
        boss,
        runner,
        store: taskStore,
        deliverers,
        logger,
        shutdown,
        concurrency: env.WORKER_CONCURRENCY,
        onDeliveryRetry: () => metrics.deliveryRetry('result'),
      });
      stoppers.push(() => taskWorkers.stop());
      const callbackWorker = await webhooks.startWorker(() => metrics.deliveryRetry('webhook'));
      stoppers.push(() => callbackWorker.stop());
      const budgetJobs = await providers.startWorker();
      stoppers.push(() => budgetJobs.stop());
      const reportJobs = await reportSchedules.startWorker();
      stoppers.push(() => reportJobs.stop());
      const approvalJobs = await spend.startWorker();
      stoppers.push(() => approvalJobs.stop());
      workers = true;
    }

    if (!api && env.METRICS_PORT !== undefined) {
      const server = await startMetricsServer({
        registry: metrics.registry,
        port: env.METRICS_PORT,
        host: env.HOST,
        token: env.METRICS_TOKEN,
      });
      stoppers.push(() => server.stop());
      metricsPort = server.port;
    }

    if (roles.has('bots')) {
      const bots = await chat.startBots();
      stoppers.push(() => bots.stop());
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
      tasks,
      teams,
      content,
      collab,
      renderPool,
      auth,
      cache,
      deliverers,
      metrics,
      gateway,
      banner() {
        const lines = [
          'Switchyard is running',
          `  roles:     ${[...roles].join(', ')}`,
          api ? `  API:       ${api.url}/api  (docs: ${api.url}/api/docs)` : '  API:       off',
          api ? `  portal:    ${api.url}/` : undefined,
          api
            ? `  gateway:   ${api.url}/v1  (OpenAI-compatible; API key = a personal or team API token)`
            : undefined,
          `  database:  ${databaseLabel}`,
          `  worker:    ${workers ? `on (${env.WORKER_CONCURRENCY} tasks at a time)` : 'off'}`,
          metricsPort !== undefined ? `  metrics:   http://${env.HOST}:${metricsPort}/metrics` : undefined,
          `  providers: ${mockProviderEnabled(env) ? 'mock (built-in, no AI keys needed)' : 'mock off'}${[
            env.OPENAI_API_KEY && 'openai',
            env.ANTHROPIC_API_KEY && 'anthropic',
            env.XAI_API_KEY && 'xai',
            env.MANUS_API_KEY && 'manus',
          ]
            .filter(Boolean)
            .map((s) => `, ${s}`)
            .join('')}`,
          `  chat:      ${chat.banner}`,
          `  webhooks:  ${webhooks.banner}`,
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
