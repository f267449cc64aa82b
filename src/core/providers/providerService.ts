import { randomUUID } from 'node:crypto';
import type { Actor } from '../actor.js';
import type { AuditSink } from '../audit/audit.js';
import { nextReset, type ResetPeriod } from '../budgets/resetSchedule.js';
import { type Clock, systemClock } from '../clock.js';
import type { SecretBox } from '../crypto/secretBox.js';
import { AppError, badRequest, conflict, forbidden, notFound } from '../errors.js';
import type { CircuitState, RoutingStats } from '../routing/types.js';
import type { TeamMembership } from '../tasks/ports.js';
import { authorizeTeam, canTeam } from '../teams/authorization.js';
import type { Connector, ConnectorSettings, ProviderKind } from './connector.js';

/**
 * Provider and account administration (API.md "Providers"): defaults from the catalogue
 * (config/providers.ts), credentials sealed with SecretBox (AES-256-GCM, key id in the envelope,
 * the account id as associated data so an envelope cannot be moved to another account), write-only:
 * no method returns them, and every plaintext key is registered for log redaction.
 */
export const PROVIDER_KINDS = ['openai', 'anthropic', 'xai', 'manus', 'openai_compatible', 'mock'] as const;

export interface ProviderRecord {
  id: string;
  name: string;
  kind: ProviderKind;
  apiEndpoint: string | null;
  authType: string;
  competencies: Record<string, number>;
  status: 'active' | 'disabled';
  tier: 'primary' | 'secondary';
  models: string[];
  defaultModel: string | null;
  costPer1kInput: number;
  costPer1kOutput: number;
  timeoutMs: number;
  config: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

export interface AccountRecord {
  id: string;
  providerId: string;
  accountName: string;
  tokenLimit: number;
  tokenUsed: number;
  tokenReserved: number;
  resetPeriod: ResetPeriod;
  resetDate: Date | null;
  lastResetAt: Date | null;
  status: 'active' | 'disabled';
  /** The owning team; null = everyone's (admins manage it). */
  teamId: string | null;
  /** Whether credentials are stored, and the id of the key that sealed them (never the credentials). */
  hasCredentials: boolean;
  credentialsKeyId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface HealthRecord {
  circuit: CircuitState;
  consecutiveFailures: number;
  openedAt: Date | null;
  lastError: string | null;
  lastErrorAt: Date | null;
  lastCheckedAt: Date | null;
}

export type ProviderInput = Omit<ProviderRecord, 'id' | 'createdAt' | 'updatedAt'>;
export type ProviderPatch = Partial<ProviderInput>;

export interface AccountInput {
  id: string;
  providerId: string;
  accountName: string;
  credentials: string | null;
  tokenLimit: number;
  resetPeriod: ResetPeriod;
  resetDate: Date | null;
  status: 'active' | 'disabled';
  /** The owning team (only its tasks use the account, first); null = everyone's. */
  teamId?: string | null;
}

export type AccountPatch = Partial<Omit<AccountInput, 'id' | 'providerId'>> & { resetUsage?: boolean };

/** Storage for providers and accounts (models/providerStore.ts). */
export interface ProviderStore {
  list(): Promise<ProviderRecord[]>;
  get(id: string): Promise<ProviderRecord | null>;
  /** Null when the name is taken (case-insensitive). */
  insert(p: ProviderInput): Promise<ProviderRecord | null>;
  /** Null when unknown; 'name_taken' on a name clash. */
  update(id: string, patch: ProviderPatch): Promise<ProviderRecord | 'name_taken' | null>;
  delete(id: string): Promise<boolean>;
  accounts(providerId: string): Promise<AccountRecord[]>;
  account(providerId: string, accountId: string): Promise<AccountRecord | null>;
  /** The sealed credentials of an account (for a test call). */
  sealedCredentials(accountId: string): Promise<string | null>;
  insertAccount(a: AccountInput): Promise<AccountRecord>;
  updateAccount(providerId: string, accountId: string, patch: AccountPatch): Promise<AccountRecord | null>;
  deleteAccount(providerId: string, accountId: string): Promise<boolean>;
  health(providerId: string): Promise<HealthRecord | null>;
  stats(providerId: string): Promise<RoutingStats>;
  /** After an admin's test call: success closes the circuit, failure records the error. */
  markChecked(providerId: string, ok: boolean, error?: string): Promise<void>;
}

export interface CatalogueEntry {
  name: string;
  authType: string;
  competencies: Record<string, number>;
  models: string[];
  defaultModel: string;
  costPer1kInput: number;
  costPer1kOutput: number;
  tier: 'primary' | 'secondary';
  timeoutMs: number;
  config?: Record<string, unknown>;
}

export interface CreateProvider {
  name: string;
  kind: ProviderKind;
  apiEndpoint?: string | null;
  authType?: string;
  competencies?: Record<string, number>;
  status?: 'active' | 'disabled';
  tier?: 'primary' | 'secondary';
  models?: string[];
  defaultModel?: string | null;
  costPer1kInput?: number;
  costPer1kOutput?: number;
  timeoutMs?: number;
  config?: Record<string, unknown>;
}

export interface CreateAccount {
  accountName: string;
  credentials?: Record<string, string>;
  tokenLimit: number;
  resetPeriod?: ResetPeriod;
  resetDate?: Date;
  status?: 'active' | 'disabled';
  /** Makes it the team's account (site admins, or the team's admins). */
  teamId?: string | null;
}

export interface UpdateAccount {
  accountName?: string;
  credentials?: Record<string, string>;
  tokenLimit?: number;
  resetPeriod?: ResetPeriod;
  resetDate?: Date | null;
  status?: 'active' | 'disabled';
  /** Zero token_used now (a manual reset). */
  resetUsage?: boolean;
}

/** Kinds that cannot work without a key. */
const NEEDS_KEY: ReadonlySet<ProviderKind> = new Set(['openai', 'anthropic', 'xai', 'manus']);
/** Config keys that look like secrets: credentials belong on an account, sealed. */
// `token` but not `tokens…` (tokensPerSecond, maxTokens are pacing and limits, not credentials).
const SECRET_KEY = /(api[-_]?key|secret|token(?!s)|password|authorization|credential|private[-_]?key)/i;

/**
 * The models a task may ask a provider for: its model list plus its default model. A task's
 * `options.model` outside this list is refused at intake (a pinned provider) and never sent.
 */
export function allowedModels(p: { models: string[]; defaultModel: string | null }): string[] {
  return p.defaultModel && !p.models.includes(p.defaultModel) ? [...p.models, p.defaultModel] : [...p.models];
}

export class ProviderService {
  private readonly now: Clock;

