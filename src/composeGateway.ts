import type { ApiDeps } from './api/deps.js';
import { gatewayRoutes } from './api/routes/gateway.js';
import { connectorBackend } from './core/gateway/backends.js';
import { GatewayService } from './core/gateway/gatewayService.js';
import { CallRecorder } from './core/gateway/recorder.js';
import type { Connector, ConnectorSettings, ProviderKind } from './core/providers/connector.js';
import type { RoutingSettings } from './core/routing/types.js';
import type { TaskTypeCatalogue } from './core/tasks/taskTypes.js';
import type { Env } from './env.js';
import type { Logger } from './logger.js';
import type { Db } from './models/db.js';
import { createGatewayStore } from './models/gatewayStore.js';
import type { ProviderDirectory } from './models/providerDirectory.js';
import { createProviderHealthStore } from './models/providerHealthStore.js';
import { createRoutingStore } from './models/routingStore.js';

/**
 * The OpenAI-compatible gateway for the composition root (src/compose.ts): its store, the recorder
 * that writes every call as a task after the response (flushed on shutdown), the service, and the
 * /v1 router (mounted before the /api middleware).
 */
export function composeGateway(c: {
  env: Env;
  db: Db;
  logger: Logger;
  directory: ProviderDirectory;
  settings: RoutingSettings;
  taskTypes: TaskTypeCatalogue;
  open: (envelope: string, accountId: string) => Record<string, unknown>;
  connectors: { createConnector(s: ConnectorSettings): Connector; has(kind: ProviderKind): boolean };
}) {
  const log = c.logger.child({ scope: 'gateway' });
  // Decrypting an account's key on every call costs time on the hot path: kept per (account,
  // envelope), so a changed key (a new envelope) is opened afresh.
  const opened = new Map<string, Record<string, unknown>>();
  const open = (envelope: string, accountId: string) => {
    const key = `${accountId}:${envelope}`;
    let v = opened.get(key);
    if (!v) {
      v = c.open(envelope, accountId);
      if (opened.size >= 1000) opened.clear();
      opened.set(key, v);
    }
    return v;
  };
  const store = createGatewayStore(
    c.db,
    createRoutingStore(c.db, {
      open,
      statsWindowSeconds: c.settings.statsWindowSeconds,
      // Aggregates over recent attempts: a few seconds old is fine for scoring, and the query grows with traffic.
      statsTtlMs: 5_000,
      directory: c.directory,
    }),
    { snapshotTtlMs: 1_000 },
  );
  const recorder = new CallRecorder(store, { log, flushMs: 50, maxBatch: 500 });
  const gateway = new GatewayService({
    store,
    health: createProviderHealthStore(c.db),
    recorder,
    settings: c.settings,
    taskTypes: () => c.taskTypes.ids(),
    supports: (k) => c.connectors.has(k as ProviderKind),
    connectorBackend: connectorBackend((s) => c.connectors.createConnector(s)),
    log,
  });
  return {
    gateway,
    recorder,
    routes: [
      {
        path: '/v1',
        create: (d: ApiDeps) =>
          gatewayRoutes(d, { gateway, rateLimitPerMinute: c.env.GATEWAY_RATE_LIMIT_PER_MINUTE }),
      },
    ],
    /** Records every call handed over so far and gives the budget leases back (tests, benchmarks). */
    async flush() {
      await recorder.drain();
      await store.releaseLeases();
    },
    /** Writes every call still waiting to be recorded, then gives the budget leases back (shutdown). */
    async stop() {
      await recorder.stop();
      await store.close();
    },
  };
}
