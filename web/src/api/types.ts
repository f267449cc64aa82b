/**
 * The portal's names for the API's types. Every shape comes from schema.d.ts, which `npm run api:types`
 * generates from the server's OpenAPI document (itself generated from the zod schemas the routes
 * validate with), so a change on the server shows up here as a type error, not as a surprise at run time.
 */
import type { operations } from './schema';

type Operation = keyof operations;
type Json<R> = R extends { content: { 'application/json': infer T } } ? T : undefined;
type Responses<O extends Operation> = operations[O]['responses'];

/** The JSON body of an operation's success answer (200, 201 or 202). */
export type ResponseOf<O extends Operation> = Json<
  Responses<O>[Extract<keyof Responses<O>, 200 | 201 | 202>]
>;
/** The JSON request body of an operation. */
export type BodyOf<O extends Operation> = operations[O] extends {
  requestBody?: { content: { 'application/json': infer B } };
}
  ? B
  : never;
/** The query parameters of an operation. */
export type QueryOf<O extends Operation> = operations[O] extends { parameters: { query?: infer Q } }
  ? NonNullable<Q>
  : never;

type Item<L> = L extends { items: Array<infer T> } ? T : never;

export interface Page<T> {
  items: T[];
  page: number;
  limit: number;
  total: number;
}

// ---------- auth ----------

export type AuthResult = ResponseOf<'postAuthLogin'>;
export type TokenPair = ResponseOf<'postAuthRefresh'>;
export type User = AuthResult['user'];
export type Role = User['role'];
export type LoginInput = BodyOf<'postAuthLogin'>;
export type RegisterInput = BodyOf<'postAuthRegister'>;
export type UpdateMeInput = BodyOf<'putAuthMe'>;
export type ApiToken = Item<ResponseOf<'getAuthTokens'>>;
export type CreatedApiToken = ResponseOf<'postAuthTokens'>;

// ---------- tasks ----------

export type TaskType = Item<ResponseOf<'getTaskTypes'>>;
export type Team = Item<ResponseOf<'getTeams'>>;
export type TeamDetail = ResponseOf<'getTeamsById'>;
export type TeamRole = TeamDetail['members'][number]['role'];
export type CreatedInvite = ResponseOf<'postTeamsByIdInvites'>;
export type Task = ResponseOf<'postTasks'>;
export type TaskDetail = ResponseOf<'getTasksById'>;
export type Priority = Task['priority'];
export type TaskStatus = Task['status'];
export type CreateTaskInput = BodyOf<'postTasks'>;
export type UpdateTaskInput = BodyOf<'putTasksById'>;
export type TaskListQuery = QueryOf<'getTasks'>;
export type RoutingDecision = ResponseOf<'getTasksByIdRouting'>;

export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const satisfies readonly Priority[];
export const TASK_STATUSES = [
  'awaiting_approval',
  'queued',
  'running',
  'completed',
  'failed',
  'cancelled',
] as const satisfies readonly TaskStatus[];

// ---------- content ----------

export type Content = ResponseOf<'putContentById'>;
export type ContentDetail = ResponseOf<'getContentById'>;
export type ContentStatus = Content['status'];
export type ContentListQuery = QueryOf<'getContent'>;
export type UpdateContentInput = BodyOf<'putContentById'>;
export type ExportFormat = BodyOf<'postContentByIdExport'>['format'];
export type ShareCreated = ResponseOf<'postContentByIdShare'>;
export type Share = Item<ResponseOf<'getContentByIdShares'>>;

export const CONTENT_STATUSES = [
  'draft',
  'published',
  'archived',
] as const satisfies readonly ContentStatus[];
export const EXPORT_FORMATS = [
  'markdown',
  'html',
  'txt',
  'json',
  'pdf',
  'docx',
] as const satisfies readonly ExportFormat[];

export interface ExportedFile {
  blob: Blob;
  filename: string;
  contentType: string;
}

// ---------- providers ----------

export type Provider = Item<ResponseOf<'getProviders'>>;
export type ProviderDetail = ResponseOf<'getProvidersById'>;
export type ProviderAccount = ProviderDetail['accounts'][number];
export type ProviderKind = Provider['kind'];
export type ProviderTier = Provider['tier'];
export type ResetPeriod = NonNullable<ProviderAccount['resetPeriod']>;
export type ProviderStatusInfo = ResponseOf<'getProvidersByIdStatus'>;
export type ProviderTestResult = ResponseOf<'postProvidersByIdTest'>;
/** What the provider form sends, to create a provider or to change one. */
export type ProviderInput = BodyOf<'postProviders'>;
/** What the account form sends, to create an account or to change one. */
export type AccountInput = BodyOf<'postProvidersByIdAccounts'>;
export type AuthType = NonNullable<ProviderInput['authType']>;

export const PROVIDER_KINDS = [
  'openai',
  'anthropic',
  'xai',
  'manus',
  'openai_compatible',
  'mock',
] as const satisfies readonly ProviderKind[];
export const AUTH_TYPES = ['api_key', 'bearer', 'none'] as const satisfies readonly AuthType[];
export const RESET_PERIODS = ['daily', 'weekly', 'monthly', 'none'] as const satisfies readonly ResetPeriod[];

// ---------- admin ----------

export type AdminStats = ResponseOf<'getAdminStats'>;
/** One day of AdminStats.tasksOverTime: `date` is YYYY-MM-DD (UTC); statuses with no tasks may be absent. */
export type StatsDay = AdminStats['tasksOverTime'][number];
export type UpdateUserInput = BodyOf<'putAdminUsersById'>;
export type SettingValue = string | number | boolean | null | Record<string, unknown> | unknown[];
export type Settings = Record<string, SettingValue>;

// ---------- linking and webhooks ----------

export type LinkCode = ResponseOf<'postLinksCodes'>;
export type Webhook = Item<ResponseOf<'getWebhooks'>>;
export type WebhookInput = BodyOf<'postWebhooks'>;
export type WebhookCreated = ResponseOf<'postWebhooks'>;
export type Comment = Item<ResponseOf<'getContentByIdComments'>>;
export type ActivityItem = Item<ResponseOf<'getContentByIdActivity'>>;
export type Notification = Item<ResponseOf<'getNotifications'>>;

// ---------- spend ----------

export type PriceRow = Item<ResponseOf<'listPrices'>>;
export type PriceOverride = BodyOf<'replacePriceOverrides'>['items'][number];
export type SpendBudget = Item<ResponseOf<'listBudgets'>>;
export type BudgetScope = SpendBudget['scope'];
export type BudgetPeriod = SpendBudget['period'];
export type BudgetAction = SpendBudget['action'];
export type CreateBudgetInput = BodyOf<'createBudget'>;
export type UpdateBudgetInput = BodyOf<'updateBudget'>;
export type BudgetForecast = ResponseOf<'getBudgetForecast'>;
export type UsageRow = Item<ResponseOf<'getReportsUsage'>>;

export const BUDGET_SCOPES = [
  'team',
  'user',
  'chat_workspace',
  'api_token',
  'hook',
  'provider_account',
] as const satisfies readonly BudgetScope[];
export const BUDGET_PERIODS = [
  'daily',
  'weekly',
  'monthly',
  'total',
] as const satisfies readonly BudgetPeriod[];
export const BUDGET_ACTIONS = ['block', 'approve', 'notify'] as const satisfies readonly BudgetAction[];