  constructor(
    private readonly deps: {
      store: ProviderStore;
      box: SecretBox;
      catalogue: Record<ProviderKind, CatalogueEntry>;
      taskTypes: () => string[];
      connectors: {
        createConnector(settings: ConnectorSettings): Connector;
        has(kind: ProviderKind): boolean;
      };
      audit?: AuditSink;
      /** Called with every plaintext credential value (log redaction). */
      onSecret?: (value: string) => void;
      now?: Clock;
      /** Team membership: team admins manage their team's accounts. Without it accounts are admins' only. */
      teams?: TeamMembership;
    },
  ) {
    this.now = deps.now ?? systemClock;
  }

  list(): Promise<ProviderRecord[]> {
    return this.deps.store.list();
  }

  async get(id: string): Promise<ProviderRecord> {
    const p = await this.deps.store.get(id);
    if (!p) throw notFound('Provider');
    return p;
  }

  async getWithAccounts(id: string): Promise<{ provider: ProviderRecord; accounts: AccountRecord[] }> {
    const provider = await this.get(id);
    return { provider, accounts: await this.deps.store.accounts(id) };
  }

  async status(id: string) {
    const provider = await this.get(id);
    const [health, stats, accounts] = await Promise.all([
      this.deps.store.health(id),
      this.deps.store.stats(id),
      this.deps.store.accounts(id),
    ]);
    return { provider, health, stats, accounts };
  }

