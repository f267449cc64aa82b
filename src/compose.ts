import type pg from 'pg';
import type { PgBoss } from 'pg-boss';
import type { composeCollab } from './composeCollab.js';
import type { composeGateway } from './composeGateway.js';
import type { AuthService } from './core/auth/authService.js';
import type { ContentService } from './core/content/contentService.js';
import type { ExecutorInstrumentation } from './core/routing/routedExecutor.js';
import type { ResultDelivererRegistry } from './core/tasks/deliverers.js';
import type { TaskService } from './core/tasks/taskService.js';
import type { TeamService } from './core/teams/teamService.js';
import { type Env, publicUrlOf } from './env.js';
import { statusLine } from './integrations/integration.js';
import type { Logger } from './logger.js';
import type { SwitchyardMetrics } from './metrics/switchyardMetrics.js';
import type { CacheBus } from './models/cacheBus.js';
import type { Db } from './models/db.js';
import type { EmbeddedDatabase, EmbeddedRole } from './models/embedded.js';
import { resolveSecrets } from './secrets.js';
import { type RunningApi, startApi } from './start/api.js';
import { bannerText } from './start/banner.js';
import { openDatabase, startBuses } from './start/database.js';
import { createFeatures } from './start/features.js';
import { startBots, startMetricsOnly, startWorker } from './start/roles.js';
import { registerEnvSecrets } from './start/secrets.js';
import { createCoreServices, ensureFirstAdmin } from './start/services.js';
import { Stoppers } from './start/stoppers.js';
import type { RenderPool } from './workers/renderPool.js';

export type Role = 'api' | 'worker' | 'bots';
export const ALL_ROLES: Role[] = ['api', 'worker', 'bots'];

export interface Switchyard {
  env: Env;
  logger: Logger;
  db: Db;
  pool: pg.Pool;
  boss: PgBoss;
  databaseUrl: string;
  databaseLabel: string;
  embedded?: EmbeddedDatabase;
  api?: RunningApi;
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

export interface StartOptions {
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
}

/**
 * The composition root: parses nothing (env comes in parsed), builds every part, starts the
 * requested roles. Used by src/main.ts, the CLI, benchmarks and the test harness alike.
 * The phases live in src/start/; each registers its stop as soon as it runs, and stop() (or a
 * failed start) runs those in reverse: roles, features, buses, the pool, the embedded database.
 */
export async function startSwitchyard(opts: StartOptions): Promise<Switchyard> {
  const { env, logger } = opts;
  const roles = new Set(opts.roles ?? ALL_ROLES);
  const stoppers = new Stoppers(logger);
  try {
    const secrets = resolveSecrets(env, logger);
    registerEnvSecrets(env, secrets);
    const database = await openDatabase(env, logger, opts.embeddedRole ?? 'command', stoppers);
    const { databaseUrl, databaseLabel, pool, db } = database;
    const { boss, cache, live } = await startBuses(env, logger, database, stoppers);

    let api: RunningApi | undefined;
    // The one base URL for links: PUBLIC_URL, else the address the API listens on once it does.
    const publicUrl = () => publicUrlOf(env, api?.url);
    const core = await createCoreServices({ env, logger, secrets, db, boss, cache, publicUrl });
    const featureRoles = { api: roles.has('api'), bots: roles.has('bots') };
    const features = await createFeatures(
      core,
      { pool, live, instrument: opts.instrument, roles: featureRoles },
      stoppers,
    );
    await ensureFirstAdmin(core);

    if (roles.has('api')) api = await startApi(core, features, { pool, live }, stoppers);
    if (roles.has('worker')) await startWorker(core, features, { databaseUrl, pool, live }, stoppers);
    const metricsPort =
      !api && env.METRICS_PORT !== undefined
        ? await startMetricsOnly(core, env.METRICS_PORT, stoppers)
        : undefined;
    if (roles.has('bots')) await startBots(features, stoppers);

    const banner = () =>
      bannerText({
        env,
        roles,
        apiUrl: api?.url,
        databaseLabel,
        workers: roles.has('worker'),
        metricsPort,
        chat: statusLine(features.chat.integrations),
        webhooks: statusLine(features.webhooks.integrations),
      });
    return {
      env,
      logger,
      ...database, // db, pool, databaseUrl, databaseLabel, embedded
      boss,
      api,
      tasks: core.tasks,
      teams: core.teams,
      content: features.content,
      collab: features.collab,
      renderPool: features.renderPool,
      auth: core.auth,
      cache,
      deliverers: core.deliverers,
      metrics: core.metrics,
      gateway: features.gateway,
      banner,
      // A second call finds nothing left to stop.
      stop: () => stoppers.stopAll(),
    };
  } catch (e) {
    await stoppers.stopAll();
    throw e;
  }
}
