/**
 * Typed client for every endpoint in API.md. Request and response types come from schema.d.ts,
 * generated from the server's OpenAPI document (`npm run api:types`), named in types.ts.
 *
 * Sessions: the access token lives in memory only; the refresh token in sessionStorage (see
 * tokenStore.ts for why). A 401 on an authenticated call triggers one refresh shared by every
 * request that failed at the same time (single flight), then the call is retried once. If the
 * refresh is refused the session ends and listeners are told, so the UI can go to the sign-in page.
 */

import { filenameFromDisposition } from './contentDisposition';
import { errorFromResponse, networkError } from './errors';
import { type RefreshTokenStore, sessionRefreshStore } from './tokenStore';
import type {
  AuthResult,
  BodyOf,
  ContentListQuery,
  ExportedFile,
  ExportFormat,
  LoginInput,
  QueryOf,
  RegisterInput,
  ResponseOf,
  Settings,
  TaskListQuery,
  TokenPair,
  UpdateMeInput,
} from './types';

export type Query = Record<string, string | number | boolean | undefined | null>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  headers?: Record<string, string>;
  /** Send the bearer token and refresh on 401 (default true). */
  auth?: boolean;
  signal?: AbortSignal;
}

export interface ApiClientOptions {
  /** Prefix for every path; '' means same origin (the portal is served by the API). */
  baseUrl?: string;
  /** Defaults to the global fetch, looked up at call time. */
  fetch?: typeof fetch;
  refreshStore?: RefreshTokenStore;
}

export type SessionListener = (signedIn: boolean) => void;

/** Encode one path segment; ids are opaque strings. */
const seg = (v: string | number) => encodeURIComponent(String(v));