  async create(actor: Actor, input: CreateProvider): Promise<ProviderRecord> {
    const defaults = this.deps.catalogue[input.kind];
    const record: ProviderInput = {
      name: input.name.trim(),
      kind: input.kind,
      apiEndpoint: input.apiEndpoint ?? null,
      authType: input.authType ?? defaults.authType,
      // An empty map on creation would mean a provider that never gets a task: take the kind's defaults.
      competencies:
        input.competencies && Object.keys(input.competencies).length
          ? input.competencies
          : { ...defaults.competencies },
      status: input.status ?? 'active',
      tier: input.tier ?? defaults.tier,
      models: input.models ?? [...defaults.models],
      // Unsaid, the default model is the first of the given models (the portal's convention), else the kind's.
      defaultModel:
        input.defaultModel !== undefined
          ? input.defaultModel || null
          : input.models?.length
            ? input.models[0]!
            : defaults.defaultModel || null,
      costPer1kInput: input.costPer1kInput ?? defaults.costPer1kInput,
      costPer1kOutput: input.costPer1kOutput ?? defaults.costPer1kOutput,
      timeoutMs: input.timeoutMs ?? defaults.timeoutMs,
      config: input.config ?? { ...(defaults.config ?? {}) },
    };
    this.validateProvider(record);
    const p = await this.deps.store.insert(record);
    if (!p) throw conflict(`A provider named "${record.name}" already exists`);
    await this.record(actor, 'provider.create', 'provider', p.id, { name: p.name, kind: p.kind });
    return p;
  }

  async update(
    actor: Actor,
    id: string,
    patch: Partial<Omit<CreateProvider, 'kind'>>,
  ): Promise<ProviderRecord> {
    const before = await this.get(id);
    const clean: ProviderPatch = { ...patch };
    if (clean.name !== undefined) clean.name = clean.name.trim();
    if (patch.defaultModel !== undefined) clean.defaultModel = patch.defaultModel || null;
    else if (patch.models?.length && !patch.models.includes(before.defaultModel ?? ''))
      clean.defaultModel = patch.models[0]!;
    this.validateProvider({ ...before, ...clean });
    const p = await this.deps.store.update(id, clean);
    if (p === null) throw notFound('Provider');
    if (p === 'name_taken') throw conflict(`A provider named "${clean.name}" already exists`);
    await this.record(actor, 'provider.update', 'provider', id, { fields: Object.keys(patch) });
    return p;
  }

  async remove(actor: Actor, id: string): Promise<void> {
    const p = await this.get(id);
    if (!(await this.deps.store.delete(id))) throw notFound('Provider');
    await this.record(actor, 'provider.delete', 'provider', id, { name: p.name, kind: p.kind });
  }

  /**
   * Who may manage an account: site admins any; a team's admins (providerAccounts.manage) that
   * team's — its other members get 403, outsiders 404; everyone's accounts only site admins (403).
   */
  private async mayManageAccount(actor: Actor, teamId: string | null, what = 'Team'): Promise<void> {
    if (actor.isAdmin) {
      if (teamId && what === 'Team' && !(await this.deps.teams?.exists(teamId))) throw notFound('Team');
      return;
    }
    if (!teamId) throw forbidden('This needs an admin (or a teamId of a team you administer)');
    const teamRole = this.deps.teams ? await this.deps.teams.roleOf(teamId, actor.userId) : null;
    authorizeTeam({ teamRole, siteAdmin: false }, 'providerAccounts.manage', what);
  }

  /** The accounts a viewer may see listed: everyone's, and their own teams' (site admins: all). */
  async visibleAccounts(viewer: Actor, accounts: AccountRecord[]): Promise<AccountRecord[]> {
    if (viewer.isAdmin || accounts.every((a) => !a.teamId)) return accounts;
    const mine = new Set(this.deps.teams ? await this.deps.teams.teamIdsOf(viewer.userId) : []);
    return accounts.filter((a) => !a.teamId || mine.has(a.teamId));
  }

  /** Whether the viewer sees an account's budget (site admins; a team's admins for its accounts). */
  async managesAccount(viewer: Actor, account: AccountRecord): Promise<boolean> {
    if (viewer.isAdmin) return true;
    if (!account.teamId || !this.deps.teams) return false;
    const teamRole = await this.deps.teams.roleOf(account.teamId, viewer.userId);
    return canTeam({ teamRole, siteAdmin: false }, 'providerAccounts.manage');
  }

