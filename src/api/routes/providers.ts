import { z } from 'zod';
import {
  type AccountRecord,
  PROVIDER_KINDS,
  type ProviderService,
} from '../../core/providers/providerService.js';
import type { ApiDeps } from '../deps.js';
import {
  accountSchema,
  healthSchema,
  presentAccount,
  presentHealth,
  presentProvider,
  providerSchema,
} from '../presenters/provider.js';
import { actorOf, createRouteBuilder } from '../route.js';
import { idParams } from '../schemas.js';

/**
 * Providers and their accounts (API.md "Providers"). Reading: any signed-in user (to choose a
 * provider), with budgets and provider config shown to admins only. Changing, and test calls: admins.
 * Credentials are write-only: accepted on POST/PUT of an account, stored sealed, never returned.
 */
const endpoint = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
  .max(2000)
  .refine((u) => {
    // Runs even when the URL check failed (zod 4 keeps checking), so parse defensively.
    const parsed = URL.canParse(u) ? new URL(u) : null;
    return !parsed || (!parsed.username && !parsed.password);
  }, 'must not carry credentials (put the key in an account)');

const competencies = z.record(
  z.string().regex(/^[a-z0-9_]{1,64}$/, 'task type id'),
  z.number().min(0).max(1),
);
const name = z.string().trim().min(1).max(100);
const model = z.string().trim().min(1).max(200);
const providerFields = {
  name,
  apiEndpoint: endpoint.nullable().optional(),
  authType: z.enum(['api_key', 'bearer', 'none']).optional(),
  competencies: competencies.optional(),
  status: z.enum(['active', 'disabled']).optional(),
  tier: z.enum(['primary', 'secondary']).optional(),
  models: z.array(model).max(100).optional(),
  defaultModel: z.string().trim().max(200).nullable().optional(),
  costPer1kInput: z.number().min(0).max(1000).optional(),
  costPer1kOutput: z.number().min(0).max(1000).optional(),
  timeoutMs: z.number().int().min(1000).max(3_600_000).optional(),
  config: z.record(z.string().max(100), z.unknown()).optional(),
};
const createProviderBody = z.object({ ...providerFields, kind: z.enum(PROVIDER_KINDS) }).strict();
const updateProviderBody = z
  .object({ ...providerFields, name: name.optional() })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: 'nothing to change' });

const credentials = z
  .record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'credential field name'), z.string().max(8192))
  .refine((c) => Object.keys(c).length <= 20, 'at most 20 fields')
  .describe('write-only: {apiKey, …}; stored encrypted, never returned');
const tokenLimit = z.number().int().min(0).max(1_000_000_000_000_000);
const resetPeriod = z.enum(['daily', 'weekly', 'monthly', 'none']);
const resetDate = z.iso.datetime({ offset: true });
const createAccountBody = z
  .object({
    accountName: name,
    credentials: credentials.optional(),
    tokenLimit,
    resetPeriod: resetPeriod.optional(),
    resetDate: resetDate.optional(),
    status: z.enum(['active', 'disabled']).optional(),
    teamId: z.uuid('must be a UUID').optional().describe('Make it the team’s account (team admins may)'),
  })
  .strict();
const updateAccountBody = z
  .object({
    accountName: name.optional(),
    credentials: credentials.optional(),
    tokenLimit: tokenLimit.optional(),
    resetPeriod: resetPeriod.optional(),
    resetDate: resetDate.nullable().optional(),
    status: z.enum(['active', 'disabled']).optional(),
    resetUsage: z.boolean().optional().describe('set token usage back to 0 now'),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: 'nothing to change' });

const accountParams = z.object({ id: z.uuid('must be a UUID'), accountId: z.uuid('must be a UUID') });
const providerWithAccounts = providerSchema.extend({ accounts: z.array(accountSchema) });
const statusSchema = z.object({
  id: z.string(),
  name: z.string(),
  status: z.enum(['active', 'disabled']),
  health: healthSchema,
  accounts: z.array(accountSchema),
});
const testResult = z.object({
  ok: z.boolean(),
  latencyMs: z.number(),
  model: z.string().optional(),
  error: z.string().optional(),
  accountId: z.string().nullable(),
});

