import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  real,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

/**
 * The whole data model. Migrations in ./migrations are generated from this file by drizzle-kit
 * (`npm run db:generate`) and applied at boot.
 */

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const createdAt = () => ts('created_at').notNull().defaultNow();
const updatedAt = () => ts('updated_at').notNull().defaultNow();
const id = () => uuid('id').primaryKey().default(sql`gen_random_uuid()`);

export const users = pgTable(
  'users',
  {
    id: id(),
    username: text('username').notNull(),
    email: text('email'),
    passwordHash: text('password_hash'),
    role: text('role', { enum: ['admin', 'user'] })
      .notNull()
      .default('user'),
    status: text('status', { enum: ['active', 'suspended'] })
      .notNull()
      .default('active'),
    /** A per-chat-identity stand-in for someone who has not linked an account yet. */
    isGuest: boolean('is_guest').notNull().default(false),
    /**
     * Above this estimate (integer micro-dollars) the portal and chat `generate` ask before running a
     * task; null: the server default (ESTIMATE_CONFIRM_THRESHOLD_MICROS).
     */
    estimateConfirmThresholdMicros: bigint('estimate_confirm_threshold_micros', { mode: 'number' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    lastLogin: ts('last_login'),
  },
  (t) => [
    uniqueIndex('users_username_lower_uq').on(sql`lower(${t.username})`),
    uniqueIndex('users_email_lower_uq').on(sql`lower(${t.email})`),
  ],
);

/** Teams: a user may be in several; tasks, content, provider accounts and inbound hooks may belong to one. */
export const teams = pgTable(
  'teams',
  {
    id: id(),
    name: text('name').notNull(),
    slug: text('slug').notNull(),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('teams_slug_uq').on(t.slug)],
);

export const teamMembers = pgTable(
  'team_members',
  {
    teamId: uuid('team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['owner', 'admin', 'member'] }).notNull(),
    joinedAt: ts('joined_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.userId] }), index('team_members_user_idx').on(t.userId)],
);

/** Single-use invite links; only the SHA-256 of the token is stored. */
export const teamInvites = pgTable(
  'team_invites',
  {
    id: id(),
    teamId: uuid('team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull(),
    email: text('email'),
    role: text('role', { enum: ['owner', 'admin', 'member'] }).notNull(),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    expiresAt: ts('expires_at').notNull(),
    usedAt: ts('used_at'),
    usedBy: uuid('used_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('team_invites_token_uq').on(t.tokenHash), index('team_invites_team_idx').on(t.teamId)],
);

/** A Slack workspace, Discord guild or Telegram chat whose commands create the team's tasks. */
export const chatWorkspaces = pgTable(
  'chat_workspaces',
  {
    id: id(),
    teamId: uuid('team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    platform: text('platform', { enum: ['slack', 'discord', 'telegram'] }).notNull(),
    externalId: text('external_id').notNull(),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('chat_workspaces_platform_external_uq').on(t.platform, t.externalId),
    index('chat_workspaces_team_idx').on(t.teamId),
  ],
);

export const sessions = pgTable(
  'sessions',
  {
    id: id(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
    lastUsedAt: ts('last_used_at'),
    expiresAt: ts('expires_at').notNull(),
    revokedAt: ts('revoked_at'),
    revokedReason: text('revoked_reason'),
    ip: text('ip'),
    userAgent: text('user_agent'),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    id: id(),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull(),
    createdAt: createdAt(),
    spentAt: ts('spent_at'),
    expiresAt: ts('expires_at').notNull(),
  },
  (t) => [
    uniqueIndex('refresh_tokens_hash_uq').on(t.tokenHash),
    index('refresh_tokens_session_idx').on(t.sessionId),
  ],
);

export const apiTokens = pgTable(
  'api_tokens',
  {
    id: id(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull(),
    /** A team-scoped token: what it creates belongs to this team (null: a personal token). */
    teamId: uuid('team_id').references(() => teams.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
    lastUsedAt: ts('last_used_at'),
    expiresAt: ts('expires_at'),
    revokedAt: ts('revoked_at'),
  },
  (t) => [uniqueIndex('api_tokens_hash_uq').on(t.tokenHash), index('api_tokens_user_idx').on(t.userId)],
);

export const aiProviders = pgTable(
  'ai_providers',
  {
    id: id(),
    name: text('name').notNull(),
    kind: text('kind', {
      enum: ['openai', 'anthropic', 'xai', 'manus', 'openai_compatible', 'mock'],
    }).notNull(),
    apiEndpoint: text('api_endpoint'),
    authType: text('auth_type').notNull().default('api_key'),
    /** task type → score 0..1 */
    competencies: jsonb('competencies').$type<Record<string, number>>().notNull().default({}),
    status: text('status', { enum: ['active', 'disabled'] })
      .notNull()
      .default('active'),
    tier: text('tier', { enum: ['primary', 'secondary'] })
      .notNull()
      .default('primary'),
    models: jsonb('models').$type<string[]>().notNull().default([]),
    defaultModel: text('default_model'),
    /** USD per 1k tokens, used by the router's cost term. */
    costPer1kInput: real('cost_per_1k_input').notNull().default(0),
    costPer1kOutput: real('cost_per_1k_output').notNull().default(0),
    timeoutMs: integer('timeout_ms').notNull().default(60_000),
    /** Kind-specific settings (mock latency/failure injection, Manus agent profile, ...). */
    config: jsonb('config').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('ai_providers_name_uq').on(sql`lower(${t.name})`)],
);

export const providerAccounts = pgTable(
  'provider_accounts',
  {
    id: id(),
    providerId: uuid('provider_id')
      .notNull()
      .references(() => aiProviders.id, { onDelete: 'cascade' }),
    accountName: text('account_name').notNull(),
    /** The owning team; null = personal. */
    teamId: uuid('team_id').references(() => teams.id, { onDelete: 'set null' }),
    /** AES-256-GCM envelope (see core/crypto/secretBox.ts); never returned by the API. */
    credentials: text('credentials'),
    tokenLimit: bigint('token_limit', { mode: 'number' }).notNull(),
    tokenUsed: bigint('token_used', { mode: 'number' }).notNull().default(0),
    tokenReserved: bigint('token_reserved', { mode: 'number' }).notNull().default(0),
    /** Money spent on this account, integer micro-dollars (settled attempts' costMicros). */
    spentMicros: bigint('spent_micros', { mode: 'number' }).notNull().default(0),
    resetPeriod: text('reset_period', { enum: ['daily', 'weekly', 'monthly', 'none'] })
      .notNull()
      .default('monthly'),
    /** When the next reset is due. */
    resetDate: ts('reset_date'),
    lastResetAt: ts('last_reset_at'),
    status: text('status', { enum: ['active', 'disabled'] })
      .notNull()
      .default('active'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('provider_accounts_provider_idx').on(t.providerId)],
);

/**
 * What each gateway process holds reserved on an account (its lease plus its calls in flight), with a
 * heartbeat: the worker's budget job gives back the holdings of a process that died without
 * shutting down (SIGKILL, OOM) once its heartbeat is stale.
 */
export const gatewayLeases = pgTable(
  'gateway_leases',
  {
    processId: uuid('process_id').notNull(),
    accountId: uuid('account_id')
      .notNull()
      .references(() => providerAccounts.id, { onDelete: 'cascade' }),
    tokens: bigint('tokens', { mode: 'number' }).notNull().default(0),
    /** Micro-dollars held on the account's own money budgets (provider_account scope). */
    micros: bigint('micros', { mode: 'number' }).notNull().default(0),
    heartbeatAt: ts('heartbeat_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.processId, t.accountId] }),
    index('gateway_leases_heartbeat_idx').on(t.heartbeatAt),
  ],
);

/** Circuit breaker state per provider. Error rate and latency are computed from task_assignments. */
export const providerHealth = pgTable('provider_health', {
  providerId: uuid('provider_id')
    .primaryKey()
    .references(() => aiProviders.id, { onDelete: 'cascade' }),
  circuit: text('circuit', { enum: ['closed', 'open', 'half_open'] })
    .notNull()
    .default('closed'),
  consecutiveFailures: integer('consecutive_failures').notNull().default(0),
  openedAt: ts('opened_at'),
  lastError: text('last_error'),
  lastErrorAt: ts('last_error_at'),
  lastCheckedAt: ts('last_checked_at'),
  updatedAt: updatedAt(),
});

export const webhooks = pgTable('webhooks', {
  id: id(),
  name: text('name').notNull(),
  taskType: text('task_type').notNull(),
  promptTemplate: text('prompt_template').notNull(),
  priority: text('priority', { enum: ['low', 'normal', 'high', 'urgent'] })
    .notNull()
    .default('normal'),
  callbackUrl: text('callback_url'),
  /** Encrypted signing secret, and the previous one during its grace period after a rotation. */
  secret: text('secret').notNull(),
  previousSecret: text('previous_secret'),
  previousSecretExpiresAt: ts('previous_secret_expires_at'),
  status: text('status', { enum: ['active', 'disabled'] })
    .notNull()
    .default('active'),
  createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
  /** The owning team; null = personal. */
  teamId: uuid('team_id').references(() => teams.id, { onDelete: 'set null' }),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const tasks = pgTable(
  'tasks',
  {
    id: id(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** The owning team; null = personal. */
    teamId: uuid('team_id').references(() => teams.id, { onDelete: 'set null' }),
    title: text('title').notNull(),
    description: text('description').notNull(),
    taskType: text('task_type').notNull(),
    priority: text('priority', { enum: ['low', 'normal', 'high', 'urgent'] })
      .notNull()
      .default('normal'),
    status: text('status', {
      enum: ['awaiting_approval', 'queued', 'running', 'completed', 'failed', 'cancelled'],
    })
      .notNull()
      .default('queued'),
    source: text('source', {
      enum: ['api', 'portal', 'slack', 'discord', 'telegram', 'github', 'webhook', 'gateway'],
    })
      .notNull()
      .default('api'),
    /** Pinned provider, if the caller asked for one. */
    providerId: uuid('provider_id').references(() => aiProviders.id, { onDelete: 'set null' }),
    options: jsonb('options')
      .$type<{ maxTokens?: number; temperature?: number; model?: string }>()
      .notNull()
      .default({}),
    callbackUrl: text('callback_url'),
    webhookId: uuid('webhook_id').references(() => webhooks.id, { onDelete: 'set null' }),
    /** Where to deliver the result (chat channel, GitHub issue, ...); adapter-specific. */
    origin: jsonb('origin').$type<Record<string, unknown>>(),
    contentId: uuid('content_id'),
    /** For a regeneration: the content whose next version this task produces. */
    regenerateContentId: uuid('regenerate_content_id'),
    error: text('error'),
    jobId: text('job_id'),
    attempts: integer('attempts').notNull().default(0),
    /** The router's recorded decision (candidates, scores, chain tried). */
    routing: jsonb('routing').$type<Record<string, unknown>>(),
    /** Real cost so far (sum of its settled attempts), integer micro-dollars. */
    costMicros: bigint('cost_micros', { mode: 'number' }).notNull().default(0),
    /** The intake estimate reserved against budgets, integer micro-dollars. */
    estimatedCostMicros: bigint('estimated_cost_micros', { mode: 'number' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    startedAt: ts('started_at'),
    completedAt: ts('completed_at'),
  },
  (t) => [
    index('tasks_user_created_idx').on(t.userId, t.createdAt),
    index('tasks_status_idx').on(t.status),
    index('tasks_created_idx').on(t.createdAt),
    index('tasks_team_created_idx').on(t.teamId, t.createdAt),
  ],
);

export const taskAssignments = pgTable(
  'task_assignments',
  {
    id: id(),
    taskId: uuid('task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    providerId: uuid('provider_id').references(() => aiProviders.id, { onDelete: 'set null' }),
    providerName: text('provider_name'),
    accountId: uuid('account_id').references(() => providerAccounts.id, { onDelete: 'set null' }),
    status: text('status', { enum: ['running', 'succeeded', 'failed', 'aborted'] })
      .notNull()
      .default('running'),
    attemptCount: integer('attempt_count').notNull().default(1),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    model: text('model'),
    tokensReserved: integer('tokens_reserved').notNull().default(0),
    tokensInput: integer('tokens_input').notNull().default(0),
    tokensOutput: integer('tokens_output').notNull().default(0),
    tokensUsed: integer('tokens_used').notNull().default(0),
    latencyMs: integer('latency_ms'),
    /** Request sent → first token of a succeeded call (the router's time-to-first-token estimate). */
    ttftMs: integer('ttft_ms'),
    /** The attempt's cost from its real usage and the price table, integer micro-dollars. */
    costMicros: bigint('cost_micros', { mode: 'number' }).notNull().default(0),
    /** The estimate reserved on the account's money budgets (provider_account scope) until settled. */
    microsReserved: bigint('micros_reserved', { mode: 'number' }).notNull().default(0),
    /** Set once the account's budget has been settled for this attempt (exactly-once charging). */
    settledAt: ts('settled_at'),
    /**
     * A successful call's answer (text, usage, model, provenance), written in the statement that
     * settles it, so a re-run of a task whose worker died before completing it reuses the answer
     * instead of calling a provider again. Cleared when the task completes (the content holds it).
     */
    output: jsonb('output').$type<Record<string, unknown>>(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('task_assignments_task_idx').on(t.taskId),
    index('task_assignments_provider_idx').on(t.providerId, t.createdAt),
  ],
);

export const content = pgTable(
  'content',
  {
    id: id(),
    taskId: uuid('task_id').references(() => tasks.id, { onDelete: 'set null' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** The owning team; null = personal. */
    teamId: uuid('team_id').references(() => teams.id, { onDelete: 'set null' }),
    title: text('title').notNull(),
    contentType: text('content_type').notNull().default('markdown'),
    contentData: text('content_data').notNull(),
    version: integer('version').notNull().default(1),
    status: text('status', { enum: ['draft', 'published', 'archived'] })
      .notNull()
      .default('draft'),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    /** The review workflow (core/collab/review.ts); a new version after approval returns it to draft (trigger). */
    reviewState: text('review_state', {
      enum: ['draft', 'in_review', 'changes_requested', 'approved', 'published'],
    })
      .notNull()
      .default('draft'),
    /** The version pinned by the last publish. */
    publishedVersion: integer('published_version'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('content_user_idx').on(t.userId, t.updatedAt),
    index('content_task_idx').on(t.taskId),
    index('content_team_idx').on(t.teamId, t.updatedAt),
  ],
);

export const contentVersions = pgTable(
  'content_versions',
  {
    id: id(),
    contentId: uuid('content_id')
      .notNull()
      .references(() => content.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    title: text('title').notNull(),
    contentData: text('content_data').notNull(),
    source: text('source', { enum: ['generation', 'edit', 'restore', 'regeneration'] }).notNull(),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    /** The task that generated this version; unique so a re-run can never add a second one. */
    taskId: uuid('task_id').references(() => tasks.id, { onDelete: 'set null' }),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('content_versions_content_version_uq').on(t.contentId, t.version),
    uniqueIndex('content_versions_task_uq').on(t.taskId),
  ],
);

export const contentShares = pgTable(
  'content_shares',
  {
    id: id(),
    contentId: uuid('content_id')
      .notNull()
      .references(() => content.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull(),
    version: integer('version'),
    expiresAt: ts('expires_at').notNull(),
    revokedAt: ts('revoked_at'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('content_shares_token_uq').on(t.tokenHash),
    index('content_shares_content_idx').on(t.contentId),
  ],
);

/** Threaded comments on a content version, optionally anchored to a quoted passage. */
export const contentComments = pgTable(
  'content_comments',
  {
    id: id(),
    contentId: uuid('content_id')
      .notNull()
      .references(() => content.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    authorId: uuid('author_id').references(() => users.id, { onDelete: 'set null' }),
    body: text('body').notNull(),
    quote: text('quote'),
    parentId: uuid('parent_id'),
    resolvedAt: ts('resolved_at'),
    resolvedBy: uuid('resolved_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('content_comments_content_idx').on(t.contentId, t.createdAt),
    index('content_comments_parent_idx').on(t.parentId),
  ],
);

/** Who was asked to review a content item, and their last decision. */
export const contentReviewers = pgTable(
  'content_reviewers',
  {
    contentId: uuid('content_id')
      .notNull()
      .references(() => content.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    decision: text('decision', { enum: ['pending', 'approved', 'changes_requested'] })
      .notNull()
      .default('pending'),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.contentId, t.userId] }), index('content_reviewers_user_idx').on(t.userId)],
);

/** The review workflow's history (submit, approve, request_changes, publish, reset by an edit). */
export const contentReviewEvents = pgTable(
  'content_review_events',
  {
    id: id(),
    contentId: uuid('content_id')
      .notNull()
      .references(() => content.id, { onDelete: 'cascade' }),
    actorId: uuid('actor_id').references(() => users.id, { onDelete: 'set null' }),
    action: text('action').notNull(),
    fromState: text('from_state').notNull(),
    toState: text('to_state').notNull(),
    version: integer('version').notNull(),
    note: text('note'),
    createdAt: createdAt(),
  },
  (t) => [index('content_review_events_content_idx').on(t.contentId, t.createdAt)],
);

/** A user's notifications (mentions, review requests, budget alerts): kind + payload, read once. */
export const notifications = pgTable(
  'notifications',
  {
    id: id(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    kind: text('kind').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull().default({}),
    readAt: ts('read_at'),
    createdAt: createdAt(),
  },
  (t) => [
    index('notifications_user_idx').on(t.userId, t.createdAt),
    index('notifications_unread_idx').on(t.userId).where(sql`${t.readAt} IS NULL`),
  ],
);

/** Usage reports delivered on a schedule (pg-boss cron) to a chat channel or a signed webhook. */
export const reportSchedules = pgTable(
  'report_schedules',
  {
    id: id(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    teamId: uuid('team_id').references(() => teams.id, { onDelete: 'cascade' }),
    report: text('report').notNull(),
    groupBy: text('group_by').notNull(),
    every: text('every', { enum: ['week', 'month'] }).notNull(),
    deliverTo: jsonb('deliver_to').$type<Record<string, unknown>>().notNull(),
    lastSentAt: ts('last_sent_at'),
    nextRunAt: ts('next_run_at').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('report_schedules_due_idx').on(t.nextRunAt)],
);

export const chatIdentities = pgTable(
  'chat_identities',
  {
    id: id(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    platform: text('platform', { enum: ['slack', 'discord', 'telegram', 'github'] }).notNull(),
    workspaceId: text('workspace_id').notNull().default(''),
    platformUserId: text('platform_user_id').notNull(),
    displayName: text('display_name'),
    linkedAt: ts('linked_at'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('chat_identities_uq').on(t.platform, t.workspaceId, t.platformUserId),
    index('chat_identities_user_idx').on(t.userId),
  ],
);

export const linkCodes = pgTable('link_codes', {
  id: id(),
  userId: uuid('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' }),
  codeHash: text('code_hash').notNull().unique('link_codes_code_hash_uq'),
  expiresAt: ts('expires_at').notNull(),
  usedAt: ts('used_at'),
  createdAt: createdAt(),
});

/** A sign-in identity at an identity provider (GitHub, Google, Slack, Discord, the generic OIDC issuer). */
export const identities = pgTable(
  'identities',
  {
    id: id(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    provider: text('provider').notNull(),
    /** The provider's stable id for the account (OIDC `sub`, GitHub/Discord user id). */
    subject: text('subject').notNull(),
    email: text('email'),
    emailVerified: boolean('email_verified').notNull().default(false),
    displayName: text('display_name'),
    createdAt: createdAt(),
    lastUsedAt: ts('last_used_at'),
  },
  (t) => [
    uniqueIndex('identities_provider_subject_uq').on(t.provider, t.subject),
    index('identities_user_idx').on(t.userId),
  ],
);

/** A sign-in in progress: what the callback must match (state, PKCE verifier, nonce); single use. */
export const ssoFlows = pgTable(
  'sso_flows',
  {
    id: id(),
    provider: text('provider').notNull(),
    /** SHA-256 of the state sent to the provider. */
    stateHash: text('state_hash').notNull(),
    /** SHA-256 of the value of the browser's sy_sso cookie. */
    browserHash: text('browser_hash').notNull(),
    /** Encrypted PKCE verifier. */
    codeVerifier: text('code_verifier').notNull(),
    nonce: text('nonce').notNull(),
    next: text('next').notNull().default('/'),
    /** Set when a signed-in user links another identity. */
    linkUserId: uuid('link_user_id').references(() => users.id, { onDelete: 'cascade' }),
    /** After the callback: the SHA-256 of the one-time code the portal exchanges for a session. */
    usedAt: ts('used_at'),
    exchangeHash: text('exchange_hash'),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'cascade' }),
    expiresAt: ts('expires_at').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('sso_flows_state_uq').on(t.stateHash),
    uniqueIndex('sso_flows_exchange_uq').on(t.exchangeHash),
  ],
);

/** One ledger for every inbound source's delivery id: a delivery makes at most one task. */
export const inboundDeliveries = pgTable(
  'inbound_deliveries',
  {
    id: id(),
    source: text('source').notNull(),
    deliveryId: text('delivery_id').notNull(),
    taskId: uuid('task_id').references(() => tasks.id, { onDelete: 'set null' }),
    /** The response first given, replayed to repeats (idempotency). */
    response: jsonb('response').$type<Record<string, unknown>>(),
    receivedAt: ts('received_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('inbound_deliveries_uq').on(t.source, t.deliveryId),
    index('inbound_deliveries_received_idx').on(t.receivedAt),
  ],
);

/** Outbound signed callbacks: one row per attempt. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: id(),
    webhookId: uuid('webhook_id').references(() => webhooks.id, { onDelete: 'cascade' }),
    taskId: uuid('task_id').references(() => tasks.id, { onDelete: 'cascade' }),
    url: text('url').notNull(),
    event: text('event').notNull(),
    attempt: integer('attempt').notNull().default(1),
    status: text('status', { enum: ['pending', 'succeeded', 'failed', 'refused'] })
      .notNull()
      .default('pending'),
    responseStatus: integer('response_status'),
    error: text('error'),
    durationMs: integer('duration_ms'),
    createdAt: createdAt(),
  },
  (t) => [
    index('webhook_deliveries_webhook_idx').on(t.webhookId, t.createdAt),
    index('webhook_deliveries_task_idx').on(t.taskId),
  ],
);

export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: ts('at').notNull().defaultNow(),
    actorId: uuid('actor_id'),
    action: text('action').notNull(),
    targetType: text('target_type'),
    targetId: text('target_id'),
    ip: text('ip'),
    details: jsonb('details').$type<Record<string, unknown>>(),
  },
  (t) => [
    index('audit_log_at_idx').on(t.at),
    index('audit_log_action_idx').on(t.action, t.at),
    index('audit_log_actor_idx').on(t.actorId, t.at),
  ],
);

export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: jsonb('value').notNull(),
  updatedAt: updatedAt(),
  updatedBy: uuid('updated_by'),
});

/** Per-identity (or per-key) fixed-window counters shared by every process. */
export const rateCounters = pgTable(
  'rate_counters',
  {
    key: text('key').notNull(),
    windowStart: ts('window_start').notNull(),
    count: integer('count').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.key, t.windowStart] })],
);

/** Admin overrides of the built-in price table (USD per million tokens); model '*' covers a whole kind. */
export const priceOverrides = pgTable(
  'price_overrides',
  {
    providerKind: text('provider_kind').notNull(),
    model: text('model').notNull(),
    inputPerMTokUsd: doublePrecision('input_per_mtok_usd').notNull(),
    outputPerMTokUsd: doublePrecision('output_per_mtok_usd').notNull(),
    cachedInputPerMTokUsd: doublePrecision('cached_input_per_mtok_usd'),
    updatedBy: uuid('updated_by').references(() => users.id, { onDelete: 'set null' }),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.providerKind, t.model] })],
);

/**
 * Spend budgets. `teamId` / `ownerUserId` say who manages and reads it (derived from the scope at
 * creation). Spent and reserved amounts belong to the period ending at `resetsAt` (null: `total`);
 * a statement that finds `resetsAt` past starts the next period in the same statement.
 */
export const budgets = pgTable(
  'budgets',
  {
    id: id(),
    scope: text('scope', {
      enum: ['team', 'user', 'chat_workspace', 'api_token', 'hook', 'provider_account'],
    }).notNull(),
    scopeId: uuid('scope_id').notNull(),
    teamId: uuid('team_id').references(() => teams.id, { onDelete: 'cascade' }),
    ownerUserId: uuid('owner_user_id').references(() => users.id, { onDelete: 'cascade' }),
    name: text('name'),
    limitMicros: bigint('limit_micros', { mode: 'number' }),
    limitTokens: bigint('limit_tokens', { mode: 'number' }),
    period: text('period', { enum: ['daily', 'weekly', 'monthly', 'total'] }).notNull(),
    timeZone: text('time_zone').notNull().default('UTC'),
    action: text('action', { enum: ['block', 'approve', 'notify'] })
      .notNull()
      .default('block'),
    alertThresholds: jsonb('alert_thresholds').$type<number[]>().notNull().default([50, 80, 100]),
    alertTargets: jsonb('alert_targets')
      .$type<{ slackChannel?: string; webhookUrl?: string }>()
      .notNull()
      .default({}),
    spentMicros: bigint('spent_micros', { mode: 'number' }).notNull().default(0),
    spentTokens: bigint('spent_tokens', { mode: 'number' }).notNull().default(0),
    reservedMicros: bigint('reserved_micros', { mode: 'number' }).notNull().default(0),
    reservedTokens: bigint('reserved_tokens', { mode: 'number' }).notNull().default(0),
    resetsAt: ts('resets_at'),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('budgets_scope_idx').on(t.scope, t.scopeId),
    index('budgets_team_idx').on(t.teamId),
    index('budgets_owner_idx').on(t.ownerUserId),
  ],
);

/**
 * What each gateway process holds reserved on a spend budget (issue 17): its lease (money and tokens
 * reserved ahead for the caller's next calls) plus its calls in flight, with a heartbeat. Counted in
 * the budget's reserved amounts; the worker's budget job gives back the holdings of a process that
 * died without shutting down once its heartbeat is stale.
 */
export const budgetLeases = pgTable(
  'budget_leases',
  {
    processId: uuid('process_id').notNull(),
    budgetId: uuid('budget_id')
      .notNull()
      .references(() => budgets.id, { onDelete: 'cascade' }),
    micros: bigint('micros', { mode: 'number' }).notNull().default(0),
    tokens: bigint('tokens', { mode: 'number' }).notNull().default(0),
    heartbeatAt: ts('heartbeat_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.processId, t.budgetId] }),
    index('budget_leases_heartbeat_idx').on(t.heartbeatAt),
  ],
);

/** A task's hold on one budget: reserved at intake, settled exactly once (settled_at) with the real cost. */
export const budgetReservations = pgTable(
  'budget_reservations',
  {
    budgetId: uuid('budget_id')
      .notNull()
      .references(() => budgets.id, { onDelete: 'cascade' }),
    taskId: uuid('task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    reservedMicros: bigint('reserved_micros', { mode: 'number' }).notNull(),
    reservedTokens: bigint('reserved_tokens', { mode: 'number' }).notNull(),
    actualMicros: bigint('actual_micros', { mode: 'number' }),
    actualTokens: bigint('actual_tokens', { mode: 'number' }),
    createdAt: createdAt(),
    settledAt: ts('settled_at'),
  },
  (t) => [
    primaryKey({ columns: [t.budgetId, t.taskId] }),
    index('budget_reservations_task_idx').on(t.taskId),
    index('budget_reservations_settled_idx').on(t.budgetId, t.settledAt),
  ],
);

/**
 * A task held at intake by `approve` budgets (status awaiting_approval): which budgets, the estimate
 * to reserve on approval, when the wait expires, and the decision (approved, rejected, expired).
 */
export const taskApprovals = pgTable(
  'task_approvals',
  {
    taskId: uuid('task_id')
      .primaryKey()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    /** The `approve` budgets without room at intake: [{id, scope, name, limitMicros, limitTokens, resetsAt}]. */
    budgets: jsonb('budgets').$type<Array<Record<string, unknown>>>().notNull(),
    estimatedMicros: bigint('estimated_micros', { mode: 'number' }).notNull(),
    estimatedTokens: bigint('estimated_tokens', { mode: 'number' }).notNull(),
    apiTokenId: uuid('api_token_id'),
    expiresAt: ts('expires_at').notNull(),
    decision: text('decision', { enum: ['approved', 'rejected', 'expired'] }),
    decidedBy: uuid('decided_by').references(() => users.id, { onDelete: 'set null' }),
    decidedAt: ts('decided_at'),
    createdAt: createdAt(),
  },
  (t) => [index('task_approvals_waiting_idx').on(t.expiresAt).where(sql`decision IS NULL`)],
);

/**
 * A chat `generate` whose estimate is above its user's confirm threshold, waiting for Run or Cancel
 * (survives a restart). `taskId` is set once Run made the task; `decision` ends it.
 */
export const chatPendingRuns = pgTable(
  'chat_pending_runs',
  {
    id: id(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** What to submit on Run: prompt, task type, priority, provider, team, source platform. */
    request: jsonb('request').$type<Record<string, unknown>>().notNull(),
    expiresAt: ts('expires_at').notNull(),
    decision: text('decision', { enum: ['run', 'cancelled'] }),
    taskId: uuid('task_id').references(() => tasks.id, { onDelete: 'set null' }),
    decidedAt: ts('decided_at'),
    createdAt: createdAt(),
  },
  (t) => [index('chat_pending_runs_expires_idx').on(t.expiresAt)],
);

/** One row per budget, period and threshold: an alert is sent once. */
export const budgetAlerts = pgTable(
  'budget_alerts',
  {
    budgetId: uuid('budget_id')
      .notNull()
      .references(() => budgets.id, { onDelete: 'cascade' }),
    periodKey: text('period_key').notNull(),
    threshold: integer('threshold').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.budgetId, t.periodKey, t.threshold] })],
);
