import { randomUUID } from 'node:crypto';
import { webApi } from '@slack/bolt';
import { sql } from 'drizzle-orm';
import type { PgBoss } from 'pg-boss';
import type { RouteFactory } from './api/deps.js';
import { approvalRoutes } from './api/routes/approvals.js';
import { spendRoutes } from './api/routes/spend.js';
import type { AuditSink } from './core/audit/audit.js';
import type { GatewaySpend } from './core/gateway/ports.js';
import { TaskApprovals } from './core/spend/approvals.js';
import { createBudgetAlerter } from './core/spend/budgetAlerts.js';
import { BudgetService } from './core/spend/budgetService.js';
import { GatewayBudgetLeases } from './core/spend/gatewayLeases.js';
import {
  type CandidateLookup,
  type EstimateInput,
  IntakeReservation,
} from './core/spend/intakeReservation.js';
import type { BudgetStore, IntakeScopes } from './core/spend/ports.js';
import { PriceBook } from './core/spend/priceBook.js';
import type { ResultDelivererRegistry } from './core/tasks/deliverers.js';
import type { TaskJobs, TaskStore, TeamMembership } from './core/tasks/ports.js';
import type { TaskTypeCatalogue } from './core/tasks/taskTypes.js';
import { postJson } from './core/webhooks/httpPost.js';
import type { Env } from './env.js';
import { boltLogger } from './integrations/slack/slackAdapter.js';
import { startApprovalJobs } from './jobs/approvalJobs.js';
import type { Logger } from './logger.js';
import { createApprovalStore } from './models/approvalStore.js';
import { createBudgetedScopes } from './models/budgetedScopes.js';
import type { CacheBus } from './models/cacheBus.js';
import type { Db } from './models/db.js';
import { createNotificationStore } from './models/notificationStore.js';
import { createPriceStore } from './models/priceStore.js';
import type { ProviderDirectory } from './models/providerDirectory.js';
import { createSpendBudgetStore } from './models/spendBudgetStore.js';

/**
 * Spend control (issue 14): the price book (built-in table + admin overrides), budgets and their
 * API, the intake reservation TaskService calls, and the settle hook the task runner calls; the
 * `approve` action's waiting tasks (approve/reject API, expiry job, approver notifications).
 */