  async createAccount(actor: Actor, providerId: string, input: CreateAccount): Promise<AccountRecord> {
    await this.mayManageAccount(actor, input.teamId ?? null);
    const provider = await this.get(providerId);
    const credentials = this.checkCredentials(provider, input.credentials, true);
    const id = randomUUID();
    const resetPeriod = input.resetPeriod ?? 'monthly';
    const account = await this.deps.store.insertAccount({
      id,
      providerId,
      accountName: input.accountName.trim(),
      credentials: credentials ? this.seal(credentials, id) : null,
      tokenLimit: input.tokenLimit,
      resetPeriod,
      resetDate: resetPeriod === 'none' ? null : (input.resetDate ?? nextReset(resetPeriod, this.now())),
      status: input.status ?? 'active',
      teamId: input.teamId ?? null,
    });
    await this.record(actor, 'provider.account.create', 'provider_account', id, {
      providerId,
      accountName: account.accountName,
      tokenLimit: account.tokenLimit,
      resetPeriod,
    });
    return account;
  }

  async updateAccount(
    actor: Actor,
    providerId: string,
    accountId: string,
    input: UpdateAccount,
  ): Promise<AccountRecord> {
    const provider = await this.get(providerId);
    const before = await this.deps.store.account(providerId, accountId);
    if (!before) throw notFound('Account');
    await this.mayManageAccount(actor, before.teamId, 'Account');
    const patch: AccountPatch = {};
    if (input.accountName !== undefined) patch.accountName = input.accountName.trim();
    if (input.tokenLimit !== undefined) patch.tokenLimit = input.tokenLimit;
    if (input.status !== undefined) patch.status = input.status;
    if (input.resetUsage) patch.resetUsage = true;
    if (input.credentials !== undefined) {
      const c = this.checkCredentials(provider, input.credentials, false);
      patch.credentials = c ? this.seal(c, accountId) : null;
    }
    if (input.resetPeriod !== undefined || input.resetDate !== undefined) {
      const period = input.resetPeriod ?? before.resetPeriod;
      patch.resetPeriod = period;
      patch.resetDate =
        period === 'none'
          ? null
          : input.resetDate !== undefined && input.resetDate !== null
            ? input.resetDate
            : nextReset(period, this.now());
    }
    const a = await this.deps.store.updateAccount(providerId, accountId, patch);
    if (!a) throw notFound('Account');
    await this.record(actor, 'provider.account.update', 'provider_account', accountId, {
      providerId,
      fields: Object.keys(input).filter((k) => k !== 'credentials'),
      ...(input.credentials !== undefined ? { credentialsChanged: true } : {}),
    });
    return a;
  }

  async removeAccount(actor: Actor, providerId: string, accountId: string): Promise<void> {
    await this.get(providerId);
    const before = await this.deps.store.account(providerId, accountId);
    if (!before) throw notFound('Account');
    await this.mayManageAccount(actor, before.teamId, 'Account');
    if (!(await this.deps.store.deleteAccount(providerId, accountId))) throw notFound('Account');
    await this.record(actor, 'provider.account.delete', 'provider_account', accountId, { providerId });
  }

  /**
   * A real minimal call through the connector (model list or equivalent) with the given account's
   * credentials, or the first active account's. The result updates the provider's health: success
   * closes its circuit.
   */
  async test(actor: Actor, id: string, opts: { accountId?: string; signal?: AbortSignal } = {}) {
    const provider = await this.get(id);
    const accounts = await this.deps.store.accounts(id);
    const account = opts.accountId
      ? accounts.find((a) => a.id === opts.accountId)
      : (accounts.find((a) => a.status === 'active') ?? accounts[0]);
    if (opts.accountId && !account) throw notFound('Account');
    if (!this.deps.connectors.has(provider.kind)) {
      return {
        ok: false,
        latencyMs: 0,
        error: `No connector is registered for kind "${provider.kind}"`,
        accountId: account?.id ?? null,
      };
    }
    let credentials: Record<string, unknown> = {};
    if (account?.hasCredentials) {
      const sealed = await this.deps.store.sealedCredentials(account.id);
      if (sealed) credentials = this.open(sealed, account.id);
    }
    const connector = this.deps.connectors.createConnector({
      kind: provider.kind,
      baseUrl: provider.apiEndpoint ?? undefined,
      credentials,
      defaultModel: provider.defaultModel ?? undefined,
      timeoutMs: Math.min(provider.timeoutMs, 30_000),
      config: provider.config,
    });
    const r = await connector.test(opts.signal);
    await this.deps.store.markChecked(id, r.ok, r.error);
    await this.record(actor, 'provider.test', 'provider', id, { ok: r.ok, accountId: account?.id ?? null });
    return { ...r, accountId: account?.id ?? null };
  }

