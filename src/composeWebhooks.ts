import type { PgBoss } from 'pg-boss';
import type { RouteFactory } from './api/deps.js';
import {
  registerWebhookIntakeDocs,
  taskCallbackRoutes,
  type WebhookRouteDeps,
  webhookAdminRoutes,
} from './api/routes/webhooks.js';
import type { AuditSink } from './core/audit/audit.js';
import type { SecretBox } from './core/crypto/secretBox.js';
import type { ResultDelivererRegistry } from './core/tasks/deliverers.js';
import type { TeamMembership } from './core/tasks/ports.js';
import type { TaskCommands } from './core/tasks/types.js';
import { CallbackService } from './core/webhooks/callbackService.js';
import { GithubIntake } from './core/webhooks/githubIntake.js';
import { HookService } from './core/webhooks/hookService.js';
import type { CallbackTaskSource } from './core/webhooks/ports.js';
import type { Env } from './env.js';
import { startDeliverWebhookWorker } from './jobs/deliverWebhook.js';
import type { Logger } from './logger.js';
import type { Db } from './models/db.js';
import { createSettingsStore } from './models/settingsStore.js';
import {
  createIdentityDirectory,
  createIntakeLedger,
  createIntakeUsers,
  createWebhookStore,
} from './models/webhookStore.js';
import { GithubResultDeliverer } from './webhooks/githubDeliverer.js';
import { githubWebhookRoutes } from './webhooks/githubRoutes.js';
import { inboundHookRoutes } from './webhooks/inboundRoutes.js';

/**
 * Builds the webhooks area for the composition root (src/compose.ts): GitHub intake (on when
 * GITHUB_WEBHOOK_SECRET is set) and its result deliverer (needs GITHUB_TOKEN), generic inbound
 * hooks and their admin routes, and the deliver-webhook worker for signed callbacks.
 */
export function composeWebhooks(c: {
  env: Env;
  db: Db;
  boss: PgBoss;
  logger: Logger;
  secretBox: SecretBox;
  /** ENCRYPTION_KEY: per-user callback secrets are derived from it. */
  masterKey: Buffer;
  audit: AuditSink;
  tasks: Pick<TaskCommands, 'submit'>;
  /** Reads tasks and their content for callbacks (the tasks area's store). */
  taskSource: CallbackTaskSource;
  taskTypes: { has(id: string): boolean; ids(): string[] };
  deliverers: ResultDelivererRegistry;
  publicUrl: () => string;
  /** Team membership: team admins manage their team's hooks. */
  teams?: TeamMembership;
}) {
  const { env, logger } = c;
  const log = logger.child({ scope: 'webhooks' });
  const store = createWebhookStore(c.db);
  const ledger = createIntakeLedger(c.db);
  const hooks = new HookService(store, c.secretBox, c.tasks, c.audit, {
    publicUrl: c.publicUrl,
    taskTypes: c.taskTypes,
    users: createIntakeUsers(c.db),
    ledger,
    ...(c.teams ? { teams: c.teams } : {}),
  });
  // Read straight from the database on each GitHub trigger (no cache): a change made through the
  // admin API applies to the very next event.
  const settings = createSettingsStore(c.db, { ttlMs: 0 });
  const callbacks = new CallbackService(c.taskSource, store, hooks, log, {
    masterKey: c.masterKey,
    allowPrivate: env.OUTBOUND_ALLOW_PRIVATE,
    timeoutMs: env.WEBHOOK_TIMEOUT_MS,
    retryDelaySeconds: env.WEBHOOK_RETRY_DELAY_SECONDS,
    maxDelaySeconds: 1800,
    maxAttempts: env.WEBHOOK_MAX_ATTEMPTS,
  });

  const github = env.GITHUB_WEBHOOK_SECRET
    ? {
        secret: env.GITHUB_WEBHOOK_SECRET,
        intake: new GithubIntake(c.tasks, createIdentityDirectory(c.db), {
          defaultTaskType: 'article',
          ledger,
          requireLinkedAccount: () => settings.get('chat.requireLinkedAccount'),
          portalUrl: c.publicUrl,
        }),
      }
    : null;
  let githubComments: GithubResultDeliverer | null = null;
  if (github && env.GITHUB_TOKEN) {
    githubComments = new GithubResultDeliverer({
      token: env.GITHUB_TOKEN,
      baseUrl: env.GITHUB_API_URL,
      publicUrl: c.publicUrl,
      logger: log,
    });
    c.deliverers.register(githubComments);
  } else if (github) {
    log.warn(
      'GITHUB_WEBHOOK_SECRET is set but GITHUB_TOKEN is not: GitHub tasks run, but their results are not posted back',
    );
  }

  const routeDeps: WebhookRouteDeps = { hooks, store, tasks: c.taskSource, masterKey: c.masterKey };
  const routes: RouteFactory[] = [
    { path: '/api', create: (d) => webhookAdminRoutes(d, routeDeps) },
    { path: '/api', create: (d) => taskCallbackRoutes(d, routeDeps) },
  ];
  // Each raw router is mounted at exactly its own path, so the app puts its own per-address limit
  // in front of each (src/api/app.ts) without touching the JSON API next to them.
  const rawRoutes: RouteFactory[] = [
    {
      path: '/api/webhooks/in',
      create: (d) => {
        registerWebhookIntakeDocs(d.openapi, { github: Boolean(github) });
        return inboundHookRoutes({ hooks });
      },
    },
  ];
  if (github) {
    const comments = githubComments;
    rawRoutes.push({
      path: '/api/webhooks/github',
      create: () =>
        githubWebhookRoutes({
          secret: github.secret,
          intake: github.intake,
          logger: log,
          ...(comments ? { comment: (origin, body) => comments.comment(origin, body) } : {}),
        }),
    });
  }

  return {
    hooks,
    callbacks,
    routes,
    rawRoutes,
    startWorker: (onRetry?: () => void) =>
      startDeliverWebhookWorker({ boss: c.boss, callbacks, logger, onRetry }),
    banner: `github ${github ? `on${env.GITHUB_TOKEN ? '' : ' (no GITHUB_TOKEN: results not posted)'}` : 'off'}, generic inbound hooks on, callbacks ${env.OUTBOUND_ALLOW_PRIVATE ? 'may reach private addresses' : 'to public addresses only'}`,
  };
}