export function buildQuery(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    params.set(k, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

export class ApiClient {
  private accessToken: string | null = null;
  private refreshing: Promise<string | null> | null = null;
  private readonly listeners = new Set<SessionListener>();
  private readonly baseUrl: string;
  private readonly fetchImpl?: typeof fetch;
  private readonly refreshStore: RefreshTokenStore;

  constructor(opts: ApiClientOptions = {}) {
    this.baseUrl = opts.baseUrl ?? '';
    this.fetchImpl = opts.fetch;
    this.refreshStore = opts.refreshStore ?? sessionRefreshStore();
  }

  // ---------- session plumbing ----------

  /** True when a refresh token is stored, i.e. a session can be resumed. */
  hasSession(): boolean {
    return this.accessToken !== null || this.refreshStore.get() !== null;
  }

  onSessionChange(listener: SessionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private setTokens(pair: TokenPair): void {
    this.accessToken = pair.accessToken;
    this.refreshStore.set(pair.refreshToken);
  }

  /** Forget the tokens locally and tell listeners the session is over. */
  endSession(): void {
    const had = this.hasSession();
    this.accessToken = null;
    this.refreshStore.set(null);
    if (had) for (const l of this.listeners) l(false);
  }

  private doFetch(input: string, init: RequestInit): Promise<Response> {
    const f = this.fetchImpl ?? globalThis.fetch;
    return f(input, init);
  }

  /**
   * Exchange the refresh token for a new pair. Concurrent callers share one request: a second
   * refresh with the same (now spent) token would make the API revoke the whole session.
   * Resolves to the new access token, or null when the session is over.
   */
  refreshAccessToken(): Promise<string | null> {
    if (this.refreshing) return this.refreshing;
    const refreshToken = this.refreshStore.get();
    if (!refreshToken) return Promise.resolve(null);
    this.refreshing = (async () => {
      try {
        let res: Response;
        try {
          res = await this.doFetch(`${this.baseUrl}/api/auth/refresh`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
            body: JSON.stringify({ refreshToken }),
          });
        } catch (e) {
          // Offline: keep the refresh token, it may still be good.
          throw networkError(e);
        }
        if (res.ok) {
          const pair = (await res.json()) as TokenPair;
          this.setTokens(pair);
          return pair.accessToken;
        }
        if (res.status === 400 || res.status === 401 || res.status === 403) {
          this.endSession();
          return null;
        }
        throw await errorFromResponse(res);
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  /** A task's live output as a server-sent event stream (read it with lib/liveText.ts). */
  taskEvents(id: string, signal: AbortSignal): Promise<Response> {
    return this.raw('GET', `/api/tasks/${seg(id)}/events`, {
      headers: { Accept: 'text/event-stream' },
      signal,
    });
  }

  /** Send a request; throws ApiError for any non-2xx answer. */
  async raw(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
    const auth = opts.auth ?? true;
    const url = `${this.baseUrl}${path}${buildQuery(opts.query)}`;
    const send = async (token: string | null): Promise<Response> => {
      const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers };
      if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
      if (auth && token) headers.Authorization = `Bearer ${token}`;
      try {
        return await this.doFetch(url, {
          method,
          headers,
          body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
          signal: opts.signal,
        });
      } catch (e) {
        if (e instanceof DOMException && e.name === 'AbortError') throw e;
        throw networkError(e);
      }
    };

    let token = auth ? this.accessToken : null;
    // After a page load only the refresh token is known: get an access token first.
    if (auth && !token && this.refreshStore.get()) token = await this.refreshAccessToken();

    let res = await send(token);
    if (res.status === 401 && auth && (token || this.refreshStore.get())) {
      // If another request already refreshed while this one was in flight, just use the new token.
      const next =
        this.accessToken && this.accessToken !== token ? this.accessToken : await this.refreshAccessToken();
      if (next) res = await send(next);
    }
    if (!res.ok) throw await errorFromResponse(res);
    return res;
  }

  /** Send a request and parse the JSON answer (undefined for 204 or a non-JSON body). */
  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.raw(method, path, opts);
    if (res.status === 204) return undefined as T;
    const type = res.headers.get('content-type') ?? '';
    if (!type.includes('json')) return undefined as T;
    return (await res.json()) as T;
  }

  private get<T>(path: string, query?: Query, signal?: AbortSignal) {
    return this.request<T>('GET', path, { query, signal });
  }
  private post<T>(path: string, body?: unknown, extra: Omit<RequestOptions, 'body'> = {}) {
    return this.request<T>('POST', path, { ...extra, body });
  }
  private put<T>(path: string, body: unknown) {
    return this.request<T>('PUT', path, { body });
  }
  private del(path: string) {
    return this.request<void>('DELETE', path);
  }

  // ---------- auth ----------

  async login(input: LoginInput): Promise<AuthResult> {
    const result = await this.post<AuthResult>('/api/auth/login', input, { auth: false });
    this.setTokens(result);
    for (const l of this.listeners) l(true);
    return result;
  }

  async register(input: RegisterInput): Promise<AuthResult> {
    const result = await this.post<AuthResult>('/api/auth/register', input, { auth: false });
    this.setTokens(result);
    for (const l of this.listeners) l(true);
    return result;
  }

  // ---------- sign-in with an identity provider ----------

  /** The identity providers configured for sign-in (one portal button each). */
  ssoProviders(signal?: AbortSignal) {
    return this.get<ResponseOf<'getAuthProviders'>>('/api/auth/providers', undefined, signal).then(
      (r) => r.items,
    );
  }

  /** Where a sign-in button leads: the server redirects on to the provider. */
  ssoStartUrl(provider: string, next?: string): string {
    const q = next && next !== '/' ? `?next=${encodeURIComponent(next)}` : '';
    return `${this.baseUrl}/api/auth/oauth/${seg(provider)}/start${q}`;
  }

  /** Trades the one-time code from the sign-in callback for a session. */
  async exchangeSsoCode(code: string): Promise<AuthResult> {
    const result = await this.post<AuthResult>('/api/auth/oauth/exchange', { code }, { auth: false });
    this.setTokens(result);
    for (const l of this.listeners) l(true);
    return result;
  }

  identities(signal?: AbortSignal) {
    return this.get<ResponseOf<'getAuthIdentities'>>('/api/auth/identities', undefined, signal).then(
      (r) => r.items,
    );
  }
  /** Starts linking another identity; the caller opens the returned URL in this tab. */
  linkIdentity(provider: string, next = '/profile') {
    return this.post<ResponseOf<'postAuthOauthByProviderLink'>>(`/api/auth/oauth/${seg(provider)}/link`, {
      next,
    });
  }
  unlinkIdentity(id: string) {
    return this.del(`/api/auth/identities/${seg(id)}`);
  }

  /** Revoke this session on the server, then forget it locally whatever the server said. */
  async logout(): Promise<void> {
    try {
      if (this.hasSession()) await this.post<void>('/api/auth/logout');
    } catch {
      // Already signed out server-side, or offline: forgetting the tokens locally is what matters.
    } finally {
      this.endSession();
    }
  }

  me(signal?: AbortSignal) {
    return this.get<ResponseOf<'getAuthMe'>>('/api/auth/me', undefined, signal).then((r) => r.user);
  }
  updateMe(input: UpdateMeInput) {
    return this.put<ResponseOf<'putAuthMe'>>('/api/auth/me', input).then((r) => r.user);
  }
  createApiToken(input: BodyOf<'postAuthTokens'>) {
    return this.post<ResponseOf<'postAuthTokens'>>('/api/auth/tokens', input);
  }
  listApiTokens(signal?: AbortSignal) {
    return this.get<ResponseOf<'getAuthTokens'>>('/api/auth/tokens', undefined, signal);
  }
  revokeApiToken(id: string) {
    return this.del(`/api/auth/tokens/${seg(id)}`);
  }

  // ---------- tasks ----------

  taskTypes(signal?: AbortSignal) {
    return this.get<ResponseOf<'getTaskTypes'>>('/api/task-types', undefined, signal);
  }
  createTask(input: BodyOf<'postTasks'>, idempotencyKey?: string) {
    return this.post<ResponseOf<'postTasks'>>('/api/tasks', input, {
      headers: idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : undefined,
    });
  }
  /** What a task would cost (nothing is written): POST /api/tasks/estimate. */
  estimateTask(input: BodyOf<'estimateTask'>, signal?: AbortSignal) {
    return this.post<ResponseOf<'estimateTask'>>('/api/tasks/estimate', input, { signal });
  }
  listTasks(query: TaskListQuery = {}, signal?: AbortSignal) {
    return this.get<ResponseOf<'getTasks'>>('/api/tasks', { ...query }, signal);
  }
  getTask(id: string, signal?: AbortSignal) {
    return this.get<ResponseOf<'getTasksById'>>(`/api/tasks/${seg(id)}`, undefined, signal);
  }
  updateTask(id: string, input: BodyOf<'putTasksById'>) {
    return this.put<ResponseOf<'putTasksById'>>(`/api/tasks/${seg(id)}`, input);
  }
  deleteTask(id: string) {
    return this.del(`/api/tasks/${seg(id)}`);
  }
  taskStatus(id: string, signal?: AbortSignal) {
    return this.get<ResponseOf<'getTasksByIdStatus'>>(`/api/tasks/${seg(id)}/status`, undefined, signal);
  }
  cancelTask(id: string) {
    return this.post<ResponseOf<'postTasksByIdCancel'>>(`/api/tasks/${seg(id)}/cancel`);
  }
  /** A task awaiting approval (an `approve` budget): approve (it is queued) or reject (it is cancelled). */
  approveTask(id: string) {
    return this.post<ResponseOf<'postTasksByIdApprove'>>(`/api/tasks/${seg(id)}/approve`);
  }
  rejectTask(id: string) {
    return this.post<ResponseOf<'postTasksByIdReject'>>(`/api/tasks/${seg(id)}/reject`);
  }
  taskRouting(id: string, signal?: AbortSignal) {
    return this.get<ResponseOf<'getTasksByIdRouting'> | null>(
      `/api/tasks/${seg(id)}/routing`,
      undefined,
      signal,
    );
  }

  // ---------- content ----------

  listContent(query: ContentListQuery = {}, signal?: AbortSignal) {
    return this.get<ResponseOf<'getContent'>>('/api/content', { ...query }, signal);
  }
  getContent(id: string, signal?: AbortSignal) {
    return this.get<ResponseOf<'getContentById'>>(`/api/content/${seg(id)}`, undefined, signal);
  }
  getContentVersion(id: string, version: number, signal?: AbortSignal) {
    return this.get<ResponseOf<'getContentByIdVersionsByVersion'>>(
      `/api/content/${seg(id)}/versions/${seg(version)}`,
      undefined,
      signal,
    );
  }
  /** Not in API.md's table; the answer's shape is normalised by lib/diff.ts. May be JSON or text. */
  async contentDiff(id: string, from: number, to: number, signal?: AbortSignal): Promise<unknown> {
    const res = await this.raw('GET', `/api/content/${seg(id)}/diff`, { query: { from, to }, signal });
    const type = res.headers.get('content-type') ?? '';
    return type.includes('json') ? res.json() : res.text();
  }
  updateContent(id: string, input: BodyOf<'putContentById'>) {
    return this.put<ResponseOf<'putContentById'>>(`/api/content/${seg(id)}`, input);
  }
  deleteContent(id: string) {
    return this.del(`/api/content/${seg(id)}`);
  }
  restoreContent(id: string, version: number) {
    return this.post<ResponseOf<'postContentByIdRestore'>>(`/api/content/${seg(id)}/restore`, { version });
  }
  regenerateContent(id: string, providerId?: string) {
    return this.post<ResponseOf<'postContentByIdRegenerate'>>(
      `/api/content/${seg(id)}/regenerate`,
      providerId ? { providerId } : {},
    );
  }
  async exportContent(id: string, format: ExportFormat, version?: number): Promise<ExportedFile> {
    const res = await this.raw('POST', `/api/content/${seg(id)}/export`, {
      body: version === undefined ? { format } : { format, version },
      headers: { Accept: '*/*' },
    });
    const blob = await res.blob();
    const ext = { markdown: 'md', html: 'html', txt: 'txt', json: 'json', pdf: 'pdf', docx: 'docx' }[format];
    return {
      blob,
      filename: filenameFromDisposition(res.headers.get('content-disposition'), `content.${ext}`),
      contentType: res.headers.get('content-type') ?? blob.type,
    };
  }
  shareContent(id: string, input: BodyOf<'postContentByIdShare'> = {}) {
    return this.post<ResponseOf<'postContentByIdShare'>>(`/api/content/${seg(id)}/share`, input);
  }
  listComments(id: string, signal?: AbortSignal) {
    return this.get<ResponseOf<'getContentByIdComments'>>(
      `/api/content/${seg(id)}/comments`,
      undefined,
      signal,
    );
  }
  addComment(id: string, input: BodyOf<'postContentByIdComments'>) {
    return this.post<ResponseOf<'postContentByIdComments'>>(`/api/content/${seg(id)}/comments`, input);
  }
  updateComment(id: string, commentId: string, input: BodyOf<'putContentByIdCommentsByCommentId'>) {
    return this.put<ResponseOf<'putContentByIdCommentsByCommentId'>>(
      `/api/content/${seg(id)}/comments/${seg(commentId)}`,
      input,
    );
  }
  reviewContent(id: string, input: BodyOf<'postContentByIdReview'>) {
    return this.post<ResponseOf<'postContentByIdReview'>>(`/api/content/${seg(id)}/review`, input);
  }
  contentActivity(id: string, signal?: AbortSignal) {
    return this.get<ResponseOf<'getContentByIdActivity'>>(
      `/api/content/${seg(id)}/activity`,
      undefined,
      signal,
    );
  }
  usageReport(query: Record<string, string>, signal?: AbortSignal) {
    return this.get<ResponseOf<'getReportsUsage'>>('/api/reports/usage', query, signal);
  }
  failureReport(query: Record<string, string>, signal?: AbortSignal) {
    return this.get<ResponseOf<'getReportsFailures'>>('/api/reports/failures', query, signal);
  }
  reportSchedules(signal?: AbortSignal) {
    return this.get<ResponseOf<'getReportsSchedules'>>('/api/reports/schedules', {}, signal);
  }
  deleteReportSchedule(id: string) {
    return this.del(`/api/reports/schedules/${seg(id)}`);
  }
  async usageReportCsv(query: Record<string, string>) {
    const res = await this.raw('GET', '/api/reports/usage', { query: { ...query, format: 'csv' } });
    return res.blob();
  }
  // ---------- spend ----------

  listPrices(signal?: AbortSignal) {
    return this.get<ResponseOf<'listPrices'>>('/api/prices', undefined, signal);
  }
  /** Replaces every admin override (send the ones to keep too). */
  replacePriceOverrides(input: BodyOf<'replacePriceOverrides'>) {
    return this.put<ResponseOf<'replacePriceOverrides'>>('/api/admin/prices', input);
  }
  listBudgets(signal?: AbortSignal) {
    return this.get<ResponseOf<'listBudgets'>>('/api/budgets', undefined, signal);
  }
  createBudget(input: BodyOf<'createBudget'>) {
    return this.post<ResponseOf<'createBudget'>>('/api/budgets', input);
  }
  updateBudget(id: string, input: BodyOf<'updateBudget'>) {
    return this.put<ResponseOf<'updateBudget'>>(`/api/budgets/${seg(id)}`, input);
  }
  deleteBudget(id: string) {
    return this.del(`/api/budgets/${seg(id)}`);
  }
  budgetForecast(id: string, signal?: AbortSignal) {
    return this.get<ResponseOf<'getBudgetForecast'>>(`/api/budgets/${seg(id)}/forecast`, undefined, signal);
  }
  notifications(query: { unread?: 'true'; limit?: number } = {}, signal?: AbortSignal) {
    return this.get<ResponseOf<'getNotifications'>>('/api/notifications', query, signal);
  }
  markNotificationsRead(ids?: string[]) {
    return this.post<ResponseOf<'postNotificationsRead'>>('/api/notifications/read', ids ? { ids } : {});
  }
  listShares(id: string, signal?: AbortSignal) {
    return this.get<ResponseOf<'getContentByIdShares'>>(`/api/content/${seg(id)}/shares`, undefined, signal);
  }
  revokeShare(id: string, shareId: string) {
    return this.del(`/api/content/${seg(id)}/shares/${seg(shareId)}`);
  }
  sharedContent(token: string, signal?: AbortSignal) {
    return this.request<ResponseOf<'getSharedByToken'>>('GET', `/api/shared/${seg(token)}`, {
      auth: false,
      signal,
    });
  }

  // ---------- providers ----------

  listProviders(signal?: AbortSignal) {
    return this.get<ResponseOf<'getProviders'>>('/api/providers', undefined, signal);
  }
  getProvider(id: string, signal?: AbortSignal) {
    return this.get<ResponseOf<'getProvidersById'>>(`/api/providers/${seg(id)}`, undefined, signal);
  }
  providerStatus(id: string, signal?: AbortSignal) {
    return this.get<ResponseOf<'getProvidersByIdStatus'>>(
      `/api/providers/${seg(id)}/status`,
      undefined,
      signal,
    );
  }
  testProvider(id: string) {
    return this.post<ResponseOf<'postProvidersByIdTest'>>(`/api/providers/${seg(id)}/test`);
  }
  createProvider(input: BodyOf<'postProviders'>) {
    return this.post<ResponseOf<'postProviders'>>('/api/providers', input);
  }
  updateProvider(id: string, input: BodyOf<'putProvidersById'>) {
    return this.put<ResponseOf<'putProvidersById'>>(`/api/providers/${seg(id)}`, input);
  }
  deleteProvider(id: string) {
    return this.del(`/api/providers/${seg(id)}`);
  }
  createAccount(providerId: string, input: BodyOf<'postProvidersByIdAccounts'>) {
    return this.post<ResponseOf<'postProvidersByIdAccounts'>>(
      `/api/providers/${seg(providerId)}/accounts`,
      input,
    );
  }
  updateAccount(providerId: string, accountId: string, input: BodyOf<'putProvidersByIdAccountsByAccountId'>) {
    return this.put<ResponseOf<'putProvidersByIdAccountsByAccountId'>>(
      `/api/providers/${seg(providerId)}/accounts/${seg(accountId)}`,
      input,
    );
  }
  deleteAccount(providerId: string, accountId: string) {
    return this.del(`/api/providers/${seg(providerId)}/accounts/${seg(accountId)}`);
  }

  // ---------- admin ----------

  listUsers(query: QueryOf<'getAdminUsers'> = {}, signal?: AbortSignal) {
    return this.get<ResponseOf<'getAdminUsers'>>('/api/admin/users', { ...query }, signal);
  }
  updateUser(id: string, input: BodyOf<'putAdminUsersById'>) {
    return this.put<ResponseOf<'putAdminUsersById'>>(`/api/admin/users/${seg(id)}`, input);
  }
  stats(since?: string, signal?: AbortSignal) {
    return this.get<ResponseOf<'getAdminStats'>>('/api/admin/stats', { since }, signal);
  }
  auditLog(query: QueryOf<'getAdminLogs'> = {}, signal?: AbortSignal) {
    return this.get<ResponseOf<'getAdminLogs'>>('/api/admin/logs', { ...query }, signal);
  }
  settings(signal?: AbortSignal) {
    return this.get<unknown>('/api/admin/settings', undefined, signal).then(normalizeSettings);
  }
  updateSettings(values: Settings) {
    return this.post<unknown>('/api/admin/settings', values).then(normalizeSettings);
  }

  // ---------- account linking ----------

  listTeams(signal?: AbortSignal) {
    return this.get<ResponseOf<'getTeams'>>('/api/teams', undefined, signal);
  }
  createTeam(input: BodyOf<'postTeams'>) {
    return this.post<ResponseOf<'postTeams'>>('/api/teams', input);
  }
  getTeam(id: string, signal?: AbortSignal) {
    return this.get<ResponseOf<'getTeamsById'>>(`/api/teams/${seg(id)}`, undefined, signal);
  }
  createInvite(teamId: string, input: BodyOf<'postTeamsByIdInvites'>) {
    return this.post<ResponseOf<'postTeamsByIdInvites'>>(`/api/teams/${seg(teamId)}/invites`, input);
  }
  acceptInvite(token: string) {
    return this.post<ResponseOf<'postInvitesByTokenAccept'>>(`/api/invites/${seg(token)}/accept`);
  }
  setMemberRole(teamId: string, userId: string, input: BodyOf<'putTeamsByIdMembersByUserId'>) {
    return this.put<ResponseOf<'putTeamsByIdMembersByUserId'>>(
      `/api/teams/${seg(teamId)}/members/${seg(userId)}`,
      input,
    );
  }
  removeMember(teamId: string, userId: string) {
    return this.del(`/api/teams/${seg(teamId)}/members/${seg(userId)}`);
  }
  addChatWorkspace(teamId: string, input: BodyOf<'postTeamsByIdChatWorkspaces'>) {
    return this.post<ResponseOf<'postTeamsByIdChatWorkspaces'>>(
      `/api/teams/${seg(teamId)}/chat-workspaces`,
      input,
    );
  }
  removeChatWorkspace(teamId: string, workspaceId: string) {
    return this.del(`/api/teams/${seg(teamId)}/chat-workspaces/${seg(workspaceId)}`);
  }

  createLinkCode() {
    return this.post<ResponseOf<'postLinksCodes'>>('/api/links/codes');
  }
  listLinks(signal?: AbortSignal) {
    return this.get<ResponseOf<'getLinks'>>('/api/links', undefined, signal);
  }
  deleteLink(id: string) {
    return this.del(`/api/links/${seg(id)}`);
  }

  // ---------- inbound webhooks ----------

  listWebhooks(signal?: AbortSignal) {
    return this.get<ResponseOf<'getWebhooks'>>('/api/webhooks', undefined, signal);
  }
  createWebhook(input: BodyOf<'postWebhooks'>) {
    return this.post<ResponseOf<'postWebhooks'>>('/api/webhooks', input);
  }
  deleteWebhook(id: string) {
    return this.del(`/api/webhooks/${seg(id)}`);
  }
  rotateWebhook(id: string) {
    return this.post<ResponseOf<'postWebhooksByIdRotate'>>(`/api/webhooks/${seg(id)}/rotate`);
  }
  webhookDeliveries(id: string, query: QueryOf<'getWebhooksByIdDeliveries'> = {}, signal?: AbortSignal) {
    return this.get<ResponseOf<'getWebhooksByIdDeliveries'>>(
      `/api/webhooks/${seg(id)}/deliveries`,
      { ...query },
      signal,
    );
  }

  // ---------- health ----------

  health(signal?: AbortSignal) {
    return this.request<{ status: string }>('GET', '/healthz', { auth: false, signal });
  }
}

/**
 * "200 all settings" is not spelled out; accept `{key: value}`, `{settings: {…}}` or
 * `{items: [{key, value}]}` and always hand the UI a flat map.
 */
export function normalizeSettings(body: unknown): Settings {
  if (!body || typeof body !== 'object') return {};
  const b = body as Record<string, unknown>;
  if (Array.isArray(b.items)) {
    const out: Settings = {};
    for (const item of b.items as Array<{ key?: unknown; value?: unknown }>) {
      if (item && typeof item.key === 'string') out[item.key] = item.value as Settings[string];
    }
    return out;
  }
  if (b.settings && typeof b.settings === 'object' && !Array.isArray(b.settings))
    return b.settings as Settings;
  return b as Settings;
}

/** The portal's one client. */
export const api = new ApiClient();
