import { sql } from 'drizzle-orm';
import type { Router } from 'express';
import type { ApiDeps } from './api/deps.js';
import { spendRoutes } from './api/routes/spend.js';
import { BudgetService } from './core/spend/budgetService.js';
import { IntakeReservation } from './core/spend/intakeReservation.js';
import type { CrossedBudget } from './core/spend/ports.js';
import { PriceBook } from './core/spend/priceBook.js';
import type { TeamMembership } from './core/tasks/ports.js';
import type { TaskTypeCatalogue } from './core/tasks/taskTypes.js';
import type { TaskRecord } from './core/tasks/types.js';
import type { Db } from './models/db.js';
import { createPriceStore } from './models/priceStore.js';
import type { ProviderDirectory } from './models/providerDirectory.js';
import { createSpendBudgetStore } from './models/spendBudgetStore.js';

/**
 * Spend control (issue 14): the price book (built-in table + admin overrides), budgets and their
 * API, the intake reservation TaskService calls, and the settle hook the task runner calls.
 */
export function composeSpend(c: {
  db: Db;
  directory: ProviderDirectory;
  taskTypes: TaskTypeCatalogue;
  teams: TeamMembership;
  alert?: (crossed: CrossedBudget[]) => Promise<void>;
}) {
  const prices = new PriceBook(createPriceStore(c.db));
  const store = createSpendBudgetStore(c.db);
  const budgets = new BudgetService({ store, teams: c.teams, ...(c.alert ? { alert: c.alert } : {}) });
  const candidates = async (task: TaskRecord) => {
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
  const intake = new IntakeReservation({ budgets: store, prices, taskTypes: c.taskTypes, candidates });
  const routes: Array<{ path: string; create: (deps: ApiDeps) => Router }> = [
    { path: '/api', create: (d) => spendRoutes(d, { prices, budgets }) },
  ];
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
  return { prices, budgets, intake, routes, costOf };
}