  /** Opens sealed credentials (and registers them for log redaction). */
  open(envelope: string, accountId: string): Record<string, unknown> {
    let out: Record<string, unknown>;
    try {
      out = this.deps.box.decryptJson<Record<string, unknown>>(envelope, accountId);
    } catch {
      // Envelopes written without associated data (before accounts were bound to their id).
      out = this.deps.box.decryptJson<Record<string, unknown>>(envelope);
    }
    for (const v of Object.values(out)) if (typeof v === 'string') this.deps.onSecret?.(v);
    return out;
  }

  private seal(credentials: Record<string, string>, accountId: string): string {
    for (const v of Object.values(credentials)) this.deps.onSecret?.(v);
    return this.deps.box.encryptJson(credentials, accountId);
  }

  private checkCredentials(
    provider: ProviderRecord,
    creds: Record<string, string> | undefined,
    creating: boolean,
  ): Record<string, string> | null {
    const clean = Object.fromEntries(
      Object.entries(creds ?? {}).filter(([, v]) => typeof v === 'string' && v.trim() !== ''),
    );
    const hasKey = Boolean(clean.apiKey || (provider.kind === 'manus' && clean.accessToken));
    if (NEEDS_KEY.has(provider.kind) && !hasKey && (creating || creds !== undefined)) {
      throw badRequest(`A ${provider.kind} account needs credentials.apiKey`, [
        {
          field: 'body.credentials.apiKey',
          message: 'required for this provider kind',
          code: 'invalid_type',
        },
      ]);
    }
    return Object.keys(clean).length ? clean : null;
  }

  private validateProvider(p: ProviderInput): void {
    const problems: Array<{ field: string; message: string; code: string }> = [];
    if (p.kind === 'openai_compatible' && !p.apiEndpoint) {
      problems.push({
        field: 'body.apiEndpoint',
        message: 'required for an openai_compatible provider',
        code: 'invalid_type',
      });
    }
    if (p.kind === 'openai_compatible' && !p.defaultModel) {
      problems.push({
        field: 'body.defaultModel',
        message: 'required for an openai_compatible provider (its server decides the names)',
        code: 'invalid_type',
      });
    }
    const known = new Set(this.deps.taskTypes());
    for (const t of Object.keys(p.competencies)) {
      if (!known.has(t))
        problems.push({
          field: `body.competencies.${t}`,
          message: `unknown task type; known: ${[...known].join(', ')}`,
          code: 'invalid_key',
        });
    }
    for (const k of Object.keys(p.config)) {
      if (SECRET_KEY.test(k)) {
        problems.push({
          field: `body.config.${k}`,
          message: 'secrets belong in an account’s credentials (stored encrypted), not in config',
          code: 'invalid_key',
        });
      }
    }
    if (JSON.stringify(p.config).length > 16_000)
      problems.push({ field: 'body.config', message: 'too large (16 kB at most)', code: 'too_big' });
    if (problems.length) throw new AppError('validation_failed', 'Invalid provider', { details: problems });
  }

  private async record(
    actor: Actor,
    action: string,
    targetType: string,
    targetId: string,
    details?: Record<string, unknown>,
  ) {
    await this.deps.audit?.record({
      actorId: actor.userId,
      action,
      targetType,
      targetId,
      ip: actor.ip ?? null,
      ...(details ? { details } : {}),
    });
  }
}
