/**
 * Types for the Switchyard HTTP API (see /work/shared/API.md). Field names follow the contract
 * exactly; fields the contract does not pin down are optional so the portal degrades gracefully.
 */

export type Role = 'admin' | 'user';
export type UserStatus = 'active' | 'suspended';

export interface User {
  id: string;
  username: string;
  email: string | null;
  role: Role;
  status: UserStatus;
  createdAt: string;
  updatedAt: string;
  lastLogin: string | null;
}

export interface Page<T> {
  items: T[];
  page: number;
  limit: number;
  total: number;
}

/** Lists the contract does not paginate: `{items}` only. */
export interface ItemList<T> {
  items: T[];
}

export interface PageQuery {
  page?: number;
  limit?: number;
}

// ---------- auth ----------

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  /** Seconds until the access token expires. */
  expiresIn: number;
}

export interface AuthResult extends TokenPair {
  user: User;
}

export interface LoginInput {
  username?: string;
  email?: string;
  password: string;
}

export interface RegisterInput {
  username: string;
  email: string;
  password: string;
}

export interface UpdateMeInput {
  username?: string;
  email?: string;
  password?: string;
  currentPassword?: string;
}

export interface ApiToken {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
}

export interface CreatedApiToken {
  id: string;
  name: string;
  /** Shown only once, right after creation. */
  token: string;
  createdAt: string;
  expiresAt: string | null;
}

// ---------- tasks ----------

export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];

export const TASK_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export type TaskSource = 'api' | 'portal' | 'slack' | 'discord' | 'telegram' | 'github' | 'webhook';

export interface TaskType {
  id: string;
  name: string;
  description: string;
}

export interface Task {
  id: string;
  userId: string;
  title: string;
  description: string;
  taskType: string;
  priority: Priority;
  status: TaskStatus;
  source: TaskSource;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  completedAt: string | null;
  contentId: string | null;
  error: string | null;
}

export interface Assignment {
  id: string;
  providerId: string | null;
  providerName: string | null;
  accountId: string | null;
  status: string;
  attemptCount: number;
  errorMessage: string | null;
  tokensUsed: number;
  latencyMs: number | null;
  createdAt: string;
  updatedAt: string;
  /** Not in the contract, shown when present. */
  model?: string | null;
}

export interface TaskDetail extends Task {
  assignments: Assignment[];
}

export interface TaskOptions {
  maxTokens?: number;
  temperature?: number;
  model?: string;
}

export interface CreateTaskInput {
  description: string;
  taskType: string;
  title?: string;
  priority?: Priority;
  providerId?: string;
  options?: TaskOptions;
  callbackUrl?: string;
}

export interface UpdateTaskInput {
  title?: string;
  description?: string;
  priority?: Priority;
  taskType?: string;
}

export interface TaskListQuery extends PageQuery {
  status?: TaskStatus;
  taskType?: string;
  userId?: string;
  all?: boolean;
}

export interface TaskStatusInfo {
  id: string;
  status: TaskStatus;
  updatedAt: string;
  attempts: number;
}

/**
 * The routing decision. The contract says "candidates considered, why each was kept or dropped,
 * scores, the chain tried" without naming fields, so every field is optional and the renderer
 * accepts a few spellings (see lib/routing.ts).
 */
export interface RoutingCandidate {
  providerId?: string | null;
  providerName?: string | null;
  name?: string | null;
  accountId?: string | null;
  accountName?: string | null;
  kept?: boolean;
  selected?: boolean;
  chosen?: boolean;
  status?: string;
  decision?: string;
  reason?: string | null;
  reasons?: string[];
  dropReason?: string | null;
  score?: number | null;
  scores?: Record<string, number>;
  factors?: Record<string, number>;
  breakdown?: Record<string, number>;
}

export interface RoutingChainStep {
  providerId?: string | null;
  providerName?: string | null;
  name?: string | null;
  accountId?: string | null;
  accountName?: string | null;
  outcome?: string;
  status?: string;
  error?: string | null;
  errorMessage?: string | null;
  latencyMs?: number | null;
}

export interface RoutingDecision {
  taskId?: string;
  taskType?: string;
  priority?: string;
  decidedAt?: string;
  candidates?: RoutingCandidate[];
  chain?: Array<RoutingChainStep | string>;
  weights?: Record<string, number>;
  reason?: string;
  [extra: string]: unknown;
}

// ---------- content ----------

export type ContentStatus = 'draft' | 'published' | 'archived';
export const CONTENT_STATUSES: ContentStatus[] = ['draft', 'published', 'archived'];

