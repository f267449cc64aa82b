import type { PgBoss } from 'pg-boss';
import type { AuditSink } from './core/audit/audit.js';
import type { SecretBox } from './core/crypto/secretBox.js';
import type { TeamMembership } from './core/tasks/ports.js';
import type { TaskCommands } from './core/tasks/types.js';
import { CallbackService } from './core/webhooks/callbackService.js';
import { HookService } from './core/webhooks/hookService.js';
import type { CallbackTaskSource } from './core/webhooks/ports.js';
import type { Env } from './env.js';
import { githubIntegration } from './integrations/github/index.js';
import { hooksIntegration } from './integrations/hooks/index.js';
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

/**
 * Builds the webhooks area for the composition root (src/compose.ts): the hook and callback
 * services, two integrations — GitHub (src/integrations/github: intake on when
 * GITHUB_WEBHOOK_SECRET is set, its result deliverer with GITHUB_TOKEN) and the generic signed
 * hooks (src/integrations/hooks: inbound hooks and their admin routes) — and the deliver-webhook
 * worker for signed callbacks.
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

  const github = githubIntegration({
    env,
    tasks: c.tasks,
    identities: createIdentityDirectory(c.db),
    ledger,
    requireLinkedAccount: () => settings.get('chat.requireLinkedAccount'),
    publicUrl: c.publicUrl,
    log,
  });
  const hooksIn = hooksIntegration({
    hooks,
    store,
    tasks: c.taskSource,
    masterKey: c.masterKey,
    allowPrivate: env.OUTBOUND_ALLOW_PRIVATE,
  });

  return {
    hooks,
    callbacks,
    /** GitHub and the generic hooks, in the banner's order. */
    integrations: [github, hooksIn],
    startWorker: (onRetry?: () => void) =>
      startDeliverWebhookWorker({ boss: c.boss, callbacks, logger, onRetry }),
  };
}
