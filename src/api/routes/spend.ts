import { z } from 'zod';
import type { BudgetService } from '../../core/spend/budgetService.js';
import { BUDGET_ACTIONS, BUDGET_PERIODS, BUDGET_SCOPES, type BudgetRecord } from '../../core/spend/ports.js';
import type { PriceBook } from '../../core/spend/priceBook.js';
import type { ApiDeps } from '../deps.js';
import { actorOf, createRouteBuilder } from '../route.js';
import { idParams, isoDate } from '../schemas.js';

const micros = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const tokens = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const usdPerMTok = z.number().finite().min(0).max(1_000_000);
const timeZone = z
  .string()
  .min(1)
  .max(64)
  .refine(
    (tz) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    },
    { message: 'must be an IANA time zone such as Europe/Paris' },
  );
const thresholds = z
  .array(z.number().int().min(1).max(1000))
  .max(10)
  .transform((a) => [...new Set(a)].sort((x, y) => x - y));
const alertTargets = z
  .object({
    slackChannel: z.string().trim().min(1).max(100).optional(),
    webhookUrl: z.url().max(2000).optional(),
  })
  .strict();

const priceItem = z
  .object({
    providerKind: z.string().trim().min(1).max(40),
    model: z.string().trim().min(1).max(200).describe("A model name, or '*' for every model of the kind"),
    inputPerMTokUsd: usdPerMTok,
    outputPerMTokUsd: usdPerMTok,
    cachedInputPerMTokUsd: usdPerMTok.nullable().optional(),
  })
  .strict();
const priceRow = z.object({
  providerKind: z.string(),
  model: z.string(),
  inputPerMTokUsd: z.number(),
  outputPerMTokUsd: z.number(),
  cachedInputPerMTokUsd: z.number().nullable(),
  source: z
    .string()
    .describe('Where the price comes from: the built-in table (package@version) or an admin override'),
});

const budgetSchema = z.object({
  id: z.string(),
  scope: z.enum(BUDGET_SCOPES),
  scopeId: z.string(),
  teamId: z.string().nullable(),
  name: z.string().nullable(),
  limitMicros: z.number().nullable(),
  limitTokens: z.number().nullable(),
  period: z.enum(BUDGET_PERIODS),
  timeZone: z.string(),
  resetsAt: isoDate.nullable(),
  spentMicros: z.number(),
  spentTokens: z.number(),
  reservedMicros: z.number(),
  reservedTokens: z.number(),
  alertThresholds: z.array(z.number()),
  alertTargets: z.object({ slackChannel: z.string().optional(), webhookUrl: z.string().optional() }),
  action: z.enum(BUDGET_ACTIONS),
  createdAt: isoDate,
  updatedAt: isoDate,
});

const present = (b: BudgetRecord) => ({
  id: b.id,
  scope: b.scope,
  scopeId: b.scopeId,
  teamId: b.teamId,
  name: b.name,
  limitMicros: b.limitMicros,
  limitTokens: b.limitTokens,
  period: b.period,
  timeZone: b.timeZone,
  resetsAt: b.resetsAt?.toISOString() ?? null,
  spentMicros: b.spentMicros,
  spentTokens: b.spentTokens,
  reservedMicros: b.reservedMicros,
  reservedTokens: b.reservedTokens,
  alertThresholds: b.alertThresholds,
  alertTargets: b.alertTargets,
  action: b.action,
  createdAt: b.createdAt.toISOString(),
  updatedAt: b.updatedAt.toISOString(),
});

const editable = {
  name: z.string().trim().min(1).max(100).nullable().optional(),
  limitMicros: micros.nullable().optional(),
  limitTokens: tokens.nullable().optional(),
  period: z.enum(BUDGET_PERIODS).optional(),
  timeZone: timeZone.optional(),
  action: z.enum(BUDGET_ACTIONS).optional(),
  alertThresholds: thresholds.optional(),
  alertTargets: alertTargets.optional(),
};
const createBody = z
  .object({
    scope: z.enum(BUDGET_SCOPES),
    scopeId: z.uuid('must be a UUID'),
    ...editable,
    period: z.enum(BUDGET_PERIODS),
  })
  .strict()
  .refine((b) => b.limitMicros != null || b.limitTokens != null || b.action === 'notify', {
    message: 'set limitMicros and/or limitTokens',
  });
const updateBody = z
  .object(editable)
  .strict()
  .refine((b) => Object.values(b).some((v) => v !== undefined), { message: 'send at least one field' });

