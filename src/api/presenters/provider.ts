import { z } from 'zod';
import type { AccountRecord, HealthRecord, ProviderRecord } from '../../core/providers/providerService.js';
import type { RoutingStats } from '../../core/routing/types.js';

/**
 * What clients see of providers and accounts. Credentials are never presented (not even masked).
 * Any signed-in user may read providers (to choose one); budgets and provider `config` are for
 * admins: a user sees each account's id, name, status and whether it has room (`available`).
 */
export const providerSchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(['openai', 'anthropic', 'xai', 'manus', 'openai_compatible', 'mock']),
  apiEndpoint: z.string().nullable(),
  authType: z.string(),
  competencies: z.record(z.string(), z.number()),
  status: z.enum(['active', 'disabled']),
  tier: z.enum(['primary', 'secondary']),
  models: z.array(z.string()),
  defaultModel: z.string().nullable(),
  costPer1kInput: z.number(),
  costPer1kOutput: z.number(),
  timeoutMs: z.number(),
  config: z.record(z.string(), z.unknown()).optional().describe('admins only'),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const accountSchema = z.object({
  id: z.string(),
  providerId: z.string(),
  accountName: z.string(),
  teamId: z.string().nullable().describe('The owning team (only its tasks use it, first); null = everyone’s'),
  status: z.enum(['active', 'disabled']),
  available: z.boolean().describe('whether it has any budget left'),
  tokenLimit: z.number().optional().describe('admins only (as every budget field)'),
  tokenUsed: z.number().optional(),
  tokenReserved: z.number().optional(),
  tokensRemaining: z.number().optional(),
  resetPeriod: z.enum(['daily', 'weekly', 'monthly', 'none']).optional(),
  resetDate: z.string().nullable().optional(),
  lastResetAt: z.string().nullable().optional(),
  hasCredentials: z.boolean().optional(),
  credentialsKeyId: z
    .string()
    .nullable()
    .optional()
    .describe('id of the encryption key that sealed the credentials (rotation)'),
  createdAt: z.string().optional(),
  updatedAt: z.string().optional(),
});

export const healthSchema = z.object({
  circuit: z.enum(['closed', 'open', 'half_open']),
  consecutiveFailures: z.number(),
  errorRate: z.number().nullable(),
  p50LatencyMs: z.number().nullable(),
  inFlight: z.number(),
  samples: z.number(),
  openedAt: z.string().nullable(),
  lastError: z.string().nullable(),
  lastErrorAt: z.string().nullable(),
  lastCheckedAt: z.string().nullable(),
});

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function presentProvider(p: ProviderRecord, isAdmin: boolean): z.infer<typeof providerSchema> {
  return {
    id: p.id,
    name: p.name,
    kind: p.kind,
    apiEndpoint: p.apiEndpoint,
    authType: p.authType,
    competencies: p.competencies,
    status: p.status,
    tier: p.tier,
    models: p.models,
    defaultModel: p.defaultModel,
    costPer1kInput: p.costPer1kInput,
    costPer1kOutput: p.costPer1kOutput,
    timeoutMs: p.timeoutMs,
    ...(isAdmin ? { config: p.config } : {}),
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}

export function presentAccount(a: AccountRecord, isAdmin: boolean): z.infer<typeof accountSchema> {
  const remaining = Math.max(0, a.tokenLimit - a.tokenUsed - a.tokenReserved);
  const base = {
    id: a.id,
    providerId: a.providerId,
    accountName: a.accountName,
    teamId: a.teamId ?? null,
    status: a.status,
    available: a.status === 'active' && remaining > 0,
  };
  if (!isAdmin) return base;
  return {
    ...base,
    tokenLimit: a.tokenLimit,
    tokenUsed: a.tokenUsed,
    tokenReserved: a.tokenReserved,
    tokensRemaining: remaining,
    resetPeriod: a.resetPeriod,
    resetDate: iso(a.resetDate),
    lastResetAt: iso(a.lastResetAt),
    hasCredentials: a.hasCredentials,
    credentialsKeyId: a.credentialsKeyId,
    createdAt: a.createdAt.toISOString(),
    updatedAt: a.updatedAt.toISOString(),
  };
}

export function presentHealth(h: HealthRecord | null, s: RoutingStats): z.infer<typeof healthSchema> {
  return {
    circuit: h?.circuit ?? 'closed',
    consecutiveFailures: h?.consecutiveFailures ?? 0,
    errorRate: s.errorRate === null ? null : Math.round(s.errorRate * 1000) / 1000,
    p50LatencyMs: s.p50LatencyMs,
    inFlight: s.inFlight,
    samples: s.samples,
    openedAt: iso(h?.openedAt ?? null),
    lastError: h?.lastError ?? null,
    lastErrorAt: iso(h?.lastErrorAt ?? null),
    lastCheckedAt: iso(h?.lastCheckedAt ?? null),
  };
}