export function composeSpend(c: {
  env: Env;
  db: Db;
  logger: Logger;
  masterKey: Buffer;
  directory: ProviderDirectory;
  taskTypes: TaskTypeCatalogue;
  teams: TeamMembership;
  boss: PgBoss;
  tasks: TaskStore;
  jobs: TaskJobs;
  deliverers: ResultDelivererRegistry;
  audit?: AuditSink;
  /**
   * A budget written through this process is applied here at once (`invalidate('budgets')`, as its
   * notice does when it arrives, and in every other process): the gateway's leases on budgets go
   * back before the write is answered, so this process's next call meets the new limit.
   */
  cache: Pick<CacheBus, 'invalidate'>;
}) {
  const prices = new PriceBook(createPriceStore(c.db));
  const budgeted = createBudgetedScopes(c.db);
  // The bus's 'budgets' listeners (start/features.ts) refresh `budgeted` and send the leases back.
  const store = invalidating(createSpendBudgetStore(c.db), () => c.cache.invalidate('budgets'));
  const notifications = createNotificationStore(c.db);
  const slackWeb = c.env.SLACK_BOT_TOKEN
    ? new webApi.WebClient(c.env.SLACK_BOT_TOKEN, {
        slackApiUrl: c.env.SLACK_API_URL,
        retryConfig: { retries: 0 },
        timeout: 10_000,
        logger: boltLogger(c.logger),
      })
    : undefined;
  const alert = createBudgetAlerter({
    recipients: (b) => store.alertRecipients(b),
    notify: (ids, kind, payload) => notifications.add(ids, kind, payload),
    ...(slackWeb
      ? {
          slack: async (channel: string, text: string) => {
            await slackWeb.chat.postMessage({ channel, text });
          },
        }
      : {}),
    post: postJson,
    masterKey: c.masterKey,
    allowPrivate: c.env.OUTBOUND_ALLOW_PRIVATE,
    log: c.logger.child({ scope: 'budget-alerts' }),
  });
  const budgets = new BudgetService({ store, teams: c.teams, alert });
  const candidates: CandidateLookup = async (task) => {
    const providers = await c.directory.list();
    return providers
      .filter((p) =>
        task.providerId
          ? p.id === task.providerId
          : p.status === 'active' && Number(p.competencies?.[task.taskType] ?? 0) > 0,
      )
      .map((p) => ({
        kind: p.kind,
        model:
          task.options.model && (p.models ?? []).includes(task.options.model)
            ? task.options.model
            : p.default_model,
      }));
  };
  const approvals = new TaskApprovals({
    store: createApprovalStore(c.db),
    budgets: store,
    tasks: c.tasks,
    jobs: c.jobs,
    deliverers: c.deliverers,
    teams: c.teams,
    ttlMinutes: c.env.APPROVAL_TTL_MINUTES,
    ...(c.audit ? { audit: c.audit } : {}),
    notify: (ids, kind, payload) => notifications.add(ids, kind, payload),
  });
  const intake = new IntakeReservation({
    budgets: store,
    prices,
    taskTypes: c.taskTypes,
    candidates,
    hold: (tx, task, over, est, apiTokenId) => approvals.hold(tx, task, over, est, apiTokenId),
  });
  const routes: RouteFactory[] = [
    { path: '/api', create: (d) => spendRoutes(d, { prices, budgets }) },
    { path: '/api', create: (d) => approvalRoutes(d, { approvals }) },
  ];
  /** GET /api/tasks/:id's `approval` (null unless the task was held by an `approve` budget). */
  const approvalOf = async (taskId: string) => {
    const a = await approvals.get(taskId);
    return a
      ? {
          budgets: a.budgets,
          estimatedCostMicros: a.estimatedMicros,
          expiresAt: a.expiresAt.toISOString(),
          decision: a.decision,
          decidedBy: a.decidedBy,
          decidedAt: a.decidedAt?.toISOString() ?? null,
        }
      : null;
  };
  /** GET /api/tasks/:id's costMicros and estimatedCostMicros. */
  const costOf = async (taskId: string) => {
    const r = await c.db.execute<{ cost_micros: string; estimated_cost_micros: string | null }>(
      sql`SELECT cost_micros, estimated_cost_micros FROM tasks WHERE id = ${taskId}::uuid`,
    );
    const row = r.rows[0];
    return {
      costMicros: Number(row?.cost_micros ?? 0),
      estimatedCostMicros: row?.estimated_cost_micros == null ? null : Number(row.estimated_cost_micros),
    };
  };
  /**
   * The gateway's reservation (issue 17): out of this process's lease on the caller's budgets, or one
   * statement that reserves a new lease (core/spend/gatewayLeases.ts); skipped when the caller has no
   * budget at all. The call's task row is written after the response by the gateway's recorder.
   */
  const gatewayLeases = new GatewayBudgetLeases({
    processId: randomUUID(),
    store,
    settle: (processId, calls) => budgets.settleLeased(processId, calls),
  });
  const reserveGateway: GatewaySpend['reserve'] = async (call, micros, tokens) => {
    if (!(await budgeted.any(call))) return { reserved: false };
    const t = await gatewayLeases.take(
      { userId: call.userId, teamId: call.teamId, apiTokenId: call.apiTokenId },
      micros,
      tokens,
    );
    if (t.kind === 'none') return { reserved: false };
    if (t.kind === 'over') return { reserved: false, over: t.over };
    return { reserved: true, hold: t.hold };
  };
  /** The user's confirm threshold (their profile setting), else the server default. */
  const thresholdFor = async (userId: string | null): Promise<number> => {
    if (!userId) return c.env.ESTIMATE_CONFIRM_THRESHOLD_MICROS;
    const r = await c.db.execute<{ t: string | null }>(
      sql`SELECT estimate_confirm_threshold_micros AS t FROM users WHERE id = ${userId}::uuid`,
    );
    const t = r.rows[0]?.t;
    return t == null ? c.env.ESTIMATE_CONFIRM_THRESHOLD_MICROS : Number(t);
  };
  /** POST /api/tasks/estimate and chat `generate`: the quote against the user's threshold. */
  const estimate = async (task: EstimateInput, scopes: Omit<IntakeScopes, 'taskId'>) =>
    intake.quote(task, scopes, await thresholdFor(scopes.userId));
  return {
    prices,
    budgets,
    intake,
    approvals,
    routes,
    costOf,
    approvalOf,
    reserveGateway,
    gatewayLeases,
    estimate,
    /**
     * A budget was added, removed or changed in any process (the cache bus's 'budgets', or '*' when
     * notices may have been missed): which callers have budgets is read again, and the gateway's
     * leases on budgets stop serving and go back (the next call leases against the new limits).
     */
    budgetsChanged: () => {
      budgeted.invalidate();
      gatewayLeases.revoke();
    },
    /** TaskService's hook after intake held a task: tells its approvers. */
    onHeld: (task: Parameters<TaskApprovals['notifyHeld']>[0]) => approvals.notifyHeld(task),
    /** The worker's approval expiry job (pg-boss cron). */
    startWorker: () =>
      startApprovalJobs({ boss: c.boss, expire: () => approvals.expire(), logger: c.logger }),
  };
}

/** The budget store, telling `changed` when a budget is created, changed or deleted. */
function invalidating(store: BudgetStore, changed: () => void): BudgetStore {
  return {
    ...store,
    create: async (b, by) => {
      const out = await store.create(b, by);
      changed();
      return out;
    },
    update: async (id, patch) => {
      const out = await store.update(id, patch);
      changed();
      return out;
    },
    delete: async (id) => {
      const out = await store.delete(id);
      changed();
      return out;
    },
  };
}
