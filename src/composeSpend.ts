import { webApi } from '@slack/bolt';
import { sql } from 'drizzle-orm';
import type { PgBoss } from 'pg-boss';
import type { RouteFactory } from './api/deps.js';
import { approvalRoutes } from './api/routes/approvals.js';
import { spendRoutes } from './api/routes/spend.js';
import { boltLogger } from './bots/slack/slackAdapter.js';
import type { AuditSink } from './core/audit/audit.js';
import { TaskApprovals } from './core/spend/approvals.js';
import { createBudgetAlerter } from './core/spend/budgetAlerts.js';
import { BudgetService } from './core/spend/budgetService.js';
import { type CandidateLookup, IntakeReservation } from './core/spend/intakeReservation.js';
import { PriceBook } from './core/spend/priceBook.js';
import type { ResultDelivererRegistry } from './core/tasks/deliverers.js';
import type { TaskJobs, TaskStore, TeamMembership } from './core/tasks/ports.js';
import type { TaskTypeCatalogue } from './core/tasks/taskTypes.js';
import { postJson } from './core/webhooks/httpPost.js';
import type { Env } from './env.js';
import { startApprovalJobs } from './jobs/approvalJobs.js';
import type { Logger } from './logger.js';
import { createApprovalStore } from './models/approvalStore.js';
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
}) {
  const prices = new PriceBook(createPriceStore(c.db));
  const store = createSpendBudgetStore(c.db);
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
  return {
    prices,
    budgets,
    intake,
    approvals,
    routes,
    costOf,
    approvalOf,
    /** TaskService's hook after intake held a task: tells its approvers. */
    onHeld: (task: Parameters<TaskApprovals['notifyHeld']>[0]) => approvals.notifyHeld(task),
    /** The worker's approval expiry job (pg-boss cron). */
    startWorker: () =>
      startApprovalJobs({ boss: c.boss, expire: () => approvals.expire(), logger: c.logger }),
  };
}
