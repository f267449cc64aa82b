import { and, asc, eq, isNotNull } from 'drizzle-orm';
import type { PgBoss } from 'pg-boss';
import { PROVIDER_CATALOGUE } from '../config/providers.js';
import { ROUTING_SETTINGS } from '../config/routingWeights.js';
import type { RouteFactory } from './api/deps.js';
import { providerRoutes } from './api/routes/providers.js';
import { taskRoutingRoutes } from './api/routes/taskRouting.js';
import type { AuditSink } from './core/audit/audit.js';
import type { SecretBox } from './core/crypto/secretBox.js';
import { createDefaultProviderRegistry } from './core/providers/defaultRegistry.js';
import { ProviderService } from './core/providers/providerService.js';
import { type ExecutorInstrumentation, RoutedExecutor } from './core/routing/routedExecutor.js';
import type { RoutingSettings } from './core/routing/types.js';
import type { PriceBook } from './core/spend/priceBook.js';
import type { TeamMembership } from './core/tasks/ports.js';
import type { TaskTypeCatalogue } from './core/tasks/taskTypes.js';
import type { Env } from './env.js';
import { manusIntegration } from './integrations/manus/index.js';
import { startBudgetJobs } from './jobs/budgetJobs.js';
import { type Logger, registerSecret } from './logger.js';
import { createBudgetStore } from './models/budgetStore.js';
import type { Db } from './models/db.js';
import { releaseDeadGatewayLeases } from './models/gatewayLeaseSweep.js';
import { poolOf } from './models/preparedStatements.js';
import { type EnvProvider, ensureEnvProviders } from './models/providerBootstrap.js';
import type { ProviderDirectory } from './models/providerDirectory.js';
import { createProviderHealthStore } from './models/providerHealthStore.js';
import { createProviderStore } from './models/providerStore.js';
import { createRoutingStore, createTaskRoutingReader } from './models/routingStore.js';
import { aiProviders, providerAccounts } from './models/schema.js';

/** The provider keys the environment may carry, and the catalogue kind each creates. */
function envProviders(env: Env): EnvProvider[] {
  const out: EnvProvider[] = [];
  const add = (kind: EnvProvider['kind'], apiKey: string | undefined, baseUrl: string | undefined) => {
    if (apiKey) out.push({ kind, apiKey, baseUrl, defaults: PROVIDER_CATALOGUE[kind] });
  };
  add('openai', env.OPENAI_API_KEY, env.OPENAI_BASE_URL);
  add('anthropic', env.ANTHROPIC_API_KEY, env.ANTHROPIC_BASE_URL);
  add('xai', env.XAI_API_KEY, env.XAI_BASE_URL);
  add('manus', env.MANUS_API_KEY, env.MANUS_BASE_URL);
  return out;
}

/**
 * Builds the providers-and-routing area for the composition root (src/compose.ts): the provider
 * API, GET /api/tasks/:id/routing, providers created from keys in the environment, the routed
 * executor for the worker, and the reset-budgets job.
 */
export async function composeProviders(c: {
  env: Env;
  db: Db;
  boss: PgBoss;
  logger: Logger;
  secretBox: SecretBox;
  audit: AuditSink;
  taskTypes: TaskTypeCatalogue;
  settings?: RoutingSettings;
  instrument?: ExecutorInstrumentation;
  /** Providers and accounts as configured, cached per process (budgets and health are read fresh). */
  directory?: ProviderDirectory;
  /** Team membership: team admins manage their team's provider accounts. */
  teams?: TeamMembership;
  /** Whether a non-owner may see a task (its team's members), for GET /api/tasks/:id/routing. */
  taskSharedWith?: (taskId: string, userId: string) => Promise<boolean>;
  /** Prices each call (integer micro-dollars) from its real usage. */
  pricing?: PriceBook;
  /** Settles spend budgets of tasks that ended without settling (run with the budget job). */
  settleEndedBudgets?: () => Promise<number>;
}) {
  const settings = c.settings ?? ROUTING_SETTINGS;
  const log = c.logger.child({ scope: 'routing' });
  const connectors = createDefaultProviderRegistry();
  const service = new ProviderService({
    store: createProviderStore(c.db, { statsWindowSeconds: settings.statsWindowSeconds }),
    box: c.secretBox,
    catalogue: PROVIDER_CATALOGUE,
    taskTypes: () => c.taskTypes.ids(),
    connectors,
    audit: c.audit,
    onSecret: registerSecret,
    ...(c.teams ? { teams: c.teams } : {}),
  });

  for (const r of await ensureEnvProviders(c.db, c.secretBox, envProviders(c.env), {
    taskTypes: c.taskTypes.ids(),
  })) {
    if (r.action === 'created')
      log.info(`Created the ${r.kind} provider and its default account from the environment`);
    else if (r.action === 'updated') log.info(`Updated the ${r.kind} provider from the environment`);
    else if (r.action === 'skipped')
      log.info(
        `A ${r.kind} provider already exists (added by an admin): the key in the environment was not used`,
      );
  }

  const budgets = createBudgetStore(c.db);
  const routes: RouteFactory[] = [
    { path: '/api', create: (d) => providerRoutes(d, service) },
    { path: '/api', create: (d) => taskRoutingRoutes(d, createTaskRoutingReader(c.db), c.taskSharedWith) },
  ];

  // Manus signs its webhooks; the public key is fetched with the first active Manus account's key.
  const manus = manusIntegration({
    log,
    account: async () => {
      const [row] = await c.db
        .select({
          id: providerAccounts.id,
          endpoint: aiProviders.apiEndpoint,
          credentials: providerAccounts.credentials,
        })
        .from(providerAccounts)
        .innerJoin(aiProviders, eq(aiProviders.id, providerAccounts.providerId))
        .where(
          and(
            eq(aiProviders.kind, 'manus'),
            eq(aiProviders.status, 'active'),
            eq(providerAccounts.status, 'active'),
            isNotNull(providerAccounts.credentials),
          ),
        )
        .orderBy(asc(providerAccounts.createdAt))
        .limit(1);
      const apiKey = row?.credentials ? service.open(row.credentials, row.id).apiKey : undefined;
      return row && typeof apiKey === 'string'
        ? { baseUrl: row.endpoint ?? 'https://api.manus.ai', apiKey }
        : null;
    },
  });

  return {
    service,
    connectors,
    routes,
    /** Manus task webhooks (src/integrations/manus). */
    manus,
    settings,
    /** The worker's executor: the router with budgets, circuit breaker and fallback. */
    createExecutor(): RoutedExecutor {
      return new RoutedExecutor({
        store: createRoutingStore(c.db, {
          open: (envelope, id) => service.open(envelope, id),
          statsWindowSeconds: settings.statsWindowSeconds,
          directory: c.directory,
        }),
        budgets,
        health: createProviderHealthStore(c.db),
        connectors,
        taskTypes: c.taskTypes,
        settings,
        log,
        instrument: c.instrument,
        ...(c.pricing ? { pricing: c.pricing } : {}),
      });
    },
    /** The reset-budgets job (scheduled, plus a check now). Worker role only. */
    startWorker: () =>
      startBudgetJobs({
        boss: c.boss,
        budgets,
        logger: c.logger,
        releaseDeadLeases: () => releaseDeadGatewayLeases(poolOf(c.db)),
        ...(c.settleEndedBudgets ? { settleEndedBudgets: c.settleEndedBudgets } : {}),
      }),
  };
}