/** Prices and budgets (API.md § Spend). Mounted at /api. */
export function spendRoutes(deps: ApiDeps, s: { prices: PriceBook; budgets: BudgetService }) {
  const r = createRouteBuilder(deps.openapi, '/api');
  const tags = ['Spend'];

  r.get(
    '/prices',
    {
      summary: 'The price table (USD per million tokens) per provider kind and model, with its source',
      operationId: 'listPrices',
      tags,
      auth: 'user',
      responses: { 200: { description: 'Prices', schema: z.object({ items: z.array(priceRow) }) } },
    },
    async () => ({
      items: (await s.prices.list()).map((p) => ({
        ...p,
        cachedInputPerMTokUsd: p.cachedInputPerMTokUsd ?? null,
      })),
    }),
  );

  r.put(
    '/admin/prices',
    {
      summary: 'Replace the admin price overrides (they win over the built-in table)',
      operationId: 'replacePriceOverrides',
      tags,
      auth: 'admin',
      body: z.object({ items: z.array(priceItem).max(1000) }).strict(),
      responses: {
        200: { description: 'Prices now in force', schema: z.object({ items: z.array(priceRow) }) },
      },
    },
    async (ctx) => {
      const seen = new Set<string>();
      const items = ctx.body.items.filter((p) => {
        const k = `${p.providerKind}\u0000${p.model}`;
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      });
      await s.prices.replaceOverrides(items, ctx.principal.user.id);
      return {
        items: (await s.prices.list()).map((p) => ({
          ...p,
          cachedInputPerMTokUsd: p.cachedInputPerMTokUsd ?? null,
        })),
      };
    },
  );

  r.post(
    '/budgets',
    {
      summary: 'Create a budget (site admins: any scope; team admins: their team’s scopes)',
      operationId: 'createBudget',
      tags,
      auth: 'user',
      body: createBody,
      responses: { 201: { description: 'Budget', schema: budgetSchema } },
      errors: [403, 404],
    },
    async (ctx) => {
      const b = ctx.body;
      const created = await s.budgets.create(
        {
          scope: b.scope,
          scopeId: b.scopeId,
          name: b.name ?? null,
          limitMicros: b.limitMicros ?? null,
          limitTokens: b.limitTokens ?? null,
          period: b.period,
          timeZone: b.timeZone ?? 'UTC',
          action: b.action ?? 'block',
          alertThresholds: b.alertThresholds ?? [50, 80, 100],
          alertTargets: b.alertTargets ?? {},
        },
        actorOf(ctx),
      );
      return present(created);
    },
  );

  r.get(
    '/budgets',
    {
      summary: 'The budgets the caller may see (site admins: all)',
      operationId: 'listBudgets',
      tags,
      auth: 'user',
      responses: { 200: { description: 'Budgets', schema: z.object({ items: z.array(budgetSchema) }) } },
    },
    async (ctx) => ({ items: (await s.budgets.list(actorOf(ctx))).map(present) }),
  );

  r.get(
    '/budgets/:id',
    {
      summary: 'A budget',
      operationId: 'getBudget',
      tags,
      auth: 'user',
      params: idParams,
      responses: { 200: { description: 'Budget', schema: budgetSchema } },
    },
    async (ctx) => present(await s.budgets.get(ctx.params.id, actorOf(ctx))),
  );

  r.put(
    '/budgets/:id',
    {
      summary: 'Change a budget (a new period or time zone starts a fresh period)',
      operationId: 'updateBudget',
      tags,
      auth: 'user',
      params: idParams,
      body: updateBody,
      responses: { 200: { description: 'Budget', schema: budgetSchema } },
      errors: [403],
    },
    async (ctx) => present(await s.budgets.update(ctx.params.id, ctx.body, actorOf(ctx))),
  );

  r.delete(
    '/budgets/:id',
    {
      summary: 'Delete a budget',
      operationId: 'deleteBudget',
      tags,
      auth: 'user',
      params: idParams,
      responses: { 204: { description: 'Deleted' } },
      errors: [403],
    },
    async (ctx) => {
      await s.budgets.remove(ctx.params.id, actorOf(ctx));
    },
  );

  r.get(
    '/budgets/:id/forecast',
    {
      summary:
        'Burn rate over a trailing window, when the budget runs out at that rate, projected period spend',
      operationId: 'getBudgetForecast',
      tags,
      auth: 'user',
      params: idParams,
      query: z.object({ windowDays: z.coerce.number().int().min(1).max(90).optional() }),
      responses: {
        200: {
          description: 'Forecast',
          schema: z.object({
            windowDays: z.number(),
            burnRatePerDayMicros: z.number(),
            runsOutAt: isoDate.nullable(),
            projectedPeriodSpendMicros: z.number(),
          }),
        },
      },
    },
    async (ctx) => s.budgets.forecast(ctx.params.id, actorOf(ctx), ctx.query.windowDays ?? 7),
  );

  return r.router;
}
