import type { ApiDeps } from './api/deps.js';
import { gatewayRoutes, tokenLimiter } from './api/routes/gateway.js';
import { gatewayFastPath } from './api/routes/gatewayFast.js';
import { connectorBackend } from './core/gateway/backends.js';
import { GatewayService } from './core/gateway/gatewayService.js';
import type { GatewayCallRecord, GatewaySpend, GatewayStore } from './core/gateway/ports.js';
import { CallRecorder } from './core/gateway/recorder.js';
import type { Connector, ConnectorSettings, ProviderKind } from './core/providers/connector.js';
import type { RoutingSettings } from './core/routing/types.js';
import type { BudgetService } from './core/spend/budgetService.js';
import type { GatewayBudgetLeases } from './core/spend/gatewayLeases.js';
import type { PriceBook } from './core/spend/priceBook.js';
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
  /** Spend control (composeSpend): prices every call, reserves and settles the caller's budgets. */
  spend?: {
    prices: PriceBook;
    budgets: Pick<BudgetService, 'settleTasks'>;
    reserveGateway: GatewaySpend['reserve'];
    gatewayLeases: Pick<GatewayBudgetLeases, 'settle' | 'settleOnce' | 'release' | 'close'>;
  };
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
  const spend = c.spend;
  const recorder = new CallRecorder(store, {
    log,
    flushMs: 50,
    maxBatch: 500,
    // A call the database refuses to record: what it reserved goes back (settleDroppedCall).
    dropped: (call: GatewayCallRecord) => settleDroppedCall(store, spend?.gatewayLeases, call),
    ...(spend
      ? {
          // One place prices usage (the PriceBook, as for tasks), after the response.
          prepare: async (batch: GatewayCallRecord[]) => {
            for (const call of batch) {
              let total = 0;
              for (const a of call.attempts) {
                a.costMicros = await spend.prices.cost(a.providerKind, a.model, {
                  inputTokens: a.tokensInput,
                  outputTokens: a.tokensOutput,
                });
                total += a.costMicros;
              }
              call.routing.costMicros = total;
            }
          },
          // Exactly once per call (settled_at on its reservations), after its task row is complete.
          settle: async (batch: GatewayCallRecord[]) => {
            // Calls served from a budget lease: settled once each (a settled reservation row per
            // call and budget), the lease's reserved amount shrinking by the estimate.
            await spend.gatewayLeases.settle(
              batch.flatMap((c) =>
                c.hold
                  ? [
                      {
                        taskId: c.taskId,
                        ...(c.hold.processId ? { processId: c.hold.processId } : {}),
                        budgetIds: c.hold.budgetIds,
                        reservedMicros: c.hold.micros,
                        reservedTokens: c.hold.tokens,
                        costMicros: c.attempts.reduce((n, a) => n + (a.costMicros ?? 0), 0),
                        usedTokens: c.attempts.reduce((n, a) => n + a.tokensInput + a.tokensOutput, 0),
                      },
                    ]
                  : [],
              ),
            );
            // Calls reserved by an older release's per-call statement (none are made any more).
            const ids = batch.filter((c) => c.budgeted && !c.hold).map((c) => c.taskId);
            if (ids.length) await spend.budgets.settleTasks(ids);
          },
        }
      : {}),
  });
  const gateway = new GatewayService({
    store,
    health: createProviderHealthStore(c.db),
    recorder,
    settings: c.settings,
    taskTypes: () => c.taskTypes.ids(),
    supports: (k) => c.connectors.has(k as ProviderKind),
    connectorBackend: connectorBackend((s) => c.connectors.createConnector(s)),
    ...(spend
      ? {
          spend: {
            estimate: (candidates, usage) => spend.prices.estimate(candidates, usage),
            reserve: spend.reserveGateway,
          } satisfies GatewaySpend,
        }
      : {}),
    log,
  });
  // One per-token limit per process, for the /v1 router and its lean hot path alike.
  const limiter = tokenLimiter(c.env.GATEWAY_RATE_LIMIT_PER_MINUTE);
  return {
    gateway,
    recorder,
    routes: [
      {
        path: '/v1',
        create: (d: ApiDeps) => gatewayRoutes(d, { gateway, limiter }),
        fast: (d: ApiDeps) => gatewayFastPath(d, { gateway, limiter }),
      },
    ],
    /**
     * A budget was added, removed or changed (any process: the cache bus's 'budgets'): the leases on
     * provider accounts stop serving and go back; the next call leases against the budgets as they are.
     */
    revokeLeases() {
      store.revokeLeases();
    },
    /** Records every call handed over so far and gives the budget leases back (tests, benchmarks). */
    async flush() {
      await recorder.drain();
      await store.releaseLeases();
      await spend?.gatewayLeases.release();
    },
    /** Writes every call still waiting to be recorded, then gives the budget leases back (shutdown). */
    async stop() {
      await recorder.stop();
      await store.close();
      await spend?.gatewayLeases.close();
    },
  };
}

/**
 * A call the recorder dropped (the database refuses its row for its data): what it reserved on the
 * provider accounts goes back, and its budget hold is settled once, charged its priced cost (the
 * call ran at the provider; its estimate when it could not be priced). Both are tried, whichever
 * fails; the first failure is thrown (and logged by the recorder).
 */
export async function settleDroppedCall(
  store: Pick<GatewayStore, 'dropped'>,
  leases: Pick<GatewayBudgetLeases, 'settleOnce'> | undefined,
  call: GatewayCallRecord,
): Promise<void> {
  const hold = call.hold;
  const priced = call.attempts.some((a) => a.costMicros !== undefined);
  const results = await Promise.allSettled([
    store.dropped([call]),
    hold && leases
      ? leases.settleOnce([
          {
            taskId: call.taskId,
            ...(hold.processId ? { processId: hold.processId } : {}),
            budgetIds: hold.budgetIds,
            reservedMicros: hold.micros,
            reservedTokens: hold.tokens,
            costMicros: priced ? call.attempts.reduce((n, a) => n + (a.costMicros ?? 0), 0) : hold.micros,
            usedTokens: call.attempts.reduce((n, a) => n + a.tokensInput + a.tokensOutput, 0),
          },
        ])
      : Promise.resolve(),
  ]);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