export function providerRoutes(deps: ApiDeps, providers: ProviderService) {
  const r = createRouteBuilder(deps.openapi, '/api');
  const isAdmin = (ctx: { principal: { user: { role: string } } }) => ctx.principal.user.role === 'admin';
  const present = async (ctx: Parameters<typeof actorOf>[0], accounts: AccountRecord[]) =>
    Promise.all(
      (await providers.visibleAccounts(actorOf(ctx), accounts)).map(async (a) =>
        presentAccount(a, await providers.managesAccount(actorOf(ctx), a)),
      ),
    );
  const TEAM_ACCOUNTS =
    'Site admins manage every account; a team’s admins (owner/admin) manage the team’s accounts (`teamId`), its other members get 403 and everyone else 404.';
  const tags = ['Providers'];

  r.get(
    '/providers',
    {
      summary: 'AI providers (config: admins only)',
      tags,
      auth: 'user',
      responses: { 200: { description: 'Providers', schema: z.object({ items: z.array(providerSchema) }) } },
    },
    async (ctx) => ({ items: (await providers.list()).map((p) => presentProvider(p, isAdmin(ctx))) }),
  );

  r.get(
    '/providers/:id',
    {
      summary: 'One provider with its accounts (budgets: admins only; credentials: never)',
      tags,
      auth: 'user',
      params: idParams,
      responses: { 200: { description: 'Provider', schema: providerWithAccounts } },
    },
    async (ctx) => {
      const { provider, accounts } = await providers.getWithAccounts(ctx.params.id);
      return {
        ...presentProvider(provider, isAdmin(ctx)),
        accounts: await present(ctx, accounts),
      };
    },
  );

  r.get(
    '/providers/:id/status',
    {
      summary: 'Health (circuit, error rate, p50 latency, last error) and account budgets (admins)',
      tags,
      auth: 'user',
      params: idParams,
      responses: { 200: { description: 'Status', schema: statusSchema } },
    },
    async (ctx) => {
      const s = await providers.status(ctx.params.id);
      return {
        id: s.provider.id,
        name: s.provider.name,
        status: s.provider.status,
        health: presentHealth(s.health, s.stats),
        accounts: await present(ctx, s.accounts),
      };
    },
  );

  r.post(
    '/providers/:id/test',
    {
      summary: 'Make a real minimal call through the connector (first active account, or ?accountId=)',
      tags,
      auth: 'admin',
      params: idParams,
      query: z.object({ accountId: z.uuid().optional() }),
      responses: { 200: { description: 'Result', schema: testResult } },
    },
    async (ctx) => {
      const out = await providers.test(actorOf(ctx), ctx.params.id, { accountId: ctx.query.accountId });
      return {
        ok: out.ok,
        latencyMs: out.latencyMs,
        ...(out.model ? { model: out.model } : {}),
        ...(out.error ? { error: out.error } : {}),
        accountId: out.accountId,
      };
    },
  );

  r.post(
    '/providers',
    {
      summary: 'Add a provider (defaults per kind from the catalogue)',
      tags,
      auth: 'admin',
      body: createProviderBody,
      responses: { 201: { description: 'Created', schema: providerSchema } },
      errors: [409],
    },
    async (ctx) => presentProvider(await providers.create(actorOf(ctx), ctx.body), true),
  );

  r.put(
    '/providers/:id',
    {
      summary: 'Change a provider',
      tags,
      auth: 'admin',
      params: idParams,
      body: updateProviderBody,
      responses: { 200: { description: 'Updated', schema: providerSchema } },
      errors: [409],
    },
    async (ctx) => presentProvider(await providers.update(actorOf(ctx), ctx.params.id, ctx.body), true),
  );

  r.delete(
    '/providers/:id',
    {
      summary: 'Delete a provider and its accounts',
      tags,
      auth: 'admin',
      params: idParams,
      responses: { 204: { description: 'Deleted' } },
    },
    async (ctx) => {
      await providers.remove(actorOf(ctx), ctx.params.id);
    },
  );

  r.post(
    '/providers/:id/accounts',
    {
      summary: 'Add an account (credentials are write-only)',
      tags,
      description: TEAM_ACCOUNTS,
      auth: 'user',
      errors: [403],
      params: idParams,
      body: createAccountBody,
      responses: { 201: { description: 'Created', schema: accountSchema } },
    },
    async (ctx) => {
      const { resetDate: rd, ...rest } = ctx.body;
      return presentAccount(
        await providers.createAccount(actorOf(ctx), ctx.params.id, {
          ...rest,
          ...(rd ? { resetDate: new Date(rd) } : {}),
        }),
        true,
      );
    },
  );

  r.put(
    '/providers/:id/accounts/:accountId',
    {
      summary: 'Change an account (new credentials replace the old; budget, period, status; resetUsage)',
      tags,
      description: TEAM_ACCOUNTS,
      auth: 'user',
      errors: [403],
      params: accountParams,
      body: updateAccountBody,
      responses: { 200: { description: 'Updated', schema: accountSchema } },
    },
    async (ctx) => {
      const { resetDate: rd, ...rest } = ctx.body;
      const resetDateValue = rd === undefined ? undefined : rd === null ? null : new Date(rd);
      return presentAccount(
        await providers.updateAccount(actorOf(ctx), ctx.params.id, ctx.params.accountId, {
          ...rest,
          ...(resetDateValue !== undefined ? { resetDate: resetDateValue } : {}),
        }),
        true,
      );
    },
  );

  r.delete(
    '/providers/:id/accounts/:accountId',
    {
      summary: 'Delete an account',
      tags,
      description: TEAM_ACCOUNTS,
      auth: 'user',
      errors: [403],
      params: accountParams,
      responses: { 204: { description: 'Deleted' } },
    },
    async (ctx) => {
      await providers.removeAccount(actorOf(ctx), ctx.params.id, ctx.params.accountId);
    },
  );

  return r.router;
}
