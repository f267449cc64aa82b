import type { PgBoss } from 'pg-boss';
import { TASK_TYPES } from '../../config/taskTypes.js';
import { composeSpend } from '../composeSpend.js';
import { AuthService } from '../core/auth/authService.js';
import { AccessTokens } from '../core/auth/jwt.js';
import { SecretBox } from '../core/crypto/secretBox.js';
import { ResultDelivererRegistry } from '../core/tasks/deliverers.js';
import { TaskService } from '../core/tasks/taskService.js';
import { TaskTypeCatalogue } from '../core/tasks/taskTypes.js';
import { TeamService } from '../core/teams/teamService.js';
import { type Env, mockProviderEnabled } from '../env.js';
import { createTaskJobs } from '../jobs/taskJobs.js';
import type { Logger } from '../logger.js';
import { createInviteMailer } from '../mail/inviteMailer.js';
import { SwitchyardMetrics } from '../metrics/switchyardMetrics.js';
import { createAuditStore } from '../models/auditStore.js';
import { cachedAuthStore } from '../models/authCache.js';
import { createAuthStore } from '../models/authStore.js';
import type { CacheBus } from '../models/cacheBus.js';
import { cachedWorkspaceTeams } from '../models/chatCache.js';
import type { Db } from '../models/db.js';
import { ensureMockProvider } from '../models/mockProviderBootstrap.js';
import { createPinnedProviderLookup, createProviderDirectory } from '../models/providerDirectory.js';
import { createSettingsStore } from '../models/settingsStore.js';
import { createTaskStore } from '../models/taskStore.js';
import { createTeamStore } from '../models/teamStore.js';
import type { ResolvedSecrets } from '../secrets.js';

/** What the core services are built from. */
export interface CoreInputs {
  env: Env;
  logger: Logger;
  secrets: ResolvedSecrets;
  db: Db;
  boss: PgBoss;
  cache: CacheBus;
  /** The one base URL for links (no trailing slash). */
  publicUrl: () => string;
}

export type Core = Awaited<ReturnType<typeof createCoreServices>>;

/** Sign-in and its stores: secrets at rest, audit, settings, users and tokens, team roles. */
function createAccess({ env, logger, secrets, db, cache }: CoreInputs) {
  const secretBox = new SecretBox(secrets.encryptionKey);
  const audit = createAuditStore(db, logger);
  const settings = createSettingsStore(db, { cache });
  const tokens = new AccessTokens(secrets.jwtSecret, env.ACCESS_TOKEN_TTL_SECONDS);
  const teamStore = cachedWorkspaceTeams(createTeamStore(db), cache);
  const auth = new AuthService(cachedAuthStore(createAuthStore(db), cache), tokens, audit, settings, {
    refreshTtlDays: env.REFRESH_TOKEN_TTL_DAYS,
    teams: {
      roleOf: (teamId, userId) => teamStore.roleOf(teamId, userId),
      exists: async (teamId) => (await teamStore.get(teamId)) !== null,
    },
  });
  return { secretBox, audit, settings, teamStore, auth };
}

/**
 * The services every role shares: access, teams (issue 13), spend control (issue 14: prices,
 * budgets, the intake reservation and the settle hook), task intake, the built-in mock provider
 * when no AI keys are set, and this process's metrics.
 */
export async function createCoreServices(c: CoreInputs) {
  const { env, logger, db, cache, publicUrl } = c;
  const providerDirectory = createProviderDirectory(db, cache);
  const { secretBox, audit, settings, teamStore, auth } = createAccess(c);

  const taskTypes = new TaskTypeCatalogue(TASK_TYPES);
  const taskStore = createTaskStore(db);
  const taskJobs = createTaskJobs(c.boss);
  const deliverers = new ResultDelivererRegistry();
  const teams = new TeamService({
    store: teamStore,
    audit,
    mailer: env.SMTP_URL ? createInviteMailer({ smtpUrl: env.SMTP_URL, from: env.SMTP_FROM }) : undefined,
    inviteUrl: (token) => `${publicUrl()}/invites/${token}`,
  });
  const masterKey = c.secrets.encryptionKey;
  const spend = composeSpend({
    env,
    db,
    logger,
    masterKey,
    directory: providerDirectory,
    taskTypes,
    teams,
    boss: c.boss,
    tasks: taskStore,
    jobs: taskJobs,
    deliverers,
    audit,
    cache,
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
  await ensureMock(c, taskTypes);

  const metrics = new SwitchyardMetrics();
  return {
    ...c,
    providerDirectory,
    secretBox,
    audit,
    settings,
    auth,
    taskTypes,
    taskStore,
    taskJobs,
    deliverers,
    teams,
    spend,
    tasks,
    metrics,
  };
}

/** The built-in mock provider, created once when MOCK_PROVIDER is on (or auto, with no AI keys set). */
async function ensureMock({ env, db, logger }: CoreInputs, taskTypes: TaskTypeCatalogue): Promise<void> {
  const mock = await ensureMockProvider(db, {
    enabled: mockProviderEnabled(env),
    taskTypes: taskTypes.ids(),
    tokensPerSecond: env.MOCK_TOKENS_PER_SECOND,
  });
  if (mock.created) logger.info('Created the built-in mock provider (no AI keys configured)');
}

/** The first admin from ADMIN_EMAIL/ADMIN_PASSWORD, when the site has no admin yet. */
export async function ensureFirstAdmin({ env, logger, auth }: Core): Promise<void> {
  if (!env.ADMIN_EMAIL || !env.ADMIN_PASSWORD) return;
  const r = await auth.ensureAdmin(
    { username: env.ADMIN_USERNAME, email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD },
    { onlyIfNoAdmin: true },
  );
  if (r.outcome === 'created')
    logger.info(`Created the first admin "${r.user.username}" from ADMIN_EMAIL/ADMIN_PASSWORD`);
  else if (r.outcome === 'taken') logger.warn(`ADMIN_USERNAME/ADMIN_EMAIL not applied: ${r.message}`);
}