export interface Content {
  id: string;
  taskId: string | null;
  userId: string;
  title: string;
  contentType: string;
  contentData: string;
  version: number;
  status: ContentStatus;
  metadata: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

export interface ContentVersionSummary {
  version: number;
  createdAt: string;
  createdBy: string | null;
  source: string;
}

export interface ContentDetail extends Content {
  versions: ContentVersionSummary[];
}

/** GET /api/content/:id/versions/:version — "that version". */
export interface ContentVersion {
  version: number;
  title?: string;
  contentData: string;
  contentType?: string;
  createdAt?: string;
  createdBy?: string | null;
  source?: string;
  metadata?: Record<string, unknown>;
}

export interface ContentListQuery extends PageQuery {
  taskId?: string;
  q?: string;
}

export interface UpdateContentInput {
  title?: string;
  contentData?: string;
  status?: ContentStatus;
  baseVersion?: number;
}

export const EXPORT_FORMATS = ['markdown', 'html', 'txt', 'json', 'pdf', 'docx'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportedFile {
  blob: Blob;
  filename: string;
  contentType: string;
}

export interface ShareCreated {
  id: string;
  token: string;
  url: string;
  expiresAt: string;
}

export interface Share {
  id: string;
  url?: string | null;
  token?: string | null;
  version?: number | null;
  expiresAt: string;
  revokedAt?: string | null;
  createdAt?: string;
}

export interface SharedContent {
  title: string;
  contentType: string;
  contentData: string;
  version: number;
  expiresAt: string;
}

/** GET /api/content/:id/diff — not in API.md; normalised by lib/diff.ts from several shapes. */
export type ContentDiffResponse = unknown;

// ---------- providers ----------

export const PROVIDER_KINDS = ['openai', 'anthropic', 'xai', 'manus', 'openai_compatible', 'mock'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];
export type ProviderStatus = 'active' | 'disabled';
export type ProviderTier = 'primary' | 'secondary';

export interface Provider {
  id: string;
  name: string;
  kind: ProviderKind;
  apiEndpoint: string | null;
  authType: string;
  competencies: Record<string, number>;
  status: ProviderStatus;
  tier: ProviderTier;
  models: string[];
  createdAt: string;
  updatedAt: string;
}

export type ResetPeriod = 'daily' | 'weekly' | 'monthly' | 'none';
export const RESET_PERIODS: ResetPeriod[] = ['daily', 'weekly', 'monthly', 'none'];

export interface ProviderAccount {
  id: string;
  providerId: string;
  accountName: string;
  tokenLimit: number;
  tokenUsed: number;
  /** Not in the contract's `account`, but the budget model has it; shown when the API sends it. */
  tokenReserved?: number;
  tokensRemaining: number;
  resetDate: string | null;
  resetPeriod: ResetPeriod;
  status: ProviderStatus;
}

export interface ProviderDetail extends Provider {
  accounts: ProviderAccount[];
}

export type Circuit = 'closed' | 'open' | 'half_open';

export interface ProviderHealth {
  circuit: Circuit;
  errorRate: number | null;
  p50LatencyMs: number | null;
  lastError: string | null;
  lastCheckedAt: string | null;
}

export interface ProviderStatusInfo {
  id: string;
  status: ProviderStatus;
  health: ProviderHealth;
  accounts: ProviderAccount[];
}

export interface ProviderTestResult {
  ok: boolean;
  latencyMs: number;
  model?: string;
  error?: string;
}

export interface ProviderInput {
  name?: string;
  kind?: ProviderKind;
  apiEndpoint?: string | null;
  authType?: string;
  competencies?: Record<string, number>;
  status?: ProviderStatus;
  tier?: ProviderTier;
  models?: string[];
}

export interface AccountInput {
  accountName?: string;
  /** Write-only: sent, never read back. */
  credentials?: { apiKey: string; [k: string]: string };
  tokenLimit?: number;
  resetPeriod?: ResetPeriod;
  resetDate?: string | null;
  status?: ProviderStatus;
}

// ---------- admin ----------

export interface UserListQuery extends PageQuery {
  q?: string;
}

export interface UpdateUserInput {
  role?: Role;
  status?: UserStatus;
}

export interface ProviderStats {
  id: string;
  name: string;
  tasksCompleted: number;
  tasksFailed: number;
  tokensUsed: number;
  errorRate: number | null;
  p50LatencyMs: number | null;
}

export interface AdminStats {
  users: { total: number };
  tasks: {
    total: number;
    byStatus: Record<string, number>;
    byType: Record<string, number>;
    bySource: Record<string, number>;
  };
  providers: ProviderStats[];
  queue: { queued: number; running: number; failed: number };
  /**
   * Tasks created per UTC day, by status, oldest first; days without tasks are left out. Covers
   * `since` onwards (recent days when unset). Absent from servers older than this field.
   */
  tasksOverTime?: StatsDay[];
}

/** One day of AdminStats.tasksOverTime: `date` is YYYY-MM-DD (UTC); statuses with no tasks may be absent. */
export type StatsDay = { date: string; total: number } & Partial<Record<TaskStatus, number>>;

export interface AuditEntry {
  id: string | number;
  at: string;
  actorId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  ip: string | null;
  details: Record<string, unknown> | null;
}

export interface AuditQuery extends PageQuery {
  action?: string;
  actorId?: string;
  since?: string;
}

export type SettingValue = string | number | boolean | null | Record<string, unknown> | unknown[];
export type Settings = Record<string, SettingValue>;

// ---------- linking ----------

export interface LinkCode {
  code: string;
  expiresAt: string;
}

export interface LinkedIdentity {
  id: string;
  platform: string;
  workspaceId: string;
  platformUserId: string;
  displayName: string | null;
  linkedAt: string | null;
}

// ---------- inbound webhooks ----------

export interface Webhook {
  id: string;
  name: string;
  taskType: string;
  promptTemplate: string;
  priority: Priority;
  callbackUrl: string | null;
  url?: string;
  status?: string;
  createdAt?: string;
  updatedAt?: string;
}

export interface WebhookInput {
  name: string;
  taskType: string;
  promptTemplate: string;
  priority?: Priority;
  callbackUrl?: string;
}

export interface WebhookCreated {
  id: string;
  url: string;
  secret: string;
}

/** GET /api/webhooks/:id/deliveries — not in API.md; fields are optional. */
export interface WebhookDelivery {
  id: string;
  taskId?: string | null;
  url?: string | null;
  event?: string | null;
  attempt?: number | null;
  status?: string | null;
  responseStatus?: number | null;
  error?: string | null;
  durationMs?: number | null;
  createdAt?: string;
  receivedAt?: string;
  deliveryId?: string | null;
}

// ---------- errors ----------

export interface ApiErrorBody {
  error: { code: string; message: string; details?: unknown };
}
